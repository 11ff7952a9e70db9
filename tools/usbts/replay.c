// SPDX-License-Identifier: GPL-2.0
/*
 * usbts replay - run the predictor over a trace of raw MFINDEX reads
 *
 * Input, one record a line; blank lines and lines starting with '#' are
 * ignored:
 *   R <pre_ns> <post_ns> <mfindex>   a sandwiched read, in time order
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

static void replay_usage(FILE *f)
{
	fprintf(f,
		"usage: usbts replay [FILE]\n"
		"\n"
		"Feed recorded MFINDEX reads to the frame/time predictor and answer\n"
		"queries, reading FILE or standard input.  One record a line:\n"
		"  R <pre_ns> <post_ns> <mfindex>  raw read, CLOCK_MONOTONIC ns, 0..16383\n"
		"  Q <uframe>                      start time of extended microframe\n"
		"Blank lines and lines starting with '#' are ignored.\n"
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

int cmd_replay(int argc, char **argv)
{
	static const struct option help_only[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	static struct usbts_pred pred;
	const char *name = "<stdin>";
	unsigned long lineno = 0;
	char *line = NULL;
	size_t cap = 0;
	FILE *in = stdin;
	int ret = 0, c;

	while ((c = next_option(argc, argv, help_only)) != -1) {
		if (c != 'h') {
			replay_usage(stderr);
			return EXIT_USAGE;
		}
		replay_usage(stdout);
		return 0;
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

	usbts_pred_init(&pred);
	while (getline(&line, &cap, in) >= 0) {
		const char *s = line;
		int64_t a, b, c;

		lineno++;
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '#' || at_end(s))
			continue;
		if (*s == 'R' && (s[1] == ' ' || s[1] == '\t')) {
			s++;
			if (parse_s64(&s, &a) || parse_s64(&s, &b) || parse_s64(&s, &c) ||
			    !at_end(s)) {
				fprintf(stderr, "usbts replay: %s:%lu: expected 'R <pre_ns> <post_ns> <mfindex>'\n",
					name, lineno);
				ret = 1;
				break;
			}
			if (c < 0 || c > USBTS_PRED_MFINDEX_MASK) {
				fprintf(stderr, "usbts replay: %s:%lu: mfindex %" PRId64 " is not in 0..16383\n",
					name, lineno, c);
				ret = 1;
				break;
			}
			if (a > b) {
				fprintf(stderr, "usbts replay: %s:%lu: pre_ns is after post_ns\n",
					name, lineno);
				ret = 1;
				break;
			}
			if (usbts_pred_add_read(&pred, a, b, (u32)c) < 0) {
				fprintf(stderr, "usbts replay: %s:%lu: read is earlier than the one before it\n",
					name, lineno);
				ret = 1;
				break;
			}
		} else if (*s == 'Q' && (s[1] == ' ' || s[1] == '\t')) {
			int64_t t;
			uint64_t acc;

			s++;
			if (parse_s64(&s, &a) || !at_end(s)) {
				fprintf(stderr, "usbts replay: %s:%lu: expected 'Q <uframe>'\n",
					name, lineno);
				ret = 1;
				break;
			}
			if (usbts_model_time_of(&pred.model, a, &t, &acc))
				printf("%" PRId64 " %" PRId64 " %" PRIu64 " %u\n", a, t, acc,
				       pred.model.gen);
			else
				printf("%" PRId64 " - - %u\n", a, pred.model.gen);
		} else {
			fprintf(stderr, "usbts replay: %s:%lu: unknown record (expected R or Q)\n",
				name, lineno);
			ret = 1;
			break;
		}
	}
	if (!ret && ferror(in)) {
		fprintf(stderr, "usbts replay: %s: read error\n", name);
		ret = 1;
	}
	free(line);
	if (in != stdin)
		fclose(in);
	if (fflush(stdout)) {
		fprintf(stderr, "usbts replay: write error: %s\n", strerror(errno));
		ret = 1;
	}
	return ret;
}
