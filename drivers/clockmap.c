// SPDX-License-Identifier: GPL-2.0
/*
 * clockmap.c - CLOCK_MONOTONIC_RAW -> CLOCK_MONOTONIC with a known error
 *
 * Copyright (C) 2026 The usb-timesync developers
 *
 * This file is compiled unchanged into the usb_timesync module and into
 * userspace (the unit test and the benchmark).
 *
 * The kernel's timekeeper computes both clocks from one clocksource
 * counter.  Between two of its updates (every tick, or after an idle
 * stretch) each clock is a linear function of the counter, so MONOTONIC is
 * a linear function of MONOTONIC_RAW: at every update the module learns an
 * exact point (raw, mono) and the slope mult / raw_mult in force from
 * there on (struct usbts_clock_point).  The map from raw to mono is thus
 * piecewise linear with known vertices.  NTP and adjtime() change the
 * slope; clock_settime() does not touch MONOTONIC at all.
 *
 * Storing every vertex (250 a second) would be wasteful, so the vertices
 * are simplified as they stream in: a segment keeps the range of slopes
 * [lo, hi] of lines through its first vertex (the anchor) that pass within
 * USBTS_CLOCKMAP_CONE_NS of every later vertex.  Because the true map is
 * linear between vertices, such a line is that close to the map
 * everywhere in between.  When a vertex falls outside the range (the rate
 * changed), or the segment grows longer than USBTS_CLOCKMAP_MAX_SEG_NS, the
 * segment is committed with the middle slope and a new one is anchored on
 * the newest vertex.  A steady clock costs one segment every 4 s; each NTP
 * rate change costs one.
 *
 * Conversion:
 *   - before the oldest kept segment: refused;
 *   - within the segments: within USBTS_CLOCKMAP_PAST_NS;
 *   - from the newest vertex up to "now" (the caller's raw reading): the
 *     kernel's own slope, within USBTS_CLOCKMAP_ROUND_NS;
 *   - beyond "now": nobody knows the future steering.  The answer assumes
 *     the NTP rate stays as it is.  The timekeeper realises that rate by
 *     alternating between two multipliers (base_mult and base_mult + 1), so
 *     the map extrapolates with their mean and adds half their difference
 *     times the distance to the error bound.
 */
#ifdef __KERNEL__
#include <linux/kernel.h>
#include <linux/math64.h>
#include <linux/overflow.h>
#include <linux/string.h>
#endif

#include "clockmap.h"

#define SLOPE_ONE	((u64)1 << USBTS_CLOCKMAP_SHIFT)
#define SLOPE_NONE	((s64)1 << 62)

static s64 cm_max(s64 a, s64 b)
{
	return a > b ? a : b;
}

static s64 cm_min(s64 a, s64 b)
{
	return a < b ? a : b;
}

static u64 cm_abs(s64 v)
{
	return v < 0 ? -(u64)v : (u64)v;
}

/*
 * Sums and differences wrap instead of overflowing: a reader may run on a
 * torn map, whose numbers can be anything.
 */
static s64 cm_add(s64 a, s64 b)
{
	return (s64)((u64)a + (u64)b);
}

static s64 cm_sub(s64 a, s64 b)
{
	return (s64)((u64)a - (u64)b);
}

/* d * slope >> SHIFT, rounded toward zero */
static s64 cm_scale(s64 d, s64 slope)
{
	u64 r = mul_u64_u64_shr(cm_abs(d), cm_abs(slope), USBTS_CLOCKMAP_SHIFT);

	return (d < 0) != (slope < 0) ? (s64)(0 - r) : (s64)r;
}

/* value of @seg at @raw */
static s64 cm_at(const struct usbts_clockmap_seg *seg, s64 raw)
{
	s64 d = cm_sub(raw, seg->raw);

	return cm_add(cm_add(seg->mono, d), cm_scale(d, seg->slope));
}

/* the middle of [lo, hi] */
static s64 cm_mid(s64 lo, s64 hi)
{
	return cm_add(lo, (s64)(((u64)hi - (u64)lo) / 2));
}

