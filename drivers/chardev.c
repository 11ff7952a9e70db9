// SPDX-License-Identifier: GPL-2.0
/*
 * chardev.c - /dev/usb-timesync: file operations and ioctls
 *
 * Copyright (C) 2026 The usb-timesync developers
 *
 * Each open file has its own table of handles (an xarray, ids 1..
 * USB_TIMESYNC_MAX_HANDLES), so a handle is meaningless on any other file.
 * GET looks its handle up under RCU and copies the controller's published
 * model through a seqcount: it takes no lock, never sleeps and never
 * touches the hardware.  The model runs on CLOCK_MONOTONIC_RAW; GET
 * converts its answers to the caller's clock (sysclock.c).  STOP stops
 * tracking at once but frees the handle, and drops its references, only
 * after an RCU grace period, so a concurrent GET never sees freed memory;
 * it does not wait for that grace period.
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include <linux/usb.h>
#include <linux/xarray.h>
#include <linux/usb/timesync.h>

#include "chardev.h"
#include "xhci.h"

/**
 * struct usbts_handle - one START
 * @ctrl: the tracked controller (one user and one reference)
 * @udev: the device named at START, or the root hub (referenced)
 * @devnum: as given at START; 0 tracks the bus, so @udev's removal does
 *	not matter
 * @want: the accuracy asked for at START, listed on @ctrl while started
 * @free_work: STOP drops the references and frees the handle here, after
 *	a grace period
 */
struct usbts_handle {
	struct usbts_ctrl *ctrl;
	struct usb_device *udev;
	u32 devnum;
	struct usbts_want want;
	struct rcu_work free_work;
};

/**
 * struct usbts_file - one open file
 * @dev: the module instance
 * @handles: handle id -> struct usbts_handle
 */
struct usbts_file {
	struct usbts_dev *dev;
	struct xarray handles;
};

static void handle_free(struct usbts_file *f, struct usbts_handle *h)
{
	atomic_dec(&f->dev->handles);
	usbts_unwant(h->ctrl, &h->want);
	usbts_untrack(h->ctrl);
	usb_put_dev(h->udev);
	kfree(h);
}

/* STOP's second half: the references and the memory.  Sleeps. */
static void handle_free_work(struct work_struct *work)
{
	struct usbts_handle *h = container_of(to_rcu_work(work), struct usbts_handle,
					      free_work);

	usbts_ctrl_put(h->ctrl);
	usb_put_dev(h->udev);
	kfree(h);
}

/* Is the handle still usable?  Does not sleep. */
static int handle_state(struct usbts_handle *h)
{
	if (h->devnum && READ_ONCE(h->udev->state) == USB_STATE_NOTATTACHED)
		return -ENODEV;
	return 0;
}

static int usbts_open(struct inode *inode, struct file *file)
{
	struct miscdevice *misc = file->private_data;
	struct usbts_file *f;

	f = kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f)
		return -ENOMEM;
	f->dev = container_of(misc, struct usbts_dev, misc);
	xa_init_flags(&f->handles, XA_FLAGS_ALLOC1);
	file->private_data = f;
	return nonseekable_open(inode, file);
}

/* Closing a file stops all of its handles. */
static int usbts_release(struct inode *inode, struct file *file)
{
	struct usbts_file *f = file->private_data;
	struct usbts_handle *h;
	unsigned long id;

	/* no ioctl can be running on a file being released */
	xa_for_each(&f->handles, id, h)
		handle_free(f, h);
	xa_destroy(&f->handles);
	kfree(f);
	return 0;
}

struct find_devt {
	dev_t devt;
	struct usb_device *found;
};

static int match_devt(struct usb_device *udev, void *data)
{
	struct find_devt *a = data;

	if (udev->dev.devt != a->devt)
		return 0;
	a->found = usb_get_dev(udev);
	return 1;
}

/**
 * usbts_credential() - the device a usbfs fd grants access to
 * @fd: file descriptor of a /dev/bus/usb/BBB/DDD node
 * @busnum: the bus START names
 *
 * The fd proves that its opener may do I/O on the device: usbfs nodes are
 * opened for writing only by those udev, logind or the administrator let.
 *
 * Return: the device (referenced), or an ERR_PTR: -EBADF for a bad fd,
 * -EINVAL for a file that is not a usbfs device node, -EPERM for a node
 * not opened for writing or a device on another bus, -ENODEV for a device
 * that has gone.
 */
static struct usb_device *usbts_credential(int fd, u32 busnum)
{
	struct find_devt a = { };
	struct file *file;
	struct inode *inode;
	int err = 0;

