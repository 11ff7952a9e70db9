// SPDX-License-Identifier: GPL-2.0
/*
 * predictor.c - map the xHCI MFINDEX microframe counter onto system time
 *
 * Copyright (C) 2026 The usb-timesync developers
 *
 * This file is compiled unchanged into the usb_timesync module and into
 * userspace (usbts replay, the unit tests and the benchmark).
 *
 * The model
 * ---------
 * Every read is sandwiched between two clock reads: the register was sampled
 * at some instant s with pre <= s <= post.  Two consecutive reads whose
 * values differ by one therefore bracket the start of the later microframe:
 * edge(x) lies in (pre of the older read, post of the newer one].  The
 * brackets are hard constraints: a preempted read never produces a wrong
 * one, only a wide one.
 *
 * A sampler whose reads are slow brackets each edge only roughly and reads
 * on for several in a burst (usbts_pred_edges_wanted()).  Edges within
 * USBTS_PRED_MERGE microframes of the window's newest are merged into it:
 * their brackets, moved back along the model's period (widened by its
 * uncertainty over those few microframes), narrow its bracket, and their
 * most likely times join its mean, so that a burst takes one slot of the
 * window and the window keeps its span in time.
 *
 * Over a window of recent edges the controller clock is taken to be linear,
 * edge(x) = tc + (x - xc) * period.  The set of lines through all brackets
 * is convex; its slope range [bmin, bmax] follows exactly from all pairs of
 * brackets (a slope b is feasible iff lo_i - b*x_i <= hi_j - b*x_j for every
 * pair i, j).  Taking xc at the newest edge, every bracket lies at or before
 * xc, so the feasible start times of any later microframe x are exactly
 *
 *	[ max_k(lo_k + bmin*(xc - x_k)) + bmin*(x - xc),
 *	  min_k(hi_k + bmax*(xc - x_k)) + bmax*(x - xc) ]
 *
 * The prediction itself is a least-squares line through each edge's most
 * likely time (the mean of where it may lie, given that it fell between two
 * sampling instants, each uniform within its read: near where the older
 * read ended and the newer began, off toward the longer read), clamped into
 * the feasible set.
 *
 * The accuracy is the distance from the prediction to the far end of that
 * range (for past microframes the bounding box of the set, looser), plus
 * two allowances for the clock not being a line, both measured, none a
 * constant guess:
 *
 *  - bend: within the window.  The newest quarter of the window's span is
 *    tested against the line: its mean residual and its residual slope,
 *    each against its noise from the bracket widths, and so are the newest
 *    4, 8, 16, ... edges on their own (from 8 on, where their own trend
 *    puts the newest edge), so that a change shows within a few edges.
 *    Beyond 4 sigma the window has a change point and its older half is
 *    dropped (repeatedly); otherwise the largest of those residuals, each
 *    plus 7/3 of its sigma, is added to every claim, and the quarter's slope plus 7/3 sigma is a
 *    floor for the wander rate below.
 *  - wander: a rate, times the distance from the newest edge.  Every new
 *    edge (and every read that misses) tests the previous model at its
 *    distance: a certain miss sets the rate to OMEGA_GAIN times the miss
 *    over the distance at once (decaying over minutes after); the
 *    noise-corrected squared excess of the estimate beyond the claim feeds
 *    a running mean whose 2.6-sigma root is one steady rate; and the
 *    noise-corrected squared misses of predictions a second or more ahead,
 *    over their squared distances (over about 32 and about 4 of them), give
 *    the root mean square rate error, of which 3 sigma is another.  Each
 *    prediction counts there by how much its estimate's own noise leaves
 *    of it, so that one rough edge does not hold the mean up.
 *
 *    A slot is judged by its estimate once: when the burst's edges have
 *    merged into it (usbts_pred_edges_wanted()), when the sampler ends the
 *    burst (usbts_pred_end_burst()), or when the next slot opens; a new
 *    generation drops it.  Its bracket is judged at once and again as it
 *    narrows: a certain miss is a miss however rough the bracket.  A single
 *    edge's estimate is never three sigma (to within rounding) outside its
 *    own bracket, so for a one-edge slot only the bracket can show a miss.
 *
 * The wander also bends the window away from any line, by about the rate
 * times the span / 8: every bracket is widened by that (refitting whenever
 * it grew past twice what the brackets were widened for), so that the
 * feasible set never shuts the truth out.  The rate is the larger of the
 * wander estimate (without the rate error over about 4, which measures the
 * newest predictions' misses more than any bending) and what of the newest
 * quarter's rate difference stands out of its noise (beyond 1.5 sigma):
 * the latter is all there is before any prediction has missed.  A window
 * whose widening would pass twice its newest slot's own spread loses its
 * oldest quarter until it does not: a slope from so long a window is worth
 * less than what the widening costs every claim.  Not while the newest
 * quarter's rate is seen to differ, or a certain miss makes the widening:
 * the window may then straddle a change, which only the widening covers
 * until the change point cuts it.
 *
 * An edge is tested against the model after the newest edge the fit could
 * use (usbts_pred.ref): a burst whose first edge a preempted read bracketed
 * roughly reads on to the next, and that good edge then tests the
 * prediction from seconds before, not one from a microframe before.
 *
 * Frames older than the window are extrapolated at one rate of the models
 * the window replaced, within a reach that covers every rate the dropped
 * edges ran at (drop_oldest()), so that a past frame across a rate step is
 * not answered for on the new rate alone.  Accuracy is therefore a
 * statistical claim (99% of answers on the simulator's scenarios,
 * tests/bench), no longer a hard bound.
 *
 * When a read misses the model by more than half a microframe the counter
 * must have been reset, stopped or jumped, and a new generation starts.
 * So does a read whose wrap of the 14-bit counter is uncertain (the
 * model's claim there reaches a quarter wrap, or 1200 ppm of the gap half
 * a wrap: 14 minutes, for the rate may change unseen during a gap) or
 * which no rate within 600 ppm of nominal explains: its number would be a
 * guess, and a wrong guess steps the count by 2^14.  If
 * that happens within 8 s of the last edge the old rate range (widened by
 * the wander) is kept as a prior until new edges contradict it.
 *
 * Costs: a new edge costs O(K) with K = USBTS_PRED_EDGES; the window
 * loses its oldest quarter when full or too long for its widening and its
 * older half at a change point, and is refitted when the curvature
 * allowance doubled, each of which costs O(K^2); a window cut quarter by
 * quarter from K slots to 16 refits about ten times in one new edge.  A read that
 * brackets no edge costs O(1); so do usbts_model_time_of() and
 * usbts_model_count_at(), which have no loop and one division (count_at).
 * All arithmetic is 64-bit fixed point with 128-bit intermediates through
 * mul_u64_u64_shr()/mul_u64_u64_div_u64(); residuals against the frame
 * (fx, ft, fp) are kept below 2^36 ns, times within +-3 * 2^61 ns and
 * queries within 2^45 microframes, and the query paths check every sum,
 * so that no intermediate overflows.
 */
#ifdef __KERNEL__
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/math64.h>
#include <linux/overflow.h>
#include <linux/string.h>
#endif

#include "predictor.h"

#define ONE			((u64)1 << USBTS_PRED_SHIFT)
/* The clock may be 500 ppm off nominal; assume no more than 600 ppm. */
#define PERIOD_MIN_NS		(USBTS_PRED_NOMINAL_NS - 75)
#define PERIOD_MAX_NS		(USBTS_PRED_NOMINAL_NS + 75)
/* Every bracket is widened by at least this, for rounding. */
#define EDGE_SLACK_NS		2
/* The wander estimate decays by 1/e over this many microframes (2^21: 262 s). */
#define OMEGA_DECAY_SHIFT	21
/* A certain miss of this many times the claim's reach sets the estimate. */
#define OMEGA_GAIN		3
/* Misses are spread over at least this distance (128 ms). */
#define MIN_D			((s64)1 << 10)
/*
 * From this distance (1.024 s) on, a slot's estimate outside the claim by
 * more than three sigma of its own noise is a miss, and the estimate's miss
 * feeds the rate error.
 */
#define LIKELY_D		((s64)1 << 13)
/* The estimate never exceeds 1000 ppm, so no product overflows. */
#define OMEGA_MAX		((u64)125 << USBTS_PRED_SHIFT)
/*
 * The time before the window ran at periods within [PERIOD_MIN_NS,
 * PERIOD_MAX_NS], and wandered within OMEGA_MAX: no reach needs more.
 */
