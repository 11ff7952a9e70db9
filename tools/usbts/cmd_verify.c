// SPDX-License-Identifier: GPL-2.0
/*
 * usbts verify - check the module's claims against the hardware
 *
 * Every 100 ms it asks GET when a microframe a few hundred microseconds
 * ahead will start, then takes raw SAMPLE reads until that edge has passed.
 * Every few seconds it also asks about microframes 100 ms, 1 s and 3 s
 * ahead, and brackets those when their time comes.  The last read before
 * an edge and the first at or after it bracket the true start: it lies
 * after the earlier read's pre and at or before the later read's post.  A claim is broken
 * when [predicted - accuracy, predicted + accuracy] misses that bracket.
 * The error reported is predicted minus the bracket's middle, so it also
 * contains up to half a bracket of read latency.  Results are reported in
 * total and by horizon.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"

#define MASK 0x3fff
#define NH 4

/* how far ahead predictions are made, in microframes */
static const int64_t horizon[NH] = { 3, 800, 8000, 24000 };

struct point {
	double t_s;
	double err_ns;
	double acc_ns;
	double half_ns;
	int broken;
	int h;		/* index into horizon[] */
};

/* a far prediction waiting for its edge */
struct pending {
	int64_t x;
	int64_t pred;
	uint64_t acc;
	int h;
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

/*
 * Sample until edge @x (raw value x & MASK) passes; bracket it in
 * CLOCK_MONOTONIC_RAW (@raw) or CLOCK_MONOTONIC.
 */
static int find_edge(struct tracked *t, int64_t x, int raw, int64_t *lo, int64_t *hi)
{
	struct usbts_sample_clocks s[USBTS_MAX_SAMPLE_CLOCKS], prev = { 0 };
	uint32_t target = (uint32_t)(x & MASK);
	int have_prev = 0, i, err, tries;

	for (tries = 0; tries < 400; tries++) {
		err = usbts_sample_clocks(t->ctx, t->handle, USBTS_MAX_SAMPLE_CLOCKS, s);
		if (err)
			return err;
		for (i = 0; i < USBTS_MAX_SAMPLE_CLOCKS; i++) {
			uint32_t d = (s[i].mfindex - target) & MASK;

			if (d < MASK / 2) {	/* at or past the target */
				/*
				 * it started after the last read before it, and
				 * at or before this one
				 */
				if (!have_prev)
					return 1;	/* already past: skip */
				*lo = raw ? prev.raw_pre_ns : prev.pre_ns;
				*hi = raw ? s[i].raw_post_ns : s[i].post_ns;
				return 0;
			}
			prev = s[i];
			have_prev = 1;
		}
	}
	return 1;
}

static int64_t clock_now(int raw)
{
	struct timespec ts;

	clock_gettime(raw ? CLOCK_MONOTONIC_RAW : CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* per-horizon results: edges, broken, p99 |error|, median accuracy */
static void by_horizon(const struct point *pts, size_t n, int h, double *e, double *a,
		       size_t *edges, size_t *broken)
{
	size_t i, k = 0, b = 0;

	for (i = 0; i < n; i++) {
		if (pts[i].h != h)
			continue;
		e[k] = fabs(pts[i].err_ns);
		a[k++] = pts[i].acc_ns;
		b += (size_t)pts[i].broken;
	}
	*edges = k;
	*broken = b;
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
		int h;

		printf("{\"edges\":%zu,\"skipped\":%zu,\"broken\":%zu,\"broken_pct\":%.3f,"
		       "\"p50_ns\":%.0f,\"p99_ns\":%.0f,\"max_ns\":%.0f,"
		       "\"median_accuracy_ns\":%.0f,\"median_bracket_ns\":%.0f,\"pass\":%s,"
		       "\"horizons\":[",
		       n, skipped, broken, pct, n ? quantile(e, n, 0.5) : 0,
		       n ? quantile(e, n, 0.99) : 0, n ? quantile(e, n, 1) : 0,
		       n ? quantile(a, n, 0.5) : 0, n ? 2 * quantile(b, n, 0.5) : 0,
		       pass ? "true" : "false");
		for (h = 0; h < NH; h++) {
			size_t k, hb;

			by_horizon(pts, n, h, e, a, &k, &hb);
			printf("%s{\"ahead_us\":%" PRId64 ",\"edges\":%zu,\"broken\":%zu,"
			       "\"p99_ns\":%.0f,\"median_accuracy_ns\":%.0f}", h ? "," : "",
			       horizon[h] * 125, k, hb, k ? quantile(e, k, 0.99) : 0,
			       k ? quantile(a, k, 0.5) : 0);
		}
		printf("]}\n");
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
		printf("  by horizon:   ahead   edges  broken   p99 error   median accuracy\n");
		for (int h = 0; h < NH; h++) {
			size_t k, hb;

			by_horizon(pts, n, h, e, a, &k, &hb);
			printf("             %7.3f s %6zu %7zu %9.0f ns %14.0f ns\n",
			       (double)horizon[h] * 125e-6, k, hb, k ? quantile(e, k, 0.99) : 0,
			       k ? quantile(a, k, 0.5) : 0);
		}
	}
	free(e);
	free(a);
	free(b);
	free(pts);
	return pass ? rc : 1;
}

/* Bracket edge @x and score the claim (@pred, @acc) made @h ahead. */
static int score(struct tracked *t, int raw, int64_t start, int64_t x, int64_t pred,
		 uint64_t acc, int h, struct point **pts, size_t *n, size_t *cap,
		 size_t *broken, size_t *skipped)
{
	int64_t lo = 0, hi = 0;
	int r = find_edge(t, x, raw, &lo, &hi);

	if (r < 0)
		return r;
	if (r > 0 || acc == USBTS_ACCURACY_UNKNOWN) {
		(*skipped)++;
		return 0;
	}
	if (*n == *cap) {
		struct point *p2;

		*cap = *cap ? 2 * *cap : 256;
		p2 = realloc(*pts, *cap * sizeof(**pts));
		if (!p2)
			return -ENOMEM;
		*pts = p2;
	}
	(*pts)[*n] = (struct point){
		.t_s = (double)(pred - start) / 1e9,
		.err_ns = (double)pred - ((double)lo + (double)hi) / 2,
		.acc_ns = (double)acc,
		.half_ns = (double)(hi - lo) / 2,
		/* the start is in (lo, hi]; the claim must meet it */
		.broken = pred + (int64_t)acc <= lo || pred - (int64_t)acc > hi,
		.h = h,
	};
	*broken += (size_t)(*pts)[*n].broken;
	(*n)++;
	return 0;
}

enum { OPT_JSON = OPT_FIRST, OPT_SECONDS, OPT_PLOT, OPT_CLOCK, OPT_WANT };

int cmd_verify(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "seconds", required_argument, NULL, OPT_SECONDS },
		{ "plot", required_argument, NULL, OPT_PLOT },
		{ "clock", required_argument, NULL, OPT_CLOCK },
		{ "want-accuracy", required_argument, NULL, OPT_WANT },
		{ NULL, 0, NULL, 0 }
	};
	uint32_t bus = 0, dev = 0, seconds = 10, clock = USBTS_CLOCK_MONOTONIC, want = 0;
	const char *plot = NULL;
	int json = 0, c, i, err = 0, tty = isatty(STDERR_FILENO), raw, np = 0;
	struct point *pts = NULL;
	struct pending far[NH];
	size_t n = 0, cap = 0, broken = 0, skipped = 0;
	int64_t start, end, next_note;
	struct tracked t;

