// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the tracking core, driven by a simulated counter through the ops.
 */
#include <kunit/test.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/sched/signal.h>
#include <linux/string.h>
#include <linux/timekeeping.h>

#include "core.h"

/* A counter that runs at the nominal rate, or stands still. */
struct sim_counter {
	spinlock_t lock;	/* frozen, base, start */
	u64 start;
	u32 base;
	bool frozen;
	u32 frozen_value;
	int state;
	int fail_next;	/* that many reads fail with fail_err */
	int fail_err;
	bool fail_restarts;	/* the first failing read restarts it at 0 */
	u64 fail_until;		/* reads fail with fail_err until then (ns) */
	unsigned int reads;
	int holds;
	int frees;
};

static u32 sim_value(struct sim_counter *c)
{
	return (c->base + div_u64(ktime_get_raw_ns() - c->start,
				  USBTS_PRED_NOMINAL_NS)) & USBTS_PRED_MFINDEX_MASK;
}

static int sim_read(void *ctx, u32 *v)
{
	struct sim_counter *c = ctx;
	unsigned long flags;

	if (READ_ONCE(c->state))
		return READ_ONCE(c->state);
	spin_lock_irqsave(&c->lock, flags);
	c->reads++;
	if (c->fail_until && ktime_get_ns() < c->fail_until) {
		spin_unlock_irqrestore(&c->lock, flags);
		return c->fail_err;
	}
	if (c->fail_next > 0) {
		c->fail_next--;
		if (c->fail_restarts) {
			c->fail_restarts = false;
			c->base = 0;
			c->start = ktime_get_raw_ns();
		}
		spin_unlock_irqrestore(&c->lock, flags);
		return c->fail_err;
	}
	*v = c->frozen ? c->frozen_value : sim_value(c);
	spin_unlock_irqrestore(&c->lock, flags);
	return 0;
}

/*
 * The next @n reads fail with @err, as the ops report an all-ones MFINDEX;
 * with @restart the counter restarts at 0 when the first of them fails.
 */
static void sim_fail(struct sim_counter *c, int n, int err, bool restart)
{
	unsigned long flags;

	spin_lock_irqsave(&c->lock, flags);
	c->fail_next = n;
	c->fail_err = err;
	c->fail_restarts = restart;
	spin_unlock_irqrestore(&c->lock, flags);
}

/* Make the counter continue from @base now (a reset, a jump). */
static void sim_restart(struct sim_counter *c, u32 base)
{
	unsigned long flags;

	spin_lock_irqsave(&c->lock, flags);
	c->base = base;
	c->start = ktime_get_raw_ns();
	spin_unlock_irqrestore(&c->lock, flags);
}

static unsigned int sim_reads(struct sim_counter *c)
{
	unsigned long flags;
	unsigned int n;

	spin_lock_irqsave(&c->lock, flags);
	n = c->reads;
	spin_unlock_irqrestore(&c->lock, flags);
	return n;
}

static int sim_state(void *ctx)
{
	return READ_ONCE(((struct sim_counter *)ctx)->state);
}

static int sim_hold(void *ctx)
{
	((struct sim_counter *)ctx)->holds++;
	return 0;
}

static void sim_release(void *ctx)
{
	((struct sim_counter *)ctx)->holds--;
}

static void sim_free(void *ctx)
{
	((struct sim_counter *)ctx)->frees++;
}

static const struct usbts_counter_ops sim_ops = {
	.read = sim_read,
	.state = sim_state,
	.hold = sim_hold,
	.release = sim_release,
	.free = sim_free,
};

static void sim_freeze(struct sim_counter *c, bool freeze)
{
	unsigned long flags;

	spin_lock_irqsave(&c->lock, flags);
	if (freeze) {
		c->frozen_value = sim_value(c);
	} else {
		/* resume counting from the frozen value */
		c->base = c->frozen_value;
		c->start = ktime_get_raw_ns();
	}
	c->frozen = freeze;
	spin_unlock_irqrestore(&c->lock, flags);
}

static struct sim_counter *sim_new(struct kunit *test, u32 base)
{
	struct sim_counter *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, c);
	spin_lock_init(&c->lock);
	c->start = ktime_get_raw_ns();
	c->base = base;
	return c;
}

static struct usbts_registry *reg_new(struct kunit *test)
{
	struct usbts_registry *reg = kunit_kzalloc(test, sizeof(*reg), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, reg);
	usbts_registry_init(reg);
	return reg;
}

/* Track @key on @c and wait for the first frame boundary. */
static struct usbts_ctrl *track_precise(struct kunit *test,
					struct usbts_registry *reg,
					const void *key, struct sim_counter *c)
{
	struct usbts_ctrl *ctrl = usbts_track(reg, key, &sim_ops, c, true);

	KUNIT_ASSERT_FALSE(test, IS_ERR(ctrl));
	KUNIT_ASSERT_EQ(test, usbts_wait_precise(ctrl, 1000), 0);
	return ctrl;
}

