// SPDX-License-Identifier: GPL-2.0
/*
 * xhci.c - finding USB buses and reading xHCI MFINDEX
 *
 * Copyright (C) 2026 The usb-timesync developers
 *
 * Only public headers are used: the MFINDEX register is found from the
 * capability registers through the controller's own mapping (hcd->regs),
 * at the runtime base, RTSOFF (capability offset 0x18) bytes in.  A USB 3
 * "shared" hcd has no mapping of its own (regs == NULL), so everything
 * goes through the primary hcd, which also keys the tracking object: both
 * buses of one xHCI share one counter.
 */
#include <linux/io.h>
#include <linux/pm_runtime.h>
#include <linux/slab.h>
#include <linux/usb.h>
#include <linux/usb/hcd.h>

#include "core.h"
#include "xhci.h"

#if defined(USBTS_FAULT_INJECT) && IS_ENABLED(CONFIG_FAULT_INJECTION)
#include <linux/fault-inject.h>

/*
 * Test builds only (USBTS_FAULT_INJECT=1, see drivers/Kbuild): MFINDEX
 * reads return all-ones as the fault-injection framework decides, set in
 * debugfs usb_timesync/fail_mfindex/.  probability 100, interval 1 and
 * times N make the next N reads fail.
 */
static DECLARE_FAULT_ATTR(usbts_fail_mfindex);

/* should_fail() may take a sleeping lock on PREEMPT_RT: interrupts on */
static bool fail_mfindex(void)
{
	return should_fail(&usbts_fail_mfindex, 1);
}

/**
 * usbts_xhci_debugfs() - add the xHCI debugfs files
 * @dir: the module's debugfs directory
 */
void usbts_xhci_debugfs(struct dentry *dir)
{
	fault_create_debugfs_attr("fail_mfindex", dir, &usbts_fail_mfindex);
}
#else
static bool fail_mfindex(void)
{
	return false;
}

void usbts_xhci_debugfs(struct dentry *dir)
{
}
#endif

#define XHCI_RTSOFF		0x18
#define XHCI_RTSOFF_MASK	(~0x1fu)
#define XHCI_MFINDEX_MASK	0x3fff

/* "xhci-hcd" is the hc_driver description of xhci-pci and xhci-plat */
#define XHCI_DRIVER_NAME	"xhci-hcd"

/**
 * struct usbts_xhci - what the core's counter ops need of one controller
 * @hcd: the primary hcd (referenced)
 * @dev: the controller device, hcd->self.controller (referenced)
 * @mfindex: the MFINDEX register, found by hold()
 * @rh: the root hubs (referenced); rh[0], the primary hcd's, is kept awake
 *	while tracked, rh[1] (a USB 3 shared hcd's, if any) only tells removal
 * @held: runtime PM references taken by hold()
 * @inject: the next read returns all-ones (test builds, set by prepare())
 */
struct usbts_xhci {
	struct usb_hcd *hcd;
	struct device *dev;
	void __iomem *mfindex;
	struct usb_device *rh[2];
	bool held;
	bool inject;
};

/*
 * Is the controller going away?  usb_remove_hcd() first clears
 * rh_registered, then disconnects the primary root hub (under
 * usb_bus_idr_lock), all before it stops the controller and long before
 * the registers are unmapped; xhci-hcd marks a controller that died
 * HCD_DEAD.  Tracking only ever begins on a registered root hub.
 */
static bool xhci_gone(struct usbts_xhci *x)
{
	/*
	 * The driver core marks a device whose driver is being released
	 * (PCI removal, unbind) before xhci-hcd starts tearing down, and a
	 * runtime-PM or register failure in that window is the controller
	 * going away, not "try again".  Then xhci-pci removes the USB 3 hcd
	 * first: its root hub going comes next.
	 */
	return READ_ONCE(x->dev->links.status) == DL_DEV_UNBINDING ||
	       !READ_ONCE(x->dev->driver) ||
	       HCD_DEAD(x->hcd) || !x->hcd->rh_registered ||
	       READ_ONCE(x->rh[0]->state) == USB_STATE_NOTATTACHED ||
	       (x->rh[1] && READ_ONCE(x->rh[1]->state) == USB_STATE_NOTATTACHED);
}

