// SPDX-License-Identifier: GPL-2.0
/*
 * core.c - per-controller tracking: sampler, predictor, published model
 *
 * Copyright (C) 2026 The usb-timesync developers
 *
 * A controller is tracked while at least one START handle names it.  The
 * first START creates its struct usbts_ctrl, keeps the counter running
 * (ops->hold) and starts the sampler; the last STOP undoes both, so an
 * untracked controller costs no timer, work item or wakeup.
 *
 * The sampler runs from a delayed work item.  Each run is a short burst of
 * reads sandwiched between two CLOCK_MONOTONIC_RAW reads (the clock nobody
 * steers; see sysclock.c) that ends one microframe edge later; it feeds the
 * predictor and publishes a struct usbts_snapshot through a seqcount.  GET
 * copies the snapshot lock-free and never touches the hardware.  Bursts
 * come every 10 ms for the first second of a generation, then ever more
 * rarely, up to one every USBTS_MAX_INTERVAL_MS once converged.
 *
 * Locking: registry->lock (mutex) protects the list of controllers and
 * their users count and is taken before ctrl->lock (mutex), which
 * serialises the sampler, SAMPLE, teardown and the predictor.  Readers of
 * the snapshot take no lock.
 */
#include <linux/errno.h>
#include <linux/irqflags.h>
#include <linux/jiffies.h>
#include <linux/ktime.h>
#include <linux/minmax.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>

#include "core.h"

#define USBTS_FAST_INTERVAL_MS	10
#define USBTS_FAST_BURSTS	100
#define USBTS_SLOW_START_MS	100
#define USBTS_MAX_INTERVAL_MS	16000
#define USBTS_RETRY_MS		1000
/* A burst ends this long after its first read even without an edge. */
#define USBTS_BURST_NS		(3 * USBTS_PRED_NOMINAL_NS)
#define USBTS_BURST_READS	512

/**
 * usbts_registry_init() - prepare an empty registry
 * @reg: registry
 */
void usbts_registry_init(struct usbts_registry *reg)
{
	mutex_init(&reg->lock);
	INIT_LIST_HEAD(&reg->ctrls);
	atomic64_set(&reg->next_generation, 0);
	usbts_sysclock_init(&reg->clock);
}

/**
 * usbts_registry_destroy() - tear down a registry with nothing tracked
 * @reg: registry
 */
void usbts_registry_destroy(struct usbts_registry *reg)
{
	WARN_ON(!list_empty(&reg->ctrls));
	WARN_ON(reg->clock.active);
	mutex_destroy(&reg->lock);
}

static void ctrl_release(struct kref *kref)
{
	struct usbts_ctrl *ctrl = container_of(kref, struct usbts_ctrl, kref);

	ctrl->ops->free(ctrl->ctx);
	mutex_destroy(&ctrl->lock);
	kfree(ctrl->pred);
	kfree(ctrl);
}

/**
 * usbts_ctrl_put() - drop a reference taken by usbts_track()
 * @ctrl: controller
 *
 * usbts_untrack() drops the reference itself; this is for callers that
 * keep the memory past untracking.
 */
void usbts_ctrl_put(struct usbts_ctrl *ctrl)
{
	kref_put(&ctrl->kref, ctrl_release);
}

/* Rebuild the published snapshot from the predictor.  Under ctrl->lock. */
static void publish(struct usbts_ctrl *ctrl, int read_err)
{
	struct usbts_pred *p = ctrl->pred;
	struct usbts_snapshot s = { };

	lockdep_assert_held(&ctrl->lock);
	/* readers see pub only through the seqcount: build it aside */
	s.generation = ctrl->pub.generation;
	if (p->model.gen != ctrl->pred_gen) {
		ctrl->pred_gen = p->model.gen;
		s.generation = atomic64_inc_return(&ctrl->reg->next_generation);
		ctrl->bursts = 0;
	}
	if (p->model.valid) {
		s.m = p->model;
		s.flags |= USBTS_SNAP_PRECISE;
	} else if (p->have_read) {
		/* nominal rate from the latest read, which began that frame */
		s.m.gen = p->model.gen;
		s.m.valid = 1;
		s.m.xc = p->last_x;
		s.m.tc = p->last_pre + (p->last_post - p->last_pre) / 2 -
			 USBTS_PRED_NOMINAL_NS / 2;
		s.m.period = (u64)USBTS_PRED_NOMINAL_NS << USBTS_PRED_SHIFT;
	}
	if (read_err)
		s.flags |= USBTS_SNAP_STOPPED;

	write_seqcount_begin(&ctrl->seq);
	ctrl->pub = s;
	write_seqcount_end(&ctrl->seq);
	if (s.flags & USBTS_SNAP_PRECISE)
		wake_up_all(&ctrl->wq);
}

