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
 * A blocking START runs the first burst itself, the rest come from a
 * delayed work item.  A burst is a short run of reads sandwiched between two
 * CLOCK_MONOTONIC_RAW reads (the clock nobody steers; see sysclock.c) that
 * ends one microframe edge later (up to 16 when reads are slow, see
 * burst()); it feeds the
 * predictor and publishes a struct usbts_snapshot through a seqcount.  GET
 * copies the snapshot lock-free and never touches the hardware.  Bursts
 * come every 10 ms for the first second of a generation, then ever more
 * rarely, up to one every USBTS_MAX_INTERVAL_MS (16 s) once converged, as
 * often as keeps the claim for the current microframe within twice its
 * value after a burst, or within the most demanding handle's need (START's
 * want_accuracy_ns) if that is smaller; either way at most once every
 * USBTS_NEED_MIN_MS
 * (usbts_model_next_interval(), in the predictor, which the simulator runs).
 *
 * Locking: registry->lock (mutex) protects the list of controllers and
 * their users count and is taken before ctrl->lock (mutex), which
 * serialises the sampler, SAMPLE, teardown and the predictor.  The snapshot
 * is written under ctrl->pub_lock, a raw spinlock taken with interrupts
 * off and innermost, for the few instructions a copy takes.  Readers of
 * the snapshot take no lock and write nothing: a reader that meets a
 * writer spins for at most that copy.  The seqcount is tied to a raw
 * spinlock rather than to ctrl->lock on purpose: with a seqcount_mutex_t a
 * reader meeting a writer takes the mutex on PREEMPT_RT, which would make
 * GET sleep under rcu_read_lock() and in START's wait condition.
 */
#include <linux/errno.h>
#include <linux/irqflags.h>
#include <linux/jiffies.h>
#include <linux/timer.h>
#include <linux/ktime.h>
#include <linux/minmax.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>

#include "core.h"

#define USBTS_FAST_INTERVAL_MS	10
#define USBTS_FAST_BURSTS	100
#define USBTS_SLOW_START_MS	100
/* After a failed burst: retry soon, then less often, at most this rarely. */
#define USBTS_RETRY_MIN_MS	10
#define USBTS_RETRY_MS		1000
/*
 * A burst ends this long after its first read, or after the last edge it
 * counted or read past as too wide, without a (further) edge; and this
 * long after its first read whatever it saw (twice the time the edges it may want take), so that
 * neither reads that keep failing nor ones slower than a microframe make
 * it run on.
 */
#define USBTS_BURST_NS		(3 * USBTS_PRED_NOMINAL_NS)
#define USBTS_BURST_MAX_NS	(2 * (USBTS_PRED_BURST_EDGES + 1) * USBTS_PRED_NOMINAL_NS)
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
	reg->suspended = false;
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

	/* every handle withdrew its need before it dropped its reference */
	WARN_ON(!list_empty(&ctrl->wants));
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

/*
 * Rebuild the published snapshot from the predictor.  Under ctrl->lock.
 * Returns true if it began a new generation.
 */
static bool publish(struct usbts_ctrl *ctrl, int read_err)
{
	struct usbts_pred *p = ctrl->pred;
	struct usbts_snapshot s = { };
	unsigned long flags;
	bool new_gen = false;

	lockdep_assert_held(&ctrl->lock);
	/* readers see pub only through the seqcount: build it aside */
	s.generation = ctrl->pub.generation;
	if (p->model.gen != ctrl->pred_gen) {
		ctrl->pred_gen = p->model.gen;
		s.generation = atomic64_inc_return(&ctrl->reg->next_generation);
		ctrl->bursts = 0;
		new_gen = true;
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
		s.m.x0 = p->model.x0;
	}
	/* after a resume GET waits for a precise model in the new generation */
	if (ctrl->settling && (s.flags & USBTS_SNAP_PRECISE) && !read_err)
		ctrl->settling = false;
	if (read_err || ctrl->suspended || ctrl->settling)
		s.flags |= USBTS_SNAP_STOPPED;

	raw_spin_lock_irqsave(&ctrl->pub_lock, flags);
	write_seqcount_begin(&ctrl->seq);
	ctrl->pub = s;
	write_seqcount_end(&ctrl->seq);
	raw_spin_unlock_irqrestore(&ctrl->pub_lock, flags);
	if (s.flags & USBTS_SNAP_PRECISE)
		wake_up_all(&ctrl->wq);
	return new_gen;
}