#define PB_REACH_MAX		((((u64)PERIOD_MAX_NS - PERIOD_MIN_NS) << USBTS_PRED_SHIFT) + \
				 OMEGA_MAX)
/* A read further than this outside the model means a new generation. */
#define GROSS_NS		(USBTS_PRED_NOMINAL_NS / 2)
/* Residuals larger than this force the frame to be re-centred. */
#define RESIDUAL_LIMIT		((s64)1 << 36)
/* Times beyond +-this (219 years) are refused, so that no sum overflows. */
#define TIME_LIMIT		((s64)3 << 61)
/* Reads longer than this are refused; a gap this long starts afresh. */
#define MAX_SPAN_NS		((u64)1 << 61)
/* Queries further than this from the newest edge are refused. */
#define QUERY_LIMIT		((s64)1 << 45)
/*
 * The newest quarter's rate counts as seen to differ from the window's by
 * what exceeds this many half sigmas of its noise.
 */
#define SEEN_HALF_SIGMAS	3

static inline s64 s64_min(s64 a, s64 b) { return a < b ? a : b; }
static inline s64 s64_max(s64 a, s64 b) { return a > b ? a : b; }
static inline u64 u64_min(u64 a, u64 b) { return a < b ? a : b; }
static inline u64 u64_max(u64 a, u64 b) { return a > b ? a : b; }

/* a * b >> USBTS_PRED_SHIFT for a signed a, rounded toward zero */
static s64 smul(s64 a, u64 b)
{
	u64 r;

	if (a >= 0)
		return (s64)mul_u64_u64_shr((u64)a, b, USBTS_PRED_SHIFT);
	r = mul_u64_u64_shr(-(u64)a, b, USBTS_PRED_SHIFT);
	return -(s64)r;
}

/* a * b >> USBTS_PRED_SHIFT for a signed a, rounded up */
static s64 smul_ceil(s64 a, u64 b)
{
	u64 frac = ((u64)a * b) & (ONE - 1);	/* low bits survive wrapping */

	return smul(a, b) + (a >= 0 && frac ? 1 : 0);
}

/* a * b >> USBTS_PRED_SHIFT for signed a and b */
static s64 smul2(s64 a, s64 b)
{
	if (b >= 0)
		return smul(a, (u64)b);
	return -smul(a, -(u64)b);
}

static u64 uabs(s64 v)
{
	return v < 0 ? -(u64)v : (u64)v;
}

/*
 * num << USBTS_PRED_SHIFT / den for den > 0, rounded down (@up false) or up
 * (@up true), at least as far as the exact value.  |num| is clamped to 2^38,
 * which callers keep far below, so the quotient never overflows.
 */
static s64 slope_div(s64 num, s64 den, bool up)
{
	u64 mag = u64_min(uabs(num), (u64)1 << 38);
	u64 q = mul_u64_u64_div_u64(mag, ONE, (u64)den);

	if (num >= 0)
		return (s64)(up ? q + 1 : q);
	return -(s64)(up ? q : q + 1);
}

static struct usbts_pred_edge *edge_at(struct usbts_pred *p, u32 i)
{
	return &p->edges[(p->first + i) % USBTS_PRED_EDGES];
}

static s64 frame_t(const struct usbts_pred *p, s64 x)
{
	return p->ft + smul(x - p->fx, p->fp);
}

/* Store @e's residuals against the current frame. */
static void set_residual(const struct usbts_pred *p, struct usbts_pred_edge *e)
{
	s64 f = frame_t(p, e->x);

	e->rlo = e->lo - EDGE_SLACK_NS - p->slack - f;
	e->rhi = e->hi + EDGE_SLACK_NS + p->slack - f;
	e->rmid = e->mid - f;
}

/* Narrow [bmin, bmax] by the pair (older @a, newer @b). */
static void pair_update(struct usbts_pred *p, const struct usbts_pred_edge *a,
			const struct usbts_pred_edge *b)
{
	s64 dx = b->x - a->x;

	p->bmax = s64_min(p->bmax, slope_div(b->rhi - a->rlo, dx, true));
	p->bmin = s64_max(p->bmin, slope_div(b->rlo - a->rhi, dx, false));
}

/*
 * Weighted least-squares slope and value at the newest edge of the edges'
 * estimates, in residual units.  Brackets much wider than the narrowest in
 * the window (preempted reads; by @wr) are left out, the rest weighted by
 * the inverse square of their estimate's spread (@w).  Distances are scaled down by 2^shift
 * below 2^20 and residuals clamped to 2^30, losing only those low bits, so
 * that no sum overflows: with weights k <= 16 over <= 256 edges (sum 2^12),
 * the centred |dc| sum to at most 2^12 * 2^19 (the mean absolute deviation
 * is at most half the range) plus 2^12 for rounding, |yc| <= 2^31, so
 * every partial sum of k * dc * yc stays below 2^31 * (2^31 + 2^12) < 2^63
 * even after the 37-hour gaps that once overflowed it.
 */
/* 1..16, by the inverse square of the bracket's width @w */
static u64 ls_weight(u64 minw, u64 w)
{
	return u64_max(div64_u64(16 * minw * minw, u64_max(w * w, 1)), 1);
}

static void least_squares(struct usbts_pred *p, s64 *v, s64 *b)
{
	const struct usbts_pred_edge *n = edge_at(p, p->count - 1);
	s64 sd = 0, sy = 0, md, my, cnt = 0;
	u64 minw = U64_MAX, minr = U64_MAX, limit, span, sdd = 0;
	s64 sdy = 0, q;
	unsigned int shift = 0;
	u32 i;

	/* which brackets to use goes by their widths, how much by the spread */
	for (i = 0; i < p->count; i++)
		minr = u64_min(minr, edge_at(p, i)->wr);
	limit = 2 * minr + 2000;
	p->limit = limit;
	for (i = 0; i < p->count; i++) {
		const struct usbts_pred_edge *e = edge_at(p, i);

		if (e->wr <= limit)
			minw = u64_min(minw, e->w);
	}
	span = (u64)(n->x - edge_at(p, 0)->x);
	while ((span >> shift) >= ((u64)1 << 20))
		shift++;

	/* weights 1..16 by the inverse square of the bracket width */
	for (i = 0; i < p->count; i++) {
		const struct usbts_pred_edge *e = edge_at(p, i);
		u64 w = e->w;
		s64 k;

		if (e->wr > limit)
			continue;
		k = (s64)ls_weight(minw, w);
		sd += k * ((e->x - n->x) >> shift);
		sy += k * s64_max(s64_min(e->rmid, (s64)1 << 30), -((s64)1 << 30));
		cnt += k;
	}
	md = div64_s64(sd, cnt);
	my = div64_s64(sy, cnt);
	for (i = 0; i < p->count; i++) {
		const struct usbts_pred_edge *e = edge_at(p, i);
		u64 w = e->w;
		s64 dc, yc, k;

		if (e->wr > limit)
			continue;
		k = (s64)ls_weight(minw, w);
		dc = ((e->x - n->x) >> shift) - md;
		yc = s64_max(s64_min(e->rmid, (s64)1 << 30), -((s64)1 << 30)) - my;
		sdd += (u64)(k * dc * dc);
		sdy += k * dc * yc;
	}
	if (!sdd) {
		/* one usable bracket: its midpoint, slope undetermined */
		*b = p->bmin + (s64)(((u64)p->bmax - (u64)p->bmin) / 2);
		*v = my + smul2(-md * ((s64)1 << shift), *b);
		return;
	}
	q = (s64)mul_u64_u64_div_u64(uabs(sdy), ONE, sdd) >> shift;
	*b = sdy < 0 ? -q : q;
	*v = my + smul2(-md * ((s64)1 << shift), *b);
}

/*
 * The root mean square rate error, ns << USBTS_PRED_SHIFT per microframe,
 * from running means of the squared innovations @e2 (ns^2) and of the
 * squared distances @d2 (microframes^2) they were made at.
 */
static u64 rate_sigma(s64 e2, s64 d2)
{
	u64 r2;

	if (e2 <= 0 || d2 <= 0)
		return 0;
	if ((u64)e2 >> 12 >= (u64)d2)
		return OMEGA_MAX;
	r2 = mul_u64_u64_div_u64((u64)e2, (u64)1 << 48, (u64)d2);
	return (u64)int_sqrt64(r2);
}

/*
 * The published wander allowance: the larger of the estimates.  @rate:
 * include the rate error far predictions showed, which the model's own
 * slope and intercept errors make up as much as a change of the clock's
 * rate does.
 */
