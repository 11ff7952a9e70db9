// SPDX-License-Identifier: GPL-2.0
/*
 * usbts replay - run the predictor over a trace of raw MFINDEX reads
 *
 * Input, one record a line; blank lines and lines starting with '#' are
 * ignored:
 *   R <pre_ns> <post_ns> <mfindex>   a read sandwiched in CLOCK_MONOTONIC
 *   B <pre_ns> <post_ns> <raw_pre_ns> <raw_post_ns> <mfindex>
 *                                    the same in both clocks (usbts record)
 *   Q <uframe>                       when did/will extended uframe start?
 * Output, one line per Q, in order:
 *   <uframe> <predicted_ns> <accuracy_ns> <generation>
 *   <uframe> - - <generation>        (cannot predict yet)
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "predictor.h"
#include "tool.h"

/*
 * Times are CLOCK_MONOTONIC ns: never negative, and below 2^62 (146 years
 * of uptime), the predictor's domain, where no difference overflows.
 */
#define REPLAY_T_MAX ((int64_t)1 << 62)

static void replay_usage(FILE *f)
{
	fprintf(f,
		"usage: usbts replay [--clock monotonic|raw] [FILE]\n"
		"\n"
		"Feed recorded MFINDEX reads to the frame/time predictor and answer\n"
		"queries, reading FILE or standard input.  One record a line:\n"
		"  R <pre_ns> <post_ns> <mfindex>  raw read, CLOCK_MONOTONIC ns (0..2^62),\n"
		"                                  mfindex 0..16383\n"
		"  B <pre_ns> <post_ns> <raw_pre_ns> <raw_post_ns> <mfindex>\n"
		"                                  the same read in CLOCK_MONOTONIC and\n"
		"                                  CLOCK_MONOTONIC_RAW (usbts record)\n"
		"  Q <uframe>                      start time of extended microframe\n"
		"Blank lines and lines starting with '#' are ignored.\n"
		"\n"
		"--clock chooses the clock the predictor runs on and answers in\n"
		"(default monotonic; the module itself runs on raw).  R records have\n"
		"no raw clock: replaying one with --clock raw is an error.\n"
		"\n"
		"Each Q prints '<uframe> <predicted_ns> <accuracy_ns> <generation>', or\n"
		"'<uframe> - - <generation>' before the model can predict.  Extended\n"
		"numbering restarts in each generation at its first read's raw value.\n"
		"Malformed input stops with the line number and exit status 1.\n");
}

