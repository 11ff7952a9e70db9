// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libusbts - the WinUSB-style calls over /dev/usb-timesync, and helpers.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <linux/usb/timesync.h>

#include "usbts.h"

/**
 * struct usbts_ctx - an open device, or a test double
 * @fd: /dev/usb-timesync, or -1 with @be
 * @be: test double, or NULL
 * @data: argument of @be
 *
 * Never written after usbts_open*(): threads share it freely.
 */
struct usbts_ctx {
	int fd;
	const struct usbts_backend *be;
	void *data;
};

static int do_ioctl(struct usbts_ctx *ctx, unsigned long request, void *arg)
{
	if (ctx->be)
		return ctx->be->ioctl(ctx->data, request, arg);
	return ioctl(ctx->fd, request, arg) ? -errno : 0;
}

/** usbts_open_path() - open a device node (not necessarily the default) */
int usbts_open_path(struct usbts_ctx **ctx, const char *path)
{
	struct usbts_ctx *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->fd = open(path, O_RDWR | O_CLOEXEC);
	if (c->fd < 0) {
		int err = -errno;

		free(c);
		return err;
	}
	*ctx = c;
	return 0;
}

/** usbts_open() - open /dev/usb-timesync */
int usbts_open(struct usbts_ctx **ctx)
{
	return usbts_open_path(ctx, "/dev/usb-timesync");
}

/** usbts_open_backend() - a context served by a test double */
int usbts_open_backend(struct usbts_ctx **ctx, const struct usbts_backend *be,
		       void *data)
{
	struct usbts_ctx *c;

	if (!be || !be->ioctl)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->fd = -1;
	c->be = be;
	c->data = data;
	*ctx = c;
	return 0;
}

/** usbts_close() - close; every handle of the context stops */
void usbts_close(struct usbts_ctx *ctx)
{
	if (!ctx)
		return;
	if (ctx->be) {
		if (ctx->be->close)
			ctx->be->close(ctx->data);
	} else {
		close(ctx->fd);
	}
	free(ctx);
}

static int start(struct usbts_ctx *ctx, uint32_t busnum, uint32_t devnum,
		 int device_fd, uint32_t flags, uint64_t accuracy_ns,
		 uint32_t *handle)
{
	struct usb_timesync_start s;
	int err;

	if (flags & ~USBTS_STARTUP_DELAY_TOLERABLE)
		return -EINVAL;
	memset(&s, 0, sizeof(s));
	s.busnum = busnum;
	s.devnum = devnum;
	s.want_accuracy_ns = accuracy_ns;
	s.flags = flags & USBTS_STARTUP_DELAY_TOLERABLE ?
		  USB_TIMESYNC_FLAG_STARTUP_DELAY_TOLERABLE : 0;
	if (device_fd >= 0) {
		s.flags |= USB_TIMESYNC_FLAG_DEVICE_FD;
		s.device_fd = device_fd;
	}
	err = do_ioctl(ctx, USB_TIMESYNC_IOC_START_TRACKING, &s);
	if (!err)
		*handle = s.handle;
	return err;
}

/**
 * usbts_start_tracking_for_time_sync() - track bus @busnum, or device
 *	@devnum on it
 *
 * With a device named, its usbfs node (/dev/bus/usb/BBB/DDD) is opened for
 * writing and passed as the credential, if the caller may open it: then
 * anyone who may do I/O on the device may track its bus.  Otherwise (and
 * for a bare bus) START needs the administrator's grant, and fails with
 * -EPERM without it.
 */
int usbts_start_tracking_for_time_sync(struct usbts_ctx *ctx, uint32_t busnum,
				       uint32_t devnum, uint32_t flags,
				       uint32_t *handle)
{
	return usbts_start_tracking_with_accuracy(ctx, busnum, devnum, flags, 0,
						  handle);
}

/**
 * usbts_start_tracking_with_accuracy() - usbts_start_tracking_for_time_sync(),
 *	asking the sampler to keep the accuracy within @accuracy_ns (0: no need)
 */