/*
 * One read sandwiched in CLOCK_MONOTONIC_RAW; interrupts are off for just
 * the three reads.
 */
static int read_one(struct usbts_ctrl *ctrl, s64 *pre, s64 *post, u32 *v)
{
	unsigned long flags;
	int err;

	local_irq_save(flags);
	*pre = ktime_get_raw_ns();
	err = ctrl->ops->read(ctrl->ctx, v);
	*post = ktime_get_raw_ns();
	local_irq_restore(flags);
	return err;
}

/* One read sandwiched in both clocks, MONOTONIC outside RAW. */
static int read_both(struct usbts_ctrl *ctrl, struct usbts_read *r)
{
	unsigned long flags;
	int err;

	local_irq_save(flags);
	r->pre = ktime_get_ns();
	r->raw_pre = ktime_get_raw_ns();
	err = ctrl->ops->read(ctrl->ctx, &r->mfindex);
	r->raw_post = ktime_get_raw_ns();
	r->post = ktime_get_ns();
	local_irq_restore(flags);
	return err;
}

/*
 * Read until one edge has passed (plus two reads) or the burst budget is
 * spent.  Under ctrl->lock.
 */
static int burst(struct usbts_ctrl *ctrl)
{
	s64 pre, post, start = 0;
	int i, after = -1, err;
	u32 v, first = 0;

	lockdep_assert_held(&ctrl->lock);
	for (i = 0; i < USBTS_BURST_READS && after != 0; i++) {
		err = read_one(ctrl, &pre, &post, &v);
		if (err)
			return err;
		usbts_pred_add_read(ctrl->pred, pre, post, v);
		if (i == 0) {
			first = v;
			start = pre;
		} else if (after < 0 && v != first) {
			after = 2;
		} else if (after > 0) {
			after--;
		}
		if (after < 0 && post - start > USBTS_BURST_NS)
			break;
	}
	return 0;
}

static unsigned long next_delay(struct usbts_ctrl *ctrl)
{
	if (ctrl->bursts < USBTS_FAST_BURSTS) {
		ctrl->interval_ms = USBTS_SLOW_START_MS;
		return msecs_to_jiffies(USBTS_FAST_INTERVAL_MS);
	}
	ctrl->interval_ms = min(ctrl->interval_ms + ctrl->interval_ms / 4,
				(unsigned int)USBTS_MAX_INTERVAL_MS);
	/* long waits may move to a round second, sharing a wakeup */
	if (ctrl->interval_ms >= 1000)
		return round_jiffies_relative(msecs_to_jiffies(ctrl->interval_ms));
	return msecs_to_jiffies(ctrl->interval_ms);
}

static void sampler(struct work_struct *work)
{
	struct usbts_ctrl *ctrl = container_of(to_delayed_work(work),
					       struct usbts_ctrl, work);
	unsigned long delay;
	int err;

	mutex_lock(&ctrl->lock);
	if (!ctrl->sampling) {
		mutex_unlock(&ctrl->lock);
		return;
	}
	err = burst(ctrl);
	publish(ctrl, err);
	if (err == -ENODEV) {
		ctrl->sampling = false;
		mutex_unlock(&ctrl->lock);
		return;
	}
	ctrl->bursts++;
	delay = err ? msecs_to_jiffies(USBTS_RETRY_MS) : next_delay(ctrl);
	queue_delayed_work(system_unbound_wq, &ctrl->work, delay);
	mutex_unlock(&ctrl->lock);
}

