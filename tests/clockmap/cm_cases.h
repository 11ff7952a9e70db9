/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cm_cases.h - clock map scenarios on a simulated timekeeper, shared by the
 * userspace test, the benchmark and KUnit.  Integer arithmetic only.
 *
 * A scenario runs the timekeeper (tksim.h) for a while and feeds each of
 * its updates to a struct usbts_clockmap, as the module's notifier does.
 * Between updates it asks the map for the monotonic time of raw times
 * spread from 10 s in the past to 10 s in the future of "now", and checks
 * every answer against what CLOCK_MONOTONIC really read at that instant.
 * A future answer assumes that the NTP rate stays as it is: answers whose
 * horizon crosses a rate change are counted apart ("crossing"), and the
 * claim is not meant to hold for them.
 */
#ifndef _USBTS_CM_CASES_H
#define _USBTS_CM_CASES_H

#include "clockmap.h"
#include "tksim.h"

#define CM_NS_PER_MS	1000000LL
#define CM_NS_PER_S	1000000000LL
#define CM_HORIZON_NS	(10 * CM_NS_PER_S)
#define CM_BINS		8

/* query distance bins, ns: [edge[i], edge[i + 1]) */
static const s64 cm_bin_edge[CM_BINS + 1] = {
	-10 * CM_NS_PER_S, -3 * CM_NS_PER_S, -1 * CM_NS_PER_S,
	-100 * CM_NS_PER_MS, 0, 100 * CM_NS_PER_MS, 1 * CM_NS_PER_S,
	3 * CM_NS_PER_S, 10 * CM_NS_PER_S + 1,
};

/**
 * struct cm_scenario - one simulated timekeeper history
 * @name: name
 * @freq_hz: clocksource frequency
 * @seconds: simulated time
 * @ppb0: NTP frequency offset at the start, ppb
 * @step_ms: every this many ms the NTP frequency steps to +-@step_ppb
 *	(alternately); 0 for never
 * @step_ppb: size of those steps
 * @slew_ms: every this many ms an adjtime() slew starts; 0 for never
 * @slew_len_ms: how long each slew runs
 * @slew_ppb: the slew's rate (adjtime() slews at 500 ppm)
 * @settime_ms: clock_settime() at this time; 0 for never
 * @idle_max_ms: NOHZ idle: updates may skip up to this long; 0 for none
 * @query_us: a query every this many us of simulated time
 */
struct cm_scenario {
	const char *name;
	u64 freq_hz;
	u32 seconds;
	s64 ppb0;
	u32 step_ms;
	s64 step_ppb;
	u32 slew_ms;
	u32 slew_len_ms;
	s64 slew_ppb;
	u32 settime_ms;
	u32 idle_max_ms;
	u32 query_us;
};

static const struct cm_scenario cm_scenarios[] = {
	{ .name = "steady, dithering", .freq_hz = 2893123456ULL, .seconds = 40,
	  .ppb0 = 12345, .query_us = 997 },
	{ .name = "NTP steps +-500 ppm", .freq_hz = 2893123456ULL, .seconds = 40,
	  .step_ms = 7000, .step_ppb = 500000, .query_us = 997 },
	{ .name = "adjtime slews 500 ppm", .freq_hz = 2893123456ULL, .seconds = 40,
	  .ppb0 = -3000, .slew_ms = 9000, .slew_len_ms = 3000, .slew_ppb = 500000,
	  .query_us = 997 },
	{ .name = "REALTIME step", .freq_hz = 1000000000ULL, .seconds = 30,
	  .ppb0 = 250000, .settime_ms = 15003, .query_us = 997 },
	{ .name = "NOHZ idle, NTP steps", .freq_hz = 19200000ULL, .seconds = 40,
	  .ppb0 = 7777, .step_ms = 5000, .step_ppb = 100000, .idle_max_ms = 900,
	  .query_us = 997 },
};

/**
 * struct cm_query - one question and its answer
 * @now: counter value when asked
 * @at: counter value asked about
 * @raw: CLOCK_MONOTONIC_RAW at @at
 * @mono: the map's answer
 * @err: the map's claimed bound
 * @answered: the map answered
 * @crossing: a rate change lies between @now and @at (future only)
 */
struct cm_query {
	s64 now;
	s64 at;
	s64 raw;
	s64 mono;
	u64 err;
	bool answered;
	bool crossing;
};

/**
 * struct cm_bin - results for one distance bin
 * @n: queries
 * @answered: answered ones
 * @counted: answered and held to the claim (not crossing)
 * @within: of those, within the claim
 * @crossing: answered across a rate change (not held to the claim)
 * @max_err: largest |error| among @counted, ns
 * @max_claim: largest claim among @counted, ns
 */
