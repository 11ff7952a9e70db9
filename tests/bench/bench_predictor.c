// SPDX-License-Identifier: GPL-2.0
/*
 * bench_predictor - the predictor against the simulator's truth, beside two
 * baselines:
 *   naive:          the latest read, taken as mid-microframe, nominal rate;
 *   edge+nominal:   the latest bracketed edge, with the rate taken from the
 *                   first and the latest edge of the generation.
 *
 * Queries come every ~5 ms of simulated time, between reads, and ask for the
 * start of the microframe the bus is truly in at that instant (what GET
 * with the current frame as input reports).  Queries between a counter
 * reset and the first read after it are skipped: nothing can know yet.
 *
 * usage: bench_predictor [--quick] [--check]
 *   --quick   shorter scenarios (used by make check)
 *   --check   exit 1 if a scenario with targets misses one
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "predictor.h"
#include "../sim/sim.h"

/* "steady" statistics leave out the first WARMUP_S seconds */
#define WARMUP_S 5

struct target {
	double p99_ns;		/* 0: none */
	double within_pct;	/* 0: none */
	double median_acc_ns;	/* 0: none */
};

struct scenario {
	struct sim_params p;
	struct target t;
	const char *note;
};

#define FAST .lat_base_ns = 300, .lat_jitter_ns = 600, .outlier_pct = 1, \
	     .outlier_ns = 100000, .wander_ppb = 5, .burst_ms = 100, .burst_after = 2, .warm_s = 1, .warm_ms = 10

static const struct scenario scenarios[] = {
	{ { .name = "fast", .seconds = 60, .ppm = 37, FAST, .seed = 1 },
	  { 250, 99, 1000 }, "0.3-0.9 us reads, 1% outliers, bursts every 100 ms" },
	{ { .name = "fast+500ppm", .seconds = 60, .ppm = 500, FAST, .seed = 2 },
	  { 250, 99, 1000 }, "as fast, clock 500 ppm fast" },
	{ { .name = "fast-500ppm", .seconds = 60, .ppm = -500, FAST, .seed = 3 },
	  { 250, 99, 1000 }, "as fast, clock 500 ppm slow" },
	{ { .name = "qemu", .seconds = 60, .ppm = 0, .lat_base_ns = 25000,
	    .lat_jitter_ns = 5000, .outlier_pct = 1, .outlier_ns = 100000,
	    .wander_ppb = 5, .burst_ms = 100, .burst_after = 2, .warm_s = 1, .warm_ms = 10, .seed = 4 },
	  { 3000, 99, 0 }, "25-30 us reads (QEMU-like), bursts every 100 ms" },
	{ { .name = "step2ppm", .seconds = 60, .ppm = 37, FAST, .step_ppm = 2,
	    .step_at_s = 30, .seed = 5 },
	  { 2000, 0, 0 }, "as fast, +2 ppm step at 30 s" },
	{ { .name = "sparse", .seconds = 120, .ppm = -120, .lat_base_ns = 300,
	    .lat_jitter_ns = 600, .outlier_pct = 1, .outlier_ns = 100000,
	    .wander_ppb = 5, .burst_ms = 10000, .burst_after = 2, .warm_s = 1, .warm_ms = 10,
	    .single_min_ms = 500, .single_max_ms = 3000, .seed = 6 },
	  { 0, 99, 0 }, "bursts every 10 s, single reads 0.5-3 s apart" },
	{ { .name = "gaps", .seconds = 60, .ppm = 250, FAST, .pause_every_s = 15,
	    .pause_s = 5, .seed = 7 },
	  { 0, 99, 0 }, "as fast, 5 s without reads every 15 s" },
	{ { .name = "reset", .seconds = 60, .ppm = 37, FAST, .reset_at_s = 30,
	    .seed = 8 },
	  { 0, 99, 0 }, "as fast, counter restarts at 0 at 30 s" },
};

struct dist {
	double *v;
	size_t n, cap;
};

static void push(struct dist *d, double x)
{
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 4096;
		d->v = realloc(d->v, d->cap * sizeof(double));
		if (!d->v)
			abort();
	}
	d->v[d->n++] = x;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double pct(struct dist *d, double q)
{
	size_t i;

	if (!d->n)
		return NAN;
	qsort(d->v, d->n, sizeof(double), cmp);
	i = (size_t)(q * (double)(d->n - 1) + 0.5);
	return d->v[i];
}

struct result {
	struct dist err, acc, naive, edge, steady;
	size_t queries, answered, within;
	unsigned int gens;
};