	file = fget(fd);
	if (!file)
		return ERR_PTR(-EBADF);
	inode = file_inode(file);
	if (!S_ISCHR(inode->i_mode) || imajor(inode) != USB_DEVICE_MAJOR)
		err = -EINVAL;
	else if (!(file->f_mode & FMODE_WRITE))
		err = -EPERM;
	else
		a.devt = inode->i_rdev;
	fput(file);
	if (err)
		return ERR_PTR(err);

	usb_for_each_dev(&a, match_devt);
	if (!a.found)
		return ERR_PTR(-ENODEV);
	if (a.found->bus->busnum != busnum) {
		usb_put_dev(a.found);
		return ERR_PTR(-EPERM);
	}
	return a.found;
}

/*
 * Without a device credential: CAP_SYS_ADMIN, or the group of the node this
 * file was opened through (root by default, so root only).
 */
static bool usbts_granted(struct file *file)
{
	return capable(CAP_SYS_ADMIN) || in_group_p(file_inode(file)->i_gid);
}

static int usbts_start(struct usbts_file *f, struct file *file,
		       void __user *argp)
{
	struct usb_device *cred = NULL;
	struct usb_timesync_start arg;
	struct usbts_handle *h;
	const void *key;
	void *ctx;
	u32 id;
	int err;

	if (copy_from_user(&arg, argp, sizeof(arg)))
		return -EFAULT;
	if (arg.flags & ~(USB_TIMESYNC_FLAG_STARTUP_DELAY_TOLERABLE |
			  USB_TIMESYNC_FLAG_DEVICE_FD) ||
	    (!(arg.flags & USB_TIMESYNC_FLAG_DEVICE_FD) && arg.device_fd) ||
	    arg.pad)
		return -EINVAL;

	/* who may track is settled before anything is looked up or woken */
	if (arg.flags & USB_TIMESYNC_FLAG_DEVICE_FD) {
		cred = usbts_credential(arg.device_fd, arg.busnum);
		if (IS_ERR(cred))
			return PTR_ERR(cred);
		if (arg.devnum && arg.devnum != cred->devnum) {
			usb_put_dev(cred);
			return -EINVAL;
		}
		arg.devnum = cred->devnum;
	} else if (!usbts_granted(file)) {
		return -EPERM;
	}

	h = kzalloc(sizeof(*h), GFP_KERNEL);
	if (!h) {
		usb_put_dev(cred);
		return -ENOMEM;
	}
	INIT_LIST_HEAD(&h->want.node);
	/* reserve an id first: a full table fails before any tracking */
	err = xa_alloc(&f->handles, &id, NULL,
		       XA_LIMIT(1, USB_TIMESYNC_MAX_HANDLES), GFP_KERNEL);
	if (err) {
		usb_put_dev(cred);
		kfree(h);
		return err == -EBUSY ? -ENOSPC : err;
	}

	err = usbts_xhci_lookup(arg.busnum, arg.devnum, &h->udev, &key, &ctx);
	/* the address may have been reused since the credential was checked */
	if (!err && cred && h->udev != cred) {
		usb_put_dev(h->udev);
		usbts_xhci_ops.free(ctx);
		err = -ENODEV;
	}
	usb_put_dev(cred);
	if (err)
		goto release_id;
	h->devnum = arg.devnum;
	h->ctrl = usbts_track(&f->dev->reg, key, &usbts_xhci_ops, ctx,
			      !(arg.flags & USB_TIMESYNC_FLAG_STARTUP_DELAY_TOLERABLE));
	if (IS_ERR(h->ctrl)) {
		err = PTR_ERR(h->ctrl);
		goto put_dev;
	}
	usbts_want(h->ctrl, &h->want, arg.want_accuracy_ns);
	if (!(arg.flags & USB_TIMESYNC_FLAG_STARTUP_DELAY_TOLERABLE)) {
		err = usbts_wait_precise(h->ctrl, USBTS_START_TIMEOUT_MS);
		if (err)
			goto untrack;
	}

	arg.handle = id;
	if (copy_to_user(argp, &arg, sizeof(arg))) {
		err = -EFAULT;
		goto untrack;
	}
	atomic_inc(&f->dev->handles);
	xa_store(&f->handles, id, h, GFP_KERNEL);
	return 0;

untrack:
	usbts_unwant(h->ctrl, &h->want);
	usbts_untrack(h->ctrl);
put_dev:
	usb_put_dev(h->udev);
release_id:
	xa_erase(&f->handles, id);
	kfree(h);
	return err;
}