	while ((c = next_option(argc, argv, longopts)) != -1) {
		switch (c) {
		case 'h':
			printf("usage: usbts verify BUS[-DEV] [--seconds N] [--clock monotonic|raw]\n"
			       "                    [--want-accuracy NS] [--plot FILE.svg] [--json]\n\n"
			       "For N seconds (default 10), predict when microframes will start,\n"
			       "then find those edges in raw reads and compare: every 100 ms one\n"
			       "375 us ahead, and every few seconds ones 100 ms, 1 s and 3 s ahead.\n"
			       "Reports the error distribution against the claimed accuracy, in\n"
			       "total and by horizon; exits 1 if claims were broken in more than 1%%\n"
			       "of edges (or none could be measured).  --clock raw checks the model\n"
			       "on CLOCK_MONOTONIC_RAW; in CLOCK_MONOTONIC (the default) an answer\n"
			       "seconds ahead assumes NTP keeps the clock's rate.  --plot writes the\n"
			       "error over time with the claimed bound as SVG.  --json prints one\n"
			       "object: edges, skipped, broken, broken_pct, p50_ns, p99_ns, max_ns\n"
			       "(|predicted - bracket middle|), median_accuracy_ns,\n"
			       "median_bracket_ns, pass, and horizons: [{ahead_us, edges, broken,\n"
			       "p99_ns, median_accuracy_ns}].  --want-accuracy tracks asking for\n"
			       "that accuracy (see usbts monitor), so that the claims checked are\n"
			       "the ones the sampler keeps at that need.\n");
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
		case OPT_WANT:
			if (opt_u32("verify", "--want-accuracy", optarg, &want, 1))
				return EXIT_USAGE;
			break;
		case OPT_CLOCK:
			if (parse_clock(optarg, &clock) ||
			    (clock != USBTS_CLOCK_MONOTONIC && clock != USBTS_CLOCK_MONOTONIC_RAW)) {
				fprintf(stderr, "usbts verify: --clock is monotonic or raw\n");
				return EXIT_USAGE;
			}
			break;
		default:
			return usage_error("verify", argv);
		}
	}
	err = bus_operand("verify", argc, argv, &bus, &dev);
	if (err)
		return err;
	raw = clock == USBTS_CLOCK_MONOTONIC_RAW;
	err = track("verify", bus, dev, want, &t);
	if (err)
		return err;