/*
 * STOP's first half: the last user dropped with usbts_drop_user() stops
 * the sampler, releases the counter and unlists the controller before it
 * returns, while the memory stays until the reference goes (after a grace
 * period, in STOP); a new START meanwhile makes a new object.
 */
static void usbts_core_drop_user_stops_at_once(struct kunit *test)
{
	struct usbts_registry *reg = reg_new(test);
	struct sim_counter *a = sim_new(test, 100), *b = sim_new(test, 100);
	struct usbts_ctrl *c, *c2;
	static const int key;

	c = usbts_track(reg, &key, &sim_ops, a, false);
	KUNIT_ASSERT_FALSE(test, IS_ERR(c));
	usbts_drop_user(c);
	KUNIT_EXPECT_FALSE(test, usbts_sampler_pending(c));
	KUNIT_EXPECT_EQ(test, a->holds, 0);
	KUNIT_EXPECT_TRUE(test, list_empty(&reg->ctrls));
	KUNIT_EXPECT_FALSE(test, reg->clock.active);
	KUNIT_EXPECT_EQ(test, a->frees, 0);
	c2 = usbts_track(reg, &key, &sim_ops, b, false);
	KUNIT_ASSERT_FALSE(test, IS_ERR(c2));
	KUNIT_EXPECT_PTR_NE(test, c, c2);
	KUNIT_EXPECT_EQ(test, b->holds, 1);
	usbts_ctrl_put(c);
	KUNIT_EXPECT_EQ(test, a->frees, 1);
	usbts_untrack(c2);
	KUNIT_EXPECT_EQ(test, b->frees, 1);
	usbts_registry_destroy(reg);
}

/*
 * A blocking START reads the first frame boundary itself: the sampler's
 * first run is armed for later rather than queued at once to race it for
 * the lock.  A tolerable START's sampler runs at once.
 */
static void usbts_core_blocking_start_bursts_itself(struct kunit *test)
{
	struct usbts_registry *reg = reg_new(test);
	struct sim_counter *a = sim_new(test, 100), *b = sim_new(test, 100);
	struct usbts_ctrl *c, *c2;
	static const int key, key2;

	c = usbts_track(reg, &key, &sim_ops, a, true);
	KUNIT_ASSERT_FALSE(test, IS_ERR(c));
	KUNIT_EXPECT_TRUE(test, timer_pending(&c->work.timer));
	KUNIT_EXPECT_EQ(test, sim_reads(a), 0u);
	KUNIT_EXPECT_EQ(test, usbts_wait_precise(c, 1000), 0);
	KUNIT_EXPECT_GT(test, sim_reads(a), 0u);
	c2 = usbts_track(reg, &key2, &sim_ops, b, false);
	KUNIT_ASSERT_FALSE(test, IS_ERR(c2));
	/* queued without a timer, unless it already ran and armed the next */
	KUNIT_EXPECT_TRUE(test, !timer_pending(&c2->work.timer) || sim_reads(b) > 0);
	usbts_untrack(c2);
	usbts_untrack(c);
	usbts_registry_destroy(reg);
}

/*
 * The first START starts the sampler and holds the counter; the last STOP
 * undoes both, and the object is freed with its context.
 */
static void usbts_core_refcount(struct kunit *test)
{
	struct usbts_registry *reg = reg_new(test);
	struct sim_counter *a = sim_new(test, 100), *b = sim_new(test, 100);
	struct usbts_ctrl *c1, *c2;
	static const int key;

	KUNIT_EXPECT_FALSE(test, reg->clock.active);
	c1 = usbts_track(reg, &key, &sim_ops, a, false);
	KUNIT_ASSERT_FALSE(test, IS_ERR(c1));
	KUNIT_EXPECT_EQ(test, a->holds, 1);
	KUNIT_EXPECT_TRUE(test, usbts_sampler_pending(c1));
	/* the timekeeper is followed only while something is tracked */
	KUNIT_EXPECT_TRUE(test, reg->clock.active);

	c2 = usbts_track(reg, &key, &sim_ops, b, false);
	KUNIT_ASSERT_PTR_EQ(test, c1, c2);
	KUNIT_EXPECT_EQ(test, b->frees, 1);	/* joined: its context dropped */
	KUNIT_EXPECT_EQ(test, b->holds, 0);

	usbts_untrack(c2);
	KUNIT_EXPECT_EQ(test, a->holds, 1);
	KUNIT_EXPECT_TRUE(test, usbts_sampler_pending(c1));
	KUNIT_EXPECT_EQ(test, a->frees, 0);

	/* keep the memory to look at it after the last user has gone */
	kref_get(&c1->kref);
	usbts_untrack(c1);
	KUNIT_EXPECT_FALSE(test, usbts_sampler_pending(c1));
	KUNIT_EXPECT_EQ(test, a->holds, 0);
	KUNIT_EXPECT_TRUE(test, list_empty(&reg->ctrls));
	KUNIT_EXPECT_FALSE(test, reg->clock.active);
	usbts_ctrl_put(c1);
	KUNIT_EXPECT_EQ(test, a->frees, 1);
	usbts_registry_destroy(reg);
}