struct cm_bin {
	u32 n;
	u32 answered;
	u32 counted;
	u32 within;
	u32 crossing;
	u64 max_err;
	u64 max_claim;
};

/**
 * struct cm_result - a scenario's outcome
 * @bins: per distance bin
 * @updates: timekeeper updates fed to the map
 * @segments: committed segments at the end
 * @refused_covered: past queries refused although the map was started
 *	more than 10 s before them (should be 0)
 * @spans: intervals converted by usbts_clockmap_span_to_mono()
 * @spans_one_line: of those, within the newest line (its short cut)
 * @span_bad: of those, how many disagreed with converting the middle and
 *	both ends one by one (should be 0)
 */
struct cm_result {
	struct cm_bin bins[CM_BINS];
	u32 updates;
	u32 segments;
	u32 refused_covered;
	u32 spans;
	u32 spans_one_line;
	u32 span_bad;
};

static inline u64 cm_uabs(s64 v)
{
	return v < 0 ? -(u64)v : (u64)v;
}

/*
 * usbts_clockmap_span_to_mono() against three usbts_clockmap_to_mono()
 * calls: the same middle and error, the same span or one ns more (the
 * short cut rounds once, not twice), U64_MAX exactly when an end is
 * refused.  usbts_clockmap_answer() gives what to_mono() of now and
 * span_to_mono() give.
 */
static inline void cm_check_span(const struct usbts_clockmap *map, s64 raw,
				 u64 half, s64 now_raw, struct cm_result *res)
{
	s64 m, lo, hi, rm, an, am, n;
	u64 span, err, e, elo, ehi, ref, as, ae, ne;
	bool ok, rok, ends, aok, nok, ar;

	ok = usbts_clockmap_span_to_mono(map, raw, half, now_raw, &m, &span, &err);
	rok = usbts_clockmap_to_mono(map, raw, now_raw, &rm, &e);
	res->spans++;
	/* GET's call: now, and the same interval */
	aok = usbts_clockmap_answer(map, now_raw, raw, half, &an, &am, &as, &ae, &ar);
	nok = usbts_clockmap_to_mono(map, now_raw, now_raw, &n, &ne);
	if (aok != nok || (aok && (an != n || ar != ok ||
				   (ok && (am != m || as != span || ae != err))))) {
		res->span_bad++;
		return;
	}
	if (ok != rok) {
		res->span_bad++;
		return;
	}
	if (!ok)
		return;
	ends = usbts_clockmap_to_mono(map, raw - (s64)half, now_raw, &lo, &elo) &&
	       usbts_clockmap_to_mono(map, raw + (s64)half, now_raw, &hi, &ehi);
	if (!ends) {
		if (span != U64_MAX || m != rm)
			res->span_bad++;
		return;
	}
	if (raw - (s64)half >= map->last.raw &&
	    raw + (s64)half <= (now_raw > map->last.raw ? now_raw : map->last.raw))
		res->spans_one_line++;
	lo = rm - lo;
	hi = hi - rm;
	ref = lo > hi ? (u64)lo : (u64)hi;
	if (lo < 0 && hi < 0)
		ref = 0;
	if (elo > e)
		e = elo;
	if (ehi > e)
		e = ehi;
	if (m != rm || err != e || span < ref || span > ref + 1)
		res->span_bad++;
}

static inline int cm_bin_of(s64 d)
{
	int i;

	for (i = 0; i < CM_BINS; i++)
		if (d >= cm_bin_edge[i] && d < cm_bin_edge[i + 1])
			return i;
	return -1;
}

/*
 * Run @sc.  @q holds room for @qcap queries, @log for @logcap timekeeper
 * records; @changes for @chcap rate-change counter values.  Returns the
 * number of queries made (at most @qcap).
 */
static inline u32 cm_run(const struct cm_scenario *sc, struct usbts_clockmap *map,
			 struct tks *t, struct tks_rec *log, u32 logcap,
			 s64 *changes, u32 chcap, struct cm_query *q, u32 qcap,
			 struct cm_result *res)
{
	struct usbts_clock_point p;
	s64 end_ns = (s64)sc->seconds * CM_NS_PER_S, ns = 0, next_q = 0;
	s64 next_step = sc->step_ms ? sc->step_ms * CM_NS_PER_MS : -1;
	s64 next_slew = sc->slew_ms ? sc->slew_ms * CM_NS_PER_MS : -1;
	s64 slew_end = -1, ppb = sc->ppb0, end_c;
	bool settime_done = !sc->settime_ms, up = true;
	u32 nq = 0, nch = 0, i;

