/* SPDX-License-Identifier: GPL-2.0 */
/*
 * clockmap.h - CLOCK_MONOTONIC_RAW -> CLOCK_MONOTONIC with a known error,
 * shared unchanged by the usb_timesync module and userspace (tests,
 * benchmark).
 *
 * Copyright (C) 2026 The usb-timesync developers
 */
#ifndef _USBTS_CLOCKMAP_H
#define _USBTS_CLOCKMAP_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include "predictor_compat.h"
#endif

/* Slopes are (d mono / d raw - 1) in units of 2^-USBTS_CLOCKMAP_SHIFT. */
#define USBTS_CLOCKMAP_SHIFT	40
/* Committed segments kept; older ones are forgotten. */
#define USBTS_CLOCKMAP_SEGS	256
/* No segment is longer than this (raw ns). */
#define USBTS_CLOCKMAP_MAX_SEG_NS	(4LL * 1000000000)
/* A simplified segment stays this close (ns) to every timekeeper point. */
#define USBTS_CLOCKMAP_CONE_NS	2
/*
 * Integer nanoseconds: the timekeeper's points, the caller's raw time and
 * the monotonic reading it is compared with are each truncated once.
 */
#define USBTS_CLOCKMAP_ROUND_NS	3
/* Error bound of any conversion up to the newest point's timekeeper. */
#define USBTS_CLOCKMAP_PAST_NS	(USBTS_CLOCKMAP_CONE_NS + USBTS_CLOCKMAP_ROUND_NS)

/**
 * struct usbts_clock_point - one update of the kernel's timekeeper
 * @raw: CLOCK_MONOTONIC_RAW at the update, ns
 * @mono: CLOCK_MONOTONIC at the same instant, ns
 * @mult: the monotonic multiplier in force from here on (tkr_mono.mult)
 * @base_mult: @mult without the timekeeper's error correction (it adds
 *	0 or 1 at each update, to track the NTP tick length)
 * @raw_mult: the raw multiplier (tkr_raw.mult); both share one shift
 * @interval: raw ns per timekeeper interval (a tick)
 *
 * The kernel accumulates whole intervals: @raw and @mono describe the
 * clock at the last interval boundary, which may lie up to @interval
 * before the update.  From the update on, until the next one, the kernel's
 * monotonic clock reads @mono + (raw - @raw) * @mult / @raw_mult, to within
 * rounding; before it, the previous update's line held.  The two lines
 * meet at the update (the kernel keeps the clock continuous).
 */
struct usbts_clock_point {
	s64 raw;
	s64 mono;
	u32 mult;
	u32 base_mult;
	u32 raw_mult;
	u32 interval;
};

/**
 * struct usbts_clockmap_seg - one line of the map
 * @raw: start, CLOCK_MONOTONIC_RAW ns
 * @mono: CLOCK_MONOTONIC at @raw
 * @slope: d mono / d raw - 1, << %USBTS_CLOCKMAP_SHIFT
 */
struct usbts_clockmap_seg {
	s64 raw;
	s64 mono;
	s64 slope;
};

/**
 * struct usbts_clockmap - piecewise-linear CLOCK_MONOTONIC_RAW -> MONOTONIC
 * @have: a point has been seen
 * @first: oldest committed segment in @segs (ring buffer)
 * @count: committed segments in @segs
 * @open: the segment being grown; anchored on a timekeeper point
 * @lo: lowest slope through @open's anchor that passes every point since
 *	within %USBTS_CLOCKMAP_CONE_NS
 * @hi: highest such slope
 * @open_n: points added to @open after its anchor
 * @last: the newest point, with the slope the kernel uses from there on
 * @future: slope assumed beyond "now": the middle of the two multipliers
 *	the timekeeper alternates between
 * @dither: half the slope difference of those two multipliers; the
 *	allowance per ns of extrapolation beyond "now"
 * @segs: committed segments, oldest first from @first; each ends where the
 *	next one (or @open) starts
 *
 * Plain data with one writer.  The module publishes it under a seqcount;
 * usbts_clockmap_to_mono() is safe to run on a torn copy (it may give a
 * wrong answer, which the seqcount retry discards, but never faults).
 */
struct usbts_clockmap {
	bool have;
	u32 first;
	u32 count;
	struct usbts_clockmap_seg open;
	s64 lo;
	s64 hi;
	u32 open_n;
	struct usbts_clockmap_seg last;
	s64 future;
	u64 dither;
	struct usbts_clockmap_seg segs[USBTS_CLOCKMAP_SEGS];
};

void usbts_clockmap_init(struct usbts_clockmap *map);
void usbts_clockmap_update(struct usbts_clockmap *map,
			   const struct usbts_clock_point *p);
bool usbts_clockmap_to_mono(const struct usbts_clockmap *map, s64 raw,
			    s64 now_raw, s64 *mono, u64 *err_ns);
bool usbts_clockmap_span_to_mono(const struct usbts_clockmap *map, s64 raw,
				 u64 half, s64 now_raw, s64 *mono, u64 *span,
				 u64 *err_ns);
bool usbts_clockmap_answer(const struct usbts_clockmap *map, s64 now_raw,
			   s64 raw, u64 half, s64 *mnow, s64 *mono, u64 *span,
			   u64 *err_ns, bool *at_raw);
s64 usbts_clockmap_oldest(const struct usbts_clockmap *map);

#endif /* _USBTS_CLOCKMAP_H */
