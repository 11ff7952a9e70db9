// SPDX-License-Identifier: GPL-2.0
/*
 * simtrace - write a simulated trace in the `usbts replay` format
 *
 * usage: simtrace [--seconds S] [--latency-ns N] [--jitter-ns N]
 *                 [--burst-ms MS] [--ppm P] [--reset-at S] [--seed N]
 *                 [--query-every N]
 *
 * One Q record follows every N-th read (default 50), asking for the start
 * of the microframe that read saw, numbered as the predictor numbers it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

int main(int argc, char **argv)
{
	struct sim_params p = {
		.name = "simtrace", .seconds = 10, .lat_base_ns = 300,
		.lat_jitter_ns = 600, .outlier_pct = 1, .outlier_ns = 100000,
		.wander_ppb = 5, .burst_ms = 100, .burst_after = 2,
		.warm_s = 1, .warm_ms = 10, .seed = 1,
	};
	static struct sim s;
	struct sim_read r;
	long every = 50, n = 0;
	long long off = 0;
	int i, seg = -1;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		double v = i + 1 < argc ? atof(argv[i + 1]) : 0;

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			printf("usage: simtrace [--seconds S] [--latency-ns N] [--jitter-ns N]\n"
			       "                [--burst-ms MS] [--ppm P] [--reset-at S] [--seed N]\n"
			       "                [--query-every N]\n");
			return 0;
		}
		if (i + 1 >= argc) {
			fprintf(stderr, "simtrace: %s needs a value\n", a);
			return 2;
		}
		if (!strcmp(a, "--seconds"))
			p.seconds = v;
		else if (!strcmp(a, "--latency-ns"))
			p.lat_base_ns = v;
		else if (!strcmp(a, "--jitter-ns"))
			p.lat_jitter_ns = v;
		else if (!strcmp(a, "--burst-ms"))
			p.burst_ms = v;
		else if (!strcmp(a, "--ppm"))
			p.ppm = v;
		else if (!strcmp(a, "--reset-at"))
			p.reset_at_s = v;
		else if (!strcmp(a, "--seed"))
			p.seed = (unsigned long long)v;
		else if (!strcmp(a, "--query-every"))
			every = (long)v;
		else {
			fprintf(stderr, "simtrace: unknown option %s\n", a);
			return 2;
		}
		i++;
	}
	if (sim_init(&s, &p))
		return 1;
	printf("# simtrace %.1f s, latency %.0f+%.0f ns, bursts every %.0f ms\n",
	       p.seconds, p.lat_base_ns, p.lat_jitter_ns, p.burst_ms);
	while (sim_next_read(&s, &r)) {
		if (r.seg != seg) {
			/* a generation starts at the first read of a segment */
			seg = r.seg;
			off = (long long)r.mfindex - r.count;
		}
		printf("R %lld %lld %u\n", (long long)r.pre, (long long)r.post, r.mfindex);
		if (every > 0 && ++n % every == 0)
			printf("Q %lld\n", (long long)r.count + off);
	}
	sim_free(&s);
	return 0;
}
