/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tksim.h - a simulated kernel timekeeper, for testing the clock map.
 * Shared by the userspace test, the benchmark and KUnit.
 *
 * It does what kernel/time/timekeeping.c does (6.1 and 6.12 alike) to the
 * numbers the module sees: the clocksource counter is accumulated in whole
 * tick intervals, CLOCK_MONOTONIC runs at mult / 2^shift ns per cycle,
 * CLOCK_MONOTONIC_RAW at raw_mult / 2^shift, and after each update the
 * multiplier becomes base_mult + (ntp_error > 0), with xtime_nsec
 * compensated so that the clock stays continuous (timekeeping_adjust() and
 * timekeeping_apply_adjustment()).  NTP frequency changes and adjtime()
 * slews change the tick length; clock_settime() forwards the clock to
 * "now" and changes nothing MONOTONIC reads.
 *
 * Every update is logged, so the exact reading of either clock at any
 * counter value can be recomputed afterwards: that is the truth the map
 * is checked against.
 */
#ifndef _USBTS_TKSIM_H
#define _USBTS_TKSIM_H

#include "clockmap.h"

#define TKS_SHIFT	24
#define TKS_TICK_NS	4000000	/* HZ=250 */

/**
 * struct tks_rec - the readout in force from counter value @from on
 */
struct tks_rec {
	s64 from;
	s64 cl;
	s64 mono_base;
	s64 mono_xn;
	s64 raw_base;
	s64 raw_xn;
	u32 mult;
};

struct tks {
	u64 freq_hz;
	u32 raw_mult;
	u32 mult;
	u32 base_mult;
	u32 err_mult;
	s64 ci;
	s64 cl;
	s64 mono_base;
	s64 mono_xn;
	s64 raw_base;
	s64 raw_xn;
	s64 ntp_tick;
	s64 ntp_error;
	struct tks_rec *log;
	u32 nlog;
	u32 cap;
	u64 rng;
};

static inline u64 tks_rand(struct tks *t)
{
	t->rng ^= t->rng << 13;
	t->rng ^= t->rng >> 7;
	t->rng ^= t->rng << 17;
	return t->rng;
}

/* floor of v / 2^shift into base, remainder into xn (exact) */
static inline void tks_norm(s64 *base, s64 *xn)
{
	s64 whole = *xn >> TKS_SHIFT;	/* arithmetic shift: floor */

	*base += whole;
	*xn &= ((s64)1 << TKS_SHIFT) - 1;
}

static inline void tks_log(struct tks *t, s64 from)
{
	struct tks_rec *r;

	if (t->nlog && t->log[t->nlog - 1].from == from)
		r = &t->log[t->nlog - 1];
	else if (t->nlog < t->cap)
		r = &t->log[t->nlog++];
	else
		return;
	r->from = from;
	r->cl = t->cl;
	r->mono_base = t->mono_base;
	r->mono_xn = t->mono_xn;
	r->raw_base = t->raw_base;
	r->raw_xn = t->raw_xn;
	r->mult = t->mult;
}

/* the rate, as NTP wants it: ppb off the raw clock */
static inline void tks_set_rate(struct tks *t, s64 ppb)
{
	u64 nominal = (u64)t->ci * t->raw_mult;
	u64 d = mul_u64_u64_div_u64(nominal, ppb < 0 ? -(u64)ppb : (u64)ppb,
				    1000000000);

	t->ntp_tick = ppb < 0 ? (s64)(nominal - d) : (s64)(nominal + d);
	t->base_mult = (u32)div64_u64((u64)t->ntp_tick, (u64)t->ci);
}

static inline void tks_point(const struct tks *t, struct usbts_clock_point *p)
{
	p->raw = t->raw_base + (t->raw_xn >> TKS_SHIFT);
	p->mono = t->mono_base + (t->mono_xn >> TKS_SHIFT);
	p->mult = t->mult;
	p->base_mult = t->mult - t->err_mult;
	p->raw_mult = t->raw_mult;
	p->interval = (u32)((t->ci * t->raw_mult) >> TKS_SHIFT);
}

