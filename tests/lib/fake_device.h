/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fake_device.h - a test double for /dev/usb-timesync: a bus clock of
 * known period that answers START, STOP, GET and SAMPLE as the module does.
 */
#ifndef FAKE_DEVICE_H
#define FAKE_DEVICE_H

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <linux/usb/timesync.h>

#include "usbts.h"

#define FAKE_PERIOD_NS	125010	/* 80 ppm slow */
#define FAKE_MAX	64
#define FAKE_RAW_OFFSET	-1234567LL	/* raw = monotonic + this */

struct fake_device {
	pthread_mutex_t lock;	/* handles */
	int64_t t0;		/* start of extended microframe 0 */
	int handles[FAKE_MAX + 1];
	int closed;
	int last_device_fd;	/* START's credential, -1 for none */
	uint64_t last_want;	/* START's want_accuracy_ns */
};

static inline int64_t fake_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline int64_t fake_floor_div(int64_t a, int64_t b)
{
	return a / b - ((a % b) && ((a < 0) != (b < 0)));
}

static inline int fake_handle_ok(struct fake_device *f, uint32_t h)
{
	int ok;

	pthread_mutex_lock(&f->lock);
	ok = h >= 1 && h <= FAKE_MAX && f->handles[h];
	pthread_mutex_unlock(&f->lock);
	return ok;
}

static int fake_ioctl(void *data, unsigned long request, void *arg)
{
	struct fake_device *f = data;

	switch (request) {
	case USB_TIMESYNC_IOC_START_TRACKING: {
		struct usb_timesync_start *s = arg;
		uint32_t h;

		if (s->flags & ~(USB_TIMESYNC_FLAG_STARTUP_DELAY_TOLERABLE |
				 USB_TIMESYNC_FLAG_DEVICE_FD) ||
		    (!(s->flags & USB_TIMESYNC_FLAG_DEVICE_FD) && s->device_fd) ||
		    s->pad)
			return -EINVAL;
		if (s->flags & USB_TIMESYNC_FLAG_DEVICE_FD && s->device_fd < 0)
			return -EBADF;
		if (s->busnum != 1)
			return -ENODEV;
		pthread_mutex_lock(&f->lock);
		f->last_want = s->want_accuracy_ns;
		f->last_device_fd = s->flags & USB_TIMESYNC_FLAG_DEVICE_FD ?
				    s->device_fd : -1;
		for (h = 1; h <= FAKE_MAX && f->handles[h]; h++)
			;
		if (h <= FAKE_MAX)
			f->handles[h] = 1;
		pthread_mutex_unlock(&f->lock);
		if (h > FAKE_MAX)
			return -ENOSPC;
		s->handle = h;
		return 0;
	}
	case USB_TIMESYNC_IOC_STOP_TRACKING: {
		struct usb_timesync_stop *s = arg;
		int err = 0;

		pthread_mutex_lock(&f->lock);
		if (s->handle < 1 || s->handle > FAKE_MAX || !f->handles[s->handle])
			err = -ENOENT;
		else
			f->handles[s->handle] = 0;
		pthread_mutex_unlock(&f->lock);
		return err;
	}
	case USB_TIMESYNC_IOC_GET_FRAME_NUMBER_AND_TIME: {
		struct usb_timesync_frame_time *g = arg;
		int64_t now = fake_now(), x = fake_floor_div(now - f->t0, FAKE_PERIOD_NS);

		if (!fake_handle_ok(f, g->handle))
			return -ENOENT;
		if (g->clock > USB_TIMESYNC_CLOCK_TAI || g->input_microframe > 7)
			return -EINVAL;
		g->current_hw_frame = (uint32_t)((x & 0x3fff) >> 3);
		g->current_hw_microframe = (uint32_t)(x & 7);
		g->current_usb_frame = (uint32_t)(x >> 3);
		g->current_time_ns = now;
		g->time_frequency_hz = 1000000000;
		g->accuracy_ns = 100;
		g->generation = 1;
		g->time_at_input_ns = 0;
		if (g->flags & USB_TIMESYNC_FRAME_INPUT_VALID) {
			int64_t nf = x >> 3;
			int32_t d = (int32_t)(g->input_frame - (uint32_t)nf);
			int64_t xi = (nf + d) * 8 + g->input_microframe;

			/* the first whole ns at or after the start, as the module */
			g->time_at_input_ns = f->t0 + xi * FAKE_PERIOD_NS;
		}
		return 0;
	}
	case USB_TIMESYNC_IOC_SAMPLE: {
		struct usb_timesync_samples *s = arg;
		unsigned int i;

		if (!fake_handle_ok(f, s->handle))
			return -ENOENT;
		if (!s->n_samples || s->n_samples > USB_TIMESYNC_MAX_SAMPLES ||
		    s->reserved || s->flags & ~USB_TIMESYNC_SAMPLE_FLAG_MONOTONIC_RAW ||
		    (s->flags && s->n_samples % 2))
			return -EINVAL;
		for (i = 0; i < s->n_samples; i++) {
			int64_t t = fake_now();

			s->samples[i].pre_ns = t;
			s->samples[i].mfindex =
				(uint32_t)(fake_floor_div(t - f->t0, FAKE_PERIOD_NS) & 0x3fff);
			s->samples[i].post_ns = fake_now();
			s->samples[i].clock = USB_TIMESYNC_CLOCK_MONOTONIC;
			if (!s->flags)
				continue;
			/* raw: a constant offset from the fake's monotonic clock */
			s->samples[i + 1] = s->samples[i];
			s->samples[i + 1].pre_ns += FAKE_RAW_OFFSET;
			s->samples[i + 1].post_ns += FAKE_RAW_OFFSET;
			s->samples[i + 1].clock = USB_TIMESYNC_CLOCK_MONOTONIC_RAW;
			i++;
		}
		return 0;
	}
	default:
		return -ENOTTY;
	}
}

static void fake_close(void *data)
{
	((struct fake_device *)data)->closed++;
}

static const struct usbts_backend fake_backend = {
	.ioctl = fake_ioctl,
	.close = fake_close,
};

static inline void fake_init(struct fake_device *f)
{
	memset(f, 0, sizeof(*f));
	pthread_mutex_init(&f->lock, NULL);
	/* microframe 0 began a little over a day of microframes ago */
	f->t0 = fake_now() - (int64_t)700000000 * FAKE_PERIOD_NS / 1000;
}

#endif
