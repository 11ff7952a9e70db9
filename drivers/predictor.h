/* SPDX-License-Identifier: GPL-2.0 */
/*
 * predictor.h - USB microframe <-> system time model, shared unchanged by
 * the usb_timesync module and userspace (usbts replay, tests, benchmark).
 *
 * Copyright (C) 2026 The usb-timesync developers
 */
#ifndef _USBTS_PREDICTOR_H
#define _USBTS_PREDICTOR_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include "predictor_compat.h"
#endif

/* Fixed-point fraction bits of periods and slopes (ns per microframe). */
#define USBTS_PRED_SHIFT	24
/* Nominal microframe period, 125 us. */
#define USBTS_PRED_NOMINAL_NS	125000
/* MFINDEX is 14 bits wide. */
#define USBTS_PRED_MFINDEX_BITS	14
#define USBTS_PRED_MFINDEX_MASK	((1u << USBTS_PRED_MFINDEX_BITS) - 1)
/*
 * The longest a converged sampler sleeps.  32 s (under 2 wakeups a minute),
 * even with the default need below, let a 2 ppm step break 1.17% of a
 * seed's claims on the simulator (module+step, 48 seeds): a step right
 * after a burst goes unseen for the whole interval, and a claim of a few
 * us is exceeded within seconds.  See tests/bench/RESULTS.md.
 */
#define USBTS_MAX_INTERVAL_MS	16000
/*
 * The sampler keeps the claim for the current microframe within this many
 * times what it is at the newest edge, or a handle's need if that is
 * smaller: a steady clock's claim grows slowly and the sampler sleeps the
 * longest; a wandering one's grows fast, and the sampler reads more often.
 * 3 let a 2 ppm step and a warm-up drift break over 1% of the simulator's
 * claims (at 32 s at most).
 */
#define USBTS_DEFAULT_NEED_FACTOR	2
/*
 * The shortest it sleeps for an accuracy it was asked for.  Past LIKELY_D
 * (1.024 s), so that every burst's prediction feeds the rate error; a
 * burst's merged slot, not its roughly bracketed first edge, is what the
 * prediction is judged by (predictor.c), which once widened slow
 * (QEMU-like) reads' claims at this interval.
 */
#define USBTS_NEED_MIN_MS	1100
/* Edge history: constant memory, O(1) amortised work per edge. */
#define USBTS_PRED_EDGES	256
/*
 * Widest edge bracket the model keeps.  Wider brackets (reads preempted for
 * a long time) carry almost no information and would only take a slot.
 */
#define USBTS_PRED_EDGE_MAX_NS	150000

/**
 * struct usbts_model - a published snapshot of the frame/time mapping
 * @gen: generation, counting from 1; 0 before the first read
 * @valid: non-zero once a microframe edge has been bracketed
 * @xc: reference extended microframe (the newest bracketed edge)
 * @tc: estimated start time of @xc, CLOCK_MONOTONIC ns
 * @period: estimated microframe period, ns << %USBTS_PRED_SHIFT
 * @below_c: how far the feasible start times of @xc reach below @tc, ns
 * @above_c: how far they reach above @tc, ns
 * @below_slope: how far the feasible periods reach below @period,
 *	ns << %USBTS_PRED_SHIFT
 * @above_slope: how far they reach above @period
 * @bend: allowance for the clock bending away from a line within the
 *	window, ns: what the newest edges' residuals could hide
 * @xb: oldest edge of the window
 * @pb: period before @xb, from the model the window replaced; 0: the
 *	window reaches back to the generation's start
 * @pb_reach: how far the clock before @xb may have run from @pb, in the
 *	units of @period
 * @wander: allowance for the clock's rate changing, estimated from how
 *	well earlier models predicted later edges; ns << %USBTS_PRED_SHIFT
 *	per microframe of distance from @xc
 * @x0: the first microframe answered for, extended.  A generation begins
 *	with a read after the counter restarted, stopped or jumped at some
 *	unknown moment, and no earlier microframe may have started in this
 *	numbering.  The first read's frame, when the counter was not seen to
 *	break (tracking began) or restarted in frame 0 (a restart begins at
 *	a frame's start); else the microframe after the first read's: a
 *	stopped counter that moves again, or a jump, may begin anywhere.
 *
 * The estimate (@tc, @period) comes from a least-squares fit of the bracket
 * midpoints; the four reaches describe the set of lines that pass through
 * every bracket, so the accuracy is a hard bound however the fit fares.
 *
 * A snapshot is plain data: readers copy it (under a seqcount in the
 * module) and query it with usbts_model_time_of() and
 * usbts_model_count_at(), which never touch the predictor itself.
 */