static void usbts_core_wait_precise(struct kunit *test)
{
	struct usbts_registry *reg = reg_new(test);
	struct sim_counter *a = sim_new(test, 16380);
	struct usbts_snapshot snap;
	struct usbts_ctrl *c;
	static const int key;

	c = usbts_track(reg, &key, &sim_ops, a, false);
	KUNIT_ASSERT_FALSE(test, IS_ERR(c));
	KUNIT_EXPECT_EQ(test, usbts_wait_precise(c, 1000), 0);
	KUNIT_EXPECT_EQ(test, usbts_snapshot(c, &snap), 0);
	KUNIT_EXPECT_TRUE(test, snap.flags & USBTS_SNAP_PRECISE);
	KUNIT_EXPECT_GE(test, snap.generation, 1ull);
	usbts_untrack(c);
	usbts_registry_destroy(reg);
}

static void usbts_core_start_times_out(struct kunit *test)
{
	struct usbts_registry *reg = reg_new(test);
	struct sim_counter *a = sim_new(test, 7);
	struct usbts_ctrl *c;
	static const int key;

	sim_freeze(a, true);
	c = usbts_track(reg, &key, &sim_ops, a, false);
	KUNIT_ASSERT_FALSE(test, IS_ERR(c));
	KUNIT_EXPECT_EQ(test, usbts_wait_precise(c, 100), -ETIMEDOUT);
	usbts_untrack(c);
	usbts_registry_destroy(reg);
}

static u64 wait_generation_change(struct usbts_ctrl *c, u64 old)
{
	struct usbts_snapshot snap = { };
	int i;

	for (i = 0; i < 200; i++) {
		if (!usbts_snapshot(c, &snap) && snap.generation != old)
			break;
		msleep(20);
	}
	return snap.generation;
}

static void usbts_core_generation_on_stop_and_restart(struct kunit *test)
{
	struct usbts_registry *reg = reg_new(test);
	struct sim_counter *a = sim_new(test, 4000);
	struct usbts_snapshot snap;
	struct usbts_ctrl *c;
	static const int key;
	u64 g1, g2, g3;

	c = track_precise(test, reg, &key, a);
	msleep(100);
	KUNIT_ASSERT_EQ(test, usbts_snapshot(c, &snap), 0);
	g1 = snap.generation;

	sim_freeze(a, true);
	g2 = wait_generation_change(c, g1);
	KUNIT_EXPECT_NE(test, g2, g1);

	/*
	 * Stay stopped for a while: a counter that resumes within a microframe
	 * of the last read is indistinguishable from one that never stopped,
	 * and then the mapping is continuous and no generation is due.
	 */
	msleep(100);
	sim_freeze(a, false);
	g3 = wait_generation_change(c, g2);
	KUNIT_EXPECT_NE(test, g3, g2);
	KUNIT_EXPECT_EQ(test, usbts_wait_precise(c, 1000), 0);
	usbts_untrack(c);
	usbts_registry_destroy(reg);
}

static void usbts_core_enodev_after_removal(struct kunit *test)
{
	struct usbts_registry *reg = reg_new(test);
	struct sim_counter *a = sim_new(test, 1);
	struct usbts_snapshot snap;
	struct usbts_read r;
	struct usbts_ctrl *c;
	static const int key;

	c = track_precise(test, reg, &key, a);
	usbts_kill(reg, &key);
	KUNIT_EXPECT_FALSE(test, usbts_sampler_pending(c));
	KUNIT_EXPECT_EQ(test, a->holds, 0);
	KUNIT_EXPECT_EQ(test, usbts_snapshot(c, &snap), -ENODEV);
	KUNIT_EXPECT_EQ(test, usbts_sample(c, &r, 1), -ENODEV);
	KUNIT_EXPECT_EQ(test, usbts_wait_precise(c, 100), -ENODEV);
	/* a new START on the same key makes a new object */
	KUNIT_EXPECT_TRUE(test, list_empty(&reg->ctrls));
	usbts_untrack(c);
	KUNIT_EXPECT_EQ(test, a->frees, 1);
	usbts_registry_destroy(reg);
}

