// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the predictor, over the vectors shared with the userspace test.
 */
#include <kunit/test.h>
#include <linux/limits.h>
#include <linux/math64.h>
#include <linux/string.h>

#include "predictor.h"
#include "vectors.h"

static void case_to_desc(const struct tv_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(tv, tv_cases, case_to_desc);

static void usbts_pred_vector(struct kunit *test)
{
	const struct tv_case *tc = test->param_value;
	struct tv_state *st = kunit_kzalloc(test, sizeof(*st), GFP_KERNEL);
	const struct tv_case *c;
	const struct tv_result *r;

	KUNIT_ASSERT_NOT_NULL(test, st);
	tv_run(st, tc);
	c = &st->c;
	r = &st->res;
	kunit_info(test, "%u reads, %u gens, max err %llu ns, %u/%u within",
		   r->reads, r->gens, r->max_err_ns, r->within, r->answered);
	if (c->gens)
		KUNIT_EXPECT_EQ(test, r->gens, c->gens);
	if (c->new_gen_expected)
		KUNIT_EXPECT_GE(test, r->gens, 2u);
	KUNIT_EXPECT_EQ(test, r->outside, 0u);
	if (c->check_unwrap)
		KUNIT_EXPECT_EQ(test, r->unwrap_errors, 0u);
	if (c->max_err_ns)
		KUNIT_EXPECT_LE(test, r->max_err_ns, (u64)c->max_err_ns);
	KUNIT_EXPECT_GT(test, r->answered, 0u);
	KUNIT_EXPECT_GE(test, (u64)r->within * 1000,
			(u64)c->min_within_pm * r->answered);
	if (c->past_2_32)
		KUNIT_EXPECT_GT(test, r->last_x, (s64)1 << 32);
}

/*
 * One bracket: the prediction is where the older read ended and the newer
 * began, the accuracy the distance to the bracket's far end.
 */
static void usbts_pred_first_edge(struct kunit *test)
{
	struct usbts_pred *p = kunit_kzalloc(test, sizeof(*p), GFP_KERNEL);
	s64 t, x;
	u64 acc;

	KUNIT_ASSERT_NOT_NULL(test, p);
	usbts_pred_init(p);
	KUNIT_EXPECT_FALSE(test, usbts_model_time_of(&p->model, 100, &t, &acc));
	KUNIT_EXPECT_EQ(test, usbts_pred_add_read(p, 1000, 1300, 100),
			USBTS_PRED_NEW_GEN);
	KUNIT_EXPECT_FALSE(test, usbts_model_time_of(&p->model, 100, &t, &acc));
	usbts_pred_add_read(p, 2000, 2300, 100);
	KUNIT_EXPECT_EQ(test, usbts_pred_add_read(p, 126000, 126400, 101),
			USBTS_PRED_NEW_EDGE | USBTS_PRED_GOOD_EDGE);
	KUNIT_ASSERT_TRUE(test, usbts_model_time_of(&p->model, 101, &t, &acc));
	/*
	 * (2000, 126400]: the reads met between 2300 and 126000, at 64150;
	 * the second read is 100 ns longer, which moves the edge's mean
	 * (3104166 / 124050 =) 25 ns toward it
	 */
	KUNIT_EXPECT_EQ(test, t, 64175);
	/* to 126400 plus the slack, and 1 */
	KUNIT_EXPECT_GE(test, acc, 62225ull);
	KUNIT_EXPECT_LE(test, acc, 62235ull);
	KUNIT_ASSERT_TRUE(test, usbts_model_count_at(&p->model, 64175, &x));
	KUNIT_EXPECT_EQ(test, x, 101);
	KUNIT_ASSERT_TRUE(test, usbts_model_count_at(&p->model, 64174, &x));
	KUNIT_EXPECT_EQ(test, x, 100);
}

static void usbts_pred_rejects_bad_reads(struct kunit *test)
{
	struct usbts_pred *p = kunit_kzalloc(test, sizeof(*p), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, p);
	usbts_pred_init(p);
	KUNIT_EXPECT_EQ(test, usbts_pred_add_read(p, 10, 9, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, usbts_pred_add_read(p, 10, 20, 16384), -EINVAL);
	KUNIT_EXPECT_EQ(test, usbts_pred_add_read(p, 10, 20, 5), USBTS_PRED_NEW_GEN);
	KUNIT_EXPECT_EQ(test, usbts_pred_add_read(p, 9, 20, 5), -EINVAL);
}

/* time_of() and count_at() agree, far from the reference too */
static void usbts_pred_round_trip(struct kunit *test)
{
	struct usbts_model m = {
		.gen = 1, .valid = 1, .xc = (s64)1 << 33, .tc = S64_MAX / 2,
		.period = (125000ull << USBTS_PRED_SHIFT) + 12345,
		/* the generation began long before the window */
		.x0 = ((s64)1 << 33) - ((s64)1 << 41),
	};
	static const s64 d[] = { 0, 1, -1, 7, -8, 16384, -16384, 1 << 30,
				 -(1 << 30), (s64)1 << 40, -((s64)1 << 40) };
	unsigned int i;
	s64 t, x;
	u64 acc;

	for (i = 0; i < ARRAY_SIZE(d); i++) {
		KUNIT_ASSERT_TRUE(test, usbts_model_time_of(&m, m.xc + d[i], &t, &acc));
		KUNIT_ASSERT_TRUE(test, usbts_model_count_at(&m, t, &x));
		KUNIT_EXPECT_EQ_MSG(test, x, m.xc + d[i], "d=%lld", d[i]);
		KUNIT_ASSERT_TRUE(test, usbts_model_count_at(&m, t - 1, &x));
		KUNIT_EXPECT_EQ_MSG(test, x, m.xc + d[i] - 1, "d=%lld", d[i]);
	}
	KUNIT_EXPECT_FALSE(test, usbts_model_time_of(&m, m.xc + ((s64)1 << 46),
						     &t, &acc));
	/* nothing before the generation's first microframe answered for */
	KUNIT_EXPECT_TRUE(test, usbts_model_time_of(&m, m.x0, &t, &acc));
	KUNIT_EXPECT_FALSE(test, usbts_model_time_of(&m, m.x0 - 1, &t, &acc));
}

/* Extreme and 32-bit frames: an answer or a refusal, never an overflow. */
static void usbts_pred_extremes(struct kunit *test)
{
	struct tv_state *st = kunit_kzalloc(test, sizeof(*st), GFP_KERNEL);
	const char *what;

	KUNIT_ASSERT_NOT_NULL(test, st);
	tv_run(st, &tv_cases[5]);
	KUNIT_EXPECT_EQ_MSG(test, tv_extremes(&st->p.model, &what), 0u, "%s", what);
	/* the sampler's question: how long until the claim passes a bound */
	KUNIT_EXPECT_TRUE(test, tv_horizon_ok(&st->p.model, 2000));
	KUNIT_EXPECT_TRUE(test, tv_horizon_ok(&st->p.model, 20000));
}

/* Reads no counter within 600 ppm of nominal explains start a generation. */
static void usbts_pred_impossible_read(struct kunit *test)
{
	const char *why = tv_impossible_read();

	KUNIT_EXPECT_TRUE_MSG(test, !why, "%s", why);
}

/* Slow reads ask for many edges a burst, which share one slot. */
static void usbts_pred_burst_merge(struct kunit *test)
{
	const char *why = tv_burst_merge();

	KUNIT_EXPECT_TRUE_MSG(test, !why, "%s", why);
}

/* A read nested in the one before keeps the edge in its bracket. */
static void usbts_pred_nested_read(struct kunit *test)
{
	const char *why = tv_nested_read();

	KUNIT_EXPECT_TRUE_MSG(test, !why, "%s", why);
}

/* A stopped counter that moves again answers nothing up to its first read. */
static void usbts_pred_resumed_counter(struct kunit *test)
{
	const char *why = tv_resumed_counter();

	KUNIT_EXPECT_TRUE_MSG(test, !why, "%s", why);
}

/* A roughly bracketed first edge hides nothing of a far prediction's miss. */
static void usbts_pred_rough_first_edge(struct kunit *test)
{
	const char *why = tv_rough_first_edge();

	KUNIT_EXPECT_TRUE_MSG(test, !why, "%s", why);
}

/* The converged sampler's interval follows the most demanding need. */
static void usbts_pred_next_interval(struct kunit *test)
{
	const char *why = tv_next_interval();

	KUNIT_EXPECT_TRUE_MSG(test, !why, "%s", why);
}

/* A model of one burst does not pass its own spread off as wander. */
static void usbts_pred_single_burst_model(struct kunit *test)
{
	const char *why = tv_single_burst_model();

	KUNIT_EXPECT_TRUE_MSG(test, !why, "%s", why);
}

/* A slow burst's slot is judged once, by its merged estimate. */
static void usbts_pred_slot_judged_merged(struct kunit *test)
{
	const char *why = tv_slot_judged_merged();

	KUNIT_EXPECT_TRUE_MSG(test, !why, "%s", why);
}

/* A rough single edge is weighed by its own noise in the rate error. */
static void usbts_pred_rough_slot_weighed(struct kunit *test)
{
	const char *why = tv_rough_slot_weighed();

	KUNIT_EXPECT_TRUE_MSG(test, !why, "%s", why);
}

/* A slow sampler's window keeps its curvature widening near its slots. */
static void usbts_pred_slow_window_slack(struct kunit *test)
{
	const char *why = tv_slow_window_slack();

	KUNIT_EXPECT_TRUE_MSG(test, !why, "%s", why);
}

/* A burst cut short is judged when the sampler ends it. */
static void usbts_pred_short_burst_judged(struct kunit *test)
{
	const char *why = tv_short_burst_judged();

	KUNIT_EXPECT_TRUE_MSG(test, !why, "%s", why);
}

/* Frames before a rate step, older than the window, keep their claim. */
static void usbts_pred_past_across_step(struct kunit *test)
{
	const char *why = tv_past_across_step();

	KUNIT_EXPECT_TRUE_MSG(test, !why, "%s", why);
}

static struct kunit_case usbts_predictor_cases[] = {
	KUNIT_CASE_PARAM(usbts_pred_vector, tv_gen_params),
	KUNIT_CASE(usbts_pred_first_edge),
	KUNIT_CASE(usbts_pred_rejects_bad_reads),
	KUNIT_CASE(usbts_pred_round_trip),
	KUNIT_CASE(usbts_pred_extremes),
	KUNIT_CASE(usbts_pred_impossible_read),
	KUNIT_CASE(usbts_pred_burst_merge),
	KUNIT_CASE(usbts_pred_nested_read),
	KUNIT_CASE(usbts_pred_resumed_counter),
	KUNIT_CASE(usbts_pred_rough_first_edge),
	KUNIT_CASE(usbts_pred_next_interval),
	KUNIT_CASE(usbts_pred_single_burst_model),
	KUNIT_CASE(usbts_pred_slot_judged_merged),
	KUNIT_CASE(usbts_pred_rough_slot_weighed),
	KUNIT_CASE(usbts_pred_slow_window_slack),
	KUNIT_CASE(usbts_pred_short_burst_judged),
	KUNIT_CASE(usbts_pred_past_across_step),
	{}
};

static struct kunit_suite usbts_predictor_suite = {
	.name = "usb_timesync_predictor",
	.test_cases = usbts_predictor_cases,
};

kunit_test_suite(usbts_predictor_suite);