struct usbts_model {
	u32 gen;
	u32 valid;
	s64 xc;
	s64 tc;
	u64 period;
	u64 below_c;
	u64 above_c;
	u64 below_slope;
	u64 above_slope;
	u64 bend;
	s64 xb;
	u64 pb;
	u64 pb_reach;
	u64 wander;
	s64 x0;
};

/**
 * struct usbts_pred_edge - one bracketed microframe edge
 * @x: extended microframe whose start was bracketed
 * @lo: the start was after this time (ns)
 * @hi: the start was at or before this time (ns)
 * @mid: where the edge lies on average, given that it fell between two
 *	samples, each uniform within its read (see edge_mid())
 * @rlo: @lo, widened by the slack, less the residual frame's time of @x
 * @rhi: @hi, likewise
 * @rmid: @mid, likewise; all three kept up to date whenever the frame moves
 * @w: the spread of @mid, as a bracket's width: @hi - @lo for one edge,
 *	less for edges merged from one burst
 * @wr: the widest of the merged brackets, which decides whether the fit
 *	uses this edge, as it would a single one
 * @w2: the sum of the squares of the merged brackets' widths
 * @vs: the sum of the merged estimates' variances, ns^2: @mid's variance
 *	is @vs / @n^2
 * @n: how many edges of one burst were merged here
 */
struct usbts_pred_edge {
	s64 x;
	s64 lo;
	s64 hi;
	s64 mid;
	s64 rlo;
	s64 rhi;
	s64 rmid;
	u64 w;
	u64 wr;
	u64 w2;
	u64 vs;
	u32 n;
};

/**
 * struct usbts_pred_est - the wander estimates, from edges tested against
 *	the model before them
 * @omega: the wander estimate from certain misses, as &usbts_model.wander
 * @omega2: running mean of the squared excess of innovations beyond their
 *	claim, (ns per microframe)^2 << 48; may be negative
 * @rate_e2: running mean of the squared misses of predictions a second or
 *	more ahead, less their estimates' own noise, ns^2; may be negative;
 *	over about 32 such predictions, each weighed by how much its noise
 *	leaves of it (rate_error())
 * @rate_d2: running mean of the squares of their distances, microframes^2
 * @rate_e2_fast: as @rate_e2 over about 4, for a rate error that just grew
 * @rate_d2_fast: as @rate_d2 over about 4
 * @rate_n: how many such predictions were seen, up to 32
 */
struct usbts_pred_est {
	u64 omega;
	s64 omega2;
	s64 rate_e2;
	s64 rate_d2;
	s64 rate_e2_fast;
	s64 rate_d2_fast;
	u32 rate_n;
};

/**
 * struct usbts_pred_test - the newest slot's test against the model before
 * @pending: the slot's estimate is still to be judged
 * @span: the model's window spanned LIKELY_D or more
 * @wanted: the edges a burst was asked for when the slot opened
 * @x: the slot's microframe
 * @d: its distance from the tested model's newest edge, microframes
 * @t: the model's prediction for it, ns
 * @below: how far below @t the model's claim without wander reached, ns
 * @above: how far above
 * @claim: the larger of both plus the model's bend, ns
 * @mid: the slot's estimate, ns
 * @w: its spread: the bracket width of one edge, or of a merged mean, ns
 * @var: its variance, ns^2
 *
 * A burst's first edge opens a slot; a slow sampler's edges after it merge
 * into the slot and narrow it.  The model's estimate is judged (excess,
 * rate error, misses of the estimate) once, by the slot's merged estimate:
 * the rough first edge must not pass its own noise off as the model's
 * error, which the claims would then carry at three sigma.
 */
struct usbts_pred_test {
	bool pending;
	bool span;
	u32 wanted;
	s64 x;
	s64 d;
	s64 t;
	s64 below;
	s64 above;
	u64 claim;
	s64 mid;
	u64 w;
	u64 var;
};

