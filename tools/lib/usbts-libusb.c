// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libusbts-libusb - start tracking the bus of a libusb device handle.
 */
#include "usbts-libusb.h"

/**
 * usbts_start_tracking_libusb() - track the bus of @dev, with @dev named, so
 *	the handle fails with -ENODEV once @dev is unplugged
 *
 * libusb does not hand out its file descriptor, so the credential is the
 * device's usbfs node opened for writing the way libusb opened it: whoever
 * could libusb_open() the device can track its bus.
 */
int usbts_start_tracking_libusb(struct usbts_ctx *ctx, libusb_device_handle *dev,
				uint32_t flags, uint32_t *handle)
{
	libusb_device *d = libusb_get_device(dev);

	return usbts_start_tracking_for_time_sync(ctx, libusb_get_bus_number(d),
						  libusb_get_device_address(d),
						  flags, handle);
}
