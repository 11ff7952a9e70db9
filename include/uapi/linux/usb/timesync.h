/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * USB time sync: map USB (micro)frame numbers onto system time.
 *
 * The character device /dev/usb-timesync tracks the frame counter (xHCI
 * MFINDEX) of USB host controllers and answers, without touching the
 * hardware, "which frame and microframe is this bus in, and when did (or
 * will) frame N start?" with an honest accuracy.  It mirrors the Windows
 * IOCTL_USB_START_TRACKING_FOR_TIME_SYNC, IOCTL_USB_GET_FRAME_NUMBER_AND_QPC_
 * FOR_TIME_SYNC and IOCTL_USB_STOP_TRACKING_FOR_TIME_SYNC requests.
 *
 * Every structure has one layout on 32- and 64-bit ABIs: fields are fixed
 * width and naturally aligned, padding is explicit, and every reserved
 * field must be zero on input (the call fails with EINVAL otherwise), so
 * later versions can give them meaning.  Output fields are ignored on input
 * and always written on success.  A field may gain a meaning only if it was
 * reserved (and so checked to be zero), and a flag only if it was rejected
 * before.
 *
 * The frame/time model is fitted against CLOCK_MONOTONIC_RAW, which NTP
 * and adjtime() do not steer; answers in the other clocks are converted
 * with the kernel's current conversion when asked.  Frequency changes and
 * slews of the system clock therefore neither break the model nor start a
 * generation, and clock_settime() moves REALTIME (and TAI) answers at once.
 *
 * Documentation/userspace-api/usb-timesync.rst describes every call.
 */
#ifndef _UAPI_LINUX_USB_TIMESYNC_H
#define _UAPI_LINUX_USB_TIMESYNC_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* Number of the ioctl group, see ioctl-number.rst. */
#define USB_TIMESYNC_IOC_MAGIC	0xC7

/*
 * USB_TIMESYNC_IOC_START_TRACKING flags.  STARTUP_DELAY_TOLERABLE: return at
 * once; GET reports USB_TIMESYNC_ACCURACY_UNKNOWN until a frame boundary has
 * been observed.  Without it START waits for one.
 */
#define USB_TIMESYNC_FLAG_STARTUP_DELAY_TOLERABLE	(1U << 0)
/*
 * USB_TIMESYNC_FLAG_DEVICE_FD: @device_fd is the caller's credential, a file
 * descriptor of the device's usbfs node (/dev/bus/usb/BBB/DDD) opened for
 * writing.  Without it START needs the administrator's grant.
 */
#define USB_TIMESYNC_FLAG_DEVICE_FD			(1U << 1)

/* Open handles one file may hold; START fails with ENOSPC beyond. */
#define USB_TIMESYNC_MAX_HANDLES	64

/**
 * struct usb_timesync_start - start tracking a bus
 * @busnum: in: bus number, as in /sys/bus/usb/devices/usbN and libusb
 * @devnum: in: device address on that bus, or 0 for the bus itself; a
 *	handle on a device fails with ENODEV once that device is gone.  With
 *	USB_TIMESYNC_FLAG_DEVICE_FD: 0 or the credential's device address;
 *	the handle is then on the credential's device either way, and START
 *	writes that device's address back here.
 * @flags: in: USB_TIMESYNC_FLAG_*
 * @handle: out: non-zero handle, valid on the file that made it
 * @device_fd: in: with USB_TIMESYNC_FLAG_DEVICE_FD, an fd of a usbfs device
 *	node on bus @busnum, opened for writing; must be zero otherwise.  The
 *	handle does not need it afterwards: the caller may close it.
 * @pad: in: must be zero
 * @want_accuracy_ns: in: the accuracy the caller needs, ns, or 0 for none.
 *	The controller's sampler then aims to read the counter before GET's
 *	@accuracy_ns for the current microframe passes the most demanding
 *	started handle's need, where the controller allows; a need never
 *	makes it read more often than about once a second.  With or without
 *	a need it keeps that accuracy within twice what it is just after a
 *	read, and reads about every 16 s at most (timers that long may fire
 *	up to about 3 s late): under 4 wakeups a minute on a
 *	steady clock, more on one seen to wander; the accuracy GET reports
 *	grows with the time since the last read as the clock's measured
 *	wander says.  Either way
 *	GET reports the accuracy it has: a need is a request, not a promise.
 *	(Before this field had a meaning it was reserved and had to be zero,
 *	which asks for nothing; a kernel that predates it fails a non-zero
 *	need with EINVAL.)
 *
 * Access: with a device credential anyone may track that device's bus, as
 * anyone who may do I/O on a device may.  Without one, START needs
 * CAP_SYS_ADMIN or membership in the group of the /dev/usb-timesync node
 * (root by default, so root only); it fails with EPERM otherwise, before
 * the controller is touched.
 */
struct usb_timesync_start {
	__u32 busnum;
	__u32 devnum;
	__u32 flags;
	__u32 handle;
	__s32 device_fd;
	__u32 pad;
	__u64 want_accuracy_ns;
};

/**
 * struct usb_timesync_stop - stop tracking
 * @handle: in: a handle from START on this file
 * @reserved: in: must be zero
 */
struct usb_timesync_stop {
	__u32 handle;
	__u32 reserved;
};

/* struct usb_timesync_frame_time.flags */
/* input_frame and input_microframe are set (frame 0 is a real frame) */
#define USB_TIMESYNC_FRAME_INPUT_VALID	(1U << 0)

/*
 * struct usb_timesync_frame_time.clock: the clock of every *_ns time.
 * A future time in a clock other than MONOTONIC_RAW assumes that the
 * system clock keeps its current rate (NTP may change it later).
 */