static void usbts_core_eagain_when_not_running(struct kunit *test)
{
	struct usbts_registry *reg = reg_new(test);
	struct sim_counter *a = sim_new(test, 1);
	struct usbts_snapshot snap;
	struct usbts_read r;
	struct usbts_ctrl *c;
	static const int key;

	c = track_precise(test, reg, &key, a);
	WRITE_ONCE(a->state, -EAGAIN);
	KUNIT_EXPECT_EQ(test, usbts_snapshot(c, &snap), -EAGAIN);
	KUNIT_EXPECT_EQ(test, usbts_sample(c, &r, 1), -EAGAIN);
	WRITE_ONCE(a->state, 0);
	KUNIT_EXPECT_EQ(test, usbts_sample(c, &r, 1), 0);
	KUNIT_EXPECT_EQ(test, usbts_snapshot(c, &snap), 0);
	usbts_untrack(c);
	usbts_registry_destroy(reg);
}

/*
 * Snapshot @c.  A refusal is fine; an answer must name the microframe the
 * simulated counter is in now, to within its accuracy (or two microframes
 * for a coarse model).  Returns the snapshot's error.
 */
static int check_answer(struct kunit *test, struct usbts_ctrl *c,
			struct sim_counter *sim, struct usbts_snapshot *snap)
{
	unsigned long flags;
	s64 now, x, t;
	u64 acc = 0;
	s32 d, slack;
	u32 v;
	int err;

	memset(snap, 0xa5, sizeof(*snap));
	err = usbts_snapshot(c, snap);
	if (err)
		return err;
	KUNIT_EXPECT_NE(test, snap->generation, 0ull);
	spin_lock_irqsave(&sim->lock, flags);
	now = ktime_get_raw_ns();
	v = sim->frozen ? sim->frozen_value : sim_value(sim);
	spin_unlock_irqrestore(&sim->lock, flags);
	KUNIT_ASSERT_TRUE(test, usbts_model_count_at(&snap->m, now, &x));
	slack = 2;
	if ((snap->flags & USBTS_SNAP_PRECISE) &&
	    usbts_model_time_of(&snap->m, x, &t, &acc))
		slack = 1 + div_u64(acc, USBTS_PRED_NOMINAL_NS);
	d = (s32)(((u32)x - v) << (32 - USBTS_PRED_MFINDEX_BITS)) >>
	    (32 - USBTS_PRED_MFINDEX_BITS);
	KUNIT_EXPECT_LE_MSG(test, abs(d), slack,
			    "answered microframe %lld, counter at %u", x, v);
	return 0;
}

/*
 * A GET right after a START that does not wait (before the sampler has
 * published anything) is refused, never answered from an empty model.
 */
static void usbts_core_get_before_first_publish(struct kunit *test)
{
	struct usbts_registry *reg = reg_new(test);
	struct sim_counter *a = sim_new(test, 1234);
	struct usbts_snapshot snap;
	struct usbts_ctrl *c;
	static const int key;
	int i, refused = 0, err;

	for (i = 0; i < 200; i++) {
		c = usbts_track(reg, &key, &sim_ops, a, false);
		KUNIT_ASSERT_FALSE(test, IS_ERR(c));
		err = check_answer(test, c, a, &snap);
		KUNIT_EXPECT_TRUE(test, err == 0 || err == -EAGAIN);
		refused += err == -EAGAIN;
		usbts_untrack(c);
	}
	kunit_info(test, "%d of 200 refused with EAGAIN\n", refused);
	usbts_registry_destroy(reg);
}

/*
 * @n consecutive reads fail as an all-ones MFINDEX does, while the counter
 * restarts at 0 (a reset during PCIe error recovery): tracking recovers by
 * itself within a second, and no answer is wrong meanwhile.
 */
static void all_ones_recovers(struct kunit *test, int n)
{
	struct usbts_registry *reg = reg_new(test);
	struct sim_counter *a = sim_new(test, 9000);
	struct usbts_snapshot snap;
	struct usbts_ctrl *c;
	static const int key;
	u64 g0, start;
	int err = -EAGAIN;

	c = track_precise(test, reg, &key, a);
	KUNIT_ASSERT_EQ(test, check_answer(test, c, a, &snap), 0);
	g0 = snap.generation;
	sim_fail(a, n, -EAGAIN, true);
	start = ktime_get_ns();
	while (ktime_get_ns() - start < 3 * NSEC_PER_SEC) {
		err = check_answer(test, c, a, &snap);
		KUNIT_ASSERT_TRUE(test, err == 0 || err == -EAGAIN);
		if (!err && (snap.flags & USBTS_SNAP_PRECISE) &&
		    READ_ONCE(a->fail_next) == 0)
			break;
		usleep_range(5000, 5500);
	}
	KUNIT_EXPECT_EQ(test, err, 0);
	KUNIT_EXPECT_LT_MSG(test, ktime_get_ns() - start, (u64)NSEC_PER_SEC,
			    "%d failed reads", n);
	KUNIT_EXPECT_GT(test, snap.generation, g0);
	KUNIT_EXPECT_TRUE(test, usbts_sampler_pending(c));
	KUNIT_EXPECT_EQ(test, a->holds, 1);
	usbts_untrack(c);
	KUNIT_EXPECT_EQ(test, a->holds, 0);
	usbts_registry_destroy(reg);
}