/* (num / den - 1) << SHIFT for two multipliers; den > 0 */
static s64 cm_ratio(s64 num, u64 den)
{
	s64 diff = num - (s64)den;
	u64 q = mul_u64_u64_div_u64(cm_abs(diff), SLOPE_ONE, den);

	return diff < 0 ? -(s64)q : (s64)q;
}

/*
 * num << SHIFT / den for 0 < den, |num| <= den, rounded toward the inside
 * of the cone: up for a lower bound (@up), down for an upper one.
 */
static s64 cm_div(s64 num, s64 den, bool up)
{
	u64 q = mul_u64_u64_div_u64(cm_abs(num), SLOPE_ONE, (u64)den);

	if (num >= 0)
		return (s64)(up ? q + 1 : q);
	return up ? -(s64)q : -(s64)(q + 1);
}

static void cm_push(struct usbts_clockmap *map,
		    const struct usbts_clockmap_seg *seg)
{
	if (map->count == USBTS_CLOCKMAP_SEGS) {
		map->first = (map->first + 1) % USBTS_CLOCKMAP_SEGS;
		map->count--;
	}
	map->segs[(map->first + map->count) % USBTS_CLOCKMAP_SEGS] = *seg;
	map->count++;
}

static void cm_anchor(struct usbts_clockmap *map, s64 raw, s64 mono)
{
	map->open.raw = raw;
	map->open.mono = mono;
	map->open.slope = 0;
	map->lo = -SLOPE_NONE;
	map->hi = SLOPE_NONE;
	map->open_n = 0;
}

/* Commit the open segment, if it covers anything. */
static void cm_close(struct usbts_clockmap *map)
{
	if (!map->open_n)
		return;
	map->open.slope = cm_mid(map->lo, map->hi);
	cm_push(map, &map->open);
}

/*
 * Narrow *lo, *hi so that the line through the anchor passes within
 * CONE_NS of (raw, mono).  Returns false if no slope is left.
 */
static bool cm_fit(const struct usbts_clockmap *map, s64 raw, s64 mono,
		   s64 *lo, s64 *hi)
{
	s64 d = raw - map->open.raw;
	s64 v = mono - map->open.mono - d;

	if (d <= 0 || d > USBTS_CLOCKMAP_MAX_SEG_NS ||
	    cm_abs(v) + USBTS_CLOCKMAP_CONE_NS > (u64)d)
		return false;
	*lo = cm_max(*lo, cm_div(v - USBTS_CLOCKMAP_CONE_NS, d, true));
	*hi = cm_min(*hi, cm_div(v + USBTS_CLOCKMAP_CONE_NS, d, false));
	return *lo <= *hi;
}

static void cm_set_last(struct usbts_clockmap *map,
			const struct usbts_clock_point *p)
{
	u64 rm = p->raw_mult ? p->raw_mult : 1;

	map->last.raw = p->raw;
	map->last.mono = p->mono;
	map->last.slope = cm_ratio(p->mult, rm);
	/* mean of base_mult and base_mult + 1, in half units */
	map->future = cm_ratio(2 * (s64)p->base_mult + 1, 2 * rm);
	map->dither = mul_u64_u64_div_u64(1, SLOPE_ONE, 2 * rm) + 1;
}

/**
 * usbts_clockmap_init() - an empty map
 * @map: map
 */
void usbts_clockmap_init(struct usbts_clockmap *map)
{
	memset(map, 0, sizeof(*map));
}

/**
 * usbts_clockmap_update() - add a timekeeper update
 * @map: map
 * @p: the update; raw times must not decrease (a decrease empties the map)
 *
 * Only arithmetic: no clock reads, no locks, no allocation.  Safe in the
 * timekeeper's update path with interrupts off.
 */
