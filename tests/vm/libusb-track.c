// SPDX-License-Identifier: GPL-2.0
/*
 * libusb-track - in the guest: usbts_start_tracking_libusb() on QEMU's
 * usb-audio tracks its bus with the device named, so GET works, and fails
 * with -ENODEV once the device's port is switched off.
 *
 * With --user UID it first becomes that unprivileged user (no groups, no
 * capabilities): the device's node is then its only credential.  It cannot
 * switch ports off then, so it stops after GET.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "usbts-libusb.h"

static int pass, fail;

#define CHECK(cond, what) do { \
	if (cond) { pass++; printf("ok - %s\n", what); } \
	else { fail++; printf("not ok - %s\n", what); } \
} while (0)

int main(int argc, char **argv)
{
	int as_user = argc == 3 && !strcmp(argv[1], "--user");
	struct usbts_frame_info info;
	libusb_context *lu;
	libusb_device_handle *h;
	struct usbts_ctx *ctx;
	char path[128];
	uint32_t handle;
	FILE *f;
	int err;

	if (argc != 1 && !as_user) {
		fprintf(stderr, "usage: libusb-track [--user UID]\n");
		return 2;
	}
	if (as_user) {
		uid_t uid = (uid_t)atoi(argv[2]);

		CHECK(!setgroups(0, NULL) && !setresgid(uid, uid, uid) &&
		      !setresuid(uid, uid, uid), "drop to an unprivileged user");
	}
	if (libusb_init(&lu))
		return 1;
	h = libusb_open_device_with_vid_pid(lu, 0x46f4, 0x0002);
	CHECK(h != NULL, "libusb opens QEMU usb-audio");
	if (!h)
		return 1;
	CHECK(usbts_open(&ctx) == 0, "usbts_open");
	err = usbts_start_tracking_libusb(ctx, h, 0, &handle);
	CHECK(err == 0, "usbts_start_tracking_libusb");
	memset(&info, 0, sizeof(info));
	err = usbts_get_current_frame_number_and_time(ctx, handle, &info);
	CHECK(err == 0 && info.accuracy_ns != USBTS_ACCURACY_UNKNOWN, "GET on the handle");
	if (as_user) {
		libusb_close(h);
		usbts_close(ctx);
		libusb_exit(lu);
		printf("libusb-track: %d passed, %d failed\n", pass, fail);
		return fail ? 1 : 0;
	}

	/* unplug: switch the device's port off */
	snprintf(path, sizeof(path), "/sys/bus/usb/devices/%u-%u/port/disable",
		 libusb_get_bus_number(libusb_get_device(h)),
		 libusb_get_port_number(libusb_get_device(h)));
	f = fopen(path, "w");
	CHECK(f && fputs("1", f) >= 0 && !fclose(f), "port switched off");
	libusb_close(h);
	for (int i = 0; i < 50; i++) {
		err = usbts_get_current_frame_number_and_time(ctx, handle, &info);
		if (err)
			break;
		nanosleep(&(struct timespec){ .tv_nsec = 20000000 }, NULL);
	}
	CHECK(err == -ENODEV, "the handle fails with -ENODEV once the device is gone");
	CHECK(usbts_stop_tracking_for_time_sync(ctx, handle) == 0, "STOP still succeeds");
	usbts_close(ctx);
	libusb_exit(lu);
	printf("libusb-track: %d passed, %d failed\n", pass, fail);
	return fail ? 1 : 0;
}
