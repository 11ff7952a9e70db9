// SPDX-License-Identifier: GPL-2.0
/*
 * bench_clockmap - the CLOCK_MONOTONIC_RAW -> MONOTONIC map on a simulated
 * timekeeper (tests/clockmap/tksim.h): updates every 4 ms with multiplier
 * dithering, NTP frequency steps, adjtime() slews at 500 ppm, a REALTIME
 * step and NOHZ idle.  Reports, by query distance from 10 s in the past to
 * 10 s in the future, how many answers were given, how many lay within
 * their claim, and the p99 error and claim.
 *
 * Future answers assume the NTP rate stays as it is; answers whose horizon
 * crosses a rate change are shown apart (their error is the steering the
 * map could not know of) and are not held to the claim.
 *
 * --check: exit 1 if any answer held to its claim missed it, or a past
 * query inside the map's coverage was refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clockmap.h"
#include "cm_cases.h"

#define QCAP	(1 << 17)
#define LOGCAP	(1 << 17)
#define CHCAP	256

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return (x > y) - (x < y);
}

static u64 p99(u64 *v, size_t n)
{
	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), cmp_u64);
	return v[(size_t)(0.99 * (double)(n - 1) + 0.5)];
}

static const char *bin_name(int b)
{
	static const char *const names[CM_BINS] = {
		"-10..-3 s", "-3..-1 s", "-1..-0.1 s", "-0.1..0 s",
		"0..0.1 s", "0.1..1 s", "1..3 s", "3..10 s",
	};

	return names[b];
}

int main(int argc, char **argv)
{
	static struct usbts_clockmap map;
	static struct tks t;
	static struct tks_rec log[LOGCAP];
	static struct cm_query q[QCAP];
	static s64 changes[CHCAP];
	static u64 err[CM_BINS][QCAP], claim[CM_BINS][QCAP], cross[CM_BINS][QCAP];
	int check = 0, missed = 0, i;
	size_t s;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--check")) {
			check = 1;
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("usage: bench_clockmap [--check]\n\n"
			       "The clock map against a simulated timekeeper; a table by query\n"
			       "distance.  --check exits 1 on any broken claim or refused past query.\n");
			return 0;
		} else {
			fprintf(stderr, "bench_clockmap: unknown argument '%s' (see --help)\n", argv[i]);
			return 64;
		}
	}

	printf("| scenario | distance | answered | within claim | p99 err ns | max err ns | p99 claim ns | crossing a rate change: n, p99 err ns |\n");
	printf("|---|---|---|---|---|---|---|---|\n");
	for (s = 0; s < ARRAY_SIZE(cm_scenarios); s++) {
		const struct cm_scenario *sc = &cm_scenarios[s];
		size_t ne[CM_BINS] = { 0 }, nc[CM_BINS] = { 0 };
		struct cm_result r;
		u32 n, k;
		int b;

		n = cm_run(sc, &map, &t, log, LOGCAP, changes, CHCAP, q, QCAP, &r);
		for (k = 0; k < n; k++) {
			const struct cm_query *e = &q[k];
			s64 d = e->raw - tks_raw(&t, e->now);

			b = cm_bin_of(d);
			if (b < 0 || !e->answered)
				continue;
			if (e->crossing) {
				cross[b][nc[b]++] = cm_uabs(e->mono - tks_mono(&t, e->at));
			} else {
				err[b][ne[b]] = cm_uabs(e->mono - tks_mono(&t, e->at));
				claim[b][ne[b]++] = e->err;
			}
		}
		for (b = 0; b < CM_BINS; b++) {
			const struct cm_bin *bin = &r.bins[b];
			char cr[64] = "-";

			if (bin->within != bin->counted)
				missed++;
			if (nc[b])
				snprintf(cr, sizeof(cr), "%zu, %llu", nc[b],
					 (unsigned long long)p99(cross[b], nc[b]));
			printf("| %s | %s | %.2f%% | %.2f%% | %llu | %llu | %llu | %s |\n",
			       b ? "" : sc->name, bin_name(b),
			       bin->n ? 100.0 * bin->answered / bin->n : 0,
			       bin->counted ? 100.0 * bin->within / bin->counted : 0,
			       (unsigned long long)p99(err[b], ne[b]),
			       (unsigned long long)bin->max_err,
			       (unsigned long long)p99(claim[b], ne[b]), cr);
		}
		if (r.refused_covered)
			missed++;
		fprintf(stderr, "bench_clockmap: %s: %u updates, %u segments, %u queries, %u refused in coverage\n",
			sc->name, r.updates, r.segments, n, r.refused_covered);
	}
	printf("\nScenarios (each feeds every timekeeper update to the map, as the module's notifier does):\n");
	for (s = 0; s < ARRAY_SIZE(cm_scenarios); s++) {
		const struct cm_scenario *sc = &cm_scenarios[s];

		printf("- %s: %llu Hz clocksource, %u s, NTP %+lld ppb", sc->name,
		       (unsigned long long)sc->freq_hz, sc->seconds, (long long)sc->ppb0);
		if (sc->step_ms)
			printf(", steps to +-%lld ppb every %u ms", (long long)sc->step_ppb, sc->step_ms);
		if (sc->slew_ms)
			printf(", a %u ms adjtime() slew of %lld ppb every %u ms", sc->slew_len_ms,
			       (long long)sc->slew_ppb, sc->slew_ms);
		if (sc->settime_ms)
			printf(", clock_settime() at %u ms", sc->settime_ms);
		if (sc->idle_max_ms)
			printf(", NOHZ idle up to %u ms", sc->idle_max_ms);
		printf("\n");
	}
	if (check && missed) {
		printf("bench_clockmap: %d bins missed their claim\n", missed);
		return 1;
	}
	return 0;
}
