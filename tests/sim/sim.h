/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sim.h - synthetic MFINDEX traces with known truth
 *
 * Models (all times are ns of the reference clock, which is the truth):
 *
 * Controller clock.  The microframe period is 125000 ns * (1 + f(t) / 1e6)
 * where the frequency offset f (ppm) is @ppm at the start and then
 *  - wanders as a random walk with steps of N(0, @wander_ppb) ppb once a
 *    second;
 *  - jumps by @step_ppm at @step_at_s;
 *  - ramps by @ramp_ppm_per_min from @ramp_at_s for @ramp_for_s seconds
 *    (warm-up drift).
 * The frequency is piecewise constant over "knots" 10 ms apart (one per
 * edge after a step), so edges are exact multiples of the period between
 * knots and a long trace costs little memory.
 *
 * Counter.  MFINDEX counts edges modulo 2^14 from a random start value.
 * At @reset_at_s the counter restarts at 0 (as QEMU does when Run/Stop goes
 * 0 -> 1): a new segment of edges starts at that instant.
 *
 * Read latency.  A read issued at pre takes base + U(0, jitter) ns; the
 * register is sampled at a uniformly random point inside it.  With
 * probability @outlier_pct % the read is preempted for @outlier_ns, before
 * or after the sampling instant with equal chance.  Back-to-back reads are
 * 20 ns apart.
 *
 * Sampling.  A burst of back-to-back reads runs until it has seen one value
 * change and @burst_after more reads (at most 4096 reads); it starts U(0,
 * 100 us) late, as a timer does.  Bursts come
 * every @warm_ms for the first @warm_s seconds, then every @burst_ms; or,
 * when @schedule is set, whenever it says: it is called after each burst
 * (lazily, at the next sim_next_read(), so the caller has seen every read
 * of the burst) and returns the time of the next.  Between bursts, single
 * reads come every U(@single_min_ms, @single_max_ms) when @single_max_ms is
 * non-zero.  A pause of @pause_s with no reads at all starts every
 * @pause_every_s.
 */
#ifndef USBTS_SIM_H
#define USBTS_SIM_H

#include <stdbool.h>
#include <stdint.h>

struct sim_params {
	const char *name;
	double seconds;
	double ppm;
	double wander_ppb;
	double step_ppm;
	double step_at_s;
	double ramp_ppm_per_min;
	double ramp_at_s;
	double ramp_for_s;
	double reset_at_s;	/* 0: no reset */
	double lat_base_ns;
	double lat_jitter_ns;
	double outlier_pct;
	double outlier_ns;
	double warm_s;
	double warm_ms;
	double burst_ms;	/* 0: no bursts (unless @schedule) */
	int burst_after;
	double single_min_ms;
	double single_max_ms;	/* 0: no single reads */
	double pause_every_s;	/* 0: no pauses */
	double pause_s;
	uint64_t seed;
	/* optional: time of the next burst, given the end of the last one */
	double (*schedule)(void *ctx, double now);
	void *schedule_ctx;
};

struct sim_read {
	int64_t pre;
	int64_t post;
	uint32_t mfindex;
	int seg;		/* truth: counter segment */
	int64_t count;		/* truth: edges since the segment began */
};

/* a run of edges at one period: edge(k) = t + (k - k0) * period */
struct sim_knot {
	double t;
	int64_t k0;
	double period;
};

struct sim {
	struct sim_params p;
	struct sim_knot *knot;
	int64_t n_knots;
	int64_t seg_first[2];	/* first knot of each segment */
	uint32_t seg_raw0[2];
	int n_segs;
	double t_end;		/* edges are known up to here */
	double change_at;	/* when the step or ramp began, 0: none */
	uint64_t rng;
	/* sampler state */
	double now;
	double next_burst;
	double next_single;
	double next_pause;
	int in_burst;		/* reads left in the burst after the edge, -1 before */
	int burst_reads;
	bool need_schedule;
	uint32_t burst_first;
	uint64_t bursts;
};

int sim_init(struct sim *s, const struct sim_params *p);
void sim_free(struct sim *s);
/* The next read, false at the end of the trace. */
bool sim_next_read(struct sim *s, struct sim_read *r);
/* Truth: the segment and count in force at time t. */
void sim_count_at(const struct sim *s, double t, int *seg, int64_t *count);
/*
 * Truth: the start time of edge @count of segment @seg; false when that
 * edge is not known (before the segment, or past the end).
 */
bool sim_edge_time(const struct sim *s, int seg, int64_t count, double *t);
/*
 * Within a burst, after the read that saw the value change: read on to the
 * next change instead (the caller found that edge's bracket too wide).
 */
void sim_burst_more(struct sim *s, uint32_t mfindex);
double sim_uniform(struct sim *s);
double sim_gauss(struct sim *s);

#endif
