// SPDX-License-Identifier: GPL-2.0
/*
 * main.c - usb_timesync module: USB frame <-> system time for userspace
 *
 * Copyright (C) 2026 The usb-timesync developers
 */
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/usb.h>

#include "chardev.h"
#include "xhci.h"

static int usbts_usb_notify(struct notifier_block *nb, unsigned long action,
			    void *data)
{
	struct usbts_dev *dev = container_of(nb, struct usbts_dev, nb);

	/*
	 * Called from usb_remove_hcd() while the registers are still mapped:
	 * the sampler is stopped here, before they go.
	 */
	if (action == USB_BUS_REMOVE)
		usbts_kill(&dev->reg, usbts_xhci_bus_key(data));
	return NOTIFY_OK;
}

static struct usbts_dev *usbts_dev;

static int __init usbts_init(void)
{
	struct usbts_dev *dev;
	int err;

	dev = kzalloc(sizeof(*dev), GFP_KERNEL);
	if (!dev)
		return -ENOMEM;
	usbts_registry_init(&dev->reg);
	dev->nb.notifier_call = usbts_usb_notify;
	usb_register_notify(&dev->nb);

	dev->misc.minor = MISC_DYNAMIC_MINOR;
	dev->misc.name = "usb-timesync";
	dev->misc.fops = &usbts_fops;
	/* anyone may open it: START checks who may track what */
	dev->misc.mode = 0666;
	err = misc_register(&dev->misc);
	if (err) {
		usb_unregister_notify(&dev->nb);
		usbts_registry_destroy(&dev->reg);
		kfree(dev);
		return err;
	}
	usbts_dev = dev;
	return 0;
}

static void __exit usbts_exit(void)
{
	struct usbts_dev *dev = usbts_dev;

	/* no file is open: the module is pinned while one is */
	misc_deregister(&dev->misc);
	usb_unregister_notify(&dev->nb);
	usbts_registry_destroy(&dev->reg);
	kfree(dev);
}

module_init(usbts_init);
module_exit(usbts_exit);

MODULE_DESCRIPTION("USB frame number <-> system time (USB time sync)");
MODULE_AUTHOR("The usb-timesync developers");
MODULE_LICENSE("GPL");