/*
 * One read sandwiched in CLOCK_MONOTONIC_RAW; interrupts are off for just
 * the three reads.
 */
static int read_one(struct usbts_ctrl *ctrl, s64 *pre, s64 *post, u32 *v)
{
	unsigned long flags;
	int err;

	if (ctrl->ops->prepare)
		ctrl->ops->prepare(ctrl->ctx);
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

	if (ctrl->ops->prepare)
		ctrl->ops->prepare(ctrl->ctx);
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
 * Read until as many edges as the predictor wants have passed (plus two
 * reads; one edge at PCIe speed, up to %USBTS_PRED_BURST_EDGES when reads
 * are slow, see usbts_pred_edges_wanted()) or the burst budget is spent; an
 * edge bracketed too widely (a read preempted across it, see
 * %USBTS_PRED_GOOD_EDGE) does not count, and the burst waits for the next.
 * A burst never runs past %USBTS_BURST_MAX_NS.  Under ctrl->lock.
 *
 * A read that fails with -EAGAIN (the controller is not running, or the
 * register read all-ones, as during PCIe error recovery or a link retrain)
 * is transient: it is skipped, the good reads still count, and the burst
 * goes on within its time budget, so a run of failing reads is consumed
 * quickly while a slow failing read (a completion timeout) is tried about
 * once.  Returns -ENODEV at once if the controller is dead, -EAGAIN if any
 * read failed (the counter may have been reset meanwhile: GET refuses
 * until a clean burst), else 0.
 */
static int burst(struct usbts_ctrl *ctrl)
{
	u32 v, first = 0, edges = 0, wanted = usbts_pred_edges_wanted(ctrl->pred);
	int i, good = 0, after = -1, err, ret = 0, r;
	s64 pre, post, start = 0, begin = 0;

	lockdep_assert_held(&ctrl->lock);
	for (i = 0; i < USBTS_BURST_READS && after != 0; i++) {
		err = read_one(ctrl, &pre, &post, &v);
		if (i == 0) {
			start = pre;
			begin = pre;
		}
		if (err == -ENODEV)
			return err;
		if (err) {
			ret = err;
		} else {
			r = usbts_pred_add_read(ctrl->pred, pre, post, v);
			if (good++ == 0) {
				first = v;
			} else if (after < 0 && v != first) {
				after = 2;
				/*
				 * A read preempted across the edge brackets it
				 * too widely to teach the model anything, and
				 * slow reads want more edges: read on to the
				 * next edge, within a fresh budget.
				 */
				if (r > 0 && (r & USBTS_PRED_NEW_EDGE) &&
				    (!(r & USBTS_PRED_GOOD_EDGE) || ++edges < wanted)) {
					after = -1;
					first = v;
					start = pre;
				}
			} else if (after > 0) {
				after--;
			}
		}
		if ((after < 0 && post - start > USBTS_BURST_NS) ||
		    post - begin > USBTS_BURST_MAX_NS)
			break;
		/* a burst of slow reads lasts milliseconds: let others run */
		cond_resched();
	}
	usbts_pred_end_burst(ctrl->pred);
	return ret;
}

static unsigned long next_delay(struct usbts_ctrl *ctrl)
{
	bool limited;

	lockdep_assert_held(&ctrl->lock);
	if (ctrl->bursts < USBTS_FAST_BURSTS) {
		ctrl->interval_ms = USBTS_SLOW_START_MS;
		return msecs_to_jiffies(USBTS_FAST_INTERVAL_MS);
	}
	ctrl->interval_ms = usbts_model_next_interval(&ctrl->pred->model, ctrl->interval_ms,
						      ctrl->need_ns, ktime_get_raw_ns(),
						      &limited);
	/*
	 * Long waits may move to a round second, sharing a wakeup; not when
	 * a need (or the default need) sets the time: rounding could pass
	 * its horizon.
	 */
	if (ctrl->interval_ms >= 1000 && !limited)
		return round_jiffies_relative(msecs_to_jiffies(ctrl->interval_ms));
	return msecs_to_jiffies(ctrl->interval_ms);
}

/* The smallest accuracy any handle asked for.  Under ctrl->lock. */
static void update_need(struct usbts_ctrl *ctrl)
{
	struct usbts_want *w;
	u64 need = 0;

	lockdep_assert_held(&ctrl->lock);
	list_for_each_entry(w, &ctrl->wants, node)
		if (!need || w->ns < need)
			need = w->ns;
	ctrl->need_ns = need;
}

/*
 * Move the sampler's armed timer earlier, to USBTS_NEED_MIN_MS after the
 * last burst or now, if that is sooner.  Past the first burst (bursts >=
 * USBTS_FAST_BURSTS here) the sampler's timer is only ever armed under
 * ctrl->lock, so its expiry is stable here.  Under ctrl->lock.
 */
static void bring_forward(struct usbts_ctrl *ctrl)
{
	s64 since = ktime_get_raw_ns() - ctrl->last_burst;
	s64 min_ns = (s64)USBTS_NEED_MIN_MS * NSEC_PER_MSEC;
	unsigned long delay = 0;

	lockdep_assert_held(&ctrl->lock);
	if (since < min_ns)
		delay = nsecs_to_jiffies(min_ns - since) + 1;
	if (timer_pending(&ctrl->work.timer) &&
	    time_before(jiffies + delay, ctrl->work.timer.expires))
		mod_delayed_work(system_unbound_wq, &ctrl->work, delay);
}

/**
 * usbts_want() - a handle needs an accuracy
 * @ctrl: its controller, tracked by the caller
 * @w: the handle's want, unlisted; it stays listed until usbts_unwant()
 * @ns: the accuracy, ns; 0 asks for nothing and lists nothing
 *
 * A need stricter than the controller had brings the next burst forward,
 * to now or to %USBTS_NEED_MIN_MS after the last one, whichever is later
 * (a START/STOP loop must not make the sampler read back to back): a
 * sampler asleep for 16 s wakes for one burst, and sleeps from then on as
 * the new need allows.  May sleep.
 */
void usbts_want(struct usbts_ctrl *ctrl, struct usbts_want *w, u64 ns)
{
	might_sleep();
	INIT_LIST_HEAD(&w->node);
	if (!ns)
		return;
	w->ns = ns;
	mutex_lock(&ctrl->lock);
	list_add(&w->node, &ctrl->wants);
	if (!ctrl->need_ns || ns < ctrl->need_ns) {
		ctrl->need_ns = ns;
		if (ctrl->sampling && !ctrl->suspended && !ctrl->dead &&
		    ctrl->bursts >= USBTS_FAST_BURSTS && !ctrl->retry_ms)
			bring_forward(ctrl);
	}
	mutex_unlock(&ctrl->lock);
}

/**
 * usbts_unwant() - undo usbts_want(); a no-op for a want that listed nothing
 * @ctrl: the controller passed to usbts_want()
 * @w: the want
 *
 * The sampler keeps its current sleep and plans the next one for the
 * remaining needs.  May sleep.
 */
void usbts_unwant(struct usbts_ctrl *ctrl, struct usbts_want *w)
{
	might_sleep();
	if (list_empty(&w->node))
		return;
	mutex_lock(&ctrl->lock);
	list_del_init(&w->node);
	update_need(ctrl);
	mutex_unlock(&ctrl->lock);
}

/*
 * The counter reported -ENODEV: the controller died (HCD_DEAD), which is
 * final.  Every handle fails with -ENODEV from now on and START waiters
 * wake; the object leaves the registry at the next START on the key or at
 * the last STOP, which also drop its runtime PM holds.  Under ctrl->lock.
 */
static void ctrl_died(struct usbts_ctrl *ctrl)
{
	lockdep_assert_held(&ctrl->lock);
	ctrl->sampling = false;
	WRITE_ONCE(ctrl->dead, true);
	wake_up_all(&ctrl->wq);
}

/* One burst, published, and the next one armed.  Under ctrl->lock. */
static void sample_and_rearm(struct usbts_ctrl *ctrl)
{
	unsigned long delay;
	int err;

	lockdep_assert_held(&ctrl->lock);
	err = burst(ctrl);
	ctrl->last_burst = ktime_get_raw_ns();
	publish(ctrl, err);
	if (err == -ENODEV) {
		ctrl_died(ctrl);
		return;
	}
	if (err) {
		/*
		 * Transient: keep sampling, back off 10 ms .. 1 s.  Right
		 * after a resume, when GET waits for us, keep to 10 ms for the
		 * first second of failures, so a controller that takes a while
		 * to run again does not push the settle time past a second.
		 */
		ctrl->failed_bursts++;
		if (ctrl->settling && ctrl->failed_bursts <= USBTS_FAST_BURSTS)
			ctrl->retry_ms = USBTS_RETRY_MIN_MS;
		else
			ctrl->retry_ms = clamp(ctrl->retry_ms * 2,
					       USBTS_RETRY_MIN_MS, USBTS_RETRY_MS);
		delay = msecs_to_jiffies(ctrl->retry_ms);
	} else {
		ctrl->failed_bursts = 0;
		ctrl->retry_ms = 0;
		ctrl->bursts++;
		delay = next_delay(ctrl);
	}
	mod_delayed_work(system_unbound_wq, &ctrl->work, delay);
}

static void sampler(struct work_struct *work)
{
	struct usbts_ctrl *ctrl = container_of(to_delayed_work(work),
					       struct usbts_ctrl, work);

	mutex_lock(&ctrl->lock);
	if (ctrl->sampling && !ctrl->suspended)
		sample_and_rearm(ctrl);
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
	INIT_LIST_HEAD(&ctrl->node);
	ctrl->reg = reg;
	ctrl->key = key;
	ctrl->ops = ops;
	ctrl->ctx = ctx;
	mutex_init(&ctrl->lock);
	raw_spin_lock_init(&ctrl->pub_lock);
	seqcount_raw_spinlock_init(&ctrl->seq, &ctrl->pub_lock);
	init_waitqueue_head(&ctrl->wq);
	INIT_LIST_HEAD(&ctrl->wants);
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
 * @caller_bursts: the caller runs a new controller's first burst itself
 *	(usbts_wait_precise(), a blocking START): the sampler's first run then
 *	waits %USBTS_FAST_INTERVAL_MS (at least two jiffies) rather than racing
 *	it for the lock, which made the caller sleep on the mutex and wait for
 *	a kworker and a cross-CPU wakeup instead of reading
 *
 * Return: the controller with a reference and a user, or an ERR_PTR:
 * -EAGAIN while the system is suspended or shut down, -ENOMEM, or what
 * @ops->hold returned.
 */
struct usbts_ctrl *usbts_track(struct usbts_registry *reg, const void *key,
			       const struct usbts_counter_ops *ops, void *ctx,
			       bool caller_bursts)
{
	struct usbts_ctrl *ctrl;
	int err;

	mutex_lock(&reg->lock);
	/*
	 * Suspended with the system, or shut down (reboot notifier): holding
	 * a controller would wake it and read its registers, which are off
	 * limits until resume, and for good after shutdown.
	 */
	if (reg->suspended) {
		mutex_unlock(&reg->lock);
		ops->free(ctx);
		return ERR_PTR(-EAGAIN);
	}
	list_for_each_entry(ctrl, &reg->ctrls, node) {
		if (ctrl->key == key && READ_ONCE(ctrl->dead)) {
			/* died under its users: retire it, make a new one */
			ctrl_stop(ctrl);
			break;
		}
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
	/* not suspended: a START during system sleep was refused above */
	list_add(&ctrl->node, &reg->ctrls);
	/*
	 * One workqueue for every queueing of the work, so that
	 * cancel_delayed_work_sync() waits for any instance.  At least two
	 * jiffies for a blocking START's caller to take the lock first.
	 */
	queue_delayed_work(system_unbound_wq, &ctrl->work,
			   caller_bursts ? max(msecs_to_jiffies(USBTS_FAST_INTERVAL_MS), 2UL) : 0);
	mutex_unlock(&reg->lock);
	return ctrl;
}

/**
 * usbts_drop_user() - drop a user, keeping the reference usbts_track() gave
 * @ctrl: controller
 *
 * The last user stops the sampler and releases the counter, before this
 * returns.  The caller still owns the memory and drops it with
 * usbts_ctrl_put() (STOP: once no GET can be looking at it).  Works on a
 * dead controller too.
 */
void usbts_drop_user(struct usbts_ctrl *ctrl)
{
	struct usbts_registry *reg = ctrl->reg;

	mutex_lock(&reg->lock);
	/* still listed unless usbts_kill() or a new START retired it */
	if (!--ctrl->users && !list_empty(&ctrl->node))
		ctrl_stop(ctrl);
	mutex_unlock(&reg->lock);
}

/**
 * usbts_untrack() - drop a user and the reference usbts_track() gave
 * @ctrl: controller
 *
 * usbts_drop_user(), then usbts_ctrl_put().
 */
void usbts_untrack(struct usbts_ctrl *ctrl)
{
	usbts_drop_user(ctrl);
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
		/*
		 * Dead before the sampler stops: a SAMPLE or GET that meets
		 * the stopped controller must see ENODEV, not a stopped handle.
		 */
		mutex_lock(&ctrl->lock);
		WRITE_ONCE(ctrl->dead, true);
		mutex_unlock(&ctrl->lock);
		ctrl_stop(ctrl);
		wake_up_all(&ctrl->wq);
	}
	mutex_unlock(&reg->lock);
}

/* 0 once precise, -ENODEV once dead, else -EAGAIN.  Never sleeps. */
static int precise_state(struct usbts_ctrl *ctrl)
{
	struct usbts_snapshot snap;
	int err = usbts_snapshot(ctrl, &snap);

	if (err)
		return err;
	return snap.flags & USBTS_SNAP_PRECISE ? 0 : -EAGAIN;
}

/**
 * usbts_wait_precise() - wait until a frame boundary has been observed
 * @ctrl: controller
 * @timeout_ms: bound
 *
 * The outcome is decided from the state after the wait, so a controller
 * that died between the lookup and the wait (or during it) fails.
 *
 * Return: 0, -ETIMEDOUT, -ERESTARTSYS on a signal, or -ENODEV.
 */
int usbts_wait_precise(struct usbts_ctrl *ctrl, unsigned int timeout_ms)
{
	long left;
	int err;

	/*
	 * Run a burst here rather than wait for the worker: START then needs
	 * no work-queue latency or wake-up, only the burst itself (one
	 * microframe edge, about 125 us plus the reads, for a new controller;
	 * up to 16 edges, a few ms, after a failed burst on slow reads).
	 */
	if (precise_state(ctrl) == -EAGAIN) {
		mutex_lock(&ctrl->lock);
		/* the worker may have published while this waited for the lock */
		if (ctrl->sampling && !ctrl->suspended &&
		    precise_state(ctrl) == -EAGAIN)
			sample_and_rearm(ctrl);
		mutex_unlock(&ctrl->lock);
	}

	left = wait_event_interruptible_timeout(ctrl->wq,
						precise_state(ctrl) != -EAGAIN,
						msecs_to_jiffies(timeout_ms));
	/* the caller undoes its START: the syscall may simply be restarted */
	if (left < 0)
		return -ERESTARTSYS;
	err = precise_state(ctrl);
	if (err == -EAGAIN)
		return -ETIMEDOUT;
	return err;
}

/**
 * usbts_snapshot() - copy the published model; lock-free, never sleeps
 * @ctrl: controller
 * @snap: where to copy it
 *
 * Safe in any context, including under rcu_read_lock(), with preemption or
 * interrupts off, and inside a wait_event() condition, on every
 * preemption model: it neither takes a lock nor writes shared memory.
 *
 * Return: 0 with a usable model (snap->m.valid set, a non-zero
 * generation), -ENODEV once the controller is gone, or -EAGAIN while it is
 * not running or suspended, or before the sampler has published a model
 * at all.  On an error *@snap must not be used.
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
	/* nothing published yet (a START that did not wait), or stopped */
	if (!snap->m.valid || !snap->generation ||
	    (snap->flags & USBTS_SNAP_STOPPED))
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
 * The reads also feed the predictor.  A failed read or a new generation
 * brings the sampler forward, so that GET is refused no longer than one
 * burst and a new generation converges on the fast schedule.
 *
 * Return: 0, -ENODEV, -EAGAIN, or -ENOENT once the last STOP has
 * released the controller.
 */
int usbts_sample(struct usbts_ctrl *ctrl, struct usbts_read *r, unsigned int n)
{
	unsigned int i;
	bool new_gen;
	int err = 0;

	mutex_lock(&ctrl->lock);
	if (ctrl->dead) {
		err = -ENODEV;
		goto out;
	}
	/*
	 * The last STOP released the controller after this call found it
	 * (ENOENT), or it is being removed (ENODEV, before it is marked dead).
	 */
	if (!ctrl->sampling) {
		err = ctrl->ops->state(ctrl->ctx) == -ENODEV ? -ENODEV : -ENOENT;
		goto out;
	}
	if (ctrl->suspended) {
		err = -EAGAIN;
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
	if (!err)
		usbts_pred_end_burst(ctrl->pred);
	new_gen = publish(ctrl, err);
	if (err == -ENODEV) {
		ctrl_died(ctrl);
	} else if ((err || new_gen) && ctrl->sampling) {
		/*
		 * A failed read made GET refuse, a new generation needs the
		 * fast schedule: either way the sampler runs now, not when
		 * its (possibly 16 s) slow schedule says.
		 */
		mod_delayed_work(system_unbound_wq, &ctrl->work, 0);
	}
out:
	mutex_unlock(&ctrl->lock);
	return err;
}

/**
 * usbts_registry_suspend() - the system is about to sleep
 * @reg: registry
 *
 * From here until usbts_registry_resume() no register is read (the sampler
 * is stopped, SAMPLE fails with -EAGAIN) and GET is refused with -EAGAIN:
 * the counter stops or restarts across system sleep, and the pre-sleep
 * model must not answer for it.  Idempotent.  May sleep.
 */
void usbts_registry_suspend(struct usbts_registry *reg)
{
	struct usbts_ctrl *ctrl;

	mutex_lock(&reg->lock);
	reg->suspended = true;
	list_for_each_entry(ctrl, &reg->ctrls, node) {
		mutex_lock(&ctrl->lock);
		ctrl->suspended = true;
		publish(ctrl, 0);
		mutex_unlock(&ctrl->lock);
		/* the sampler takes ctrl->lock, never reg->lock */
		cancel_delayed_work_sync(&ctrl->work);
	}
	mutex_unlock(&reg->lock);
}

/**
 * usbts_registry_resume() - the system has woken up
 * @reg: registry
 *
 * Every tracked controller starts afresh: the predictor forgets the old
 * mapping (MFINDEX restarts when the controller resumes, and nothing said
 * before sleep can be trusted after it), the next read begins a new
 * generation, and the sampler runs at once on its fast schedule.  GET is
 * refused with -EAGAIN until the new generation has a precise model.
 * Idempotent.
 */
void usbts_registry_resume(struct usbts_registry *reg)
{
	struct usbts_ctrl *ctrl;

	mutex_lock(&reg->lock);
	reg->suspended = false;
	list_for_each_entry(ctrl, &reg->ctrls, node) {
		mutex_lock(&ctrl->lock);
		if (ctrl->suspended) {
			ctrl->suspended = false;
			usbts_pred_init(ctrl->pred);
			/* the first read's predictor generation is new */
			ctrl->pred_gen = 0;
			ctrl->bursts = 0;
			ctrl->retry_ms = 0;
			ctrl->failed_bursts = 0;
			ctrl->settling = true;
			publish(ctrl, 0);
			if (ctrl->sampling)
				queue_delayed_work(system_unbound_wq, &ctrl->work, 0);
		}
		mutex_unlock(&ctrl->lock);
	}
	mutex_unlock(&reg->lock);
}

/**
 * usbts_registry_show() - the state of every tracked controller, for debugfs
 * @m: where to print
 * @reg: registry
 */
void usbts_registry_show(struct seq_file *m, struct usbts_registry *reg)
{
	struct usbts_ctrl *ctrl;

	mutex_lock(&reg->lock);
	seq_printf(m, "suspended %d\n", reg->suspended);
	list_for_each_entry(ctrl, &reg->ctrls, node) {
		mutex_lock(&ctrl->lock);
		seq_printf(m, "controller %p users %u dead %d sampling %d suspended %d settling %d generation %llu precise %d stopped %d bursts %u interval_ms %u retry_ms %u need_ns %llu\n",
			   ctrl->key, ctrl->users, ctrl->dead, ctrl->sampling,
			   ctrl->suspended, ctrl->settling, ctrl->pub.generation,
			   !!(ctrl->pub.flags & USBTS_SNAP_PRECISE),
			   !!(ctrl->pub.flags & USBTS_SNAP_STOPPED), ctrl->bursts,
			   ctrl->interval_ms, ctrl->retry_ms, ctrl->need_ns);
		mutex_unlock(&ctrl->lock);
	}
	mutex_unlock(&reg->lock);
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