static void usbts_core_all_ones_1(struct kunit *test)
{
	all_ones_recovers(test, 1);
}

static void usbts_core_all_ones_10(struct kunit *test)
{
	all_ones_recovers(test, 10);
}

static void usbts_core_all_ones_1000(struct kunit *test)
{
	all_ones_recovers(test, 1000);
}

/*
 * A controller that dies (HCD_DEAD) fails its handles with ENODEV, and a
 * new START does not join the dead object: it gets a fresh one, and the
 * dead one's runtime PM hold is dropped.
 */
static void usbts_core_died_not_joined(struct kunit *test)
{
	struct usbts_registry *reg = reg_new(test);
	struct sim_counter *a = sim_new(test, 5), *b = sim_new(test, 5);
	struct usbts_snapshot snap;
	struct usbts_ctrl *c1, *c2;
	static const int key;
	int i;

	c1 = track_precise(test, reg, &key, a);
	WRITE_ONCE(a->state, -ENODEV);
	for (i = 0; i < 100 && usbts_sampler_pending(c1); i++)
		usleep_range(10000, 11000);
	KUNIT_EXPECT_FALSE(test, usbts_sampler_pending(c1));
	KUNIT_EXPECT_EQ(test, usbts_snapshot(c1, &snap), -ENODEV);
	c2 = usbts_track(reg, &key, &sim_ops, b, false);
	KUNIT_ASSERT_FALSE(test, IS_ERR(c2));
	KUNIT_EXPECT_PTR_NE(test, c1, c2);
	KUNIT_EXPECT_EQ(test, a->holds, 0);
	KUNIT_EXPECT_EQ(test, b->holds, 1);
	KUNIT_EXPECT_EQ(test, usbts_wait_precise(c2, 1000), 0);
	usbts_untrack(c1);
	KUNIT_EXPECT_EQ(test, a->holds, 0);
	KUNIT_EXPECT_EQ(test, a->frees, 1);
	usbts_untrack(c2);
	KUNIT_EXPECT_EQ(test, b->holds, 0);
	usbts_registry_destroy(reg);
}

/* A controller that died before START's wait fails START with ENODEV. */
static void usbts_core_start_enodev_when_died(struct kunit *test)
{
	struct usbts_registry *reg = reg_new(test);
	struct sim_counter *a = sim_new(test, 5);
	struct usbts_ctrl *c;
	static const int key;

	WRITE_ONCE(a->state, -ENODEV);
	c = usbts_track(reg, &key, &sim_ops, a, false);
	KUNIT_ASSERT_FALSE(test, IS_ERR(c));
	KUNIT_EXPECT_EQ(test, usbts_wait_precise(c, 500), -ENODEV);
	usbts_untrack(c);
	KUNIT_EXPECT_EQ(test, a->holds, 0);
	usbts_registry_destroy(reg);
}

/*
 * A signal during START's wait restarts the call (ERESTARTSYS), so that
 * SA_RESTART handlers see no EINTR.
 */
static void usbts_core_start_restarts_on_signal(struct kunit *test)
{
	struct usbts_registry *reg = reg_new(test);
	struct sim_counter *a = sim_new(test, 5);
	struct usbts_ctrl *c;
	static const int key;

	sim_freeze(a, true);	/* no edge: START would wait its full time */
	c = usbts_track(reg, &key, &sim_ops, a, false);
	KUNIT_ASSERT_FALSE(test, IS_ERR(c));
	allow_signal(SIGUSR1);
	send_sig(SIGUSR1, current, 0);
	KUNIT_EXPECT_EQ(test, usbts_wait_precise(c, 500), -ERESTARTSYS);
	flush_signals(current);
	disallow_signal(SIGUSR1);
	usbts_untrack(c);
	usbts_registry_destroy(reg);
}