static void run(const struct scenario *sc, double scale, struct result *res)
{
	static struct usbts_pred p;
	struct sim s;
	struct sim_read r;
	double next_q, mid;
	int gen_seg = -1;
	int64_t gen_off = 0;
	/* baselines */
	int64_t n_x = 0, e1_x = 0, el_x = 0;
	double n_mid = 0, e1_t = 0, el_t = 0;
	int have_edge = 0;
	int64_t prev_pre = 0;
	struct sim_params sp = sc->p;

	sp.seconds *= scale;
	memset(res, 0, sizeof(*res));
	if (sim_init(&s, &sp))
		abort();
	usbts_pred_init(&p);
	next_q = 1e9 + 1e6;
	while (sim_next_read(&s, &r)) {
		/* queries due before this read began */
		while (next_q < (double)r.pre && gen_seg >= 0) {
			int seg;
			int64_t cnt, x, t;
			uint64_t acc;
			double truth;

			sim_count_at(&s, next_q, &seg, &cnt);
			if (seg == gen_seg) {
				x = cnt + gen_off;
				truth = sim_edge_time(&s, seg, cnt);
				res->queries++;
				if (usbts_model_time_of(&p.model, x, &t, &acc)) {
					double e = fabs((double)t - truth);

					res->answered++;
					push(&res->err, e);
					if (next_q >= 1e9 + WARMUP_S * 1e9)
						push(&res->steady, e);
					push(&res->acc, (double)acc);
					if (e <= (double)acc)
						res->within++;
				}
				push(&res->naive, fabs(n_mid - 62500.0 +
						       (double)(x - n_x) * 125000.0 - truth));
				if (have_edge) {
					double rate = el_x > e1_x ?
						(el_t - e1_t) / (double)(el_x - e1_x) : 125000.0;

					push(&res->edge, fabs(el_t + (double)(x - el_x) * rate - truth));
				}
			}
			next_q += 4e6 + sim_uniform(&s) * 2e6;
		}
		if (next_q < (double)r.pre)
			next_q = (double)r.pre + 1e6;

		int ret = usbts_pred_add_read(&p, r.pre, r.post, r.mfindex);

		if (ret < 0)
			abort();
		mid = ((double)r.pre + (double)r.post) / 2;
		if (ret & USBTS_PRED_NEW_GEN) {
			gen_seg = r.seg;
			gen_off = (int64_t)r.mfindex - r.count;
			have_edge = 0;
			res->gens++;
		}
		if (ret & USBTS_PRED_NEW_EDGE) {
			double et = ((double)prev_pre + (double)r.post) / 2;

			if (!have_edge) {
				e1_x = p.last_x;
				e1_t = et;
				have_edge = 1;
			}
			el_x = p.last_x;
			el_t = et;
		}
		n_x = p.last_x;
		n_mid = mid;
		prev_pre = r.pre;
	}
	sim_free(&s);
}

int main(int argc, char **argv)
{
	double scale = 1.0;
	int check = 0, failed = 0;
	size_t i;

	for (i = 1; i < (size_t)argc; i++) {
		if (!strcmp(argv[i], "--quick"))
			scale = 0.5;
		else if (!strcmp(argv[i], "--check"))
			check = 1;
		else {
			fprintf(stderr, "usage: bench_predictor [--quick] [--check]\n");
			return !!strcmp(argv[i], "--help") * 2;
		}
	}

	printf("| scenario | answered | p50 ns | p99 ns | max ns | steady p99 ns | within acc | median acc ns | naive p50/p99 ns | edge+nominal p50/p99 ns | gens | targets |\n");
	printf("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
	for (i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
		const struct scenario *sc = &scenarios[i];
		struct result r;
		double p50, p99, mx, within, macc;
		char verdict[128] = "";

		run(sc, scale, &r);
		p50 = pct(&r.err, 0.5);
		p99 = pct(&r.err, 0.99);
		mx = pct(&r.err, 1.0);
		macc = pct(&r.acc, 0.5);
		within = r.answered ? 100.0 * (double)r.within / (double)r.answered : 0;
		if (sc->t.p99_ns && !(p99 <= sc->t.p99_ns))
			snprintf(verdict + strlen(verdict), sizeof(verdict) - strlen(verdict),
				 "MISS p99<=%.0f ", sc->t.p99_ns);
		if (sc->t.within_pct && !(within >= sc->t.within_pct))
			snprintf(verdict + strlen(verdict), sizeof(verdict) - strlen(verdict),
				 "MISS within>=%.0f%% ", sc->t.within_pct);
		if (sc->t.median_acc_ns && !(macc <= sc->t.median_acc_ns))
			snprintf(verdict + strlen(verdict), sizeof(verdict) - strlen(verdict),
				 "MISS median acc<=%.0f ", sc->t.median_acc_ns);
		if (verdict[0])
			failed = 1;
		printf("| %s | %.2f%% | %.0f | %.0f | %.0f | %.0f | %.2f%% | %.0f | %.0f / %.0f | %.0f / %.0f | %u | %s |\n",
		       sc->p.name, r.queries ? 100.0 * (double)r.answered / (double)r.queries : 0,
		       p50, p99, mx, pct(&r.steady, 0.99), within, macc,
		       pct(&r.naive, 0.5), pct(&r.naive, 0.99),
		       pct(&r.edge, 0.5), pct(&r.edge, 0.99), r.gens,
		       verdict[0] ? verdict : (sc->t.p99_ns || sc->t.within_pct ? "met" : "-"));
		free(r.err.v);
		free(r.steady.v);
		free(r.acc.v);
		free(r.naive.v);
		free(r.edge.v);
	}
	printf("\nScenarios:\n");
	for (i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++)
		printf("- %s: %s\n", scenarios[i].p.name, scenarios[i].note);
	return check && failed;
}
