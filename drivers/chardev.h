/* SPDX-License-Identifier: GPL-2.0 */
/*
 * chardev.h - /dev/usb-timesync
 *
 * Copyright (C) 2026 The usb-timesync developers
 */
#ifndef _USBTS_CHARDEV_H
#define _USBTS_CHARDEV_H

#include <linux/atomic.h>
#include <linux/miscdevice.h>
#include <linux/notifier.h>
#include <linux/workqueue.h>

#include "core.h"

/**
 * struct usbts_dev - the one instance of the module
 * @misc: /dev/usb-timesync
 * @reg: tracked controllers
 * @nb: USB bus notifier: a removed bus kills its controller's tracking
 * @pm_nb: system sleep notifier: tracking pauses across suspend
 * @reboot_nb: reboot notifier: no register reads once shutdown begins
 * @handles: open handles (START to STOP or close), shown in debugfs
 * @debugfs: the module's debugfs directory, or an error pointer
 * @wq: frees STOPped handles after a grace period; drained at unload
 */
struct usbts_dev {
	struct miscdevice misc;
	struct usbts_registry reg;
	struct notifier_block nb;
	struct notifier_block pm_nb;
	struct notifier_block reboot_nb;
	atomic_t handles;
	struct dentry *debugfs;
	struct workqueue_struct *wq;
};

extern const struct file_operations usbts_fops;

#endif /* _USBTS_CHARDEV_H */
