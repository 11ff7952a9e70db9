/* SPDX-License-Identifier: GPL-2.0 */
/*
 * core.h - per-controller tracking: sampler, predictor, published model
 *
 * Copyright (C) 2026 The usb-timesync developers
 */
#ifndef _USBTS_CORE_H
#define _USBTS_CORE_H

#include <linux/atomic.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/seqlock.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "predictor.h"
#include "sysclock.h"

struct seq_file;

/**
 * struct usbts_counter_ops - how the core reaches one frame counter
 * @prepare: optional; called before each @read with interrupts on and
 *	@ctx's controller lock held, for work @read must not do with
 *	interrupts off (test builds decide an injected fault here).
 * @read: read the raw 14-bit MFINDEX.  Called with interrupts disabled,
 *	between two clock reads.  Returns 0; -EAGAIN while the controller is
 *	not running or suspended, or for a read that failed transiently (an
 *	all-ones value); or -ENODEV once it is dead for good.
 * @state: the same answer as @read would give, without touching the
 *	hardware; must not sleep (GET calls it).
 * @hold: keep the counter running while tracked (runtime PM); may sleep.
 * @release: undo @hold.
 * @free: drop whatever @ctx holds; called once, when the controller's
 *	tracking object is freed.
 */
struct usbts_counter_ops {
	void (*prepare)(void *ctx);
	int (*read)(void *ctx, u32 *mfindex);
	int (*state)(void *ctx);
	int (*hold)(void *ctx);
	void (*release)(void *ctx);
	void (*free)(void *ctx);
};

/**
 * struct usbts_registry - the controllers being tracked
 * @lock: protects @ctrls and every controller's @users and @node
 * @ctrls: tracked controllers
 * @next_generation: source of generation numbers, unique per registry
 * @suspended: the system is going to sleep or sleeping; under @lock
 * @clock: raw -> system clock map, following the timekeeper while @ctrls
 *	is not empty; started and stopped under @lock
 */
struct usbts_registry {
	struct mutex lock;		/* see the kernel-doc above */
	struct list_head ctrls;
	atomic64_t next_generation;
	bool suspended;
	struct usbts_sysclock clock;
};

/**
 * struct usbts_want - the accuracy one handle needs
 * @node: in its controller's @wants while the handle is started
 * @ns: the accuracy, ns; never 0
 */
struct usbts_want {
	struct list_head node;
	u64 ns;
};

/* struct usbts_snapshot.flags */
#define USBTS_SNAP_PRECISE	0x1	/* a frame boundary has been seen */
#define USBTS_SNAP_STOPPED	0x2	/* the counter could not be read */

/**
 * struct usbts_snapshot - what GET answers from
 * @m: the model; before the first boundary a coarse one (nominal rate,
 *	anchored on the latest read) that still numbers frames correctly
 * @generation: uAPI generation number
 * @flags: USBTS_SNAP_*
 */
struct usbts_snapshot {
	struct usbts_model m;
	u64 generation;
	u32 flags;
};

/**
 * struct usbts_ctrl - one tracked controller
 * @kref: memory lifetime; held by every handle (until a grace period after
 *	its STOP) and by SAMPLE while it runs
 * @node: in @reg->ctrls while tracked and present
 * @reg: the registry
 * @key: identifies the controller (the primary usb_hcd)
 * @ops: counter access
 * @ctx: argument of @ops
 * @users: START handles; under @reg->lock
 * @dead: the controller is gone (removed, or died); set once, under @lock
 * @sampling: the sampler may run and re-arm itself; under @lock
 * @suspended: system sleep: no register access, GET refused; under @lock
 * @settling: resumed, GET refused until a precise model; under @lock
 * @lock: serialises the sampler, SAMPLE and teardown; protects @pred
 * @pub_lock: held, with interrupts off, only while @pub is written; a
 *	raw spinlock so that the write section never sleeps or is preempted,
 *	also on PREEMPT_RT
 * @seq: publication of @pub; written under @pub_lock
 * @pub: the snapshot GET reads, lock-free, through @seq
 * @pred: the predictor
 * @work: the sampler
 * @wq: START waits here for the first boundary
 * @pred_gen: predictor generation behind @pub.generation
 * @bursts: sampler bursts in this generation
 * @interval_ms: current sampler period
 * @retry_ms: current retry delay after failed bursts, 0 after a good one
 * @failed_bursts: failed bursts in a row
 * @wants: the &struct usbts_want of every handle that asked for an
 *	accuracy; under @lock
 * @need_ns: the smallest of @wants, 0 if none; under @lock
 * @last_burst: CLOCK_MONOTONIC_RAW at the end of the last burst; under @lock
 */
struct usbts_ctrl {
	struct kref kref;
	struct list_head node;
	struct usbts_registry *reg;
	const void *key;
	const struct usbts_counter_ops *ops;
	void *ctx;
	unsigned int users;
	bool dead;
	bool sampling;
	bool suspended;
	bool settling;
	struct mutex lock;		/* see the kernel-doc above */
	raw_spinlock_t pub_lock;	/* see the kernel-doc above */
	seqcount_raw_spinlock_t seq;
	struct usbts_snapshot pub;
	struct usbts_pred *pred;
	struct delayed_work work;
	wait_queue_head_t wq;
	u32 pred_gen;
	unsigned int bursts;
	unsigned int interval_ms;
	unsigned int retry_ms;
	unsigned int failed_bursts;
	struct list_head wants;
	u64 need_ns;
	s64 last_burst;
};

/**
 * struct usbts_read - one sandwiched raw read, in both clocks
 * @pre: CLOCK_MONOTONIC ns before the register read
 * @post: CLOCK_MONOTONIC ns after it
 * @raw_pre: CLOCK_MONOTONIC_RAW ns before the register read (read after
 *	@pre, so both sandwiches hold the read)
 * @raw_post: CLOCK_MONOTONIC_RAW ns after it (read before @post)
 * @mfindex: the raw 14-bit value
 */
struct usbts_read {
	s64 pre;
	s64 post;
	s64 raw_pre;
	s64 raw_post;
	u32 mfindex;
};

/* How long START waits for the first frame boundary. */
#define USBTS_START_TIMEOUT_MS	500

void usbts_registry_init(struct usbts_registry *reg);
void usbts_registry_destroy(struct usbts_registry *reg);

struct usbts_ctrl *usbts_track(struct usbts_registry *reg, const void *key,
			       const struct usbts_counter_ops *ops, void *ctx,
			       bool caller_bursts);
void usbts_drop_user(struct usbts_ctrl *ctrl);
void usbts_untrack(struct usbts_ctrl *ctrl);
void usbts_kill(struct usbts_registry *reg, const void *key);
void usbts_ctrl_put(struct usbts_ctrl *ctrl);

int usbts_wait_precise(struct usbts_ctrl *ctrl, unsigned int timeout_ms);
int usbts_snapshot(struct usbts_ctrl *ctrl, struct usbts_snapshot *snap);
int usbts_sample(struct usbts_ctrl *ctrl, struct usbts_read *r, unsigned int n);
bool usbts_sampler_pending(struct usbts_ctrl *ctrl);
void usbts_want(struct usbts_ctrl *ctrl, struct usbts_want *w, u64 ns);
void usbts_unwant(struct usbts_ctrl *ctrl, struct usbts_want *w);
void usbts_registry_suspend(struct usbts_registry *reg);
void usbts_registry_show(struct seq_file *m, struct usbts_registry *reg);
void usbts_registry_resume(struct usbts_registry *reg);

#endif /* _USBTS_CORE_H */