/**
 * struct usbts_pred - predictor state; owned by one writer at a time
 * @model: the current model, published after every update
 * @ref: the model after the newest edge the fit could use, which new
 *	edges test (innovate()): a rough edge read since must not make the
 *	next good one look near
 * @have_read: a read has been seen in this generation
 * @last_pre: previous read, CLOCK_MONOTONIC before the register read
 * @last_post: previous read, CLOCK_MONOTONIC after the register read
 * @last_x: extended microframe of the previous read
 * @stalled: the counter was seen standing still in this generation
 * @first: index of the oldest edge in @edges (ring buffer)
 * @count: number of edges in @edges
 * @fx: reference microframe of the residual frame
 * @ft: reference time of the residual frame
 * @fp: period of the residual frame, ns << %USBTS_PRED_SHIFT
 * @bmin: lowest feasible residual slope, ns << %USBTS_PRED_SHIFT per uframe
 * @bmax: highest feasible residual slope
 * @est: what the tests of new edges against the model have taught
 * @test: the newest slot's test, redone as the burst's edges merge into it
 * @limit: widest bracket the least-squares fit uses, ns
 * @bent: the newest edges bend away from the window's line
 * @pb: the period of the last model whose edges were dropped, 0: none
 * @pb_reach: how far the time before the window may have run from @pb
 *	(drop_oldest())
 * @prior_lo: lowest feasible period of the previous generation, 0: none
 * @prior_hi: highest
 * @slack: how far every bracket is widened for curvature in the window, ns
 * @seen_rate: how far the newest quarter's rate differs from the window's,
 *	beyond 1.5 sigma of its noise; ns << %USBTS_PRED_SHIFT per microframe
 * @edges: bracketed edges, oldest first from @first
 *
 * Edges are stored as absolute times and as residuals against the frame
 * (@fx, @ft, @fp), on which fitting works so that all fixed-point values
 * stay small.
 */
struct usbts_pred {
	struct usbts_model model;
	struct usbts_model ref;
	bool have_read;
	s64 last_pre;
	s64 last_post;
	s64 last_x;
	bool stalled;
	u32 first;
	u32 count;
	s64 fx;
	s64 ft;
	u64 fp;
	s64 bmin;
	s64 bmax;
	struct usbts_pred_est est;
	struct usbts_pred_test test;
	u64 limit;
	bool bent;
	u64 pb;
	u64 pb_reach;
	u64 prior_lo;
	u64 prior_hi;
	s64 slack;
	u64 seen_rate;
	struct usbts_pred_edge edges[USBTS_PRED_EDGES];
};

/* usbts_pred_add_read() result bits */
#define USBTS_PRED_NEW_GEN	0x1	/* this read started a new generation */
#define USBTS_PRED_NEW_EDGE	0x2	/* this read bracketed an edge */
#define USBTS_PRED_PRUNED	0x4	/* drift forced older edges out */
/*
 * The new edge's bracket is narrow enough for the fit to use.  A read
 * preempted across the edge brackets it too widely to tell much; a sampler
 * that wants information from its burst reads on to the next edge.
 */
#define USBTS_PRED_GOOD_EDGE	0x8

/* A bracket this narrow (ns) makes one edge a burst enough. */
#define USBTS_PRED_PRECISE_NS	2000
/* The most edges usbts_pred_edges_wanted() asks a burst for. */
#define USBTS_PRED_BURST_EDGES	16
/* Edges this close (microframes) to the newest are merged into it. */
#define USBTS_PRED_MERGE	32

void usbts_pred_init(struct usbts_pred *p);
u32 usbts_pred_edges_wanted(const struct usbts_pred *p);
void usbts_pred_end_burst(struct usbts_pred *p);
int usbts_pred_add_read(struct usbts_pred *p, s64 pre_ns, s64 post_ns,
			u32 mfindex);
bool usbts_model_time_of(const struct usbts_model *m, s64 x, s64 *t_ns,
			 u64 *accuracy_ns);
bool usbts_model_count_at(const struct usbts_model *m, s64 t_ns, s64 *x);
u64 usbts_model_horizon(const struct usbts_model *m, u64 accuracy_ns);
u32 usbts_model_next_interval(const struct usbts_model *m, u32 prev_ms,
			      u64 need_ns, s64 now, bool *limited);

#endif /* _USBTS_PREDICTOR_H */