/*
 * @freq_hz: clocksource frequency; the clocks start at @mono0 and @raw0 ns
 * at counter 0.  @log holds @cap records.
 */
static inline void tks_init(struct tks *t, u64 freq_hz, s64 ppb, s64 mono0,
			    s64 raw0, struct tks_rec *log, u32 cap, u64 seed)
{
	memset(t, 0, sizeof(*t));
	t->freq_hz = freq_hz;
	t->raw_mult = (u32)div64_u64(((u64)1000000000 << TKS_SHIFT) +
				     freq_hz / 2, freq_hz);
	t->ci = (s64)div64_u64(((u64)TKS_TICK_NS << TKS_SHIFT) +
			       t->raw_mult / 2, t->raw_mult);
	t->mono_base = mono0;
	t->raw_base = raw0;
	t->log = log;
	t->cap = cap;
	t->rng = seed | 1;
	tks_set_rate(t, ppb);
	t->mult = t->base_mult;
	tks_log(t, 0);
}

/* counter value at @ns nanoseconds of simulated (raw) time */
static inline s64 tks_cycles(const struct tks *t, s64 ns)
{
	return (s64)mul_u64_u64_div_u64((u64)ns, t->freq_hz, 1000000000);
}

/*
 * The periodic update at counter @now: accumulate whole intervals, then
 * pick the multiplier.  Returns false (and changes nothing) if less than an
 * interval has passed, as the kernel does.
 */
static inline bool tks_tick(struct tks *t, s64 now, struct usbts_clock_point *p)
{
	s64 n = (now - t->cl) / t->ci, left;
	s32 adj;

	if (n <= 0)
		return false;
	t->cl += n * t->ci;
	t->mono_xn += n * t->ci * t->mult;
	t->raw_xn += n * t->ci * t->raw_mult;
	t->ntp_error += n * (t->ntp_tick - t->ci * t->mult);
	tks_norm(&t->mono_base, &t->mono_xn);
	tks_norm(&t->raw_base, &t->raw_xn);

	left = now - t->cl;
	t->err_mult = t->ntp_error > 0 ? 1 : 0;
	adj = (s32)(t->base_mult + t->err_mult) - (s32)t->mult;
	t->mult += adj;
	t->mono_xn -= left * adj;
	t->ntp_error -= (t->ci - left) * adj;
	tks_norm(&t->mono_base, &t->mono_xn);
	tks_log(t, now);
	tks_point(t, p);
	return true;
}

/* clock_settime() at counter @now: forward to now; MONOTONIC unchanged */
static inline void tks_settime(struct tks *t, s64 now, struct usbts_clock_point *p)
{
	s64 d = now - t->cl;

	t->cl = now;
	t->mono_xn += d * t->mult;
	t->raw_xn += d * t->raw_mult;
	tks_norm(&t->mono_base, &t->mono_xn);
	tks_norm(&t->raw_base, &t->raw_xn);
	tks_log(t, now);
	tks_point(t, p);
}

static inline const struct tks_rec *tks_find(const struct tks *t, s64 c)
{
	u32 lo = 0, hi = t->nlog - 1;

	while (lo < hi) {
		u32 mid = lo + (hi - lo + 1) / 2;

		if (t->log[mid].from <= c)
			lo = mid;
		else
			hi = mid - 1;
	}
	return &t->log[lo];
}

/*
 * what CLOCK_MONOTONIC_RAW read at counter @c (c after the last update is
 * extrapolated, which is exact for the raw clock)
 */
static inline s64 tks_raw(const struct tks *t, s64 c)
{
	const struct tks_rec *r = tks_find(t, c);

	return r->raw_base + ((r->raw_xn + (c - r->cl) * (s64)t->raw_mult) >> TKS_SHIFT);
}

/* what CLOCK_MONOTONIC read at counter @c; exact up to the last update */
static inline s64 tks_mono(const struct tks *t, s64 c)
{
	const struct tks_rec *r = tks_find(t, c);

	return r->mono_base + ((r->mono_xn + (c - r->cl) * (s64)r->mult) >> TKS_SHIFT);
}

#endif /* _USBTS_TKSIM_H */
