// SPDX-License-Identifier: GPL-2.0
/*
 * test_threads - 8 threads share one context: GET in a loop with START and
 * STOP churn.  Built with ThreadSanitizer by make check.
 */
#include <stdio.h>

#include "fake_device.h"
#include "usbts.h"

#define THREADS 8
#define ROUNDS 2000

struct arg {
	struct usbts_ctx *ctx;
	uint32_t shared;
	int errors;
};

static void *worker(void *p)
{
	struct arg *a = p;
	struct usbts_frame_info info;
	uint32_t h, last = 0;
	int i;

	for (i = 0; i < ROUNDS; i++) {
		memset(&info, 0, sizeof(info));
		if (usbts_get_current_frame_number_and_time(a->ctx, a->shared, &info) ||
		    info.current_usb_frame < last)
			__atomic_add_fetch(&a->errors, 1, __ATOMIC_RELAXED);
		last = info.current_usb_frame;
		if (i % 10 == 0) {
			if (usbts_start_tracking_for_time_sync(a->ctx, 1, 0, 0, &h) ||
			    usbts_get_current_frame_number_and_time(a->ctx, h, &info) ||
			    usbts_stop_tracking_for_time_sync(a->ctx, h))
				__atomic_add_fetch(&a->errors, 1, __ATOMIC_RELAXED);
		}
	}
	return NULL;
}

int main(void)
{
	static struct fake_device fd;
	pthread_t t[THREADS];
	struct arg a = { 0 };
	int i;

	fake_init(&fd);
	if (usbts_open_backend(&a.ctx, &fake_backend, &fd) ||
	    usbts_start_tracking_for_time_sync(a.ctx, 1, 0, 0, &a.shared))
		return 1;
	for (i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, worker, &a);
	for (i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	usbts_close(a.ctx);
	printf("threads: %d passed, %d failed\n", a.errors ? 0 : 1, a.errors ? 1 : 0);
	return a.errors ? 1 : 0;
}