void usbts_clockmap_update(struct usbts_clockmap *map,
			   const struct usbts_clock_point *p)
{
	s64 left, delta, ds, kraw, kmono, lo, hi;
	bool jump;

	/* raw time never runs backwards; the kink may lie past p->raw */
	if (map->have && p->raw + (s64)p->interval < map->last.raw)
		usbts_clockmap_init(map);
	if (!map->have) {
		map->have = true;
		cm_anchor(map, p->raw, p->mono);
		cm_set_last(map, p);
		return;
	}
	if (p->raw <= map->last.raw) {
		/* a second update at the same instant: the new slope holds */
		cm_set_last(map, p);
		return;
	}

	/*
	 * The clock followed last's line up to the update, and p's line from
	 * there on; p's line is anchored at the interval boundary before the
	 * update.  Where the two lines meet is where the rate changed.
	 */
	left = cm_at(&map->last, p->raw);
	delta = p->mono - left;
	ds = map->last.slope - cm_ratio(p->mult, p->raw_mult ? p->raw_mult : 1);
	kraw = p->raw;
	if (delta && ds && (delta ^ ds) >= 0) {	/* same sign */
		u64 off = mul_u64_u64_div_u64(cm_abs(delta), SLOPE_ONE, cm_abs(ds));

		kraw += off < p->interval ? off : p->interval;
	}
	kmono = cm_at(&map->last, kraw);
	jump = cm_abs(delta) > USBTS_CLOCKMAP_ROUND_NS +
	       mul_u64_u64_shr(p->interval, cm_abs(ds), USBTS_CLOCKMAP_SHIFT);
	lo = map->lo;
	hi = map->hi;
	if (jump) {
		/* keep [last, p) exactly, then start afresh at p */
		cm_close(map);
		cm_push(map, &map->last);
		cm_anchor(map, p->raw, p->mono);
		cm_set_last(map, p);
		return;
	}
	if (cm_fit(map, kraw, kmono, &lo, &hi)) {
		map->lo = lo;
		map->hi = hi;
		map->open_n++;
	} else {
		cm_close(map);
		cm_anchor(map, map->last.raw, map->last.mono);
		lo = map->lo;
		hi = map->hi;
		if (cm_fit(map, kraw, kmono, &lo, &hi)) {
			map->lo = lo;
			map->hi = hi;
			map->open_n = 1;
		} else {
			/* one stretch longer than a segment may be */
			cm_push(map, &map->last);
			cm_anchor(map, kraw, kmono);
		}
	}
	cm_set_last(map, p);
	map->last.raw = kraw;
	map->last.mono = kraw == p->raw ? p->mono : kmono;
}

/**
 * usbts_clockmap_oldest() - start of the map's coverage
 * @map: map
 *
 * Return: the oldest raw time usbts_clockmap_to_mono() converts, or
 * S64_MAX for an empty map.
 */
s64 usbts_clockmap_oldest(const struct usbts_clockmap *map)
{
	if (!map->have)
		return S64_MAX;
	if (map->count)
		return map->segs[map->first % USBTS_CLOCKMAP_SEGS].raw;
	return map->open.raw;
}

/*
 * How far either end of [raw - half, raw + half] lies from its middle on
 * one line of @slope.  Each end's conversion rounds its scaled part toward
 * zero, so an end may lie one ns further, on a rising slope only.
 */
static u64 cm_span(u64 half, s64 slope)
{
	return (u64)cm_add((s64)half, cm_scale((s64)half, slope)) + (slope > 0);
}

/* Which of the map's lines holds a raw time (cm_piece()). */
enum cm_kind {
	CM_NONE,	/* before the map's coverage */
	CM_PAST,	/* a committed segment, or the open one */
	CM_LINE,	/* the newest point's line, up to now */
	CM_FUTURE,	/* beyond now: extrapolated */
};

/*
 * The line of @map at @raw: @seg, which holds from @seg->raw through
 * @last (inclusive).  A torn map gives garbage, never a fault.
 */
