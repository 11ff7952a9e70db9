// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the raw -> system clock map, on the simulated timekeeper shared
 * with the userspace test, and on this kernel's own timekeeper.
 */
#include <kunit/test.h>
#include <linux/delay.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/usb/timesync.h>

#include "clockmap.h"
#include "cm_cases.h"
#include "sysclock.h"

#define QCAP	65536
#define LOGCAP	32768
#define CHCAP	64

static void case_to_desc(const struct cm_scenario *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(cm, cm_scenarios, case_to_desc);

/* Every answer not crossing a rate change lies within its claim. */
static void usbts_clockmap_scenario(struct kunit *test)
{
	const struct cm_scenario *sc = test->param_value;
	struct usbts_clockmap *map = kunit_kzalloc(test, sizeof(*map), GFP_KERNEL);
	struct tks *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	s64 *changes = kunit_kcalloc(test, CHCAP, sizeof(*changes), GFP_KERNEL);
	struct tks_rec *log = kvcalloc(LOGCAP, sizeof(*log), GFP_KERNEL);
	struct cm_query *q = kvcalloc(QCAP, sizeof(*q), GFP_KERNEL);
	struct cm_result *r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	u32 n, b, counted = 0;

	if (!map || !t || !changes || !log || !q || !r) {
		kvfree(log);
		kvfree(q);
		KUNIT_FAIL(test, "out of memory");
		return;
	}
	n = cm_run(sc, map, t, log, LOGCAP, changes, CHCAP, q, QCAP, r);
	kvfree(log);
	kvfree(q);
	kunit_info(test, "%u updates, %u segments, %u queries", r->updates,
		   r->segments, n);
	KUNIT_EXPECT_LT(test, t->nlog, (u32)LOGCAP);
	KUNIT_EXPECT_GT(test, n, 1000u);
	KUNIT_EXPECT_EQ(test, r->refused_covered, 0u);
	for (b = 0; b < CM_BINS; b++) {
		counted += r->bins[b].counted;
		KUNIT_EXPECT_EQ_MSG(test, r->bins[b].within, r->bins[b].counted,
				    "bin %u: max err %llu, max claim %llu", b,
				    r->bins[b].max_err, r->bins[b].max_claim);
		if (cm_bin_edge[b + 1] <= 0)
			KUNIT_EXPECT_LE(test, r->bins[b].max_claim,
					(u64)USBTS_CLOCKMAP_PAST_NS);
	}
	KUNIT_EXPECT_GT(test, counted, n / 2);
	KUNIT_EXPECT_EQ(test, r->span_bad, 0u);
	KUNIT_EXPECT_GT(test, r->spans_one_line, r->spans / 20);
	KUNIT_EXPECT_LT(test, r->spans_one_line, r->spans / 2);
}

/*
 * This kernel's timekeeper: the converted raw time lies between two
 * readings of the target clock around the raw reading.
 */
static void usbts_sysclock_live(struct kunit *test)
{
	static const struct {
		u32 clock;
		u64 (*get)(void);
	} clocks[] = {
		{ USB_TIMESYNC_CLOCK_MONOTONIC, ktime_get_ns },
		{ USB_TIMESYNC_CLOCK_BOOTTIME, ktime_get_boottime_ns },
		{ USB_TIMESYNC_CLOCK_REALTIME, ktime_get_real_ns },
		{ USB_TIMESYNC_CLOCK_TAI, ktime_get_clocktai_ns },
	};
	struct usbts_sysclock *sc = kunit_kzalloc(test, sizeof(*sc), GFP_KERNEL);
	unsigned int i, k;
	s64 first_raw;

	KUNIT_ASSERT_NOT_NULL(test, sc);
	usbts_sysclock_init(sc);
	KUNIT_ASSERT_EQ(test, usbts_sysclock_start(sc), 0);
	KUNIT_EXPECT_TRUE(test, sc->active);
	first_raw = ktime_get_raw_ns();
	for (k = 0; k < 200; k++) {
		for (i = 0; i < ARRAY_SIZE(clocks); i++) {
			s64 before, after, raw, t, now;
			u64 err, acc;
			int e;

			before = clocks[i].get();
			raw = ktime_get_raw_ns();
			after = clocks[i].get();
			e = usbts_sysclock_from_raw(sc, raw, raw, clocks[i].clock,
						    &t, &err);

			KUNIT_ASSERT_EQ(test, e, 0);
			KUNIT_EXPECT_LE(test, err, (u64)USBTS_CLOCKMAP_PAST_NS);
			KUNIT_EXPECT_GE_MSG(test, t + (s64)err, before, "clock %u", i);
			KUNIT_EXPECT_LE_MSG(test, t - (s64)err, after, "clock %u", i);
			/* GET's conversion: now and the answer, each in the clock */
			acc = 0;
			e = usbts_sysclock_answer(sc, raw, raw, &acc, clocks[i].clock,
						  &now, &t);
			KUNIT_ASSERT_EQ(test, e, 0);
			KUNIT_EXPECT_GE(test, acc, (u64)USBTS_CLOCKMAP_ROUND_NS);
			KUNIT_EXPECT_LE(test, acc, (u64)USBTS_CLOCKMAP_PAST_NS);
			KUNIT_EXPECT_EQ(test, t, now);
			KUNIT_EXPECT_GE_MSG(test, now + (s64)acc, before, "clock %u", i);
			KUNIT_EXPECT_LE_MSG(test, now - (s64)acc, after, "clock %u", i);
		}
		usleep_range(1000, 2000);
	}
	/* raw is itself, always */
	{
		s64 t, now, first;
		u64 err, acc;

		int e = usbts_sysclock_from_raw(sc, 1234, 0,
						USB_TIMESYNC_CLOCK_MONOTONIC_RAW,
						&t, &err);

		KUNIT_EXPECT_EQ(test, e, 0);
		KUNIT_EXPECT_EQ(test, t, 1234);
		KUNIT_EXPECT_EQ(test, err, 0ull);
		/* an interval: raw keeps its length, MONOTONIC within 500 ppm of it */
		acc = 5000;
		e = usbts_sysclock_answer(sc, 0, 1234, &acc,
					  USB_TIMESYNC_CLOCK_MONOTONIC_RAW, &now, &t);
		KUNIT_EXPECT_EQ(test, e, 0);
		KUNIT_EXPECT_EQ(test, t, 1234);
		KUNIT_EXPECT_EQ(test, acc, 5000ull);
		first = ktime_get_raw_ns();
		acc = 5000;
		e = usbts_sysclock_answer(sc, first, first - 10000, &acc,
					  USB_TIMESYNC_CLOCK_MONOTONIC, &now, &t);
		KUNIT_EXPECT_EQ(test, e, 0);
		KUNIT_EXPECT_GE(test, acc, 4997ull);
		KUNIT_EXPECT_LE(test, acc, 5003ull + USBTS_CLOCKMAP_PAST_NS);
		KUNIT_EXPECT_LE(test, t, now - 9000);
		KUNIT_EXPECT_GE(test, t, now - 11000);
		/* unknown stays unknown, and is still converted */
		acc = USB_TIMESYNC_ACCURACY_UNKNOWN;
		e = usbts_sysclock_answer(sc, first, first - 10000, &acc,
					  USB_TIMESYNC_CLOCK_REALTIME, &now, &t);
		KUNIT_EXPECT_EQ(test, e, 0);
		KUNIT_EXPECT_EQ(test, acc, USB_TIMESYNC_ACCURACY_UNKNOWN);
		KUNIT_EXPECT_GE(test, now - t, 9990ll);
		KUNIT_EXPECT_LE(test, now - t, 10010ll);
		/* the answer itself before the map's coverage: no time, no bound */
		acc = 1000;
		e = usbts_sysclock_answer(sc, first, first_raw - 1000000000, &acc,
					  USB_TIMESYNC_CLOCK_MONOTONIC, &now, &t);
		KUNIT_EXPECT_EQ(test, e, 0);
		KUNIT_EXPECT_EQ(test, t, 0ll);
		KUNIT_EXPECT_EQ(test, acc, USB_TIMESYNC_ACCURACY_UNKNOWN);
		/* now before it: refused */
		acc = 1000;
		e = usbts_sysclock_answer(sc, first_raw - 1000000000, first, &acc,
					  USB_TIMESYNC_CLOCK_MONOTONIC, &now, &t);
		KUNIT_EXPECT_EQ(test, e, -ERANGE);
		/* an end before the map's coverage: no bound */
		acc = (u64)(first - first_raw) + 1000000000;
		e = usbts_sysclock_answer(sc, first, first - 10000, &acc,
					  USB_TIMESYNC_CLOCK_MONOTONIC, &now, &t);
		KUNIT_EXPECT_EQ(test, e, 0);
		KUNIT_EXPECT_EQ(test, acc, USB_TIMESYNC_ACCURACY_UNKNOWN);
		/* before the map started: refused */
		e = usbts_sysclock_from_raw(sc, first_raw - 1000000000, first_raw,
					    USB_TIMESYNC_CLOCK_MONOTONIC, &t, &err);
		KUNIT_EXPECT_EQ(test, e, -ERANGE);
	}
	usbts_sysclock_stop(sc);
	KUNIT_EXPECT_FALSE(test, sc->active);
}

static struct kunit_case usbts_clockmap_cases[] = {
	KUNIT_CASE_PARAM(usbts_clockmap_scenario, cm_gen_params),
	KUNIT_CASE(usbts_sysclock_live),
	{}
};

static struct kunit_suite usbts_clockmap_suite = {
	.name = "usb_timesync_clockmap",
	.test_cases = usbts_clockmap_cases,
};

kunit_test_suite(usbts_clockmap_suite);
