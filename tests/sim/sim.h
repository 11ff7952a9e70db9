/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sim.h - synthetic MFINDEX traces with known truth
 *
 * Models (all times are CLOCK_MONOTONIC ns; the system clock is the truth):
 *
 * Controller clock.  The microframe period is 125000 ns * (1 + f(t) / 1e6)
 * where the frequency offset f (ppm) is @ppm at the start, wanders as a
 * random walk with steps of N(0, @wander_ppb) ppb once a second, and jumps
 * by @step_ppm at @step_at_s.  Edges are integrated period by period.
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
 * Sampling.  For the first @warm_s seconds bursts come every @warm_ms (the
 * module's sampler converges like that); then every @burst_ms a burst of back-to-back reads runs until it has
 * seen one value change and @burst_after more reads (at most 4096 reads).
 * Between bursts, single reads come every U(@single_min_ms, @single_max_ms)
 * when @single_max_ms is non-zero.  A pause of @pause_s with no reads at all
 * starts every @pause_every_s.
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
	double reset_at_s;	/* 0: no reset */
	double lat_base_ns;
	double lat_jitter_ns;
	double outlier_pct;
	double outlier_ns;
	double warm_s;
	double warm_ms;
	double burst_ms;	/* 0: no bursts */
	int burst_after;
	double single_min_ms;
	double single_max_ms;	/* 0: no single reads */
	double pause_every_s;	/* 0: no pauses */
	double pause_s;
	uint64_t seed;
};

struct sim_read {
	int64_t pre;
	int64_t post;
	uint32_t mfindex;
	int seg;		/* truth: counter segment */
	int64_t count;		/* truth: edges since the segment began */
};

struct sim {
	struct sim_params p;
	double *edge;		/* edge times; segment s starts at seg_first[s] */
	int64_t n_edges;
	int64_t seg_first[2];
	uint32_t seg_raw0[2];
	int n_segs;
	uint64_t rng;
	/* sampler state */
	double now;
	double next_burst;
	double next_single;
	double next_pause;
	int in_burst;		/* reads left in the burst after the edge, -1 before */
	int burst_reads;
	uint32_t burst_first;
	int64_t cursor;		/* edge search hint */
};

int sim_init(struct sim *s, const struct sim_params *p);
void sim_free(struct sim *s);
/* The next read, false at the end of the trace. */
bool sim_next_read(struct sim *s, struct sim_read *r);
/* Truth: the segment and count in force at time t. */
void sim_count_at(struct sim *s, double t, int *seg, int64_t *count);
/* Truth: the start time of edge @count of segment @seg. */
double sim_edge_time(const struct sim *s, int seg, int64_t count);
double sim_uniform(struct sim *s);

#endif