static enum cm_kind cm_piece(const struct usbts_clockmap *map, s64 raw,
			     s64 now_raw, struct usbts_clockmap_seg *seg, s64 *last)
{
	u32 first, count, lo, hi;

	if (!map->have)
		return CM_NONE;
	if (raw >= map->last.raw) {
		s64 n = cm_max(now_raw, map->last.raw);

		if (raw <= n) {
			*seg = map->last;
			*last = n;
			return CM_LINE;
		}
		seg->raw = n;
		seg->mono = cm_at(&map->last, n);
		seg->slope = map->future;
		*last = S64_MAX;
		return CM_FUTURE;
	}
	if (map->open_n && raw >= map->open.raw) {
		*seg = map->open;
		seg->slope = cm_mid(map->lo, map->hi);
		*last = cm_sub(map->last.raw, 1);
		return CM_PAST;
	}
	first = map->first % USBTS_CLOCKMAP_SEGS;
	count = map->count < USBTS_CLOCKMAP_SEGS ? map->count : USBTS_CLOCKMAP_SEGS;
	if (!count || raw < map->segs[first].raw)
		return CM_NONE;
	/* the newest segment starting at or before raw */
	lo = 0;
	hi = count - 1;
	while (lo < hi) {
		u32 mid = lo + (hi - lo + 1) / 2;

		if (map->segs[(first + mid) % USBTS_CLOCKMAP_SEGS].raw <= raw)
			lo = mid;
		else
			hi = mid - 1;
	}
	*seg = map->segs[(first + lo) % USBTS_CLOCKMAP_SEGS];
	/* it ends where the next one, the open one or the newest line starts */
	if (lo + 1 < count)
		*last = map->segs[(first + lo + 1) % USBTS_CLOCKMAP_SEGS].raw;
	else if (map->open_n)
		*last = map->open.raw;
	else
		*last = map->last.raw;
	*last = cm_sub(*last, 1);
	return CM_PAST;
}

/* the error bound of a conversion at @raw on a line of kind @k from @seg */
static u64 cm_err(const struct usbts_clockmap *map, enum cm_kind k,
		  const struct usbts_clockmap_seg *seg, s64 raw)
{
	if (k == CM_LINE)
		return USBTS_CLOCKMAP_ROUND_NS;
	if (k == CM_FUTURE)
		return USBTS_CLOCKMAP_ROUND_NS + 1 +
		       mul_u64_u64_shr((u64)cm_sub(raw, seg->raw), map->dither,
				       USBTS_CLOCKMAP_SHIFT);
	return USBTS_CLOCKMAP_PAST_NS;
}

/**
 * usbts_clockmap_to_mono() - CLOCK_MONOTONIC at a CLOCK_MONOTONIC_RAW time
 * @map: map
 * @raw: the time to convert, raw ns
 * @now_raw: the caller's current raw time; beyond it the map extrapolates
 * @mono: the monotonic time
 * @err_ns: bound on |@mono - what CLOCK_MONOTONIC read (or will read, if
 *	the NTP rate stays as it is) at @raw|
 *
 * Never faults, also on a map torn by a concurrent update (the result is
 * then meaningless, and the caller retries).
 *
 * Return: false if @raw is before the map's coverage, or the map is empty.
 */
bool usbts_clockmap_to_mono(const struct usbts_clockmap *map, s64 raw,
			    s64 now_raw, s64 *mono, u64 *err_ns)
{
	struct usbts_clockmap_seg seg;
	enum cm_kind k;
	s64 last;

	k = cm_piece(map, raw, now_raw, &seg, &last);
	if (k == CM_NONE)
		return false;
	*mono = cm_at(&seg, raw);
	*err_ns = cm_err(map, k, &seg, raw);
	return true;
}

/**
 * usbts_clockmap_span_to_mono() - an interval of raw time in CLOCK_MONOTONIC
 * @map: map
 * @raw: the interval's middle, raw ns
 * @half: its half length, raw ns
 * @now_raw: as for usbts_clockmap_to_mono()
 * @mono: CLOCK_MONOTONIC at @raw
 * @span: the larger distance from @mono to either end of the interval, in
 *	CLOCK_MONOTONIC (within one ns above the exact figure); U64_MAX
 *	when an end lies before the map's coverage or would overflow
 * @err_ns: bound on the error of @mono and of either end's conversion
 *
 * What three usbts_clockmap_to_mono() calls give (the middle and both
 * ends), in one: an answer's error interval stretches or shrinks with the
 * rate the clock had.  An interval within one of the map's lines (a
 * segment, the newest line up to now, or beyond now), as an answer's
 * accuracy interval of microseconds nearly always is, costs one lookup;
 * GET relies on that.
 *
 * Return: false if @raw is before the map's coverage, or the map is empty.
 */