static int usbts_stop(struct usbts_file *f, void __user *argp)
{
	struct usb_timesync_stop arg;
	struct usbts_handle *h;

	if (copy_from_user(&arg, argp, sizeof(arg)))
		return -EFAULT;
	if (arg.reserved)
		return -EINVAL;
	/* a reserved id (START still running) reads as NULL: not found */
	if (!arg.handle || !xa_load(&f->handles, arg.handle))
		return -ENOENT;
	h = xa_erase(&f->handles, arg.handle);
	if (!h)
		return -ENOENT;
	/*
	 * Tracking stops now: the last user stops the sampler and releases
	 * the controller, so its bus may idle.  A GET that found h may still
	 * be reading h and its controller, so their memory goes only after a
	 * grace period, and STOP does not wait for one.  (Waiting made STOP
	 * take tens of milliseconds, and an expedited wait interrupts every
	 * CPU, which a START/STOP loop must not do to a real-time system.)
	 * usbts_exit() waits for these.
	 */
	atomic_dec(&f->dev->handles);
	usbts_unwant(h->ctrl, &h->want);
	usbts_drop_user(h->ctrl);
	INIT_RCU_WORK(&h->free_work, handle_free_work);
	queue_rcu_work(f->dev->wq, &h->free_work);
	return 0;
}

/* The extended microframe of 32-bit frame @frame nearest to @now_x. */
static s64 widen_frame(s64 now_x, u32 frame, u32 microframe)
{
	s64 now_frame = now_x >> 3;
	s32 d = (s32)(frame - (u32)now_frame);

	return (now_frame + d) * 8 + microframe;
}

/*
 * Write GET's answer back: only the output fields, current_hw_frame through
 * generation; the input fields are the caller's and the reserved tail was
 * checked to be zero.  Eight stores inside one user-access section, rather
 * than a 96-byte copy: under emulation a string copy costs per byte, and
 * this is GET's one cost beyond what the failing call does.
 */
static int put_answer(struct usb_timesync_frame_time __user *u,
		      const struct usb_timesync_frame_time *a)
{
	BUILD_BUG_ON(offsetofend(typeof(*u), generation) !=
		     offsetof(typeof(*u), reserved));
	if (!user_write_access_begin(&u->current_hw_frame,
				     offsetof(typeof(*u), reserved) -
				     offsetof(typeof(*u), current_hw_frame)))
		return -EFAULT;
	unsafe_put_user(a->current_hw_frame, &u->current_hw_frame, efault);
	unsafe_put_user(a->current_hw_microframe, &u->current_hw_microframe, efault);
	unsafe_put_user(a->current_usb_frame, &u->current_usb_frame, efault);
	unsafe_put_user(a->time_at_input_ns, &u->time_at_input_ns, efault);
	unsafe_put_user(a->current_time_ns, &u->current_time_ns, efault);
	unsafe_put_user(a->time_frequency_hz, &u->time_frequency_hz, efault);
	unsafe_put_user(a->accuracy_ns, &u->accuracy_ns, efault);
	unsafe_put_user(a->generation, &u->generation, efault);
	user_write_access_end();
	return 0;
efault:
	user_write_access_end();
	return -EFAULT;
}

static int usbts_get(struct usbts_file *f, void __user *argp)
{
	struct usbts_sysclock *sc = &f->dev->reg.clock;
	struct usb_timesync_frame_time arg;
	struct usbts_snapshot snap;
	struct usbts_handle *h;
	s64 now, x, t = 0;
	u64 acc = 0;
	bool known;
	int err;

	if (copy_from_user(&arg, argp, sizeof(arg)))
		return -EFAULT;
	if (arg.flags & ~USB_TIMESYNC_FRAME_INPUT_VALID ||
	    arg.clock > USB_TIMESYNC_CLOCK_MONOTONIC_RAW ||
	    arg.input_microframe > 7 ||
	    (!(arg.flags & USB_TIMESYNC_FRAME_INPUT_VALID) &&
	     (arg.input_frame || arg.input_microframe)) ||
	    memchr_inv(arg.reserved, 0, sizeof(arg.reserved)))
		return -EINVAL;

	rcu_read_lock();
	h = arg.handle ? xa_load(&f->handles, arg.handle) : NULL;
	if (!h)
		err = -ENOENT;
	else
		err = handle_state(h) ?: usbts_snapshot(h->ctrl, &snap);
	rcu_read_unlock();
	/* from here on h may be freed by a concurrent STOP: only snap is used */
	if (err)
		return err;

	/* the model runs on CLOCK_MONOTONIC_RAW; convert the answers */
	now = ktime_get_raw_ns();
	/* usbts_snapshot() gave a valid model; never use x unset regardless */
	x = 0;
	if (!usbts_model_count_at(&snap.m, now, &x))
		return -EAGAIN;
	arg.current_hw_frame = (x & USBTS_PRED_MFINDEX_MASK) >> 3;
	arg.current_hw_microframe = x & 7;
	arg.current_usb_frame = (u32)(x >> 3);
	arg.time_frequency_hz = NSEC_PER_SEC;
	arg.generation = snap.generation;

	if (arg.flags & USB_TIMESYNC_FRAME_INPUT_VALID)
		x = widen_frame(x, arg.input_frame, arg.input_microframe);
	known = usbts_model_time_of(&snap.m, x, &t, &acc);
	if (!known) {
		t = now;
		acc = USB_TIMESYNC_ACCURACY_UNKNOWN;
	}
	if (usbts_sysclock_answer(sc, now, t, &acc, arg.clock,
				  &arg.current_time_ns, &t))
		return -EAGAIN;	/* the conversion does not cover now yet */
	arg.time_at_input_ns = 0;
	if (known && (arg.flags & USB_TIMESYNC_FRAME_INPUT_VALID))
		arg.time_at_input_ns = t;
	arg.accuracy_ns = (snap.flags & USBTS_SNAP_PRECISE) ?
			  acc : USB_TIMESYNC_ACCURACY_UNKNOWN;
	return put_answer(argp, &arg);
}