static u64 wander_of(const struct usbts_pred *p, bool rate)
{
	u64 w = 0;

	/* 2.6 standard deviations of the excess, << USBTS_PRED_SHIFT */
	if (p->est.omega2 > 0)
		w = (u64)int_sqrt64((u64)p->est.omega2) * 13 / 5;
	/* 3 standard deviations of the rate error far predictions showed */
	w = u64_max(w, rate_sigma(p->est.rate_e2, p->est.rate_d2) * 3);
	if (rate)
		w = u64_max(w, rate_sigma(p->est.rate_e2_fast, p->est.rate_d2_fast) * 3);
	return u64_min(u64_max(w, p->est.omega), OMEGA_MAX);
}

/**
 * struct usbts_scale - running sums over the newest usable edges
 * @m: how many
 * @sr: their residuals from the window's line, ns
 * @sx: their distances from the newest edge, microframes >> shift
 * @sxx: the squares of those distances
 * @sxr: distance times residual
 * @sv: their midpoints' variances, ns^2
 */
struct usbts_scale {
	u32 m;
	s64 sr;
	s64 sx;
	u64 sxx;
	s64 sxr;
	u64 sv;
};

/*
 * The newest @c->m usable edges against the window's line: where their own
 * trend puts the newest edge's residual (their mean, for fewer than 8),
 * plus 7/3 of its noise, raises the bend allowance; a mean beyond 4 times
 * its noise is a change point.  The noise is the estimates' own variance
 * (edge_mid()), at least width^2 / 24 (its value for two reads of equal
 * length and no gap), not the quarter's pessimistic width^2 / 12.  A change that
 * began lately shows here long before it moves the quarter's mean.
 */
static void scale_allowance(struct usbts_pred *p, const struct usbts_scale *c)
{
	s64 mx = div64_s64(c->sx, c->m), mr = div64_s64(c->sr, c->m), r0 = mr;
	u64 var = div64_u64(c->sv, (u64)c->m * c->m), var0 = var, sxx;

	if (p->count >= 8 && uabs(mr) * uabs(mr) > 16 * var)
		p->bent = true;
	/*
	 * Centred sums: |mx * sx| < 2^56, |mx * sr| <= 2^62.  A trend needs
	 * the edges spread against their distance (mx^2 / sxx < 2^20); a
	 * slope beyond 2^20 ns per unit of distance saturates the allowance.
	 * Both keep the quotients below 2^61.
	 */
	sxx = c->sxx - (u64)(mx * c->sx);
	if (c->m >= 8 && (s64)sxx > 0 && ((u64)(mx * mx) >> 20) < sxx) {
		s64 sxr = c->sxr - mx * c->sr;
		/* the trend's value at distance 0: mr - slope * mx */
		u64 dr = (uabs(sxr) >> 20) >= sxx ? (u64)1 << 40 :
			 u64_min(mul_u64_u64_div_u64(uabs(sxr), uabs(mx), sxx), (u64)1 << 40);

		r0 = (sxr < 0) == (mx < 0) ? mr - (s64)dr : mr + (s64)dr;
		var0 = var + mul_u64_u64_div_u64(u64_min(div64_u64(c->sv, c->m), (u64)1 << 40),
						 (u64)(mx * mx), sxx);
	}
	p->model.bend = u64_max(p->model.bend, uabs(r0) + (u64)int_sqrt64(var0) * 7 / 3);
}

/*
 * Does the window bend?  The mean residual from the line (@v, @b) of the
 * usable edges in the newest quarter of the window's span (at least 4) is
 * compared with its noise, each edge's estimate being taken as uniform over
 * its bracket (variance width^2 / 12, which is pessimistic), and so is the
 * slope of those residuals; so are the newest 4, 8, 16, ... usable edges
 * on their own (scale_allowance()).  Sets p->bent when either of the
 * quarter's, or any scale's mean, exceeds four times its noise in a window
 * of at least 8 edges (a change point), and the model's bend allowance to
 * the largest of the quarter's mean and each scale's residual (at the
 * newest edge), each plus 7/3 of its noise.  Returns the quarter's slope
 * plus 7/3 of its noise: how far the clock's present rate may be from the
 * window's, a floor for the wander allowance.
 */
static u64 bend(struct usbts_pred *p, s64 v, s64 b)
{
	const struct usbts_pred_edge *n = edge_at(p, p->count - 1);
	s64 span = n->x - edge_at(p, 0)->x, from = n->x - span / 4;
	s64 sr = 0, sx = 0, sxy = 0, mx, my, r, dx;
	u64 sv = 0, sxx = 0, mean, var, q, sb, rate;
	struct usbts_scale sc = { 0 };
	unsigned int shift = 0;
	u32 m = 0, i, j;

	p->bent = false;
	p->seen_rate = 0;
	p->model.bend = 0;
	while (((u64)span >> shift) >= ((u64)1 << 24))
		shift++;
	for (i = p->count; i-- > 0;) {
		const struct usbts_pred_edge *e = edge_at(p, i);
		u64 w = e->w;

		if (e->x < from && m >= 4)
			break;
		if (e->wr > p->limit)
			continue;
		r = e->rmid - v - smul2(e->x - n->x, b);
		dx = (e->x - n->x) >> shift;
		sr += r;
		sx += dx;
		sv += w * w / 12;
		m++;
		/* the newest 4, 8, 16, ... edges on their own, too */
		r = s64_max(s64_min(r, (s64)1 << 30), -((s64)1 << 30));
		sc.m = m;
		sc.sr += r;
		sc.sx = sx;
		sc.sxx += (u64)(dx * dx);
		sc.sxr += dx * r;
		sc.sv += u64_max(div64_u64(e->vs, (u64)e->n * e->n), w * w / 24);
		if (m >= 4 && !(m & (m - 1)))
			scale_allowance(p, &sc);
	}
	if (m < 4)
		return 0;
	/* the newest edges' own slope, against the window's */
	mx = div64_s64(sx, m);
	my = div64_s64(sr, m);
	for (j = p->count; j-- > i + 1;) {
		const struct usbts_pred_edge *e = edge_at(p, j);
		s64 dx, dy;

		if (e->wr > p->limit)
			continue;
		dx = ((e->x - n->x) >> shift) - mx;
		dy = e->rmid - v - smul2(e->x - n->x, b) - my;
		sxx += (u64)(dx * dx);
		sxy += dx * dy;
	}
	mean = uabs(my);
	var = div64_u64(sv, (u64)m * m);
	if (!sxx)
		return 0;
	/* slope difference and its noise, ns << USBTS_PRED_SHIFT per uframe */
	q = mul_u64_u64_div_u64(u64_min(uabs(sxy), (u64)1 << 62), ONE, sxx) >> shift;
	sb = div64_u64(sv, m);
	if (sb >= sxx << 14)
		sb = OMEGA_MAX;
	else
		sb = (u64)int_sqrt64(mul_u64_u64_div_u64(sb, (u64)1 << 48, sxx)) >> shift;
	p->bent = p->bent || (p->count >= 8 && (mean * mean > 16 * var || q > 4 * sb));
	p->model.bend = u64_max(p->model.bend, mean + (u64)int_sqrt64(var) * 7 / 3);
	p->seen_rate = u64_min(q > SEEN_HALF_SIGMAS * sb / 2 ?
			       q - SEEN_HALF_SIGMAS * sb / 2 : 0, OMEGA_MAX);
	rate = q + sb * 7 / 3;
	return u64_min(rate, OMEGA_MAX);
}

/*
 * Publish the model from the window and [bmin, bmax].  Returns false, and
 * leaves the model untouched, when no line fits every bracket.
 */
static bool fit(struct usbts_pred *p)
{
	const struct usbts_pred_edge *n;
	s64 vmin = S64_MIN, vmax = S64_MAX, v, b;
	u32 i;

	if (!p->count)
		return true;
	if (p->bmin > p->bmax)
		return false;

	n = edge_at(p, p->count - 1);
	for (i = 0; i < p->count; i++) {
		const struct usbts_pred_edge *e = edge_at(p, i);
		s64 d = n->x - e->x;

		vmax = s64_min(vmax, e->rhi + smul2(d, p->bmax) + 1);
		vmin = s64_max(vmin, e->rlo + smul2(d, p->bmin) - 1);
	}
	if (vmin > vmax)
		return false;

	/* the estimate, kept inside the feasible set */
	least_squares(p, &v, &b);
	v = s64_min(s64_max(v, vmin), vmax);
	b = s64_min(s64_max(b, p->bmin), p->bmax);

	p->model.valid = 1;
	p->model.xc = n->x;
	p->model.tc = frame_t(p, n->x) + v;
	p->model.period = (u64)((s64)p->fp + b);
	p->model.below_c = (u64)(v - vmin);
	p->model.above_c = (u64)(vmax - v);
	p->model.below_slope = (u64)(b - p->bmin) + 1;
	p->model.above_slope = (u64)(p->bmax - b) + 1;
	p->model.xb = edge_at(p, 0)->x;
	p->model.pb = p->pb;
	p->model.pb_reach = p->pb_reach;
	p->model.wander = u64_max(wander_of(p, true), bend(p, v, b));
	return true;
}