	memset(res, 0, sizeof(*res));
	usbts_clockmap_init(map);
	tks_init(t, sc->freq_hz, ppb, 5 * CM_NS_PER_S + 123,
		 5 * CM_NS_PER_S - 77777, log, logcap,
		 0x9e3779b97f4a7c15ULL ^ sc->freq_hz);
	end_c = tks_cycles(t, end_ns);
	/* the module registers its notifier: one update at once */
	tks_settime(t, 0, &p);
	usbts_clockmap_update(map, &p);
	res->updates++;

	while (ns < end_ns) {
		s64 next = ns + TKS_TICK_NS, c;

		if (sc->idle_max_ms && tks_rand(t) % 4 == 0)
			next += (s64)(tks_rand(t) % sc->idle_max_ms) * CM_NS_PER_MS;
		/* queries until the next update */
		for (; next_q < next && next_q < end_ns; next_q += sc->query_us * 1000LL) {
			s64 d = (s64)(tks_rand(t) % (2 * CM_HORIZON_NS + 1)) - CM_HORIZON_NS;
			struct cm_query *e;

			c = tks_cycles(t, next_q);
			if (nq == qcap)
				break;
			e = &q[nq];
			e->now = c;
			e->at = c + (d < 0 ? -tks_cycles(t, -d) : tks_cycles(t, d));
			if (e->at < 0 || e->at > end_c)
				continue;
			e->raw = tks_raw(t, e->at);
			e->answered = usbts_clockmap_to_mono(map, e->raw, tks_raw(t, c),
							     &e->mono, &e->err);
			/*
			 * an answer's accuracy: none, ns to us, or up to 16 s;
			 * about the queried time, or within 4 ms before now
			 * (GET's usual interval: on the newest line)
			 */
			cm_check_span(map, tks_rand(t) % 2 ? e->raw :
				      tks_raw(t, c) - (s64)(tks_rand(t) % 4000000),
				      tks_rand(t) % 4 ? ((u64)1 << (tks_rand(t) % 34)) +
				      tks_rand(t) % 1000 : 0, tks_raw(t, c), res);
			e->crossing = false;
			nq++;
		}
		ns = next;
		if (ns >= end_ns)
			break;
		c = tks_cycles(t, ns);
		/* NTP applies new rates at its second boundary, i.e. a tick */
		if (next_step >= 0 && ns >= next_step) {
			ppb = up ? sc->step_ppb : -sc->step_ppb;
			up = !up;
			next_step += sc->step_ms * CM_NS_PER_MS;
			tks_set_rate(t, ppb);
			if (nch < chcap)
				changes[nch++] = c;
		}
		if (next_slew >= 0 && ns >= next_slew) {
			tks_set_rate(t, ppb + sc->slew_ppb);
			slew_end = ns + sc->slew_len_ms * CM_NS_PER_MS;
			next_slew += sc->slew_ms * CM_NS_PER_MS;
			if (nch < chcap)
				changes[nch++] = c;
		}
		if (slew_end >= 0 && ns >= slew_end) {
			tks_set_rate(t, ppb);
			slew_end = -1;
			if (nch < chcap)
				changes[nch++] = c;
		}
		if (!settime_done && ns >= sc->settime_ms * CM_NS_PER_MS) {
			settime_done = true;
			tks_settime(t, c, &p);
			usbts_clockmap_update(map, &p);
			res->updates++;
		}
		if (tks_tick(t, c, &p)) {
			usbts_clockmap_update(map, &p);
			res->updates++;
		}
	}

	for (i = 0; i < nq; i++) {
		struct cm_query *e = &q[i];
		s64 d = (s64)(e->raw - tks_raw(t, e->now));
		int b = cm_bin_of(d);
		struct cm_bin *bin;
		u32 k;

		if (b < 0)
			continue;
		bin = &res->bins[b];
		bin->n++;
		if (!e->answered) {
			if (e->raw >= tks_raw(t, 0))
				res->refused_covered++;
			continue;
		}
		bin->answered++;
		for (k = 0; k < nch && d > 0; k++)
			if (changes[k] > e->now && changes[k] <= e->at)
				e->crossing = true;
		if (e->crossing) {
			bin->crossing++;
			continue;
		}
		bin->counted++;
		if (cm_uabs(e->mono - tks_mono(t, e->at)) <= e->err)
			bin->within++;
		if (cm_uabs(e->mono - tks_mono(t, e->at)) > bin->max_err)
			bin->max_err = cm_uabs(e->mono - tks_mono(t, e->at));
		if (e->err > bin->max_claim)
			bin->max_claim = e->err;
	}
	res->segments = map->count;
	return nq;
}

#endif /* _USBTS_CM_CASES_H */
