/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libusbts - USB time sync for programs: which frame is the bus in, and
 * when does frame N start on the system clock?
 *
 * The calls mirror WinUSB's (WinUsb_StartTrackingForTimeSync,
 * WinUsb_GetCurrentFrameNumberAndQpc, ...).  Every call returns 0 or a
 * negative errno with the meaning the /dev/usb-timesync ioctls give it (see
 * Documentation/userspace-api/usb-timesync.rst); usbts_strerror() names it.
 *
 * Thread safety: a context may be used from any number of threads at once.
 * The library has no global state; contexts are independent.
 */
#ifndef USBTS_H
#define USBTS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct usbts_ctx;

/* usbts_start_tracking_for_time_sync() flags */
#define USBTS_STARTUP_DELAY_TOLERABLE	(1u << 0)

/* struct usbts_frame_info.clock */
#define USBTS_CLOCK_MONOTONIC	0
#define USBTS_CLOCK_BOOTTIME	1
#define USBTS_CLOCK_REALTIME	2
#define USBTS_CLOCK_TAI		3
/* the clock nobody steers; the module's model runs on it */
#define USBTS_CLOCK_MONOTONIC_RAW	4

/* accuracy_ns before the first frame boundary has been seen */
#define USBTS_ACCURACY_UNKNOWN	UINT64_MAX

/* Nanoseconds per microframe and per frame. */
#define USBTS_MICROFRAME_NS	125000
#define USBTS_FRAME_NS		1000000

/**
 * struct usbts_frame_info - usbts_get_current_frame_number_and_time()
 * @input_valid: in: non-zero to ask for the start of @input_frame
 * @input_frame: in: 32-bit frame, nearest to the current one
 * @input_microframe: in: 0..7
 * @clock: in: USBTS_CLOCK_*
 * @current_hw_frame: out: 11-bit frame, MFINDEX[13:3]
 * @current_hw_microframe: out: MFINDEX[2:0]
 * @current_usb_frame: out: 32-bit frame
 * @time_at_input_ns: out: start of the input microframe, 0 without input
 * @current_time_ns: out: the time the current_* fields describe
 * @accuracy_ns: out: error bound, or USBTS_ACCURACY_UNKNOWN
 * @generation: out: changes when the frame/time mapping broke
 */
struct usbts_frame_info {
	int input_valid;
	uint32_t input_frame;
	uint32_t input_microframe;
	uint32_t clock;
	uint32_t current_hw_frame;
	uint32_t current_hw_microframe;
	uint32_t current_usb_frame;
	int64_t time_at_input_ns;
	int64_t current_time_ns;
	uint64_t accuracy_ns;
	uint64_t generation;
};

/**
 * struct usbts_sample - one raw MFINDEX read, CLOCK_MONOTONIC ns (see
 * usbts_sample_clocks() for CLOCK_MONOTONIC_RAW too)
 */
struct usbts_sample {
	int64_t pre_ns;
	int64_t post_ns;
	uint32_t mfindex;
};

/**
 * struct usbts_sample_clocks - one raw MFINDEX read in both clocks
 * @pre_ns: CLOCK_MONOTONIC before the read
 * @post_ns: CLOCK_MONOTONIC after it
 * @raw_pre_ns: CLOCK_MONOTONIC_RAW before the read (inside @pre_ns)
 * @raw_post_ns: CLOCK_MONOTONIC_RAW after it (inside @post_ns)
 * @mfindex: the raw 14-bit value
 */
struct usbts_sample_clocks {
	int64_t pre_ns;
	int64_t post_ns;
	int64_t raw_pre_ns;
	int64_t raw_post_ns;
	uint32_t mfindex;
};

/* Most reads usbts_sample_clocks() takes at once. */
#define USBTS_MAX_SAMPLE_CLOCKS	32

/**
 * struct usbts_backend - a test double in place of the device
 * @ioctl: called with a /dev/usb-timesync request and its argument;
 *	returns 0 or a negative errno
 * @close: called once by usbts_close(), may be NULL
 */
struct usbts_backend {
	int (*ioctl)(void *data, unsigned long request, void *arg);
	void (*close)(void *data);
};

int usbts_open(struct usbts_ctx **ctx);
int usbts_open_path(struct usbts_ctx **ctx, const char *path);
int usbts_open_backend(struct usbts_ctx **ctx, const struct usbts_backend *be,
		       void *data);
void usbts_close(struct usbts_ctx *ctx);

int usbts_start_tracking_for_time_sync(struct usbts_ctx *ctx, uint32_t busnum,
				       uint32_t devnum, uint32_t flags,
				       uint32_t *handle);
int usbts_start_tracking_with_accuracy(struct usbts_ctx *ctx, uint32_t busnum,
				       uint32_t devnum, uint32_t flags,
				       uint64_t accuracy_ns, uint32_t *handle);
int usbts_start_tracking_device_fd(struct usbts_ctx *ctx, uint32_t busnum,
				   int device_fd, uint32_t flags,
				   uint32_t *handle);
int usbts_stop_tracking_for_time_sync(struct usbts_ctx *ctx, uint32_t handle);
int usbts_get_current_frame_number_and_time(struct usbts_ctx *ctx,
					    uint32_t handle,
					    struct usbts_frame_info *info);
int usbts_get_current_frame_number(struct usbts_ctx *ctx, uint32_t handle,
				   uint32_t *frame, int64_t *timestamp_ns);
int usbts_get_adjusted_frame_number(uint32_t *frame, int64_t timestamp_ns);
int usbts_sample(struct usbts_ctx *ctx, uint32_t handle, unsigned int n,
		 struct usbts_sample *samples);
int usbts_sample_clocks(struct usbts_ctx *ctx, uint32_t handle, unsigned int n,
			struct usbts_sample_clocks *samples);

/* helpers */
uint32_t usbts_widen_frame(uint32_t ref_frame, uint32_t partial,
			   unsigned int bits);
uint64_t usbts_widen_microframe(uint64_t ref_uframe, uint32_t partial,
				unsigned int bits);
int usbts_frame_start_time(struct usbts_ctx *ctx, uint32_t handle,
			   uint32_t frame, uint32_t microframe, int64_t *t_ns,
			   uint64_t *accuracy_ns);
int64_t usbts_sof_time(const struct usbts_frame_info *info);
int usbts_time_to_frame(struct usbts_ctx *ctx, uint32_t handle, int64_t t_ns,
			uint32_t *frame, uint32_t *microframe);

const char *usbts_strerror(int err);

#ifdef __cplusplus
}
#endif

#endif /* USBTS_H */