/* How far a rate change of @w per microframe bends the window: w * span / 8. */
static u64 span_bend(struct usbts_pred *p, u64 w)
{
	return mul_u64_u64_shr((u64)(edge_at(p, p->count - 1)->x - edge_at(p, 0)->x),
			       u64_min(w, OMEGA_MAX), USBTS_PRED_SHIFT + 3);
}

/*
 * How far the window's clock may stray from a line: a rate change of
 * omega per microframe of distance bends it by about omega * span / 8.
 */
static u64 curvature(struct usbts_pred *p)
{
	u64 w = wander_of(p, false);

	/*
	 * Before any prediction has missed, the window's own newest edges
	 * are all that measures how the rate moves: what of their rate's
	 * difference from the window's stands out of its noise (bend()).
	 * Without it a window that ran a minute on one line, fitted to a
	 * first second of dense edges, shut the truth out at its newest edge.
	 */
	return span_bend(p, u64_max(w, p->seen_rate));
}

/*
 * Is the window so long that its curvature widening would pass twice its
 * newest slot's own spread?  Not while its newest quarter's rate is seen
 * to differ from the window's, nor while a certain miss (usbts_pred.est's
 * omega) makes that widening: the window may then straddle a change of
 * the clock's rate, which only the widening covers until the change point
 * cuts it.
 */
static bool too_long(struct usbts_pred *p)
{
	u64 lim = 2 * edge_at(p, p->count - 1)->w + EDGE_SLACK_NS * 8;

	if (p->seen_rate || span_bend(p, p->est.omega) > lim)
		return false;
	return curvature(p) > lim;
}

/*
 * Re-centre the residual frame on the current model, recompute every
 * edge's residuals and redo every pair.  O(K^2); runs only when the window
 * is cut or pruned, or its curvature allowance doubled.
 */
static bool refit(struct usbts_pred *p)
{
	u32 i, j;

	if (p->model.valid) {
		p->fx = p->model.xc;
		p->ft = p->model.tc;
		p->fp = p->model.period;
	}
	p->slack = p->count > 1 ? (s64)curvature(p) : 0;
	for (i = 0; i < p->count; i++)
		set_residual(p, edge_at(p, i));
	p->bmin = (s64)((u64)PERIOD_MIN_NS << USBTS_PRED_SHIFT) - (s64)p->fp;
	p->bmax = (s64)((u64)PERIOD_MAX_NS << USBTS_PRED_SHIFT) - (s64)p->fp;
	if (p->prior_lo) {
		p->bmin = s64_max(p->bmin, (s64)p->prior_lo - (s64)p->fp);
		p->bmax = s64_min(p->bmax, (s64)p->prior_hi - (s64)p->fp);
	}
	for (j = 1; j < p->count; j++)
		for (i = 0; i < j; i++)
			pair_update(p, edge_at(p, i), edge_at(p, j));
	return fit(p);
}

/*
 * Drop the oldest @n edges.  The model they supported still describes the
 * time before the window: keep its rate for frames older than the window.
 */
static void drop_oldest(struct usbts_pred *p, u32 n)
{
	const struct usbts_model *m = &p->model;

	if (m->valid) {
		u64 reach = u64_max(m->below_slope, m->above_slope) + m->wander;
		u64 delta, keep;
		bool switch_rate = true;

		/*
		 * Frames before the window are taken on at one rate, @pb,
		 * within a reach.  The edges dropped now ran within @reach of
		 * this model's rate, those dropped before within pb_reach of
		 * @pb: the reach must cover both, or a window cut again and
		 * again after a rate change would answer for frames before
		 * the change at the new rate.  Either rate will do, with the
		 * other's reach widened by their difference: take the
		 * tighter, so that noise in the rates does not pile up cut
		 * after cut.
		 */
		if (p->pb) {
			delta = uabs((s64)m->period - (s64)p->pb);
			keep = u64_max(p->pb_reach, reach + delta);
			reach = u64_max(reach, p->pb_reach + delta);
			if (keep < reach) {
				p->pb_reach = u64_min(keep, PB_REACH_MAX);
				switch_rate = false;
			}
		}
		if (switch_rate) {
			p->pb = m->period;
			p->pb_reach = u64_min(reach, PB_REACH_MAX);
		}
	}
	n = (u32)u64_min(n, p->count);
	p->first = (p->first + n) % USBTS_PRED_EDGES;
	p->count -= n;
}

/*
 * Halve the window until it fits again.  A single edge always fits, so this
 * ends; the published model then rests on the newest edges only.
 */
static void prune(struct usbts_pred *p)
{
	do {
		drop_oldest(p, (u32)u64_max(p->count / 2, 1));
		p->model.valid = 0;
		if (refit(p))
			return;
		/* the previous generation's rate no longer holds either */
		if (p->prior_lo) {
			p->prior_lo = 0;
			if (refit(p))
				return;
		}
	} while (p->count > 1);
}

/*
 * Fold one innovation into the running mean of the squared excess: the
 * slot's estimate (one bracket's midpoint, or the mean of a burst's merged
 * edges), whose spread is @width ns, missed the prediction by @nu ns, @d
 * microframes from the newest edge, where the claim without wander was
 * @claim.  The estimate's own noise (width^2 / 24) and the claim are taken
 * out, so the mean grows only when predictions miss by more than they
 * claimed.
 */
static void excess(struct usbts_pred *p, s64 width, s64 nu, u64 claim, s64 d)
{
	u64 a = u64_min(uabs(nu), (u64)1 << 30), dd = (u64)d * (u64)d, mag;
	s64 e2, term;

	claim = u64_min(claim, (u64)1 << 30);
	e2 = (s64)(a * a) - (s64)((u64)width * (u64)width / 24) - (s64)(claim * claim);
	mag = uabs(e2);
	if (mag >> 12 >= dd)
		mag = (u64)1 << 60;
	else
		mag = mul_u64_u64_div_u64(mag, (u64)1 << 48, dd);
	/* a claim that held contributes nothing, rather than credit */
	term = e2 < 0 ? 0 : (s64)mag;
	p->est.omega2 += (term - p->est.omega2) / 4;
}

/* A running mean over about @n values takes in @v. */
static void fold(s64 *mean, s64 v, u64 n)
{
	*mean += (v - *mean) / (s64)n;
}

/* @v times @g / 2^16, for |@v| < 2^62 and @g <= 2^16 */
static s64 weigh(s64 v, u64 g)
{
	s64 m = (s64)mul_u64_u64_shr(uabs(v), g, 16);

	return v < 0 ? -m : m;
}

/*
 * Fold one far innovation into the rate error estimate: the estimate,
 * whose own variance is @var ns^2, missed the prediction by @nu ns, @d (at
 * least LIKELY_D) microframes from the model's newest edge.  Less the
 * estimate's own noise, the running mean of nu^2 over that of d^2
 * estimates the square of how far the model's rate was off, from its fit
 * and from the clock's wander since: what the claim must cover at
 * distance.  The ratio of means weighs each prediction by its distance, so
 * that near ones, whose miss is mostly noise, do not drown the far ones.
 * Unlike excess(), a claim that held still counts.
 *
 * Each prediction is also weighed by F / (F + var), F being the squared
 * miss the estimate so far expects at that distance (at least a precise
 * edge's noise): one roughly bracketed edge's nu^2 - var is the difference
 * of two large numbers, and would hold the mean up for dozens of
 * predictions.  A weight of 0 leaves the ratio as it was.
 */
