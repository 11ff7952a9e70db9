// SPDX-License-Identifier: GPL-2.0
/*
 * usbts verify - check the module's claims against the hardware
 *
 * Each round asks GET when a microframe a few hundred microseconds ahead
 * will start, then takes raw SAMPLE reads until that edge has passed.  Two
 * reads that straddle it bracket the true start: it lies after the earlier
 * read's pre and at or before the later read's post.  A claim is broken
 * when [predicted - accuracy, predicted + accuracy] misses that bracket.
 * The error reported is predicted minus the bracket's middle, so it also
 * contains up to half a bracket of read latency.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tool.h"

#define AHEAD 3		/* microframes */
#define MASK 0x3fff

struct point {
	double t_s;
	double err_ns;
	double acc_ns;
	double half_ns;
	int broken;
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double quantile(double *v, size_t n, double q)
{
	if (!n)
		return NAN;
	qsort(v, n, sizeof(*v), cmp_double);
	return v[(size_t)(q * (double)(n - 1) + 0.5)];
}

static int write_svg(const char *path, const struct point *p, size_t n, double seconds)
{
	const double w = 800, h = 400, l = 70, r = 20, top = 20, b = 40;
	double ymax = 1;
	FILE *f = fopen(path, "w");
	size_t i;

	if (!f)
		return -1;
	for (i = 0; i < n; i++) {
		if (fabs(p[i].err_ns) > ymax)
			ymax = fabs(p[i].err_ns);
		if (p[i].acc_ns > ymax)
			ymax = p[i].acc_ns;
	}
	ymax *= 1.1;
#define X(t) (l + (t) / seconds * (w - l - r))
#define Y(v) (top + (h - top - b) / 2 * (1 - (v) / ymax))
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%g\" height=\"%g\" "
		"font-family=\"sans-serif\" font-size=\"12\">\n", w, h);
	fprintf(f, "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
	fprintf(f, "<line x1=\"%g\" y1=\"%g\" x2=\"%g\" y2=\"%g\" stroke=\"#888\"/>\n",
		l, Y(0), w - r, Y(0));
	fprintf(f, "<text x=\"5\" y=\"%g\">+%.0f ns</text><text x=\"5\" y=\"%g\">-%.0f ns</text>\n",
		Y(ymax) + 12, ymax, Y(-ymax), ymax);
	fprintf(f, "<text x=\"%g\" y=\"%g\">time (s)</text><text x=\"%g\" y=\"15\">"
		"predicted - measured edge (dots), claimed accuracy (band)</text>\n",
		w / 2, h - 10, l);
	for (int sign = -1; sign <= 1; sign += 2) {
		fprintf(f, "<polyline fill=\"none\" stroke=\"#4a8\" points=\"");
		for (i = 0; i < n; i++)
			fprintf(f, "%.1f,%.1f ", X(p[i].t_s), Y(sign * p[i].acc_ns));
		fprintf(f, "\"/>\n");
	}
	for (i = 0; i < n; i++)
		fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2\" fill=\"%s\"/>\n",
			X(p[i].t_s), Y(p[i].err_ns), p[i].broken ? "red" : "#24c");
	fprintf(f, "</svg>\n");
#undef X
#undef Y
	return fclose(f) ? -1 : 0;
}

/* Sample until edge @x (raw value x & MASK) passes; bracket it. */
static int find_edge(struct tracked *t, int64_t x, int64_t *lo, int64_t *hi)
{
	struct usbts_sample s[64], prev = { 0 };
	uint32_t target = (uint32_t)(x & MASK);
	int have_prev = 0, i, err, tries;

	for (tries = 0; tries < 200; tries++) {
		err = usbts_sample(t->ctx, t->handle, 64, s);
		if (err)
			return err;
		for (i = 0; i < 64; i++) {
			uint32_t d = (s[i].mfindex - target) & MASK;

			if (d < MASK / 2) {	/* at or past the target */
				if (!have_prev || d != 0 ||
				    ((prev.mfindex + 1) & MASK) != target)
					return 1;	/* no straddling pair: skip */
				*lo = prev.pre_ns;
				*hi = s[i].post_ns;
				return 0;
			}
			prev = s[i];
			have_prev = 1;
		}
	}
	return 1;
}

static int report(struct point *pts, size_t n, size_t broken, size_t skipped,
		  uint32_t seconds, const char *plot, int json)
{
	double *e = calloc(n + 1, sizeof(double)), *a = calloc(n + 1, sizeof(double));
	double *b = calloc(n + 1, sizeof(double));
	double pct = n ? 100.0 * (double)broken / (double)n : 100.0;
	int pass = n && broken * 100 <= n, rc = 0;
	size_t i;

	if (!e || !a || !b) {
		fprintf(stderr, "usbts verify: out of memory\n");
		return 1;
	}
	for (i = 0; i < n; i++) {
		e[i] = fabs(pts[i].err_ns);
		a[i] = pts[i].acc_ns;
		b[i] = pts[i].half_ns;
	}
	if (plot && write_svg(plot, pts, n, seconds)) {
		perror("usbts verify: --plot");
		rc = 1;
	}
	if (json) {
		printf("{\"edges\":%zu,\"skipped\":%zu,\"broken\":%zu,\"broken_pct\":%.3f,"
		       "\"p50_ns\":%.0f,\"p99_ns\":%.0f,\"max_ns\":%.0f,"
		       "\"median_accuracy_ns\":%.0f,\"median_bracket_ns\":%.0f,\"pass\":%s}\n",
		       n, skipped, broken, pct, n ? quantile(e, n, 0.5) : 0,
		       n ? quantile(e, n, 0.99) : 0, n ? quantile(e, n, 1) : 0,
		       n ? quantile(a, n, 0.5) : 0, n ? 2 * quantile(b, n, 0.5) : 0,
		       pass ? "true" : "false");
	} else {
		printf("usbts verify: %zu edges measured in %u s (%zu skipped)\n", n, seconds, skipped);
		if (n) {
			printf("  error, predicted - bracket middle: p50 %.0f ns, p99 %.0f ns, max %.0f ns\n",
			       quantile(e, n, 0.5), quantile(e, n, 0.99), quantile(e, n, 1));
			printf("  claimed accuracy: median %.0f ns; bracket width: median %.0f ns\n",
			       quantile(a, n, 0.5), 2 * quantile(b, n, 0.5));
		}
		printf("  claims broken: %zu of %zu (%.2f%%): %s\n", broken, n, pct,
		       pass ? "PASS" : n ? "FAIL (more than 1%)" : "FAIL (no edge measured)");
	}
	free(e);
	free(a);
	free(b);
	free(pts);
	return pass ? rc : 1;
}