int usbts_start_tracking_with_accuracy(struct usbts_ctx *ctx, uint32_t busnum,
				       uint32_t devnum, uint32_t flags,
				       uint64_t accuracy_ns, uint32_t *handle)
{
	char node[32];
	int fd = -1, err;

	if (devnum && !ctx->be) {
		snprintf(node, sizeof(node), "/dev/bus/usb/%03u/%03u", busnum, devnum);
		fd = open(node, O_RDWR | O_CLOEXEC);
	}
	err = start(ctx, busnum, devnum, fd, flags, accuracy_ns, handle);
	if (fd >= 0)
		close(fd);
	return err;
}

/**
 * usbts_start_tracking_device_fd() - track the bus of the device whose
 *	usbfs node @device_fd is (opened for writing), with the device named
 */
int usbts_start_tracking_device_fd(struct usbts_ctx *ctx, uint32_t busnum,
				   int device_fd, uint32_t flags,
				   uint32_t *handle)
{
	if (device_fd < 0)
		return -EBADF;
	return start(ctx, busnum, 0, device_fd, flags, 0, handle);
}

int usbts_stop_tracking_for_time_sync(struct usbts_ctx *ctx, uint32_t handle)
{
	struct usb_timesync_stop s;

	memset(&s, 0, sizeof(s));
	s.handle = handle;
	return do_ioctl(ctx, USB_TIMESYNC_IOC_STOP_TRACKING, &s);
}

int usbts_get_current_frame_number_and_time(struct usbts_ctx *ctx,
					    uint32_t handle,
					    struct usbts_frame_info *info)
{
	struct usb_timesync_frame_time g;
	int err;

	memset(&g, 0, sizeof(g));
	g.handle = handle;
	g.clock = info->clock;
	if (info->input_valid) {
		g.flags = USB_TIMESYNC_FRAME_INPUT_VALID;
		g.input_frame = info->input_frame;
		g.input_microframe = info->input_microframe;
	}
	err = do_ioctl(ctx, USB_TIMESYNC_IOC_GET_FRAME_NUMBER_AND_TIME, &g);
	if (err)
		return err;
	info->current_hw_frame = g.current_hw_frame;
	info->current_hw_microframe = g.current_hw_microframe;
	info->current_usb_frame = g.current_usb_frame;
	info->time_at_input_ns = g.time_at_input_ns;
	info->current_time_ns = g.current_time_ns;
	info->accuracy_ns = g.accuracy_ns;
	info->generation = g.generation;
	return 0;
}

/**
 * usbts_get_current_frame_number() - the current 32-bit frame and the
 *	CLOCK_MONOTONIC time it was current at, as WinUsb_GetCurrentFrameNumber
 */
int usbts_get_current_frame_number(struct usbts_ctx *ctx, uint32_t handle,
				   uint32_t *frame, int64_t *timestamp_ns)
{
	struct usbts_frame_info info;
	int err;

	memset(&info, 0, sizeof(info));
	err = usbts_get_current_frame_number_and_time(ctx, handle, &info);
	if (err)
		return err;
	*frame = info.current_usb_frame;
	*timestamp_ns = info.current_time_ns;
	return 0;
}

static int64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b && (a < 0) != (b < 0)) ? q - 1 : q;
}

/**
 * usbts_get_adjusted_frame_number() - as WinUsb_GetAdjustedFrameNumber: the
 *	frame the bus is in now, from one read at @timestamp_ns
 * @frame: in: the frame usbts_get_current_frame_number() gave; out: now's
 * @timestamp_ns: the timestamp it gave with it
 *
 * Touches no device: it advances the frame by the whole milliseconds of
 * CLOCK_MONOTONIC since @timestamp_ns (nominal rate).
 */
int usbts_get_adjusted_frame_number(uint32_t *frame, int64_t timestamp_ns)
{
	*frame += (uint32_t)floor_div(monotonic_ns() - timestamp_ns, USBTS_FRAME_NS);
	return 0;
}

