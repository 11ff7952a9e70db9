// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the tracking core, driven by a simulated counter through the ops.
 */
#include <kunit/test.h>
#include <linux/delay.h>
#include <linux/err.h>
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
	int holds;
	int frees;
};

static u32 sim_value(struct sim_counter *c)
{
	return (c->base + div_u64(ktime_get_ns() - c->start,
				  USBTS_PRED_NOMINAL_NS)) & USBTS_PRED_MFINDEX_MASK;
}

static int sim_read(void *ctx, u32 *v)
{
	struct sim_counter *c = ctx;
	unsigned long flags;

	if (READ_ONCE(c->state))
		return READ_ONCE(c->state);
	spin_lock_irqsave(&c->lock, flags);
	*v = c->frozen ? c->frozen_value : sim_value(c);
	spin_unlock_irqrestore(&c->lock, flags);
	return 0;
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
		c->start = ktime_get_ns();
	}
	c->frozen = freeze;
	spin_unlock_irqrestore(&c->lock, flags);
}

static struct sim_counter *sim_new(struct kunit *test, u32 base)
{
	struct sim_counter *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, c);
	spin_lock_init(&c->lock);
	c->start = ktime_get_ns();
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
	struct usbts_ctrl *ctrl = usbts_track(reg, key, &sim_ops, c);

	KUNIT_ASSERT_FALSE(test, IS_ERR(ctrl));
	KUNIT_ASSERT_EQ(test, usbts_wait_precise(ctrl, 1000), 0);
	return ctrl;
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
	c1 = usbts_track(reg, &key, &sim_ops, a);
	KUNIT_ASSERT_FALSE(test, IS_ERR(c1));
	KUNIT_EXPECT_EQ(test, a->holds, 1);
	KUNIT_EXPECT_TRUE(test, usbts_sampler_pending(c1));
	/* the timekeeper is followed only while something is tracked */
	KUNIT_EXPECT_TRUE(test, reg->clock.active);

	c2 = usbts_track(reg, &key, &sim_ops, b);
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

	c = usbts_track(reg, &key, &sim_ops, a);
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
	c = usbts_track(reg, &key, &sim_ops, a);
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

static struct kunit_case usbts_core_cases[] = {
	KUNIT_CASE(usbts_core_refcount),
	KUNIT_CASE(usbts_core_wait_precise),
	KUNIT_CASE(usbts_core_start_times_out),
	KUNIT_CASE(usbts_core_generation_on_stop_and_restart),
	KUNIT_CASE(usbts_core_enodev_after_removal),
	KUNIT_CASE(usbts_core_eagain_when_not_running),
	{}
};

static struct kunit_suite usbts_core_suite = {
	.name = "usb_timesync_core",
	.test_cases = usbts_core_cases,
};

kunit_test_suite(usbts_core_suite);