bool usbts_clockmap_span_to_mono(const struct usbts_clockmap *map, s64 raw,
				 u64 half, s64 now_raw, s64 *mono, u64 *span,
				 u64 *err_ns)
{
	struct usbts_clockmap_seg seg;
	enum cm_kind k;
	s64 last, lo, hi, l, h;
	u64 elo, ehi;

	k = cm_piece(map, raw, now_raw, &seg, &last);
	if (k == CM_NONE)
		return false;
	*mono = cm_at(&seg, raw);
	*err_ns = cm_err(map, k, &seg, raw);
	*span = 0;
	if (!half)
		return true;
	*span = U64_MAX;
	if (half > S64_MAX || check_sub_overflow(raw, (s64)half, &l) ||
	    check_add_overflow(raw, (s64)half, &h))
		return true;
	if (l >= seg.raw && h <= last) {
		/*
		 * One line: each end is half * (1 + slope) away.  Beyond now
		 * the error grows with the distance: the far end's is the
		 * largest.
		 */
		*span = cm_span(half, seg.slope);
		*err_ns = cm_err(map, k, &seg, h);
		return true;
	}
	if (!usbts_clockmap_to_mono(map, l, now_raw, &lo, &elo) ||
	    !usbts_clockmap_to_mono(map, h, now_raw, &hi, &ehi))
		return true;
	*span = (u64)cm_max(cm_max(cm_sub(*mono, lo), cm_sub(hi, *mono)), 0);
	if (elo > *err_ns)
		*err_ns = elo;
	if (ehi > *err_ns)
		*err_ns = ehi;
	return true;
}

/**
 * usbts_clockmap_answer() - now and an interval, in CLOCK_MONOTONIC
 * @map: map
 * @now_raw: now, raw ns
 * @raw: the interval's middle, raw ns
 * @half: its half length, raw ns
 * @mnow: CLOCK_MONOTONIC at @now_raw
 * @mono: CLOCK_MONOTONIC at @raw
 * @span: as for usbts_clockmap_span_to_mono()
 * @err_ns: bound on the error of @mono and of either end's conversion
 * @at_raw: false if @raw lies before the map's coverage (then only @mnow
 *	is set)
 *
 * What GET converts, in one call: usbts_clockmap_to_mono() of @now_raw and
 * usbts_clockmap_span_to_mono() of the interval; inline, without a lookup,
 * when all of the interval lies on the newest line up to now, as it does
 * for the microframe the bus is in.
 *
 * Return: false if @now_raw lies before the map's coverage, or the map is
 * empty.
 */
bool usbts_clockmap_answer(const struct usbts_clockmap *map, s64 now_raw,
			   s64 raw, u64 half, s64 *mnow, s64 *mono, u64 *span,
			   u64 *err_ns, bool *at_raw)
{
	u64 now_err;
	s64 l, h;

	/* the microframe the bus is in: all of it on the newest line, inline */
	if (map->have && now_raw >= map->last.raw && half && half <= S64_MAX &&
	    !check_sub_overflow(raw, (s64)half, &l) &&
	    !check_add_overflow(raw, (s64)half, &h) &&
	    l >= map->last.raw && h <= now_raw) {
		*mnow = cm_at(&map->last, now_raw);
		*mono = cm_at(&map->last, raw);
		*err_ns = USBTS_CLOCKMAP_ROUND_NS;
		*span = cm_span(half, map->last.slope);
		*at_raw = true;
		return true;
	}
	if (!usbts_clockmap_to_mono(map, now_raw, now_raw, mnow, &now_err))
		return false;
	*at_raw = usbts_clockmap_span_to_mono(map, raw, half, now_raw, mono, span, err_ns);
	return true;
}