/*
 * MFINDEX may be read only while the controller runs: not while it is
 * halted or reset.  HC_IS_RUNNING() is not enough, as it includes
 * HC_STATE_QUIESCING, which usb_remove_hcd() sets before xhci-hcd halts
 * and resets the controller (and the root hub bus suspend sets, too);
 * HCD_RH_RUNNING is cleared at the start of both.  This holds for
 * single-roothub controllers as well, as only the primary hcd is looked
 * at.  System shutdown halts the controller without changing either: the
 * module stops reading at the reboot notifier instead.
 */
static int xhci_state(void *ctx)
{
	struct usbts_xhci *x = ctx;
	struct usb_hcd *hcd = x->hcd;

	if (xhci_gone(x))
		return -ENODEV;
	if (!HCD_HW_ACCESSIBLE(hcd) || !HCD_RH_RUNNING(hcd) ||
	    READ_ONCE(hcd->state) != HC_STATE_RUNNING)
		return -EAGAIN;
	return 0;
}

static int xhci_read(void *ctx, u32 *mfindex)
{
	struct usbts_xhci *x = ctx;
	int err = xhci_state(ctx);
	u32 v;

	if (err)
		return err;
	v = x->inject ? ~0u : readl(x->mfindex);
	/*
	 * All-ones: the read did not reach the device.  That is transient
	 * during PCIe error recovery or a link retrain; a device that is
	 * really gone is marked HCD_DEAD by xhci-hcd, or removed (and the
	 * core told through USB_BUS_REMOVE), and xhci_state() says so.
	 */
	if (v == ~0u)
		return -EAGAIN;
	*mfindex = v & XHCI_MFINDEX_MASK;
	return 0;
}

static void xhci_release(void *ctx)
{
	struct usbts_xhci *x = ctx;

	if (!x->held)
		return;
	pm_runtime_put(&x->rh[0]->dev);
	pm_runtime_put(x->dev);
	x->held = false;
}

/*
 * A runtime PM failure means "cannot run now" (EAGAIN) unless the
 * controller is going away, which the uAPI reports as ENODEV.
 */
static int hold_error(struct usbts_xhci *x)
{
	if (xhci_gone(x) || !device_is_registered(x->dev))
		return -ENODEV;
	return -EAGAIN;
}

/*
 * MFINDEX counts only while the controller runs: keep the controller and
 * its primary root hub from runtime-suspending while tracked.  This also
 * wakes an idle, autosuspended bus, so START works on it; only then are
 * the registers touched.  The USB 3 root hub of a two-hub controller is
 * left alone: its bus suspend only suspends its ports, the controller
 * runs on while the primary root hub (and so the PCI function) is active,
 * and resuming it cost up to tens of milliseconds for nothing.
 */
static int xhci_hold(void *ctx)
{
	struct usbts_xhci *x = ctx;
	void __iomem *regs = x->hcd->regs;
	u32 rts = 0;
	int err;

	err = pm_runtime_resume_and_get(x->dev);
	if (err)
		return hold_error(x);
	err = pm_runtime_resume_and_get(&x->rh[0]->dev);
	if (err) {
		err = hold_error(x);
		pm_runtime_put(x->dev);
		return err;
	}
	x->held = true;
	err = xhci_state(ctx);
	if (!err) {
		/*
		 * A link that is down (DPC, a dock unplugged before pciehp
		 * ran) reads all-ones: never aim a later read outside the
		 * controller's own mapping.
		 */
		rts = readl(regs + XHCI_RTSOFF);
		if (rts == ~0u ||
		    (u64)(rts & XHCI_RTSOFF_MASK) + sizeof(u32) > x->hcd->rsrc_len)
			err = hold_error(x);
	}
	if (err) {
		xhci_release(ctx);
		return err;
	}
	x->mfindex = regs + (rts & XHCI_RTSOFF_MASK);
	return 0;
}

static void xhci_free(void *ctx)
{
	struct usbts_xhci *x = ctx;
	int i;

	xhci_release(ctx);
	for (i = 0; i < ARRAY_SIZE(x->rh); i++)
		usb_put_dev(x->rh[i]);
	put_device(x->dev);
	usb_put_hcd(x->hcd);
	kfree(x);
}

/* Decide an injected fault for the next read while interrupts are on. */
static void xhci_prepare(void *ctx)
{
	struct usbts_xhci *x = ctx;

	/* only a read that will reach the register uses up a fault */
	x->inject = !xhci_state(ctx) && fail_mfindex();
}

const struct usbts_counter_ops usbts_xhci_ops = {
	.prepare = xhci_prepare,
	.read = xhci_read,
	.state = xhci_state,
	.hold = xhci_hold,
	.release = xhci_release,
	.free = xhci_free,
};

