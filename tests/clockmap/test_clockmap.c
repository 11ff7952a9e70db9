// SPDX-License-Identifier: GPL-2.0
/*
 * test_clockmap - the clock map against a simulated timekeeper, under ASan
 * and UBSan.  The same scenarios run in KUnit (tests/kunit/clockmap_kunit.c).
 */
#include <stdio.h>
#include <stdlib.h>

#include "clockmap.h"
#include "cm_cases.h"

#define QCAP	(1 << 16)
#define LOGCAP	(1 << 16)
#define CHCAP	64

static int failed;

#define CHECK(cond, ...) do {						\
	if (!(cond)) {							\
		failed++;						\
		printf("not ok - %s:%d: ", __FILE__, __LINE__);		\
		printf(__VA_ARGS__);					\
		printf("\n");						\
	}								\
} while (0)

static void run_scenarios(void)
{
	static struct usbts_clockmap map;
	static struct tks t;
	static struct tks_rec log[LOGCAP];
	static struct cm_query q[QCAP];
	static s64 changes[CHCAP];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cm_scenarios); i++) {
		const struct cm_scenario *sc = &cm_scenarios[i];
		struct cm_result r;
		u32 n, b, counted = 0, crossing = 0;

		n = cm_run(sc, &map, &t, log, LOGCAP, changes, CHCAP, q, QCAP, &r);
		CHECK(t.nlog < LOGCAP, "%s: timekeeper log full", sc->name);
		CHECK(n > 1000, "%s: only %u queries", sc->name, n);
		CHECK(r.refused_covered == 0, "%s: %u covered past queries refused",
		      sc->name, r.refused_covered);
		for (b = 0; b < CM_BINS; b++) {
			const struct cm_bin *bin = &r.bins[b];

			counted += bin->counted;
			crossing += bin->crossing;
			CHECK(bin->within == bin->counted,
			      "%s: bin %d: %u of %u within the claim (max err %llu, max claim %llu)",
			      sc->name, b, bin->within, bin->counted,
			      (unsigned long long)bin->max_err,
			      (unsigned long long)bin->max_claim);
			/* past and present: a few ns, whatever the steering */
			if (cm_bin_edge[b + 1] <= 0)
				CHECK(bin->max_claim <= USBTS_CLOCKMAP_PAST_NS,
				      "%s: bin %d: claim %llu", sc->name, b,
				      (unsigned long long)bin->max_claim);
		}
		CHECK(counted > n / 2, "%s: %u of %u held to the claim", sc->name, counted, n);
		CHECK(r.span_bad == 0, "%s: %u of %u intervals converted wrongly",
		      sc->name, r.span_bad, r.spans);
		CHECK(r.spans_one_line > r.spans / 20 && r.spans_one_line < r.spans / 2,
		      "%s: %u of %u intervals on the newest line", sc->name,
		      r.spans_one_line, r.spans);
		if (sc->step_ms || sc->slew_ms)
			CHECK(crossing > 0, "%s: no query crossed a rate change", sc->name);
		printf("ok - %s: %u updates, %u segments, %u queries\n", sc->name,
		       r.updates, r.segments, n);
	}
}

static void empty_and_before(void)
{
	struct usbts_clockmap *map = calloc(1, sizeof(*map));
	struct usbts_clock_point p = { .raw = 1000, .mono = 5000, .mult = 1 << 24,
				       .base_mult = 1 << 24, .raw_mult = 1 << 24 };
	s64 m;
	u64 e;

	usbts_clockmap_init(map);
	CHECK(!usbts_clockmap_to_mono(map, 1000, 1000, &m, &e), "empty map answers");
	usbts_clockmap_update(map, &p);
	CHECK(!usbts_clockmap_to_mono(map, 999, 1000, &m, &e), "answers before coverage");
	CHECK(usbts_clockmap_to_mono(map, 1500, 2000, &m, &e) && m == 5500 &&
	      e == USBTS_CLOCKMAP_ROUND_NS, "slope 1: %lld +- %llu", (long long)m,
	      (unsigned long long)e);
	/* 10 s ahead of now: half a multiplier step of 2^24 per ns, rounded up */
	CHECK(usbts_clockmap_to_mono(map, 2000 + 10 * CM_NS_PER_S, 2000, &m, &e) &&
	      e >= 298 && e <= 302, "10 s ahead: +- %llu", (unsigned long long)e);
	/* a raw time that goes backwards restarts the map */
	p.raw = 10;
	usbts_clockmap_update(map, &p);
	CHECK(usbts_clockmap_oldest(map) == 10, "restart at a decreasing raw time");
	free(map);
}

/* a jump in MONOTONIC (never seen in practice) is kept exactly */
static void jump(void)
{
	struct usbts_clockmap *map = calloc(1, sizeof(*map));
	struct usbts_clock_point p = { .raw = 0, .mono = 0, .mult = 1 << 24,
				       .base_mult = 1 << 24, .raw_mult = 1 << 24 };
	s64 m;
	u64 e;
	int i;

	usbts_clockmap_init(map);
	for (i = 0; i <= 100; i++) {
		p.raw = i * 4000000LL;
		p.mono = p.raw + (i >= 50 ? 1000000 : 0);
		usbts_clockmap_update(map, &p);
	}
	CHECK(usbts_clockmap_to_mono(map, 49 * 4000000LL + 7, 401000000, &m, &e) &&
	      m >= 49 * 4000000LL + 7 - (s64)e && m <= 49 * 4000000LL + 7 + (s64)e,
	      "before the jump: %lld", (long long)m);
	CHECK(usbts_clockmap_to_mono(map, 60 * 4000000LL, 401000000, &m, &e) &&
	      cm_uabs(m - (60 * 4000000LL + 1000000)) <= e, "after the jump: %lld",
	      (long long)m);
	free(map);
}

/* a reader on a torn map: any numbers at all, never a fault or UB */
static void torn(void)
{
	struct usbts_clockmap *map = malloc(sizeof(*map));
	unsigned char *b = (unsigned char *)map;
	u64 x = 88172645463325252ULL, e;
	s64 m;
	size_t i;
	int k;

	for (k = 0; k < 2000; k++) {
		for (i = 0; i < sizeof(*map); i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			b[i] = (unsigned char)x;
		}
		map->have = k & 1;
		usbts_clockmap_to_mono(map, (s64)x, (s64)(x * 3), &m, &e);
		usbts_clockmap_to_mono(map, INT64_MIN, INT64_MAX, &m, &e);
		usbts_clockmap_to_mono(map, INT64_MAX, INT64_MIN, &m, &e);
	}
	free(map);
}

int main(void)
{
	empty_and_before();
	jump();
	torn();
	run_scenarios();
	printf("test_clockmap: %s\n", failed ? "FAILED" : "passed");
	return failed ? 1 : 0;
}