	start = clock_now(raw);
	end = start + (int64_t)seconds * 1000000000;
	next_note = now_ns() + 1000000000;
	while (!err && (clock_now(raw) < end || np)) {
		struct usbts_frame_info info;
		int64_t x, pred, wake;
		uint64_t acc;

		memset(&info, 0, sizeof(info));
		info.clock = clock;
		err = usbts_get_current_frame_number_and_time(t.ctx, t.handle, &info);
		if (err)
			break;
		x = (int64_t)info.current_usb_frame * 8 + info.current_hw_microframe;
		/* far predictions, all made before any of them is measured */
		if (!np && info.current_time_ns + horizon[NH - 1] * 125000 < end) {
			for (i = 1; i < NH && !err; i++) {
				far[np].x = x + horizon[i];
				far[np].h = i;
				info.input_valid = 1;
				info.input_frame = (uint32_t)(far[np].x >> 3);
				info.input_microframe = (uint32_t)(far[np].x & 7);
				err = usbts_get_current_frame_number_and_time(t.ctx, t.handle, &info);
				far[np].pred = info.time_at_input_ns;
				far[np].acc = info.accuracy_ns;
				np++;
			}
			if (err)
				break;
		}
		/* a far edge due: bracket it */
		if (np && far[0].pred - clock_now(raw) < 10000000) {
			err = score(&t, raw, start, far[0].x, far[0].pred, far[0].acc, far[0].h,
				    &pts, &n, &cap, &broken, &skipped);
			memmove(far, far + 1, (size_t)--np * sizeof(far[0]));
			continue;
		}
		if (clock_now(raw) < end) {
			/* predict first, then measure */
			x += horizon[0];
			info.input_valid = 1;
			info.input_frame = (uint32_t)(x >> 3);
			info.input_microframe = (uint32_t)(x & 7);
			err = usbts_get_current_frame_number_and_time(t.ctx, t.handle, &info);
			pred = info.time_at_input_ns;
			acc = info.accuracy_ns;
			if (!err)
				err = score(&t, raw, start, x, pred, acc, 0, &pts, &n, &cap,
					    &broken, &skipped);
		}
		if (tty && now_ns() >= next_note) {
			fprintf(stderr, "\rusbts verify: %" PRId64 "/%u s, %zu edges",
				(clock_now(raw) - start) / 1000000000, seconds, n);
			next_note += 1000000000;
		}
		wake = 100000000;
		if (np && far[0].pred - clock_now(raw) - 10000000 < wake)
			wake = far[0].pred - clock_now(raw) - 10000000;
		if (wake > 0)
			sleep_ns(wake);
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