static void rate_error(struct usbts_pred *p, u64 var, s64 nu, s64 d)
{
	u64 a = u64_min(uabs(nu), (u64)1 << 30), dd = (u64)d * (u64)d, g;
	u64 f = (u64)USBTS_PRED_PRECISE_NS * USBTS_PRED_PRECISE_NS / 24;
	s64 e2;

	var = u64_min(var, (u64)1 << 60);
	e2 = (s64)(a * a) - (s64)var;
	if (p->est.rate_e2 > 0 && p->est.rate_d2 > 0) {
		u64 e2c = u64_min((u64)p->est.rate_e2, (u64)1 << 40);

		if (dd >> 20 >= (u64)p->est.rate_d2)
			f = (u64)1 << 60;
		else
			f = u64_max(f, mul_u64_u64_div_u64(e2c, dd, (u64)p->est.rate_d2));
	}
	g = mul_u64_u64_div_u64(f, (u64)1 << 16, f + var);
	/* the plain mean until there are enough for the running one */
	if (p->est.rate_n < 32)
		p->est.rate_n++;
	e2 = weigh(e2, g);
	dd = (u64)weigh((s64)dd, g);
	fold(&p->est.rate_e2, e2, p->est.rate_n);
	fold(&p->est.rate_d2, (s64)dd, p->est.rate_n);
	fold(&p->est.rate_e2_fast, e2, u64_min(p->est.rate_n, 4));
	fold(&p->est.rate_d2_fast, (s64)dd, u64_min(p->est.rate_n, 4));
}

/*
 * The model's claim missed by @miss ns, @d microframes from its newest
 * edge: the wander rate grows to cover OMEGA_GAIN times that.  A miss
 * right after the newest edge says the fit was off there, not that the
 * rate changed: it is spread over at least MIN_D.
 */
static void learn_miss(struct usbts_pred *p, u64 miss, s64 d)
{
	u64 need;

	if (!miss || d <= 0)
		return;
	need = mul_u64_u64_div_u64(u64_min(miss, (u64)1 << 36), OMEGA_GAIN * ONE,
				   (u64)s64_max(d, MIN_D));
	p->est.omega = u64_min(u64_max(p->est.omega, need), OMEGA_MAX);
}

/*
 * Did the claim, without its wander allowance, of the model p->test was
 * made against certainly miss the slot's bracket (@lo, @hi]?  The wander
 * estimate grows to cover OMEGA_GAIN times the miss over the distance.
 * Returns the miss in ns.
 */
static u64 judge_bracket(struct usbts_pred *p, s64 lo, s64 hi)
{
	const struct usbts_pred_test *c = &p->test;
	u64 miss = 0;

	if (lo > c->t + c->above)
		miss = (u64)(lo - c->t - c->above);
	else if (hi < c->t - c->below)
		miss = (u64)(c->t - c->below - hi);
	learn_miss(p, miss, c->d);
	return miss;
}

/*
 * The slot of p->test is complete: judge the model it was tested against
 * by the slot's estimate (usbts_pred_test.mid, its spread .w and variance
 * .var).  The squared excess and the rate error take in the estimate's
 * miss, and far from the model's newest edge an estimate outside the claim
 * by more than three sigma of its own noise is a miss for learn_miss().
 */
static void judge_estimate(struct usbts_pred *p)
{
	struct usbts_pred_test *c = &p->test;
	s64 d = c->d, t = c->t, nu = c->mid - c->t, sd;
	u64 claim = u64_min(c->claim, (u64)1 << 30), w = u64_min(c->w, (u64)1 << 30);
	u64 miss = 0;

	c->pending = false;
	if (d > (s64)1 << 30)
		return;
	/*
	 * An estimate whose noise reaches half the claim (one roughly
	 * bracketed edge against a model of many) says little of the claim:
	 * excess() only counts positive excesses, and the noise would pass
	 * for wander.
	 */
	if (w * w / 6 <= claim * claim)
		excess(p, (s64)w, nu, claim, s64_max(d, MIN_D));
	/*
	 * Only a model whose window spans a second or more has a rate to be
	 * wrong about: one fitted to a single burst (after a change point
	 * cut the window down) misses by its slope's own spread, which its
	 * claim carries, and would pass that off as wander for minutes.
	 */
	if (d >= LIKELY_D && c->span)
		rate_error(p, c->var, nu, d);
	if (d < LIKELY_D)
		return;
	sd = (s64)int_sqrt64(u64_min(c->var, (u64)1 << 60)) * 3;
	if (c->mid - sd > t + c->above)
		miss = (u64)(c->mid - sd - t - c->above);
	else if (c->mid + sd < t - c->below)
		miss = (u64)(t - c->below - c->mid - sd);
	learn_miss(p, miss, d);
}

/*
 * Before edge @x, bracketed by (@lo, @hi], most likely at @mid with
 * variance @var, joins the window as a new slot: test it against the
 * model after the newest edge the fit could use (usbts_pred.ref; the
 * published one before any).  The previous slot's test, if still pending,
 * is complete now.  The bracket is judged at once; the estimate once the
 * slot holds the edges usbts_pred_edges_wanted() asks a burst for, the
 * sampler ends the burst (usbts_pred_end_burst()), or the next slot opens.
 * The wander estimate decays from one usable edge to the next.  Returns the
 * certain miss in ns.
 */
static u64 innovate(struct usbts_pred *p, s64 x, s64 lo, s64 hi, s64 mid,
		    u64 var)
{
	const struct usbts_model *m = p->ref.valid ? &p->ref : &p->model;
	struct usbts_pred_test *c = &p->test;
	s64 d = x - m->xc;
	bool usable = (u64)(hi - lo) <= p->limit;

	if (c->pending)
		judge_estimate(p);
	if (!m->valid || d <= 0)
		return 0;
	/* the decay runs from one usable edge to the next, once */
	if (usable) {
		if (d >= (s64)1 << OMEGA_DECAY_SHIFT)
			p->est.omega = 0;
		else
			p->est.omega -= mul_u64_u64_shr(p->est.omega, (u64)d, OMEGA_DECAY_SHIFT);
	}
	if (d > (s64)1 << 36)
		return 0;
	c->x = x;
	c->d = d;
	c->t = m->tc + smul(d, m->period);
	c->below = (s64)(m->below_c + mul_u64_u64_shr((u64)d, m->below_slope, USBTS_PRED_SHIFT));
	c->above = (s64)(m->above_c + mul_u64_u64_shr((u64)d, m->above_slope, USBTS_PRED_SHIFT));
	c->claim = u64_max((u64)c->below, (u64)c->above) + m->bend;
	c->span = m->xc - m->xb >= LIKELY_D;
	c->wanted = usbts_pred_edges_wanted(p);
	c->mid = mid;
	c->w = (u64)(hi - lo);
	c->var = var;
	c->pending = usable;
	if (usable && c->wanted <= 1)
		judge_estimate(p);
	return judge_bracket(p, lo, hi);
}

/*
 * The newest slot @n took in another edge of its burst: if it is the one
 * p->test waits on, judge its narrowed bracket, keep its merged estimate,
 * and judge that once the slot holds the edges the burst was asked for.
 */
static void merged(struct usbts_pred *p, const struct usbts_pred_edge *n)
{
	struct usbts_pred_test *c = &p->test;

	if (!c->pending || c->x != n->x)
		return;
	c->mid = n->mid;
	c->w = n->w;
	c->var = div64_u64(n->vs, (u64)n->n * n->n);
	judge_bracket(p, n->lo, n->hi);
	if (n->n >= c->wanted)
		judge_estimate(p);
}

/*
 * Fold edge @x, bracketed by (@lo, @hi] and most likely at @mid, into the
 * newest edge @n, at most USBTS_PRED_MERGE microframes before it (the same
 * burst): its bracket, moved back by the model's period times the distance
 * and widened by the period's reach (and the wander) over it, narrows
 * @n's, and its estimate joins @n's mean.  A burst that reads on for many
 * edges, because each is bracketed only roughly, thus takes one slot of the
 * window rather than many, and the window keeps its span in time.  Returns
 * false, changing nothing, when the brackets do not overlap.
 */
static bool merge_edge(struct usbts_pred *p, struct usbts_pred_edge *n, s64 x,
		       s64 lo, s64 hi, s64 mid, u64 var)
{
	const struct usbts_model *m = &p->model;
	s64 k = x - n->x, shift = smul(k, m->period);
	s64 u = smul_ceil(k, u64_max(m->below_slope, m->above_slope) + m->wander) + 1;
	s64 nlo = s64_max(n->lo, lo - shift - u), nhi = s64_min(n->hi, hi - shift + u);
	u64 w = (u64)(hi - lo);

	if (nlo >= nhi)
		return false;
	n->lo = nlo;
	n->hi = nhi;
	n->mid += div64_s64(mid - shift - n->mid, n->n + 1);
	/* the mean of two estimates may lie outside where their brackets meet */
	n->mid = s64_min(s64_max(n->mid, nlo), nhi);
	n->n++;
	n->w2 += w * w;
	n->vs += var;
	n->wr = u64_max(n->wr, w);
	/* the spread of a mean of n estimates: sqrt(sum of squares) / n */
	n->w = u64_max(div64_u64((u64)int_sqrt64(n->w2), n->n), 1);
	set_residual(p, n);
	return true;
}