static int usbts_do_sample(struct usbts_file *f, void __user *argp)
{
	struct usb_timesync_samples *arg;
	struct usbts_handle *h;
	struct usbts_ctrl *ctrl = NULL;
	struct usbts_read *r;
	unsigned int i, n, reads;
	bool both;
	int err;

	arg = kmalloc(sizeof(*arg), GFP_KERNEL);
	r = kmalloc_array(USB_TIMESYNC_MAX_SAMPLES, sizeof(*r), GFP_KERNEL);
	if (!arg || !r) {
		err = -ENOMEM;
		goto out;
	}
	if (copy_from_user(arg, argp, offsetof(typeof(*arg), samples))) {
		err = -EFAULT;
		goto out;
	}
	n = arg->n_samples;
	both = arg->flags & USB_TIMESYNC_SAMPLE_FLAG_MONOTONIC_RAW;
	if (n < 1 || n > USB_TIMESYNC_MAX_SAMPLES || arg->reserved ||
	    arg->flags & ~USB_TIMESYNC_SAMPLE_FLAG_MONOTONIC_RAW ||
	    (both && n % 2)) {
		err = -EINVAL;
		goto out;
	}
	reads = both ? n / 2 : n;

	rcu_read_lock();
	h = arg->handle ? xa_load(&f->handles, arg->handle) : NULL;
	if (!h) {
		err = -ENOENT;
	} else {
		err = handle_state(h);
		if (!err) {
			/* h holds a reference until a grace period after STOP */
			ctrl = h->ctrl;
			kref_get(&ctrl->kref);
		}
	}
	rcu_read_unlock();
	if (err)
		goto out;

	err = usbts_sample(ctrl, r, reads);
	usbts_ctrl_put(ctrl);
	if (err)
		goto out;
	for (i = 0; i < reads; i++) {
		struct usb_timesync_sample *s = &arg->samples[both ? 2 * i : i];

		s->pre_ns = r[i].pre;
		s->post_ns = r[i].post;
		s->mfindex = r[i].mfindex;
		s->clock = USB_TIMESYNC_CLOCK_MONOTONIC;
		if (!both)
			continue;
		s++;
		s->pre_ns = r[i].raw_pre;
		s->post_ns = r[i].raw_post;
		s->mfindex = r[i].mfindex;
		s->clock = USB_TIMESYNC_CLOCK_MONOTONIC_RAW;
	}
	/* the samples beyond n stay as the caller left them */
	if (copy_to_user(argp, arg, offsetof(typeof(*arg), samples) +
			 n * sizeof(arg->samples[0])))
		err = -EFAULT;
out:
	kfree(r);
	kfree(arg);
	return err;
}

static long usbts_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct usbts_file *f = file->private_data;
	void __user *argp = (void __user *)arg;

	switch (cmd) {
	case USB_TIMESYNC_IOC_START_TRACKING:
		return usbts_start(f, file, argp);
	case USB_TIMESYNC_IOC_STOP_TRACKING:
		return usbts_stop(f, argp);
	case USB_TIMESYNC_IOC_GET_FRAME_NUMBER_AND_TIME:
		return usbts_get(f, argp);
	case USB_TIMESYNC_IOC_SAMPLE:
		return usbts_do_sample(f, argp);
	default:
		return -ENOTTY;
	}
}

const struct file_operations usbts_fops = {
	.owner = THIS_MODULE,
	.open = usbts_open,
	.release = usbts_release,
	.unlocked_ioctl = usbts_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};
