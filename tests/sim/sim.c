// SPDX-License-Identifier: GPL-2.0
/*
 * sim.c - synthetic MFINDEX traces with known truth; see sim.h for models.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

static uint64_t next_u64(struct sim *s)
{
	/* splitmix64: small, fast, and good enough for a simulator */
	uint64_t z = (s->rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

double sim_uniform(struct sim *s)
{
	return (double)(next_u64(s) >> 11) * 0x1.0p-53;
}

static double gauss(struct sim *s)
{
	double u = sim_uniform(s), v = sim_uniform(s);

	return sqrt(-2.0 * log(u + 1e-300)) * cos(2 * 3.14159265358979323846 * v);
}

int sim_init(struct sim *s, const struct sim_params *p)
{
	double t, f, next_wander = 1e9, end;
	int64_t cap, n = 0;

	memset(s, 0, sizeof(*s));
	s->p = *p;
	s->rng = p->seed ? p->seed : 1;
	end = p->seconds * 1e9 + 1e9;
	cap = (int64_t)(end / 124000.0) + 16;
	s->edge = malloc(sizeof(double) * (size_t)cap);
	if (!s->edge)
		return -1;

	/* first edge at a random phase; counter starts at a random value */
	t = 1e9 + sim_uniform(s) * 125000.0;
	f = p->ppm;
	s->n_segs = 1;
	s->seg_first[0] = 0;
	s->seg_raw0[0] = (uint32_t)(next_u64(s) & 0x3fff);
	while (t < end && n < cap) {
		if (p->reset_at_s > 0 && s->n_segs == 1 && t >= 1e9 + p->reset_at_s * 1e9) {
			/* counter restarts at 0 at the reset instant */
			t = 1e9 + p->reset_at_s * 1e9;
			s->seg_first[1] = n;
			s->seg_raw0[1] = 0;
			s->n_segs = 2;
		}
		s->edge[n++] = t;
		if (t >= next_wander) {
			f += gauss(s) * p->wander_ppb / 1000.0;
			next_wander += 1e9;
		}
		if (p->step_ppm != 0 && t >= 1e9 + p->step_at_s * 1e9 &&
		    t - 125000.0 * 1.001 < 1e9 + p->step_at_s * 1e9)
			f += p->step_ppm;
		t += 125000.0 * (1.0 + f / 1e6);
	}
	s->n_edges = n;
	s->now = 1e9 + 0.5e6;
	s->next_burst = s->now;
	s->next_single = p->single_max_ms > 0 ? s->now + 1e6 : INFINITY;
	s->next_pause = p->pause_every_s > 0 ? s->now + p->pause_every_s * 1e9 : INFINITY;
	s->in_burst = -2;
	return 0;
}

void sim_free(struct sim *s)
{
	free(s->edge);
	s->edge = NULL;
}

void sim_count_at(struct sim *s, double t, int *seg, int64_t *count)
{
	int64_t lo, hi, i;
	int g = (s->n_segs == 2 && t >= s->edge[s->seg_first[1]]) ? 1 : 0;

	/* last edge <= t, binary search from the hint */
	lo = s->seg_first[g];
	hi = (g == 0 && s->n_segs == 2) ? s->seg_first[1] - 1 : s->n_edges - 1;
	i = s->cursor;
	if (i < lo || i > hi || s->edge[i] > t)
		i = lo;
	while (i < hi && s->edge[i + 1] <= t && i - s->cursor < 4)
		i++;
	if (i < hi && s->edge[i + 1] <= t) {
		lo = i;
		while (lo < hi) {
			int64_t mid = lo + (hi - lo + 1) / 2;

			if (s->edge[mid] <= t)
				lo = mid;
			else
				hi = mid - 1;
		}
		i = lo;
	}
	s->cursor = i;
	*seg = g;
	*count = i - s->seg_first[g];
}

double sim_edge_time(const struct sim *s, int seg, int64_t count)
{
	int64_t i = s->seg_first[seg] + count;

	if (i < 0)
		i = 0;
	if (i >= s->n_edges)
		i = s->n_edges - 1;
	return s->edge[i];
}

static void do_read(struct sim *s, struct sim_read *r)
{
	const struct sim_params *p = &s->p;
	double lat = p->lat_base_ns + sim_uniform(s) * p->lat_jitter_ns;
	double before = lat * sim_uniform(s), after = lat - before;
	double pre = s->now, sample;

	if (sim_uniform(s) * 100.0 < p->outlier_pct) {
		if (sim_uniform(s) < 0.5)
			before += p->outlier_ns;
		else
			after += p->outlier_ns;
	}
	sample = pre + before;
	sim_count_at(s, sample, &r->seg, &r->count);
	r->mfindex = (uint32_t)((r->count + s->seg_raw0[r->seg]) & 0x3fff);
	r->pre = (int64_t)floor(pre);
	r->post = (int64_t)ceil(sample + after);
	s->now = sample + after + 20.0;
}

bool sim_next_read(struct sim *s, struct sim_read *r)
{
	const struct sim_params *p = &s->p;
	double end = 1e9 + p->seconds * 1e9;

	for (;;) {
		if (s->in_burst >= -1) {
			do_read(s, r);
			if (++s->burst_reads == 1)
				s->burst_first = r->mfindex;
			else if (s->in_burst == -1 && r->mfindex != s->burst_first)
				s->in_burst = p->burst_after;
			else if (s->in_burst >= 0)
				s->in_burst--;
			if (s->in_burst == 0 || s->burst_reads >= 4096)
				s->in_burst = -2;
			return true;
		}
		/* between bursts: next event */
		double next = p->burst_ms > 0 ? s->next_burst : INFINITY;

		if (s->next_single < next)
			next = s->next_single;
		if (next >= end)
			return false;
		if (next >= s->next_pause) {
			s->next_burst = fmax(s->next_burst, s->next_pause + p->pause_s * 1e9);
			s->next_single = fmax(s->next_single, s->next_pause + p->pause_s * 1e9);
			s->next_pause += p->pause_every_s * 1e9;
			continue;
		}
		s->now = fmax(s->now, next);
		if (p->burst_ms > 0 && next == s->next_burst) {
			if (s->now < 1e9 + p->warm_s * 1e9)
				s->next_burst += p->warm_ms * 1e6;
			else
				s->next_burst += p->burst_ms * 1e6;
			s->in_burst = -1;
			s->burst_reads = 0;
			continue;
		}
		s->next_single += (p->single_min_ms +
				   sim_uniform(s) * (p->single_max_ms - p->single_min_ms)) * 1e6;
		do_read(s, r);
		return true;
	}
}