static int add_edge(struct usbts_pred *p, s64 x, s64 lo, s64 hi, s64 mid,
		    u64 var)
{
	struct usbts_pred_edge *e, *n;
	int ret = 0;
	u32 i;

	n = p->count ? edge_at(p, p->count - 1) : NULL;
	if (n && p->model.valid && x > n->x && x - n->x <= USBTS_PRED_MERGE &&
	    (u64)(hi - lo) <= p->limit && n->wr <= p->limit) {
		struct usbts_pred_edge was = *n;
		struct usbts_pred_est est = p->est;
		struct usbts_pred_test test = p->test;
		s64 bmin = p->bmin, bmax = p->bmax;

		if (merge_edge(p, n, x, lo, hi, mid, var)) {
			for (i = 0; i + 1 < p->count; i++)
				pair_update(p, edge_at(p, i), n);
			merged(p, n);
			if (fit(p))
				goto fitted;
			/*
			 * The merge leaned on a model that no line fits any
			 * more: undo it, and let the edge take its own slot.
			 */
			*n = was;
			p->est = est;
			p->test = test;
			p->bmin = bmin;
			p->bmax = bmax;
		}
	}
	innovate(p, x, lo, hi, mid, var);

	if (p->count == USBTS_PRED_EDGES) {
		drop_oldest(p, USBTS_PRED_EDGES / 4);
		if (!refit(p))
			prune(p);
	}
	e = edge_at(p, p->count);
	e->x = x;
	e->lo = lo;
	e->hi = hi;
	e->mid = mid;
	e->w = (u64)(hi - lo);
	e->wr = e->w;
	e->w2 = e->w * e->w;
	e->vs = var;
	e->n = 1;
	set_residual(p, e);
	p->count++;

	if (p->count == 1 || uabs(e->rlo) > RESIDUAL_LIMIT) {
		if (refit(p))
			goto fitted;
	} else {
		for (i = 0; i + 1 < p->count; i++)
			pair_update(p, edge_at(p, i), e);
		if (fit(p))
			goto fitted;
	}
	prune(p);
	ret = USBTS_PRED_PRUNED;
fitted:
	/*
	 * The wander bends the window more than its brackets were widened
	 * for: widen them, or the feasible set may shut the truth out.
	 */
	if (p->count > 1 && curvature(p) > 2 * (u64)p->slack + EDGE_SLACK_NS * 8) {
		bool fits = refit(p);

		if (!fits) {
			prune(p);
			ret |= USBTS_PRED_PRUNED;
		}
	}
	/*
	 * A window so long that the wander may bend it by more than twice
	 * its newest slot's own spread buys a slope no better than what the
	 * widening costs every claim: shorten it.
	 */
	while (p->count >= 16 && too_long(p)) {
		drop_oldest(p, p->count / 4);
		if (!refit(p)) {
			prune(p);
			ret |= USBTS_PRED_PRUNED;
		}
	}
	/* a change point: the newest edges left the line; forget the old */
	while (p->count >= 8 && p->bent) {
		drop_oldest(p, p->count / 2);
		p->model.valid = 0;
		if (!refit(p))
			prune(p);
		ret = USBTS_PRED_PRUNED;
	}
	/*
	 * The next edge is tested against this model only if the fit could
	 * use this one: a preempted read that bracketed an edge roughly
	 * must not hide how far the model before it had to predict.
	 */
	if ((u64)(hi - lo) <= p->limit)
		p->ref = p->model;
	return ret;
}

/*
 * @continuous: no break of the counter was seen, only the first read (or
 * one after centuries): the counter ran before it, so @raw's frame is in
 * this numbering.  Otherwise the counter broke at some unknown moment
 * before this read: a restart begins at MFINDEX 0, a frame's start, so a
 * first value in frame 0 keeps its frame; a stopped counter that moves
 * again, or a jump, may have begun anywhere, so nothing up to @raw itself
 * is answered for.
 */
static void new_generation(struct usbts_pred *p, s64 pre, s64 post, u32 raw,
			   bool continuous)
{
	const struct usbts_model *m = &p->model;
	u32 gen = m->gen + 1;

	/*
	 * A counter that restarts soon after the last edge runs at the rate
	 * it ran at: keep that rate's range, widened by the wander, as a
	 * prior until the new edges contradict it.
	 */
	p->prior_lo = 0;
	if (m->valid && p->count > 1 && pre - m->tc < 8 * 1000000000LL) {
		u64 w = m->below_slope + m->wander + 1;

		p->prior_lo = m->period > w ? m->period - w : 1;
		p->prior_hi = m->period + m->above_slope + m->wander + 1;
	}
	memset(&p->model, 0, sizeof(p->model));
	p->ref.valid = 0;
	p->test.pending = false;
	p->model.gen = gen;
	p->model.x0 = continuous || raw < 8 ? raw - (raw & 7) : (s64)raw + 1;
	p->have_read = true;
	p->last_pre = pre;
	p->last_post = post;
	p->last_x = raw;
	p->stalled = false;
	p->first = 0;
	p->slack = 0;
	p->pb = 0;
	p->pb_reach = 0;
	p->count = 0;
	p->fx = raw;
	p->ft = pre;
	p->fp = (u64)USBTS_PRED_NOMINAL_NS << USBTS_PRED_SHIFT;
}

/* The x congruent to @raw modulo 2^14 that is nearest to @guess. */
static s64 unwrap(s64 guess, u32 raw)
{
	s64 d = ((s64)raw - guess) & USBTS_PRED_MFINDEX_MASK;

	if (d >= (1 << (USBTS_PRED_MFINDEX_BITS - 1)))
		d -= 1 << USBTS_PRED_MFINDEX_BITS;
	return guess + d;
}

/*
 * Is the model sure enough at @x that the unwrap chose the right one of the
 * frames 2^14 apart?  Its claim there must stay below a quarter of a wrap
 * (half of the half wrap that would make the nearest frame ambiguous).
 */
static bool unwrap_sure(const struct usbts_model *m, s64 x)
{
	s64 t;
	u64 acc;

	return usbts_model_time_of(m, x, &t, &acc) &&
	       acc < (u64)PERIOD_MIN_NS << (USBTS_PRED_MFINDEX_BITS - 2);
}

/*
 * How far (ns) a read of @x between @pre and @post falls outside what the
 * model allows, 0 when it fits.
 */
static u64 model_miss(const struct usbts_model *m, s64 pre, s64 post, s64 x)
{
	s64 t0, t1;
	u64 a0, a1;
	u64 miss = 0;

	if (!usbts_model_time_of(m, x, &t0, &a0) ||
	    !usbts_model_time_of(m, x + 1, &t1, &a1))
		return U64_MAX;
	/* edge(x) <= s <= post and edge(x + 1) > s >= pre */
	if (t0 - (s64)a0 > post)
		miss = (u64)(t0 - (s64)a0 - post);
	if (t1 + (s64)a1 < pre)
		miss = u64_max(miss, (u64)(pre - t1 - (s64)a1));
	return miss;
}

/*
 * Without a model: does x fit the previous read at a rate within 600 ppm of
 * nominal?  The sample instants s0 and s are at most (post - last_pre) and
 * at least (pre - last_post) apart.
 */
static bool nominal_fits(const struct usbts_pred *p, s64 pre, s64 post, s64 x,
			 bool *sure)
{
	s64 dx = x - p->last_x;
	s64 lo = pre - p->last_post;
	s64 hi = post - p->last_pre;
	s64 dmin = lo > 0 ? div64_s64(lo, PERIOD_MAX_NS) : 0;
	s64 dmax = div64_s64(hi, PERIOD_MIN_NS) + 1;

	/*
	 * Physics alone fixes the wrap when the possible counts span less
	 * than one: with half a wrap (a gap of up to 14 minutes) at most one
	 * candidate fits, and a wrong guess fails the check below.  Beyond
	 * that, only a model could tell, and no model knows that the rate
	 * did not change during the gap.
	 */
	*sure = dmax - dmin < (s64)1 << (USBTS_PRED_MFINDEX_BITS - 1);
	return dx >= dmin && dx <= dmax;
}