/**
 * usbts_widen_frame() - the 32-bit frame nearest to @ref_frame whose low
 *	@bits bits are @partial (11 for a hardware frame number)
 */
uint32_t usbts_widen_frame(uint32_t ref_frame, uint32_t partial,
			   unsigned int bits)
{
	uint32_t mask = bits >= 32 ? UINT32_MAX : (1u << bits) - 1;
	uint32_t d = (partial - ref_frame) & mask;

	if (bits >= 32)
		return partial;
	if (d > mask / 2)
		return ref_frame + d - mask - 1;
	return ref_frame + d;
}

/**
 * usbts_widen_microframe() - the extended microframe (frame * 8 +
 *	microframe) nearest to @ref_uframe whose low @bits bits are @partial;
 *	14 for raw MFINDEX values (as SAMPLE and usbts record give them) and
 *	for the microframe start_frame xhci-hcd gives high-speed iso URBs
 */
uint64_t usbts_widen_microframe(uint64_t ref_uframe, uint32_t partial,
				unsigned int bits)
{
	uint64_t mask = bits >= 64 ? UINT64_MAX : ((uint64_t)1 << bits) - 1;
	uint64_t d = ((uint64_t)partial - ref_uframe) & mask;

	if (bits >= 64)
		return partial;
	if (d > mask / 2)
		return ref_uframe + d - mask - 1;
	return ref_uframe + d;
}

/**
 * usbts_frame_start_time() - when did or will @frame.@microframe start,
 *	on CLOCK_MONOTONIC
 */
int usbts_frame_start_time(struct usbts_ctx *ctx, uint32_t handle,
			   uint32_t frame, uint32_t microframe, int64_t *t_ns,
			   uint64_t *accuracy_ns)
{
	struct usbts_frame_info info;
	int err;

	memset(&info, 0, sizeof(info));
	info.input_valid = 1;
	info.input_frame = frame;
	info.input_microframe = microframe;
	err = usbts_get_current_frame_number_and_time(ctx, handle, &info);
	if (err)
		return err;
	*t_ns = info.time_at_input_ns;
	if (accuracy_ns)
		*accuracy_ns = info.accuracy_ns;
	return 0;
}

/**
 * usbts_sof_time() - start of the current frame from one snapshot, as
 *	PinscapePico computes it: the time minus microframe x 125 us.  Good to
 *	one microframe; usbts_frame_start_time() with microframe 0 is exact to
 *	the accuracy.
 */
int64_t usbts_sof_time(const struct usbts_frame_info *info)
{
	return info->current_time_ns -
	       (int64_t)info->current_hw_microframe * USBTS_MICROFRAME_NS;
}

/**
 * usbts_time_to_frame() - the frame and microframe the bus is (or was, or
 *	will be) in at CLOCK_MONOTONIC @t_ns
 *
 * Steps from the current frame with the model's own start times until
 * start(x) <= @t_ns < start(x + 1), so the answer follows the bus clock,
 * not the nominal 125 us.
 *
 * Return: 0, an errno of GET, or -ERANGE if it did not converge.
 */
int usbts_time_to_frame(struct usbts_ctx *ctx, uint32_t handle, int64_t t_ns,
			uint32_t *frame, uint32_t *microframe)
{
	struct usbts_frame_info info;
	int64_t x, t0, t1, d;
	int err, i;

	memset(&info, 0, sizeof(info));
	err = usbts_get_current_frame_number_and_time(ctx, handle, &info);
	if (err)
		return err;
	x = (int64_t)info.current_usb_frame * 8 + info.current_hw_microframe;
	for (i = 0; i < 16; i++) {
		err = usbts_frame_start_time(ctx, handle, (uint32_t)(x >> 3),
					     (uint32_t)(x & 7), &t0, NULL);
		if (err)
			return err;
		if (t_ns < t0) {
			/* at least one back; nominal steps land at or before */
			x += floor_div(t_ns - t0, USBTS_MICROFRAME_NS);
			continue;
		}
		err = usbts_frame_start_time(ctx, handle, (uint32_t)((x + 1) >> 3),
					     (uint32_t)((x + 1) & 7), &t1, NULL);
		if (err)
			return err;
		if (t_ns < t1) {
			*frame = (uint32_t)(x >> 3);
			*microframe = (uint32_t)(x & 7);
			return 0;
		}
		d = floor_div(t_ns - t0, USBTS_MICROFRAME_NS);
		x += d > 1 ? d : 1;
	}
	return -ERANGE;
}