enum { OPT_JSON = OPT_FIRST, OPT_SECONDS, OPT_PLOT };

int cmd_verify(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "seconds", required_argument, NULL, OPT_SECONDS },
		{ "plot", required_argument, NULL, OPT_PLOT },
		{ NULL, 0, NULL, 0 }
	};
	uint32_t bus = 0, dev = 0, seconds = 10;
	const char *plot = NULL;
	int json = 0, c, err = 0, tty = isatty(STDERR_FILENO);
	struct point *pts = NULL;
	size_t n = 0, cap = 0, broken = 0, skipped = 0;
	int64_t start, end, next_note;
	struct tracked t;

	while ((c = next_option(argc, argv, longopts)) != -1) {
		switch (c) {
		case 'h':
			printf("usage: usbts verify BUS[-DEV] [--seconds N] [--plot FILE.svg] [--json]\n\n"
			       "For N seconds (default 10), predict when a microframe a few hundred\n"
			       "microseconds ahead will start, then find that edge in raw reads and\n"
			       "compare.  Reports the error distribution against the claimed\n"
			       "accuracy; exits 1 if claims were broken in more than 1%% of edges\n"
			       "(or none could be measured).  --plot writes the error over time with\n"
			       "the claimed bound as SVG.  --json prints one object: edges, broken,\n"
			       "broken_pct, p50_ns, p99_ns, max_ns (|predicted - bracket middle|),\n"
			       "median_accuracy_ns, median_bracket_ns, pass.\n");
			return 0;
		case OPT_JSON:
			json = 1;
			break;
		case OPT_SECONDS:
			if (opt_u32("verify", "--seconds", optarg, &seconds, 1))
				return EXIT_USAGE;
			break;
		case OPT_PLOT:
			plot = optarg;
			break;
		default:
			return usage_error("verify", argv);
		}
	}
	err = bus_operand("verify", argc, argv, &bus, &dev);
	if (err)
		return err;
	err = track("verify", bus, dev, &t);
	if (err)
		return err;

	start = now_ns();
	end = start + (int64_t)seconds * 1000000000;
	next_note = start + 1000000000;
	while (now_ns() < end) {
		struct usbts_frame_info info;
		int64_t x, pred, lo = 0, hi = 0;
		uint64_t acc;
		int r;

		memset(&info, 0, sizeof(info));
		err = usbts_get_current_frame_number_and_time(t.ctx, t.handle, &info);
		if (err)
			break;
		/* predict first, then measure */
		x = (int64_t)info.current_usb_frame * 8 + info.current_hw_microframe + AHEAD;
		err = usbts_frame_start_time(t.ctx, t.handle, (uint32_t)(x >> 3),
					     (uint32_t)(x & 7), &pred, &acc);
		if (err)
			break;
		r = find_edge(&t, x, &lo, &hi);
		if (r < 0) {
			err = r;
			break;
		}
		if (r > 0 || acc == USBTS_ACCURACY_UNKNOWN) {
			skipped++;
		} else {
			struct point p = {
				.t_s = (double)(pred - start) / 1e9,
				.err_ns = (double)pred - ((double)lo + (double)hi) / 2,
				.acc_ns = (double)acc,
				.half_ns = (double)(hi - lo) / 2,
				/* the start is in (lo, hi]; the claim must meet it */
				.broken = pred + (int64_t)acc <= lo || pred - (int64_t)acc > hi,
			};

			if (n == cap) {
				cap = cap ? 2 * cap : 256;
				pts = realloc(pts, cap * sizeof(*pts));
				if (!pts) {
					err = -ENOMEM;
					break;
				}
			}
			pts[n++] = p;
			broken += (size_t)p.broken;
		}
		if (tty && now_ns() >= next_note) {
			fprintf(stderr, "\rusbts verify: %" PRId64 "/%u s, %zu edges",
				(now_ns() - start) / 1000000000, seconds, n);
			next_note += 1000000000;
		}
		sleep_ns(100000000);
	}
	if (tty)
		fprintf(stderr, "\r\033[K");
	if (err) {
		err = fail("verify", &t, err);
		untrack(&t);
		free(pts);
		return err;
	}
	untrack(&t);
	return report(pts, n, broken, skipped, seconds, plot, json);
}