/*
 * Where an edge that fell between a read over [@lp, @lq] and the next over
 * [@pre, @post] lies, on average, and how widely (*@var, ns^2): each read
 * sampled the register at a uniformly random instant, so the edge's
 * density is the chance that the first sample came before it times the
 * chance that the second came after: rising over the first read, flat over
 * the gap, falling over the second.  Its mean lies off the gap's middle
 * toward the longer read.  With the reads' lengths A and B and the gap g,
 * 12 times the density's mass, first and second moments from @lp are
 *
 *	12 Z  = 6A + 12g + 6B
 *	12 M1 = 4A^2 + 12gA + 6g^2 + 6(A + g)B + 2B^2
 *	12 M2 = 3A^3 + 4((A + g)^3 - A^3) + 6(A + g)^2 B + 4(A + g)B^2 + B^3
 *
 * Reads that overlap or nest (which no sampler makes, but a replayed trace
 * may) are cut to the bracket first, so A + g + B = @post - @lp, at most
 * USBTS_PRED_EDGE_MAX_NS: no product overflows, and the mean lies within
 * the bracket.
 */
static s64 edge_mid(s64 lp, s64 lq, s64 pre, s64 post, u64 *var)
{
	u64 a = (u64)(s64_min(s64_max(lq, lp), post) - lp);
	u64 c0 = (u64)(s64_min(s64_max(pre, lp + (s64)a), post) - lp);
	u64 g = c0 - a, b = (u64)(post - lp) - c0, c = a + g;
	u64 z = 6 * a + 12 * g + 6 * b, m1, m2, mean;

	if (!z) {
		*var = 1;
		return lp;
	}
	m1 = 4 * a * a + 12 * g * a + 6 * g * g + 6 * c * b + 2 * b * b;
	m2 = 3 * a * a * a + 4 * (c * c * c - a * a * a) + 6 * c * c * b +
	     4 * c * b * b + b * b * b;
	mean = div64_u64(m1, z);
	*var = u64_max(div64_u64(m2, z) - u64_min(mean * mean, div64_u64(m2, z)), 1);
	return lp + (s64)mean;
}

/**
 * usbts_pred_init() - reset a predictor to "no read yet"
 * @p: predictor
 */
void usbts_pred_init(struct usbts_pred *p)
{
	memset(p, 0, sizeof(*p));
}

/**
 * usbts_pred_add_read() - feed one sandwiched MFINDEX read
 * @p: predictor
 * @pre_ns: CLOCK_MONOTONIC immediately before the register read
 * @post_ns: CLOCK_MONOTONIC immediately after it
 * @mfindex: the raw 14-bit register value
 *
 * Reads must come in time order.  The first read of a generation defines
 * its extended numbering: its extended microframe equals @mfindex.
 *
 * Return: a mask of %USBTS_PRED_NEW_GEN, %USBTS_PRED_NEW_EDGE,
 * %USBTS_PRED_PRUNED and %USBTS_PRED_GOOD_EDGE, or -EINVAL when @pre_ns >
 * @post_ns, @mfindex has more than 14 bits, @pre_ns is earlier than the
 * previous read's, a time lies beyond +-3 * 2^61 ns or the read lasted
 * over 2^61 ns.
 */
int usbts_pred_add_read(struct usbts_pred *p, s64 pre_ns, s64 post_ns,
			u32 mfindex)
{
	s64 mid, guess, x;
	bool sure, fits;
	int ret = 0;
	u64 miss;

	if (pre_ns > post_ns || mfindex > USBTS_PRED_MFINDEX_MASK ||
	    pre_ns < -TIME_LIMIT || post_ns > TIME_LIMIT ||
	    (u64)post_ns - (u64)pre_ns > MAX_SPAN_NS)
		return -EINVAL;
	if (p->have_read && pre_ns < p->last_pre)
		return -EINVAL;
	/* centuries since the last read: nothing carries over, and no sum overflows */
	if (!p->have_read || (u64)post_ns - (u64)p->last_pre > MAX_SPAN_NS) {
		new_generation(p, pre_ns, post_ns, mfindex, true);
		return USBTS_PRED_NEW_GEN;
	}

	mid = pre_ns + (post_ns - pre_ns) / 2;
	if (p->model.valid && usbts_model_count_at(&p->model, mid, &guess)) {
		x = unwrap(guess, mfindex);
		miss = model_miss(&p->model, pre_ns, post_ns, x);
		/*
		 * The unwrap is a guess among frames 2^14 apart: it must be
		 * unambiguous (the model that far out is sure to a quarter of a
		 * wrap, and the gap short enough that no other frame is
		 * possible at a rate within 600 ppm of nominal) and physically
		 * possible (the counter got from the last read to this one at
		 * such a rate).  Otherwise the numbering cannot continue: a new
		 * generation.
		 */
		fits = nominal_fits(p, pre_ns, post_ns, x, &sure);
		if (miss > GROSS_NS || x < p->last_x || !unwrap_sure(&p->model, x) ||
		    !fits || !sure) {
			new_generation(p, pre_ns, post_ns, mfindex, false);
			return USBTS_PRED_NEW_GEN;
		}
		if (miss) {
			/* The clock drifted out of the window: forget old edges. */
			learn_miss(p, miss, x - p->model.xc);
			prune(p);
			ret |= USBTS_PRED_PRUNED;
		}
	} else {
		s64 last_mid = p->last_pre + (p->last_post - p->last_pre) / 2;

		guess = p->last_x + div64_s64(mid - last_mid + USBTS_PRED_NOMINAL_NS / 2,
					      USBTS_PRED_NOMINAL_NS);
		x = unwrap(guess, mfindex);
		fits = nominal_fits(p, pre_ns, post_ns, x, &sure);
		if (!sure) {
			/* too long without a model to tell which wrap this is */
			new_generation(p, pre_ns, post_ns, mfindex, false);
			return USBTS_PRED_NEW_GEN;
		}
		if (!fits) {
			if (mfindex != (p->last_x & USBTS_PRED_MFINDEX_MASK)) {
				new_generation(p, pre_ns, post_ns, mfindex, false);
				return USBTS_PRED_NEW_GEN;
			}
			/*
			 * Still frozen, and no edge since this generation began:
			 * re-anchor on this read rather than start yet another
			 * generation for every read of a stopped counter.
			 */
			x = p->last_x;
			p->stalled = true;
		} else if (p->stalled && x != p->last_x) {
			/*
			 * A stopped counter moves again.  Even when it resumed
			 * right after the last re-anchored read, the frames it
			 * stood still for map onto no time: a new mapping.
			 */
			new_generation(p, pre_ns, post_ns, mfindex, false);
			return USBTS_PRED_NEW_GEN;
		}
	}

	if (x == p->last_x + 1 && post_ns - p->last_pre <= USBTS_PRED_EDGE_MAX_NS) {
		ret |= USBTS_PRED_NEW_EDGE;
		/*
		 * The edge fell between the two sampling instants, each uniform
		 * within its read: most likely near where one read ended and
		 * the next began.
		 */
		u64 var;
		s64 mid = edge_mid(p->last_pre, p->last_post, pre_ns, post_ns, &var);

		ret |= add_edge(p, x, p->last_pre, post_ns, mid, var);
		if ((u64)(post_ns - p->last_pre) <= p->limit)
			ret |= USBTS_PRED_GOOD_EDGE;
	}
	p->last_pre = pre_ns;
	p->last_post = post_ns;
	p->last_x = x;
	return ret;
}

/**
 * usbts_pred_end_burst() - the sampler's burst is over
 * @p: predictor
 *
 * The newest slot's estimate is judged once its burst's edges have merged
 * into it; a burst that ended short of them (its time budget spent, reads
 * preempted) has it judged now, rather than when the next burst, perhaps
 * 16 s later, opens a slot.  What that teaches the wander estimate raises
 * the published model's wander allowance at once; it never lowers it
 * before the next fit.
 */
void usbts_pred_end_burst(struct usbts_pred *p)
{
	if (!p->test.pending)
		return;
	judge_estimate(p);
	if (p->model.valid)
		p->model.wander = u64_max(p->model.wander, wander_of(p, true));
}

/**
 * usbts_pred_edges_wanted() - how many edges should a burst bracket?
 * @p: predictor
 *
 * A sampler reading at PCIe speed brackets an edge to about a microsecond,
 * and one edge a burst is plenty; one whose reads take tens of
 * microseconds (an emulated controller, a congested bus) learns a fraction
 * of that from each edge and should read on for more, which the predictor
 * merges into one.  The count grows with the square of the narrowest
 * bracket the window keeps, from 1 at %USBTS_PRED_PRECISE_NS to
 * %USBTS_PRED_BURST_EDGES.
 *
 * Return: the number of edges (each narrow enough for the fit, see
 * %USBTS_PRED_GOOD_EDGE) a burst should bracket; 1 before the first fit.
 */
