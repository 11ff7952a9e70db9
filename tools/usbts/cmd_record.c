// SPDX-License-Identifier: GPL-2.0
/*
 * usbts record - raw SAMPLE reads in the `usbts replay` format
 */
#include <getopt.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include "tool.h"

#define BATCH USBTS_MAX_SAMPLE_CLOCKS

enum { OPT_SECONDS = OPT_FIRST, OPT_INTERVAL };

int cmd_record(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "seconds", required_argument, NULL, OPT_SECONDS },
		{ "interval", required_argument, NULL, OPT_INTERVAL },
		{ NULL, 0, NULL, 0 }
	};
	uint32_t bus = 0, dev = 0, seconds = 0, interval = 10;
	struct usbts_sample_clocks s[BATCH];
	int i, c, err = 0, tty = isatty(STDERR_FILENO);
	int64_t start, end, next_note;
	unsigned long reads = 0;
	struct tracked t;

	while ((c = next_option(argc, argv, longopts)) != -1) {
		switch (c) {
		case 'h':
			printf("usage: usbts record BUS[-DEV] --seconds N [--interval MS] > TRACE\n\n"
			       "Write raw MFINDEX reads in both clocks ('B <pre_ns> <post_ns>\n"
			       "<raw_pre_ns> <raw_post_ns> <mfindex>', see usbts replay --help): %d\n"
			       "back-to-back reads every MS ms (default 10) for N seconds.\n"
			       "Progress goes to standard error.\n", BATCH);
			return 0;
		case OPT_SECONDS:
			if (opt_u32("record", "--seconds", optarg, &seconds, 1))
				return EXIT_USAGE;
			break;
		case OPT_INTERVAL:
			if (opt_u32("record", "--interval", optarg, &interval, 0))
				return EXIT_USAGE;
			break;
		default:
			return usage_error("record", argv);
		}
	}
	if (optind == argc || !seconds) {
		fprintf(stderr, "usage: usbts record BUS[-DEV] --seconds N [--interval MS] > TRACE\n");
		return EXIT_USAGE;
	}
	err = bus_operand("record", argc, argv, &bus, &dev);
	if (err)
		return err;
	err = track("record", bus, dev, 0, &t);
	if (err)
		return err;
	printf("# usbts record: bus %u, %u s, %d reads every %u ms\n", bus, seconds, BATCH, interval);
	start = now_ns();
	end = start + (int64_t)seconds * 1000000000;
	next_note = start + 1000000000;
	while (now_ns() < end) {
		err = usbts_sample_clocks(t.ctx, t.handle, BATCH, s);
		if (err)
			break;
		for (i = 0; i < BATCH; i++)
			printf("B %" PRId64 " %" PRId64 " %" PRId64 " %" PRId64 " %u\n", s[i].pre_ns,
			       s[i].post_ns, s[i].raw_pre_ns, s[i].raw_post_ns, s[i].mfindex);
		reads += BATCH;
		if (tty && now_ns() >= next_note) {
			fprintf(stderr, "\rusbts record: %" PRId64 "/%u s, %lu reads",
				(now_ns() - start) / 1000000000, seconds, reads);
			next_note += 1000000000;
		}
		sleep_ns((int64_t)interval * 1000000);
	}
	if (tty)
		fprintf(stderr, "\r\033[K");
	if (err) {
		err = fail("record", &t, err);
	} else if (fflush(stdout)) {
		perror("usbts record: write");
		err = 1;
	} else {
		fprintf(stderr, "usbts record: %lu reads\n", reads);
	}
	untrack(&t);
	return err;
}