/** usbts_sample() - raw MFINDEX reads, back to back (at most 64) */
int usbts_sample(struct usbts_ctx *ctx, uint32_t handle, unsigned int n,
		 struct usbts_sample *samples)
{
	struct usb_timesync_samples *s;
	unsigned int i;
	int err;

	if (!n || n > USB_TIMESYNC_MAX_SAMPLES)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->handle = handle;
	s->n_samples = n;
	err = do_ioctl(ctx, USB_TIMESYNC_IOC_SAMPLE, s);
	for (i = 0; !err && i < n; i++) {
		samples[i].pre_ns = s->samples[i].pre_ns;
		samples[i].post_ns = s->samples[i].post_ns;
		samples[i].mfindex = s->samples[i].mfindex;
	}
	free(s);
	return err;
}

/**
 * usbts_sample_clocks() - raw MFINDEX reads in both CLOCK_MONOTONIC and
 * CLOCK_MONOTONIC_RAW, back to back (at most USBTS_MAX_SAMPLE_CLOCKS)
 */
int usbts_sample_clocks(struct usbts_ctx *ctx, uint32_t handle, unsigned int n,
			struct usbts_sample_clocks *samples)
{
	struct usb_timesync_samples *s;
	unsigned int i;
	int err;

	if (!n || n > USBTS_MAX_SAMPLE_CLOCKS)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->handle = handle;
	s->n_samples = 2 * n;
	s->flags = USB_TIMESYNC_SAMPLE_FLAG_MONOTONIC_RAW;
	err = do_ioctl(ctx, USB_TIMESYNC_IOC_SAMPLE, s);
	for (i = 0; !err && i < n; i++) {
		const struct usb_timesync_sample *m = &s->samples[2 * i], *r = m + 1;

		if (m->clock != USB_TIMESYNC_CLOCK_MONOTONIC ||
		    r->clock != USB_TIMESYNC_CLOCK_MONOTONIC_RAW) {
			err = -EPROTO;
			break;
		}
		samples[i].pre_ns = m->pre_ns;
		samples[i].post_ns = m->post_ns;
		samples[i].raw_pre_ns = r->pre_ns;
		samples[i].raw_post_ns = r->post_ns;
		samples[i].mfindex = m->mfindex;
	}
	free(s);
	return err;
}

/** usbts_strerror() - what a negative errno of this library means */
const char *usbts_strerror(int err)
{
	switch (-err) {
	case 0:
		return "success";
	case ENOENT:
		return "no such tracking handle, or no /dev/usb-timesync (is usb_timesync loaded?)";
	case ENODEV:
		return "no such bus or device, or it has gone away";
	case EOPNOTSUPP:
		return "the bus is not driven by xhci-hcd; only xHCI controllers are supported";
	case EAGAIN:
		return "the controller is not running or is suspended";
	case ETIMEDOUT:
		return "no USB frame boundary was seen in time";
	case ENOSPC:
		return "too many tracking handles on one file";
	case EINVAL:
		return "invalid argument";
	case ENOTTY:
		return "the device does not know this request (module too old?)";
	case EFAULT:
		return "bad address";
	case EINTR:
		return "interrupted by a signal";
	case EPERM:
		return "not allowed: name a device you may open for writing, or ask for the grant (root or the group of /dev/usb-timesync)";
	case EACCES:
		return "permission denied";
	case EBADF:
		return "the credential is not an open file descriptor";
	case ENOMEM:
		return "out of memory";
	case ERANGE:
		return "the time could not be placed in a frame (clock jumped?)";
	default:
		return "unexpected error";
	}
}