/* Track, and wait until the sampler is on its slow schedule, just after a burst. */
static struct usbts_ctrl *track_slow(struct kunit *test,
				     struct usbts_registry *reg,
				     const void *key, struct sim_counter *c)
{
	struct usbts_ctrl *ctrl = track_precise(test, reg, key, c);
	unsigned int b;
	int i;

	for (i = 0; i < 400 && READ_ONCE(ctrl->bursts) < 103; i++)
		usleep_range(10000, 11000);
	KUNIT_ASSERT_GE(test, READ_ONCE(ctrl->bursts), 103u);
	b = READ_ONCE(ctrl->bursts);
	for (i = 0; i < 500 && READ_ONCE(ctrl->bursts) == b; i++)
		usleep_range(1000, 1100);
	return ctrl;
}

/* A SAMPLE that meets a transient error does not block GET until the next burst. */
static void usbts_core_sample_error_recovers_fast(struct kunit *test)
{
	struct usbts_registry *reg = reg_new(test);
	struct sim_counter *a = sim_new(test, 77);
	struct usbts_snapshot snap;
	struct usbts_read r[4];
	struct usbts_ctrl *c;
	static const int key;
	int i, err = 0;

	c = track_slow(test, reg, &key, a);
	sim_fail(a, 1, -EAGAIN, false);
	KUNIT_EXPECT_EQ(test, usbts_sample(c, r, 4), -EAGAIN);
	for (i = 0; i < 10; i++) {
		err = check_answer(test, c, a, &snap);
		if (!err)
			break;
		usleep_range(5000, 5500);
	}
	KUNIT_EXPECT_EQ_MSG(test, err, 0, "GET still refused 50 ms after the error");
	usbts_untrack(c);
	usbts_registry_destroy(reg);
}

/* A new generation found by SAMPLE puts the sampler back on its fast schedule. */
static void usbts_core_sample_new_generation_goes_fast(struct kunit *test)
{
	struct usbts_registry *reg = reg_new(test);
	struct sim_counter *a = sim_new(test, 300);
	struct usbts_snapshot snap;
	struct usbts_read r[8];
	struct usbts_ctrl *c;
	static const int key;
	unsigned int reads;
	u64 g0;

	c = track_slow(test, reg, &key, a);
	KUNIT_ASSERT_EQ(test, usbts_snapshot(c, &snap), 0);
	g0 = snap.generation;
	sim_restart(a, 300 + 5000);
	KUNIT_EXPECT_EQ(test, usbts_sample(c, r, 8), 0);
	KUNIT_ASSERT_EQ(test, usbts_snapshot(c, &snap), 0);
	KUNIT_EXPECT_GT(test, snap.generation, g0);
	reads = sim_reads(a);
	msleep(50);
	KUNIT_EXPECT_GT_MSG(test, sim_reads(a), reads,
			    "the sampler did not run within 50 ms");
	usbts_untrack(c);
	usbts_registry_destroy(reg);
}

/*
 * System sleep with the sampler on its slow schedule: from suspend to a
 * precise model after resume GET and SAMPLE are refused with EAGAIN; the
 * counter restarts at 0 meanwhile, every answer after resume is right, the
 * generation is new, and a precise model is back within a second.
 */
static void usbts_core_suspend_resume(struct kunit *test)
{
	struct usbts_registry *reg = reg_new(test);
	struct sim_counter *a = sim_new(test, 6000), *b;
	struct usbts_snapshot snap;
	struct usbts_read r;
	struct usbts_ctrl *c, *c2;
	static const int key, key2;
	u64 g0, start;
	int err = -EAGAIN, refused = 0;

	c = track_slow(test, reg, &key, a);
	KUNIT_ASSERT_EQ(test, check_answer(test, c, a, &snap), 0);
	g0 = snap.generation;

	usbts_registry_suspend(reg);
	KUNIT_EXPECT_FALSE(test, usbts_sampler_pending(c));
	KUNIT_EXPECT_EQ(test, usbts_snapshot(c, &snap), -EAGAIN);
	KUNIT_EXPECT_EQ(test, usbts_sample(c, &r, 1), -EAGAIN);
	/* a START while asleep is refused, and neither holds nor reads */
	b = sim_new(test, 1);
	c2 = usbts_track(reg, &key2, &sim_ops, b, false);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(c2), -EAGAIN);
	KUNIT_EXPECT_EQ(test, b->holds, 0);
	KUNIT_EXPECT_EQ(test, sim_reads(b), 0);
	/* nor does one joining a tracked controller */
	KUNIT_EXPECT_EQ(test,
			PTR_ERR_OR_ZERO(usbts_track(reg, &key, &sim_ops, sim_new(test, 1), false)),
			-EAGAIN);
	sim_freeze(a, true);
	msleep(50);
	KUNIT_EXPECT_EQ(test, usbts_snapshot(c, &snap), -EAGAIN);
	/* the controller resumes: MFINDEX restarts at 0 */
	sim_freeze(a, false);
	sim_restart(a, 0);

	start = ktime_get_ns();
	usbts_registry_resume(reg);
	/* tracked again after resume */
	c2 = usbts_track(reg, &key2, &sim_ops, b, false);
	KUNIT_ASSERT_FALSE(test, IS_ERR(c2));
	KUNIT_EXPECT_TRUE(test, usbts_sampler_pending(c2));
	while (ktime_get_ns() - start < 2 * NSEC_PER_SEC) {
		err = check_answer(test, c, a, &snap);
		KUNIT_ASSERT_TRUE(test, err == 0 || err == -EAGAIN);
		if (!err) {
			KUNIT_EXPECT_GT(test, snap.generation, g0);
			KUNIT_EXPECT_TRUE(test, snap.flags & USBTS_SNAP_PRECISE);
			break;
		}
		refused++;
		usleep_range(1000, 1100);
	}
	KUNIT_EXPECT_EQ(test, err, 0);
	KUNIT_EXPECT_LT(test, ktime_get_ns() - start, (u64)NSEC_PER_SEC);
	kunit_info(test, "settled %llu us after resume, %d refusals\n",
		   div_u64(ktime_get_ns() - start, 1000), refused);
	/* and it stays right */
	msleep(100);
	KUNIT_EXPECT_EQ(test, check_answer(test, c, a, &snap), 0);
	KUNIT_EXPECT_EQ(test, usbts_sample(c, &r, 1), 0);
	usbts_untrack(c2);
	usbts_untrack(c);
	usbts_registry_destroy(reg);
}