static struct usbts_ctrl *ctrl_create(struct usbts_registry *reg,
				      const void *key,
				      const struct usbts_counter_ops *ops,
				      void *ctx)
{
	struct usbts_ctrl *ctrl;

	ctrl = kzalloc(sizeof(*ctrl), GFP_KERNEL);
	if (!ctrl)
		return NULL;
	ctrl->pred = kzalloc(sizeof(*ctrl->pred), GFP_KERNEL);
	if (!ctrl->pred) {
		kfree(ctrl);
		return NULL;
	}
	kref_init(&ctrl->kref);
	ctrl->reg = reg;
	ctrl->key = key;
	ctrl->ops = ops;
	ctrl->ctx = ctx;
	mutex_init(&ctrl->lock);
	seqcount_mutex_init(&ctrl->seq, &ctrl->lock);
	init_waitqueue_head(&ctrl->wq);
	INIT_DELAYED_WORK(&ctrl->work, sampler);
	usbts_pred_init(ctrl->pred);
	return ctrl;
}

/* Stop sampling and let the counter sleep.  Under reg->lock. */
static void ctrl_stop(struct usbts_ctrl *ctrl)
{
	lockdep_assert_held(&ctrl->reg->lock);
	mutex_lock(&ctrl->lock);
	ctrl->sampling = false;
	mutex_unlock(&ctrl->lock);
	/* the sampler takes ctrl->lock, never reg->lock: no inversion */
	cancel_delayed_work_sync(&ctrl->work);
	ctrl->ops->release(ctrl->ctx);
	list_del_init(&ctrl->node);
	/* nothing tracked: stop following the timekeeper */
	if (list_empty(&ctrl->reg->ctrls))
		usbts_sysclock_stop(&ctrl->reg->clock);
}

/**
 * usbts_track() - start (or join) tracking a controller
 * @reg: registry
 * @key: identifies the controller; equal keys share one tracking object
 * @ops: counter access
 * @ctx: argument of @ops; owned by the core from here on, and freed with
 *	@ops->free on every path, also when an existing object is joined
 *
 * Return: the controller with a reference and a user, or an ERR_PTR:
 * -ENOMEM, or what @ops->hold returned.
 */
struct usbts_ctrl *usbts_track(struct usbts_registry *reg, const void *key,
			       const struct usbts_counter_ops *ops, void *ctx)
{
	struct usbts_ctrl *ctrl;
	int err;

	mutex_lock(&reg->lock);
	list_for_each_entry(ctrl, &reg->ctrls, node) {
		if (ctrl->key == key) {
			ctrl->users++;
			kref_get(&ctrl->kref);
			mutex_unlock(&reg->lock);
			ops->free(ctx);
			return ctrl;
		}
	}

	ctrl = ctrl_create(reg, key, ops, ctx);
	if (!ctrl) {
		mutex_unlock(&reg->lock);
		ops->free(ctx);
		return ERR_PTR(-ENOMEM);
	}
	err = ops->hold(ctx);
	if (!err && list_empty(&reg->ctrls)) {
		err = usbts_sysclock_start(&reg->clock);
		if (err)
			ops->release(ctx);
	}
	if (err) {
		mutex_unlock(&reg->lock);
		usbts_ctrl_put(ctrl);
		return ERR_PTR(err);
	}
	ctrl->users = 1;
	ctrl->sampling = true;
	list_add(&ctrl->node, &reg->ctrls);
	queue_delayed_work(system_unbound_wq, &ctrl->work, 0);
	mutex_unlock(&reg->lock);
	return ctrl;
}

/**
 * usbts_untrack() - drop a user and the reference usbts_track() gave
 * @ctrl: controller
 *
 * The last user stops the sampler and releases the counter.  Works on a
 * dead controller too.
 */
void usbts_untrack(struct usbts_ctrl *ctrl)
{
	struct usbts_registry *reg = ctrl->reg;

	mutex_lock(&reg->lock);
	if (!--ctrl->users && !ctrl->dead)
		ctrl_stop(ctrl);
	mutex_unlock(&reg->lock);
	usbts_ctrl_put(ctrl);
}