/* Parse one signed decimal integer; advance *p past it. */
static int parse_s64(const char **p, int64_t *out)
{
	const char *s = *p;
	uint64_t v = 0, limit;
	int neg = 0;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	if (*s < '0' || *s > '9')
		return -1;
	limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; *s >= '0' && *s <= '9'; s++) {
		unsigned int d = (unsigned int)(*s - '0');

		if (v > (limit - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	if (*s && *s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
		return -1;
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	*p = s;
	return 0;
}

static int at_end(const char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	return !*s;
}

/**
 * usbts_replay_stream() - run the predictor over a trace
 * @in: the trace, in the format above
 * @out: one line per Q record
 * @err: one message on malformed input
 * @name: the trace's name in messages
 * @raw: run the predictor on the raw clock of B records (R records are
 *	then an error)
 *
 * Return: 0, or 1 on malformed input (processing stops at that line) or a
 * read error.  The parser the `usbts replay` command and the fuzz target
 * (tests/fuzz/fuzz_replay.c) share.
 */
int usbts_replay_stream(FILE *in, FILE *out, FILE *err, const char *name,
			int raw)
{
	static struct usbts_pred pred;
	unsigned long lineno = 0;
	char *line = NULL;
	size_t cap = 0;
	int ret = 0;

	usbts_pred_init(&pred);
	while (getline(&line, &cap, in) >= 0) {
		const char *s = line;
		int64_t a, b, c;

		lineno++;
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '#' || at_end(s))
			continue;
		if ((*s == 'R' || *s == 'B') && (s[1] == ' ' || s[1] == '\t')) {
			int both = *s == 'B';
			int64_t rp = 0, rq = 0;

			s++;
			if (parse_s64(&s, &a) || parse_s64(&s, &b) ||
			    (both && (parse_s64(&s, &rp) || parse_s64(&s, &rq))) ||
			    parse_s64(&s, &c) || !at_end(s)) {
				fprintf(err, both ?
					"usbts replay: %s:%lu: expected 'B <pre_ns> <post_ns> <raw_pre_ns> <raw_post_ns> <mfindex>'\n" :
					"usbts replay: %s:%lu: expected 'R <pre_ns> <post_ns> <mfindex>'\n",
					name, lineno);
				ret = 1;
				break;
			}
			if (raw && !both) {
				fprintf(err, "usbts replay: %s:%lu: an R record has no raw clock (--clock raw)\n",
					name, lineno);
				ret = 1;
				break;
			}
			if (both && rp > rq) {
				fprintf(err, "usbts replay: %s:%lu: raw_pre_ns is after raw_post_ns\n",
					name, lineno);
				ret = 1;
				break;
			}
			if (raw) {
				a = rp;
				b = rq;
			}
			if (c < 0 || c > USBTS_PRED_MFINDEX_MASK) {
				fprintf(err, "usbts replay: %s:%lu: mfindex %" PRId64 " is not in 0..16383\n",
					name, lineno, c);
				ret = 1;
				break;
			}
			if (a < 0 || b >= REPLAY_T_MAX || rp < 0 || rq >= REPLAY_T_MAX) {
				fprintf(err, "usbts replay: %s:%lu: a time is outside 0..2^62 ns\n",
					name, lineno);
				ret = 1;
				break;
			}
			if (a > b) {
				fprintf(err, "usbts replay: %s:%lu: pre_ns is after post_ns\n",
					name, lineno);
				ret = 1;
				break;
			}
			if (usbts_pred_add_read(&pred, a, b, (u32)c) < 0) {
				fprintf(err, "usbts replay: %s:%lu: read is earlier than the one before it\n",
					name, lineno);
				ret = 1;
				break;
			}
		} else if (*s == 'Q' && (s[1] == ' ' || s[1] == '\t')) {
			int64_t t;
			uint64_t acc;

			s++;
			if (parse_s64(&s, &a) || !at_end(s)) {
				fprintf(err, "usbts replay: %s:%lu: expected 'Q <uframe>'\n",
					name, lineno);
				ret = 1;
				break;
			}
			/* the reads before a query are a burst the sampler ended */
			usbts_pred_end_burst(&pred);
			if (usbts_model_time_of(&pred.model, a, &t, &acc))
				fprintf(out, "%" PRId64 " %" PRId64 " %" PRIu64 " %u\n", a, t, acc,
					pred.model.gen);
			else
				fprintf(out, "%" PRId64 " - - %u\n", a, pred.model.gen);
		} else {
			fprintf(err, "usbts replay: %s:%lu: unknown record (expected R, B or Q)\n",
				name, lineno);
			ret = 1;
			break;
		}
	}
	if (!ret && ferror(in)) {
		fprintf(err, "usbts replay: %s: read error\n", name);
		ret = 1;
	}
	free(line);
	return ret;
}

enum { OPT_CLOCK = OPT_FIRST };

int cmd_replay(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "clock", required_argument, NULL, OPT_CLOCK },
		{ NULL, 0, NULL, 0 }
	};
	const char *name = "<stdin>";
	FILE *in = stdin;
	int ret, c, raw = 0;

	while ((c = next_option(argc, argv, longopts)) != -1) {
		switch (c) {
		case 'h':
			replay_usage(stdout);
			return 0;
		case OPT_CLOCK:
			if (!strcmp(optarg, "raw")) {
				raw = 1;
			} else if (strcmp(optarg, "monotonic")) {
				fprintf(stderr, "usbts replay: --clock is monotonic or raw\n");
				return EXIT_USAGE;
			}
			break;
		default:
			replay_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (argc - optind > 1) {
		replay_usage(stderr);
		return EXIT_USAGE;
	}
	if (optind < argc && strcmp(argv[optind], "-")) {
		name = argv[optind];
		in = fopen(name, "r");
		if (!in) {
			fprintf(stderr, "usbts replay: %s: %s\n", name, strerror(errno));
			return 1;
		}
	}

	ret = usbts_replay_stream(in, stdout, stderr, name, raw);
	if (in != stdin)
		fclose(in);
	if (fflush(stdout)) {
		fprintf(stderr, "usbts replay: write error: %s\n", strerror(errno));
		ret = 1;
	}
	return ret;
}