/*
 * After a resume the controller takes 800 ms to run again (reads fail
 * transiently): the sampler keeps retrying every 10 ms rather than backing
 * off, so a precise model is back within a second.
 */
static void usbts_core_resume_slow_controller(struct kunit *test)
{
	struct usbts_registry *reg = reg_new(test);
	struct sim_counter *a = sim_new(test, 100);
	struct usbts_snapshot snap;
	struct usbts_ctrl *c;
	static const int key;
	unsigned long flags;
	u64 start;
	int err = -EAGAIN;

	c = track_precise(test, reg, &key, a);
	usbts_registry_suspend(reg);
	sim_restart(a, 0);
	start = ktime_get_ns();
	spin_lock_irqsave(&a->lock, flags);
	a->fail_err = -EAGAIN;
	a->fail_until = start + 800 * NSEC_PER_MSEC;
	spin_unlock_irqrestore(&a->lock, flags);
	usbts_registry_resume(reg);
	while (ktime_get_ns() - start < 2 * NSEC_PER_SEC) {
		err = check_answer(test, c, a, &snap);
		KUNIT_ASSERT_TRUE(test, err == 0 || err == -EAGAIN);
		if (!err)
			break;
		usleep_range(1000, 1100);
	}
	KUNIT_EXPECT_EQ(test, err, 0);
	KUNIT_EXPECT_LT_MSG(test, ktime_get_ns() - start, (u64)NSEC_PER_SEC,
			    "settled after %llu ms, %u reads, retry %u ms, %u failed bursts",
			    div_u64(ktime_get_ns() - start, NSEC_PER_MSEC), sim_reads(a),
			    c->retry_ms, c->failed_bursts);
	usbts_untrack(c);
	usbts_registry_destroy(reg);
}

/*
 * Handles' needs: the controller plans for the smallest; undoing a want
 * (STOP, close) forgets it; a want of 0 lists nothing.
 */
static void usbts_core_wants(struct kunit *test)
{
	struct usbts_registry *reg = reg_new(test);
	struct sim_counter *a = sim_new(test, 100);
	struct usbts_want w1, w2, w0;
	struct usbts_ctrl *c;
	static const int key;

	c = track_precise(test, reg, &key, a);
	KUNIT_EXPECT_EQ(test, c->need_ns, 0);
	usbts_want(c, &w0, 0);
	KUNIT_EXPECT_EQ(test, c->need_ns, 0);
	usbts_want(c, &w1, 5000);
	KUNIT_EXPECT_EQ(test, c->need_ns, 5000);
	usbts_want(c, &w2, 2000);
	KUNIT_EXPECT_EQ(test, c->need_ns, 2000);
	usbts_unwant(c, &w2);
	KUNIT_EXPECT_EQ(test, c->need_ns, 5000);
	usbts_unwant(c, &w2);
	usbts_unwant(c, &w0);
	KUNIT_EXPECT_EQ(test, c->need_ns, 5000);
	usbts_unwant(c, &w1);
	KUNIT_EXPECT_EQ(test, c->need_ns, 0);
	KUNIT_EXPECT_TRUE(test, list_empty(&c->wants));
	usbts_untrack(c);
	usbts_registry_destroy(reg);
}

