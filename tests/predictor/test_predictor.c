// SPDX-License-Identifier: GPL-2.0
/*
 * test_predictor - the predictor vectors (shared with KUnit) in userspace,
 * built with ASan and UBSan by make check.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "predictor.h"
#include "vectors.h"

static int check(const struct tv_case *c, const struct tv_result *r)
{
	int bad = 0;

#define FAIL(fmt, ...) do { printf("  FAIL: " fmt "\n", ##__VA_ARGS__); bad = 1; } while (0)
	if (c->gens && r->gens != c->gens)
		FAIL("%u generations, expected %u", r->gens, c->gens);
	if (c->new_gen_expected && r->gens < 2)
		FAIL("%u generations, expected a new one", r->gens);
	if (r->outside)
		FAIL("%u edge estimates outside their brackets", r->outside);
	if (c->check_unwrap && r->unwrap_errors)
		FAIL("%u reads unwrapped wrongly", r->unwrap_errors);
	if (c->max_err_ns && r->max_err_ns > c->max_err_ns)
		FAIL("error %" PRIu64 " ns after warm-up, limit %u", r->max_err_ns,
		     c->max_err_ns);
	if (!r->answered || (u64)r->within * 1000 < (u64)c->min_within_pm * r->answered)
		FAIL("%u of %u answers within accuracy, need %u per mille", r->within,
		     r->answered, c->min_within_pm);
	if (c->past_2_32 && r->last_x <= ((s64)1 << 32))
		FAIL("extended count %" PRId64 " did not pass 2^32", r->last_x);
#undef FAIL
	return bad;
}

/* One check that says what went wrong (@why), or NULL. */
static void report(const char *why, const char *name, unsigned int i,
		   unsigned int *passed, unsigned int *failed)
{
	if (why) {
		printf("  FAIL: %s\n", why);
		printf("not ok %u - %s\n", i, name);
		(*failed)++;
	} else {
		printf("ok %u - %s\n", i, name);
		(*passed)++;
	}
}

int main(void)
{
	static struct tv_state st;
	unsigned int i, failed = 0, passed = 0;

	for (i = 0; i < ARRAY_SIZE(tv_cases); i++) {
		const struct tv_case *c = &tv_cases[i];

		tv_run(&st, c);
		c = &st.c;
		printf("%s: %u reads, %u gens, max err %" PRIu64 " ns, %u/%u within\n",
		       c->name, st.res.reads, st.res.gens, st.res.max_err_ns,
		       st.res.within, st.res.answered);
		if (check(c, &st.res)) {
			printf("not ok %u - %s\n", i + 1, c->name);
			failed++;
		} else {
			printf("ok %u - %s\n", i + 1, c->name);
			passed++;
		}
	}
	{
		const char *what;
		u32 bad;

		/* a converged model: bursts every 100 ms */
		tv_run(&st, &tv_cases[5]);
		bad = tv_extremes(&st.p.model, &what);
		if (bad) {
			printf("  FAIL: %u checks, first: %s\n", bad, what);
			printf("not ok %u - extreme frames\n", ++i);
			failed++;
		} else {
			printf("ok %u - extreme frames\n", ++i);
			passed++;
		}
	}
	if (tv_horizon_ok(&st.p.model, 2000) && tv_horizon_ok(&st.p.model, 20000)) {
		printf("ok %u - horizon\n", ++i);
		passed++;
	} else {
		printf("not ok %u - horizon\n", ++i);
		failed++;
	}
	report(tv_impossible_read(), "impossible read starts a generation", ++i, &passed, &failed);
	report(tv_burst_merge(), "a slow burst's edges merge", ++i, &passed, &failed);
	report(tv_nested_read(), "a nested read's edge stays in its bracket", ++i, &passed, &failed);
	report(tv_resumed_counter(), "a counter moving again answers nothing up to its first read",
	       ++i, &passed, &failed);
	report(tv_rough_first_edge(), "a rough first edge hides no far miss", ++i, &passed, &failed);
	report(tv_next_interval(), "the sampler's interval follows the need", ++i, &passed, &failed);
	report(tv_single_burst_model(), "a single burst's far miss is not wander", ++i, &passed,
	       &failed);
	report(tv_slot_judged_merged(), "a slow burst's slot is judged once, merged", ++i, &passed,
	       &failed);
	report(tv_rough_slot_weighed(), "a rough single edge is weighed by its noise", ++i, &passed,
	       &failed);
	report(tv_slow_window_slack(), "a slow sampler's window slack stays near its slots", ++i,
	       &passed, &failed);
	report(tv_short_burst_judged(), "a burst cut short is judged when it ends", ++i, &passed,
	       &failed);
	report(tv_past_across_step(), "frames before a step, older than the window, hold", ++i,
	       &passed, &failed);
	printf("predictor: %u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}
