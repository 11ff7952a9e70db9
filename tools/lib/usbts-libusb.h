/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libusbts-libusb - one call from a libusb device handle to frame times.
 * Link with -lusbts-libusb -lusbts and libusb-1.0 (pkg-config usbts-libusb).
 */
#ifndef USBTS_LIBUSB_H
#define USBTS_LIBUSB_H

#include <libusb.h>
#include <usbts.h>

#ifdef __cplusplus
extern "C" {
#endif

int usbts_start_tracking_libusb(struct usbts_ctx *ctx, libusb_device_handle *dev,
				uint32_t flags, uint32_t *handle);

#ifdef __cplusplus
}
#endif

#endif