/**
 * usbts_kill() - the controller identified by @key is going away
 * @reg: registry
 * @key: controller
 *
 * Stops its sampler before the registers go, and makes every handle on it
 * fail with -ENODEV from now on.  Waiters in START are woken.
 */
void usbts_kill(struct usbts_registry *reg, const void *key)
{
	struct usbts_ctrl *ctrl, *tmp;

	mutex_lock(&reg->lock);
	list_for_each_entry_safe(ctrl, tmp, &reg->ctrls, node) {
		if (ctrl->key != key)
			continue;
		ctrl_stop(ctrl);
		mutex_lock(&ctrl->lock);
		WRITE_ONCE(ctrl->dead, true);
		mutex_unlock(&ctrl->lock);
		wake_up_all(&ctrl->wq);
	}
	mutex_unlock(&reg->lock);
}

static bool precise_or_dead(struct usbts_ctrl *ctrl)
{
	struct usbts_snapshot snap;
	int err = usbts_snapshot(ctrl, &snap);

	return err == -ENODEV || (!err && (snap.flags & USBTS_SNAP_PRECISE));
}

/**
 * usbts_wait_precise() - wait until a frame boundary has been observed
 * @ctrl: controller
 * @timeout_ms: bound
 *
 * Return: 0, -ETIMEDOUT, -EINTR on a signal, or -ENODEV.
 */
int usbts_wait_precise(struct usbts_ctrl *ctrl, unsigned int timeout_ms)
{
	long left;

	left = wait_event_interruptible_timeout(ctrl->wq, precise_or_dead(ctrl),
						msecs_to_jiffies(timeout_ms));
	if (left < 0)
		return -EINTR;
	if (READ_ONCE(ctrl->dead))
		return -ENODEV;
	if (!left)
		return -ETIMEDOUT;
	return 0;
}

/**
 * usbts_snapshot() - copy the published model; lock-free, never sleeps
 * @ctrl: controller
 * @snap: where to copy it
 *
 * Return: 0, -ENODEV once the controller is gone, or -EAGAIN while it is
 * not running or suspended.
 */
int usbts_snapshot(struct usbts_ctrl *ctrl, struct usbts_snapshot *snap)
{
	unsigned int seq;
	int err;

	if (READ_ONCE(ctrl->dead))
		return -ENODEV;
	err = ctrl->ops->state(ctrl->ctx);
	if (err)
		return err;
	do {
		seq = read_seqcount_begin(&ctrl->seq);
		*snap = ctrl->pub;
	} while (read_seqcount_retry(&ctrl->seq, seq));
	if (snap->flags & USBTS_SNAP_STOPPED)
		return -EAGAIN;
	return 0;
}

/**
 * usbts_sample() - raw reads on demand, back to back
 * @ctrl: controller
 * @r: the reads
 * @n: number of reads
 *
 * Each read is sandwiched in both CLOCK_MONOTONIC and CLOCK_MONOTONIC_RAW.
 * The reads also feed the predictor.
 *
 * Return: 0, -ENODEV or -EAGAIN.
 */
int usbts_sample(struct usbts_ctrl *ctrl, struct usbts_read *r, unsigned int n)
{
	unsigned int i;
	int err = 0;

	mutex_lock(&ctrl->lock);
	if (ctrl->dead) {
		err = -ENODEV;
		goto out;
	}
	for (i = 0; i < n; i++) {
		err = read_both(ctrl, &r[i]);
		if (err)
			break;
	}
	for (i = 0; !err && i < n; i++)
		usbts_pred_add_read(ctrl->pred, r[i].raw_pre, r[i].raw_post,
				    r[i].mfindex);
	publish(ctrl, err);
out:
	mutex_unlock(&ctrl->lock);
	return err;
}

/**
 * usbts_sampler_pending() - is the sampler armed or running?
 * @ctrl: controller
 *
 * Return: true while the sampler work is queued or executing.
 */
bool usbts_sampler_pending(struct usbts_ctrl *ctrl)
{
	return delayed_work_pending(&ctrl->work) || work_busy(&ctrl->work.work);
}
