// SPDX-License-Identifier: GPL-2.0
/*
 * sim.c - synthetic MFINDEX traces with known truth; see sim.h for models.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

/* knots are this far apart, and edges are known this long past the end */
#define KNOT_NS		10e6
#define TAIL_NS		12e9

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

double sim_gauss(struct sim *s)
{
	double u = sim_uniform(s), v = sim_uniform(s);

	return sqrt(-2.0 * log(u + 1e-300)) * cos(2 * 3.14159265358979323846 * v);
}

int sim_init(struct sim *s, const struct sim_params *p)
{
	double t, f, next_wander = 2e9, end, step_t, ramp_t0, ramp_t1;
	int64_t cap, n = 0, k = 0;
	bool stepped = false;

	memset(s, 0, sizeof(*s));
	s->p = *p;
	s->rng = p->seed ? p->seed : 1;
	end = 1e9 + p->seconds * 1e9 + TAIL_NS;
	cap = (int64_t)(end / KNOT_NS) + 64;
	s->knot = malloc(sizeof(*s->knot) * (size_t)cap);
	if (!s->knot)
		return -1;
	step_t = p->step_ppm != 0 ? 1e9 + p->step_at_s * 1e9 : INFINITY;
	ramp_t0 = p->ramp_ppm_per_min != 0 ? 1e9 + p->ramp_at_s * 1e9 : INFINITY;
	ramp_t1 = ramp_t0 + p->ramp_for_s * 1e9;

	/* first edge at a random phase; counter starts at a random value */
	t = 1e9 + sim_uniform(s) * 125000.0;
	f = p->ppm;
	s->n_segs = 1;
	s->seg_raw0[0] = (uint32_t)(next_u64(s) & 0x3fff);
	while (t < end && n + 2 < cap) {
		double period, len;
		int64_t m;

		if (p->reset_at_s > 0 && s->n_segs == 1 &&
		    t >= 1e9 + p->reset_at_s * 1e9) {
			/* counter restarts at 0 at the reset instant */
			t = 1e9 + p->reset_at_s * 1e9;
			k = 0;
			s->seg_first[1] = n;
			s->seg_raw0[1] = 0;
			s->n_segs = 2;
		}
		if (t >= next_wander) {
			f += sim_gauss(s) * p->wander_ppb / 1000.0;
			next_wander += 1e9;
		}
		if (!stepped && t >= step_t) {
			f += p->step_ppm;
			stepped = true;
			s->change_at = t;
		}
		if (t >= ramp_t0 && t < ramp_t1) {
			/* the mean rate over this knot */
			if (!s->change_at)
				s->change_at = t;
			f += p->ramp_ppm_per_min * KNOT_NS / 60e9;
		}
		period = 125000.0 * (1.0 + f / 1e6);
		s->knot[n].t = t;
		s->knot[n].k0 = k;
		s->knot[n].period = period;
		n++;
		/* the next knot: at the step exactly (to the edge), else 10 ms on */
		len = KNOT_NS;
		if (!stepped && step_t > t && step_t - t < len)
			len = step_t - t;
		m = (int64_t)ceil(len / period);
		if (m < 1)
			m = 1;
		t += (double)m * period;
		k += m;
	}
	s->n_knots = n;
	s->t_end = t;
	s->now = 1e9 + 0.5e6;
	s->next_burst = s->now;
	s->next_single = p->single_max_ms > 0 ? s->now + 1e6 : INFINITY;
	s->next_pause = p->pause_every_s > 0 ? s->now + p->pause_every_s * 1e9 : INFINITY;
	s->in_burst = -2;
	return 0;
}

void sim_free(struct sim *s)
{
	free(s->knot);
	s->knot = NULL;
}

static int64_t seg_end(const struct sim *s, int seg)
{
	return seg == 0 && s->n_segs == 2 ? s->seg_first[1] : s->n_knots;
}

void sim_count_at(const struct sim *s, double t, int *seg, int64_t *count)
{
	int g = (s->n_segs == 2 && t >= s->knot[s->seg_first[1]].t) ? 1 : 0;
	int64_t lo = s->seg_first[g], hi = seg_end(s, g) - 1, c;
	const struct sim_knot *kn;

	if (t < s->knot[lo].t) {
		*seg = g;
		*count = -1;
		return;
	}
	while (lo < hi) {
		int64_t mid = lo + (hi - lo + 1) / 2;

		if (s->knot[mid].t <= t)
			lo = mid;
		else
			hi = mid - 1;
	}
	kn = &s->knot[lo];
	c = kn->k0 + (int64_t)floor((t - kn->t) / kn->period);
	/* rounding at the knot boundaries */
	while (c > kn->k0 && kn->t + (double)(c - kn->k0) * kn->period > t)
		c--;
	while (kn->t + (double)(c + 1 - kn->k0) * kn->period <= t)
		c++;
	if (lo + 1 < seg_end(s, g) && c >= s->knot[lo + 1].k0)
		c = s->knot[lo + 1].k0 - 1;
	*seg = g;
	*count = c;
}

bool sim_edge_time(const struct sim *s, int seg, int64_t count, double *t)
{
	int64_t lo = s->seg_first[seg], hi = seg_end(s, seg) - 1;
	const struct sim_knot *kn;

	if (count < 0)
		return false;
	while (lo < hi) {
		int64_t mid = lo + (hi - lo + 1) / 2;

		if (s->knot[mid].k0 <= count)
			lo = mid;
		else
			hi = mid - 1;
	}
	kn = &s->knot[lo];
	*t = kn->t + (double)(count - kn->k0) * kn->period;
	if (lo + 1 == seg_end(s, seg)) {
		/* past the segment's end: the reset, or the end of the trace */
		double end = seg_end(s, seg) == s->n_knots ? s->t_end :
			     s->knot[seg_end(s, seg)].t;

		if (*t >= end)
			return false;
	}
	return true;
}

void sim_burst_more(struct sim *s, uint32_t mfindex)
{
	if (s->in_burst < 0 && !s->need_schedule)
		return;
	if (s->need_schedule) {
		/* the burst had just ended: it goes on */
		s->need_schedule = false;
		s->bursts--;
	}
	s->in_burst = -1;
	s->burst_first = mfindex;
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
			if (s->in_burst == 0 || s->burst_reads >= 4096) {
				s->in_burst = -2;
				s->need_schedule = p->schedule != NULL;
				s->bursts++;
			}
			return true;
		}
		if (s->need_schedule) {
			s->need_schedule = false;
			s->next_burst = fmax(p->schedule(p->schedule_ctx, s->now), s->now);
		}
		/* between bursts: next event */
		double next = p->burst_ms > 0 || p->schedule ? s->next_burst : INFINITY;

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
		if ((p->burst_ms > 0 || p->schedule) && next == s->next_burst) {
			/* a timer wakes up a little late, by U(0, 100 us) */
			s->now += sim_uniform(s) * 100e3;
			if (p->schedule)
				s->next_burst = INFINITY;	/* set after the burst */
			else if (s->now < 1e9 + p->warm_s * 1e9)
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