static struct usb_hcd *primary_hcd(struct usb_hcd *hcd)
{
	return hcd->primary_hcd ? hcd->primary_hcd : hcd;
}

/**
 * usbts_xhci_bus_key() - the tracking key of a bus
 * @bus: struct usb_bus, as USB notifiers pass it
 *
 * Return: the key usbts_xhci_lookup() gives for any device on @bus.
 */
const void *usbts_xhci_bus_key(void *bus)
{
	return primary_hcd(bus_to_hcd(bus));
}

struct find_args {
	u32 busnum;
	u32 devnum;
	struct usb_hcd *primary;
	struct usb_device *found;
};

static int find_dev(struct usb_device *udev, void *data)
{
	struct find_args *a = data;

	if (udev->bus->busnum != a->busnum)
		return 0;
	if (a->devnum ? udev->devnum != a->devnum : !!udev->parent)
		return 0;
	a->found = usb_get_dev(udev);
	return 1;
}

/*
 * The other root hub of a->primary's controller (its USB 3 bus).  The
 * iterator holds a reference on @udev, which holds one on its hcd, so
 * looking at that hcd here is safe whatever is being removed.
 */
static int find_shared_rh(struct usb_device *udev, void *data)
{
	struct find_args *a = data;
	struct usb_hcd *hcd = bus_to_hcd(udev->bus);

	if (udev->parent || hcd == a->primary || hcd->primary_hcd != a->primary ||
	    udev->state == USB_STATE_NOTATTACHED)
		return 0;
	a->found = usb_get_dev(udev);
	return 1;
}

/**
 * usbts_xhci_lookup() - find a bus or device and its xHCI counter
 * @busnum: bus number
 * @devnum: device address, 0 for the bus itself
 * @udev: the device found (referenced; the root hub for devnum 0)
 * @key: tracking key (the primary hcd)
 * @ctx: new counter context for usbts_xhci_ops, owned by the caller
 *
 * Touches no register: usbts_xhci_ops.hold wakes the controller first.
 * Everything the context points to is pinned here, while the controller
 * cannot be removed: the device found keeps its hcd, and under
 * usb_bus_idr_lock an attached device means its bus's root hub is not
 * being disconnected, so the primary hcd, its root hub and the
 * controller device (the root hub's parent) are alive while references
 * are taken.  The USB 3 root hub is found through the driver core, which
 * holds a reference while it is looked at.  A removal after this is seen
 * by hold(), or reported through USB_BUS_REMOVE.
 *
 * Return: 0, -ENODEV (no such bus or device, or the controller died or is
 * being removed), -EOPNOTSUPP (not driven by xhci-hcd) or -ENOMEM.
 */
int usbts_xhci_lookup(u32 busnum, u32 devnum, struct usb_device **udev,
		      const void **key, void **ctx)
{
	struct find_args a = { .busnum = busnum, .devnum = devnum };
	struct usb_device *found, *rh;
	struct usb_hcd *hcd;
	struct usbts_xhci *x;
	int err;

	usb_for_each_dev(&a, find_dev);
	found = a.found;
	if (!found)
		return -ENODEV;
	x = kzalloc(sizeof(*x), GFP_KERNEL);
	if (!x) {
		err = -ENOMEM;
		goto put_dev;
	}

	mutex_lock(&usb_bus_idr_lock);
	hcd = primary_hcd(bus_to_hcd(found->bus));
	rh = hcd->self.root_hub;
	if (found->state == USB_STATE_NOTATTACHED || !rh ||
	    rh->state == USB_STATE_NOTATTACHED || HCD_DEAD(hcd)) {
		err = -ENODEV;
	} else if (!hcd->driver->description ||
		   strcmp(hcd->driver->description, XHCI_DRIVER_NAME) ||
		   !hcd->regs) {
		err = -EOPNOTSUPP;
	} else {
		x->hcd = usb_get_hcd(hcd);
		x->rh[0] = usb_get_dev(rh);
		x->dev = get_device(hcd->self.controller);
		err = 0;
	}
	mutex_unlock(&usb_bus_idr_lock);
	if (err) {
		kfree(x);
		goto put_dev;
	}

	a.primary = hcd;
	a.found = NULL;
	usb_for_each_dev(&a, find_shared_rh);
	x->rh[1] = a.found;

	*udev = found;
	*key = hcd;
	*ctx = x;
	return 0;

put_dev:
	usb_put_dev(found);
	return err;
}
