// SPDX-License-Identifier: GPL-2.0
/*
 * main.c - usb_timesync module: USB frame <-> system time for userspace
 *
 * Copyright (C) 2026 The usb-timesync developers
 */
#include <linux/debugfs.h>
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/reboot.h>
#include <linux/suspend.h>
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

/*
 * Nothing else tells the core that the system sleeps: the controller's
 * runtime PM hold does not stop system suspend, and after resume MFINDEX
 * has restarted.  Refuse GET from before the devices suspend until a new
 * generation is established after they resume.
 */
static int usbts_pm_notify(struct notifier_block *nb, unsigned long action,
			   void *data)
{
	struct usbts_dev *dev = container_of(nb, struct usbts_dev, pm_nb);

	switch (action) {
	case PM_SUSPEND_PREPARE:
	case PM_HIBERNATION_PREPARE:
	case PM_RESTORE_PREPARE:
		usbts_registry_suspend(&dev->reg);
		break;
	case PM_POST_SUSPEND:
	case PM_POST_HIBERNATION:
	case PM_POST_RESTORE:
		usbts_registry_resume(&dev->reg);
		break;
	}
	return NOTIFY_OK;
}

/*
 * Shutdown, reboot and kexec halt the controllers (device_shutdown())
 * without telling usbcore's state: stop reading MFINDEX before that.
 */
static int usbts_reboot_notify(struct notifier_block *nb, unsigned long action,
			       void *data)
{
	struct usbts_dev *dev = container_of(nb, struct usbts_dev, reboot_nb);

	usbts_registry_suspend(&dev->reg);
	return NOTIFY_DONE;
}

static int usbts_controllers_show(struct seq_file *m, void *unused)
{
	usbts_registry_show(m, m->private);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(usbts_controllers);

/*
 * debugfs usb_timesync/: handles (open handles), controllers (one line per
 * tracked controller) and, in fault-injection test builds, fail_mfindex/.
 * Absent when the kernel has no debugfs.
 */
static void usbts_debugfs_init(struct usbts_dev *dev)
{
	dev->debugfs = debugfs_create_dir("usb_timesync", NULL);
	debugfs_create_atomic_t("handles", 0444, dev->debugfs, &dev->handles);
	debugfs_create_file("controllers", 0444, dev->debugfs, &dev->reg,
			    &usbts_controllers_fops);
	usbts_xhci_debugfs(dev->debugfs);
}

static struct usbts_dev *usbts_dev;

static int __init usbts_init(void)
{
	struct usbts_dev *dev;
	int err;

	dev = kzalloc(sizeof(*dev), GFP_KERNEL);
	if (!dev)
		return -ENOMEM;
	/* unbound: STOP's frees run on housekeeping CPUs, not the caller's */
	dev->wq = alloc_workqueue("usb_timesync", WQ_UNBOUND, 0);
	if (!dev->wq) {
		kfree(dev);
		return -ENOMEM;
	}
	usbts_registry_init(&dev->reg);
	dev->nb.notifier_call = usbts_usb_notify;
	usb_register_notify(&dev->nb);
	dev->pm_nb.notifier_call = usbts_pm_notify;
	register_pm_notifier(&dev->pm_nb);
	dev->reboot_nb.notifier_call = usbts_reboot_notify;
	register_reboot_notifier(&dev->reboot_nb);

	dev->misc.minor = MISC_DYNAMIC_MINOR;
	dev->misc.name = "usb-timesync";
	dev->misc.fops = &usbts_fops;
	/* anyone may open it: START checks who may track what */
	dev->misc.mode = 0666;
	err = misc_register(&dev->misc);
	if (err) {
		unregister_reboot_notifier(&dev->reboot_nb);
		unregister_pm_notifier(&dev->pm_nb);
		usb_unregister_notify(&dev->nb);
		usbts_registry_destroy(&dev->reg);
		destroy_workqueue(dev->wq);
		kfree(dev);
		return err;
	}
	usbts_debugfs_init(dev);
	usbts_dev = dev;
	return 0;
}

static void __exit usbts_exit(void)
{
	struct usbts_dev *dev = usbts_dev;

	/*
	 * No file is open: the module is pinned while one is.  Handles that
	 * STOP freed may still wait for their grace period: let those
	 * callbacks queue their work, then run it, before the controllers
	 * they release go.
	 */
	debugfs_remove_recursive(dev->debugfs);
	misc_deregister(&dev->misc);
	rcu_barrier();
	destroy_workqueue(dev->wq);
	unregister_reboot_notifier(&dev->reboot_nb);
	unregister_pm_notifier(&dev->pm_nb);
	usb_unregister_notify(&dev->nb);
	usbts_registry_destroy(&dev->reg);
	kfree(dev);
}

module_init(usbts_init);
module_exit(usbts_exit);

MODULE_DESCRIPTION("USB frame number <-> system time (USB time sync)");
MODULE_AUTHOR("The usb-timesync developers");
MODULE_LICENSE("GPL");
