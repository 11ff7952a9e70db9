/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xhci.h - finding USB buses and reading xHCI MFINDEX
 *
 * Copyright (C) 2026 The usb-timesync developers
 */
#ifndef _USBTS_XHCI_H
#define _USBTS_XHCI_H

#include <linux/types.h>

struct dentry;
struct usb_device;
struct usbts_counter_ops;

extern const struct usbts_counter_ops usbts_xhci_ops;

int usbts_xhci_lookup(u32 busnum, u32 devnum, struct usb_device **udev,
		      const void **key, void **ctx);
const void *usbts_xhci_bus_key(void *bus);
void usbts_xhci_debugfs(struct dentry *dir);

#endif /* _USBTS_XHCI_H */