u32 usbts_pred_edges_wanted(const struct usbts_pred *p)
{
	u64 q;

	if (!p->model.valid || p->limit <= 2000)
		return 1;
	/* p->limit is twice the narrowest bracket, plus 2000 ns */
	q = div64_u64((p->limit - 2000) / 2, USBTS_PRED_PRECISE_NS);
	if (q >= 4)
		return USBTS_PRED_BURST_EDGES;
	return (u32)u64_max(q * q, 1);
}

/**
 * usbts_model_time_of() - when did or will a microframe start?
 * @m: model snapshot
 * @x: extended microframe, in the numbering of @m's generation
 * @t_ns: predicted start time, CLOCK_MONOTONIC ns, rounded up to a whole ns
 * @accuracy_ns: the true start lies within this many ns of *@t_ns
 *
 * Return: false when the model cannot predict yet (no edge bracketed), @x
 * lies before the generation's first microframe answered for
 * (&usbts_model.x0), or
 * @x is too far
 * (over 2^45 microframes) from the model's reference.
 */
bool usbts_model_time_of(const struct usbts_model *m, s64 x, s64 *t_ns,
			 u64 *accuracy_ns)
{
	s64 d, t, e = 0;
	u64 ad, lo, hi, acc;

	/* perhaps begun before the counter's restart, stop or jump */
	if (!m->valid || x < m->x0 || check_sub_overflow(x, m->xc, &d))
		return false;
	ad = uabs(d);
	if (ad > QUERY_LIMIT)
		return false;
	if (m->pb && x < m->xb) {
		/* before the window: the window's value at its oldest edge ... */
		e = x - m->xb;
		d = m->xb - m->xc;
		ad = uabs(d);
	}
	/* the first whole ns at or after the start: count_at() agrees */
	if (check_add_overflow(m->tc, smul_ceil(d, m->period), &t))
		return false;
	if (d >= 0) {
		/* exact: the truth lies in [tc - below, tc + above] at x */
		lo = m->below_c + mul_u64_u64_shr(ad, m->below_slope, USBTS_PRED_SHIFT);
		hi = m->above_c + mul_u64_u64_shr(ad, m->above_slope, USBTS_PRED_SHIFT);
		acc = u64_max(lo, hi);
	} else {
		/* inside or before the window: the bounding box, conservative */
		lo = u64_max(m->below_c, m->above_c);
		hi = mul_u64_u64_shr(ad, u64_max(m->below_slope, m->above_slope),
				     USBTS_PRED_SHIFT);
		acc = lo + hi;
	}
	acc += 1 + m->bend;
	if (d >= 0)
		/* the clock may wander after the newest edge */
		acc += mul_u64_u64_shr(ad, m->wander, USBTS_PRED_SHIFT);
	else if (!e && x < m->xb)
		/* the window's line, before the window: it may have wandered */
		acc += mul_u64_u64_shr(uabs(m->xb - x), m->wander, USBTS_PRED_SHIFT);
	if (e) {
		/* ... and the rate of the model it replaced from there back */
		if (check_add_overflow(t, smul_ceil(e, m->pb), &t))
			return false;
		acc += mul_u64_u64_shr(uabs(e), m->pb_reach + m->wander, USBTS_PRED_SHIFT);
	}
	*t_ns = t;
	*accuracy_ns = acc;
	return true;
}

/**
 * usbts_model_count_at() - which microframe is the bus in at a given time?
 * @m: model snapshot
 * @t_ns: CLOCK_MONOTONIC ns
 * @x: the extended microframe whose predicted start is the last at or
 *     before @t_ns
 *
 * Return: false when the model cannot predict yet.
 */
bool usbts_model_count_at(const struct usbts_model *m, s64 t_ns, s64 *x)
{
	s64 dt, r;
	u64 q;

	if (!m->valid || check_sub_overflow(t_ns, m->tc, &dt))
		return false;
	/* at most 2^64 ns << 24 / 2^41 (the shortest period): below 2^47 */
	q = mul_u64_u64_div_u64(uabs(dt), ONE, m->period);
	if (dt >= 0)
		return !check_add_overflow(m->xc, (s64)q, x);
	/* floor: step back one more unless q periods end exactly at t */
	if (check_sub_overflow(m->xc, (s64)q, &r))
		return false;
	if (m->tc - smul((s64)q, m->period) > t_ns &&
	    check_sub_overflow(r, (s64)1, &r))
		return false;
	*x = r;
	return true;
}

/**
 * usbts_model_horizon() - how long does the claim stay within a bound?
 * @m: model snapshot
 * @accuracy_ns: the accuracy wanted
 *
 * For a sampler choosing its next burst: the claim for microframes after
 * the model's newest edge grows with their distance from it.
 *
 * Return: how long (ns) after the newest edge (@m->tc) the claim for a
 * microframe stays within @accuracy_ns; 0 when the model cannot predict
 * or is already less accurate than that; at most 2^40 microframes.
 */
u64 usbts_model_horizon(const struct usbts_model *m, u64 accuracy_ns)
{
	u64 d = (u64)1 << 40, room, slope;

	if (!m->valid || accuracy_ns <= 1)
		return 0;
	accuracy_ns = u64_min(accuracy_ns - 1, (u64)1 << 38);
	/* acc(d) = max(below_c + d * below_slope, above_c + d * above_slope) + d * wander */
	if (m->below_c + m->bend >= accuracy_ns || m->above_c + m->bend >= accuracy_ns)
		return 0;
	room = accuracy_ns - m->bend - m->below_c;
	slope = m->below_slope + m->wander;
	if (slope)
		d = u64_min(d, mul_u64_u64_div_u64(room, ONE, slope));
	room = accuracy_ns - m->bend - m->above_c;
	slope = m->above_slope + m->wander;
	if (slope)
		d = u64_min(d, mul_u64_u64_div_u64(room, ONE, slope));
	return mul_u64_u64_shr(d, m->period, USBTS_PRED_SHIFT);
}

/**
 * usbts_model_next_interval() - how long a converged sampler sleeps
 * @m: the model its burst just published
 * @prev_ms: the interval before this one
 * @need_ns: the accuracy it was asked to keep, 0 if none
 * @now: now, in the model's clock
 * @limited: set when the need (or the default need), not the growth,
 *	decided
 *
 * The interval grows by a quarter a burst, so that the wander estimate has
 * seen predictions nearly as far ahead before a claim relies on them, up to
 * %USBTS_MAX_INTERVAL_MS.  With a need it ends an eighth before the model's
 * claim for the current microframe would exceed it (usbts_model_horizon()),
 * but not sooner than %USBTS_NEED_MIN_MS: a need the model cannot meet
 * costs about one burst a second, no more.  The need is never looser than
 * %USBTS_DEFAULT_NEED_FACTOR times the claim at the newest edge, so that
 * the interval follows the wander the model measures, with or without a
 * handle's need.  The module's sampler and the simulator's schedule both
 * use this.
 *
 * Return: the interval, ms.
 */
u32 usbts_model_next_interval(const struct usbts_model *m, u32 prev_ms,
			      u64 need_ns, s64 now, bool *limited)
{
	u64 ms = u64_min((u64)prev_ms + prev_ms / 4, USBTS_MAX_INTERVAL_MS);
	u64 h, since, dflt, left_ms = 0;

	*limited = false;
	if (m->valid) {
		/*
		 * The default applies to every need: a looser one must not let
		 * the sampler sleep through a change the default would catch.
		 * Claims beyond 2^40 ns have no horizon anyway, and the sum of
		 * three claims below 2^62 each cannot overflow.
		 */
		dflt = USBTS_DEFAULT_NEED_FACTOR *
		       u64_min(u64_max(m->below_c, m->above_c) + m->bend + 1,
			       (u64)1 << 40);
		need_ns = need_ns ? u64_min(need_ns, dflt) : dflt;
	} else if (!need_ns) {
		return (u32)ms;
	}
	/* the horizon is at most 2^40 microframes, about 4.4 years */
	h = usbts_model_horizon(m, need_ns);
	since = now > m->tc ? (u64)now - (u64)m->tc : 0;
	/*
	 * An eighth early: a timer for seconds fires up to an eighth of its
	 * delay late (the timer wheel's granularity), and the burst takes a
	 * moment too.
	 */
	if (since < h)
		left_ms = div64_u64(h - since, 1000000) * 7 / 8;
	left_ms = u64_max(left_ms, USBTS_NEED_MIN_MS);
	if (left_ms < ms) {
		ms = left_ms;
		*limited = true;
	}
	return (u32)ms;
}