/* ctrl->bursts and ->interval_ms, read under the lock the sampler holds */
static void sampler_state(struct usbts_ctrl *c, unsigned int *bursts, unsigned int *ms)
{
	mutex_lock(&c->lock);
	*bursts = c->bursts;
	*ms = c->interval_ms;
	mutex_unlock(&c->lock);
}

/* Wait for the sampler's next burst after @b; returns its count. */
static unsigned int next_burst(struct usbts_ctrl *c, unsigned int b)
{
	unsigned int now, ms, i;

	for (i = 0; i < 800; i++) {
		sampler_state(c, &now, &ms);
		if (now != b)
			break;
		usleep_range(5000, 6000);
	}
	return now;
}

/*
 * A stricter need brings a sampler asleep on its slow schedule forward:
 * a second after its last burst, it bursts within 100 ms, not at the two
 * seconds or more it was to sleep; right after a burst, a stricter need
 * still waits out a second from it (a START/STOP loop must not make the
 * sampler read back to back), and a looser one changes nothing.
 */
static void usbts_core_want_replans(struct kunit *test)
{
	struct usbts_registry *reg = reg_new(test);
	struct sim_counter *a = sim_new(test, 100);
	struct usbts_want w1, w2, w3;
	unsigned int b0, b1, ms, i;
	struct usbts_ctrl *c;
	static const int key;

	c = track_precise(test, reg, &key, a);
	/* the first second at 10 ms, then 100 ms growing: wait for >= 2 s */
	for (i = 0; i < 400; i++) {
		sampler_state(c, &b0, &ms);
		if (b0 >= 100 && ms >= 2000)
			break;
		msleep(50);
	}
	KUNIT_ASSERT_GE(test, ms, 2000);
	b1 = next_burst(c, b0);
	msleep(1200);
	usbts_want(c, &w1, 1000000);
	msleep(100);
	sampler_state(c, &b0, &ms);
	KUNIT_EXPECT_EQ(test, b0, b1 + 1);
	/* right after that burst: a stricter need waits out a second */
	b1 = next_burst(c, b0);
	usbts_want(c, &w2, 1);
	msleep(100);
	sampler_state(c, &b0, &ms);
	KUNIT_EXPECT_EQ(test, b0, b1);
	b0 = next_burst(c, b1);
	KUNIT_EXPECT_EQ(test, b0, b1 + 1);
	/* a need no model meets: once a second */
	sampler_state(c, &b0, &ms);
	KUNIT_EXPECT_EQ(test, ms, USBTS_NEED_MIN_MS);
	/* a looser need leaves the sampler asleep */
	b1 = next_burst(c, b0);
	usbts_want(c, &w3, 1000000000);
	msleep(100);
	sampler_state(c, &b0, &ms);
	KUNIT_EXPECT_EQ(test, b0, b1);
	KUNIT_EXPECT_EQ(test, c->need_ns, 1);
	usbts_unwant(c, &w3);
	usbts_unwant(c, &w2);
	usbts_unwant(c, &w1);
	usbts_untrack(c);
	usbts_registry_destroy(reg);
}

static struct kunit_case usbts_core_cases[] = {
	KUNIT_CASE(usbts_core_blocking_start_bursts_itself),
	KUNIT_CASE(usbts_core_refcount),
	KUNIT_CASE(usbts_core_wants),
	KUNIT_CASE(usbts_core_want_replans),
	KUNIT_CASE(usbts_core_drop_user_stops_at_once),
	KUNIT_CASE(usbts_core_wait_precise),
	KUNIT_CASE(usbts_core_start_times_out),
	KUNIT_CASE(usbts_core_generation_on_stop_and_restart),
	KUNIT_CASE(usbts_core_enodev_after_removal),
	KUNIT_CASE(usbts_core_eagain_when_not_running),
	KUNIT_CASE(usbts_core_get_before_first_publish),
	KUNIT_CASE(usbts_core_all_ones_1),
	KUNIT_CASE(usbts_core_all_ones_10),
	KUNIT_CASE(usbts_core_all_ones_1000),
	KUNIT_CASE(usbts_core_died_not_joined),
	KUNIT_CASE(usbts_core_start_enodev_when_died),
	KUNIT_CASE(usbts_core_start_restarts_on_signal),
	KUNIT_CASE(usbts_core_sample_error_recovers_fast),
	KUNIT_CASE(usbts_core_sample_new_generation_goes_fast),
	KUNIT_CASE(usbts_core_suspend_resume),
	KUNIT_CASE(usbts_core_resume_slow_controller),
	{}
};

static struct kunit_suite usbts_core_suite = {
	.name = "usb_timesync_core",
	.test_cases = usbts_core_cases,
};

kunit_test_suite(usbts_core_suite);