#define USB_TIMESYNC_CLOCK_MONOTONIC	0
#define USB_TIMESYNC_CLOCK_BOOTTIME	1
#define USB_TIMESYNC_CLOCK_REALTIME	2
#define USB_TIMESYNC_CLOCK_TAI		3
#define USB_TIMESYNC_CLOCK_MONOTONIC_RAW	4

/* accuracy_ns before the first frame boundary has been observed */
#define USB_TIMESYNC_ACCURACY_UNKNOWN	(~(__u64)0)

/**
 * struct usb_timesync_frame_time - current frame and time, and the time of
 *	any frame
 * @handle: in: a handle from START on this file
 * @flags: in: USB_TIMESYNC_FRAME_*
 * @input_frame: in: 32-bit frame number, as in @current_usb_frame; only
 *	with USB_TIMESYNC_FRAME_INPUT_VALID.  The nearest such frame to the
 *	current one is meant (32-bit frames wrap after 49.7 days).
 * @input_microframe: in: 0..7, only with USB_TIMESYNC_FRAME_INPUT_VALID
 * @clock: in: USB_TIMESYNC_CLOCK_*
 * @current_hw_frame: out: the 11-bit frame number, MFINDEX[13:3]
 * @current_hw_microframe: out: the microframe, MFINDEX[2:0]
 * @current_usb_frame: out: the frame extended to 32 bits; see below
 * @time_at_input_ns: out: start of the input microframe, in @clock; 0 when
 *	no input was given
 * @current_time_ns: out: the time the current_* fields describe, in @clock
 * @time_frequency_hz: out: always 1000000000 (times are in ns), as
 *	QueryPerformanceFrequency
 * @accuracy_ns: out: the true start of the input microframe (or of the
 *	current one) lies within this many ns of the time given, in at least
 *	99% of answers; it includes the error of the conversion to @clock.
 *	USB_TIMESYNC_ACCURACY_UNKNOWN before the first frame boundary, and
 *	for a time before tracking started in a clock other than
 *	MONOTONIC_RAW (the conversion is not known there)
 * @generation: out: changes only when the counter really broke: tracking
 *	started, the controller was reset or resumed, the counter stopped or
 *	jumped.  Changes of the system clock's rate or time never change it.
 *	Frame numbers compare only within one generation.
 * @reserved: in: must be zero; out: zero
 *
 * The extended count of microframes starts, in each generation, at the raw
 * MFINDEX of the first read, and @current_usb_frame is that count >> 3.
 * The current_* fields are one consistent snapshot taken at
 * @current_time_ns.
 */
struct usb_timesync_frame_time {
	__u32 handle;
	__u32 flags;
	__u32 input_frame;
	__u32 input_microframe;
	__u32 clock;
	__u32 current_hw_frame;
	__u32 current_hw_microframe;
	__u32 current_usb_frame;
	__s64 time_at_input_ns;
	__s64 current_time_ns;
	__u64 time_frequency_hz;
	__u64 accuracy_ns;
	__u64 generation;
	__u64 reserved[3];
};

/* Largest n_samples of USB_TIMESYNC_IOC_SAMPLE */
#define USB_TIMESYNC_MAX_SAMPLES	64

/**
 * struct usb_timesync_sample - one raw MFINDEX read
 * @pre_ns: @clock read immediately before the register
 * @post_ns: @clock read immediately after it
 * @mfindex: the raw 14-bit register value
 * @clock: USB_TIMESYNC_CLOCK_MONOTONIC (0) or, with
 *	USB_TIMESYNC_SAMPLE_FLAG_MONOTONIC_RAW, USB_TIMESYNC_CLOCK_MONOTONIC_RAW
 *	(this field was reserved and zero before)
 */
struct usb_timesync_sample {
	__s64 pre_ns;
	__s64 post_ns;
	__u32 mfindex;
	__u32 clock;
};

/*
 * struct usb_timesync_samples.flags.  MONOTONIC_RAW: every read fills two
 * consecutive entries, its CLOCK_MONOTONIC sandwich and then its
 * CLOCK_MONOTONIC_RAW sandwich (inside the first); n_samples must be even.
 */
#define USB_TIMESYNC_SAMPLE_FLAG_MONOTONIC_RAW	(1U << 0)

/**
 * struct usb_timesync_samples - raw reads, back to back
 * @handle: in: a handle from START on this file
 * @n_samples: in: 1..USB_TIMESYNC_MAX_SAMPLES entries
 * @flags: in: USB_TIMESYNC_SAMPLE_FLAG_*
 * @reserved: in: must be zero
 * @samples: out: @n_samples entries in time order; the rest is untouched
 */
struct usb_timesync_samples {
	__u32 handle;
	__u32 n_samples;
	__u32 flags;
	__u32 reserved;
	struct usb_timesync_sample samples[USB_TIMESYNC_MAX_SAMPLES];
};

#define USB_TIMESYNC_IOC_START_TRACKING \
	_IOWR(USB_TIMESYNC_IOC_MAGIC, 0x00, struct usb_timesync_start)
#define USB_TIMESYNC_IOC_STOP_TRACKING \
	_IOW(USB_TIMESYNC_IOC_MAGIC, 0x01, struct usb_timesync_stop)
#define USB_TIMESYNC_IOC_GET_FRAME_NUMBER_AND_TIME \
	_IOWR(USB_TIMESYNC_IOC_MAGIC, 0x02, struct usb_timesync_frame_time)
#define USB_TIMESYNC_IOC_SAMPLE \
	_IOWR(USB_TIMESYNC_IOC_MAGIC, 0x03, struct usb_timesync_samples)

#endif /* _UAPI_LINUX_USB_TIMESYNC_H */
