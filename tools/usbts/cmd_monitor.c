// SPDX-License-Identifier: GPL-2.0
/*
 * usbts monitor - a live view of one bus: a table that redraws itself on
 * a terminal, plain lines (or JSON lines) when piped
 */
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tool.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

enum { OPT_JSON = OPT_FIRST, OPT_INTERVAL, OPT_COUNT, OPT_WANT };

int cmd_monitor(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "interval", required_argument, NULL, OPT_INTERVAL },
		{ "count", required_argument, NULL, OPT_COUNT },
		{ "want-accuracy", required_argument, NULL, OPT_WANT },
		{ NULL, 0, NULL, 0 }
	};
	uint32_t bus = 0, dev = 0, interval = 500, count = 0, want = 0, n;
	int json = 0, tty, c, err = 0;
	struct tracked t;

	while ((c = next_option(argc, argv, longopts)) != -1) {
		switch (c) {
		case 'h':
			printf("usage: usbts monitor BUS[-DEV] [--interval MS] [--count N] [--want-accuracy NS]\n"
			       "                     [--json]\n\n"
			       "Print the bus's frame, microframe, time, accuracy and generation\n"
			       "every MS milliseconds (default 500), N times (default: until\n"
			       "interrupted).  On a terminal one line redraws itself; piped, each\n"
			       "sample is a line of its own.  --json prints one object per line:\n"
			       "generation, usb_frame, hw_frame, microframe, time_ns, accuracy_ns\n"
			       "(null when unknown).  --want-accuracy asks the module's sampler to\n"
			       "read the bus often enough to keep the accuracy within NS where it\n"
			       "can (about once a second at most); either way the sampler keeps\n"
			       "the accuracy within twice what it is after a read, reading every\n"
			       "16 s or so at most, and the accuracy shown grows in between.\n");
			return 0;
		case OPT_JSON:
			json = 1;
			break;
		case OPT_INTERVAL:
			if (opt_u32("monitor", "--interval", optarg, &interval, 1))
				return EXIT_USAGE;
			break;
		case OPT_COUNT:
			if (opt_u32("monitor", "--count", optarg, &count, 1))
				return EXIT_USAGE;
			break;
		case OPT_WANT:
			if (opt_u32("monitor", "--want-accuracy", optarg, &want, 1))
				return EXIT_USAGE;
			break;
		default:
			return usage_error("monitor", argv);
		}
	}
	err = bus_operand("monitor", argc, argv, &bus, &dev);
	if (err)
		return err;
	err = track("monitor", bus, dev, want, &t);
	if (err)
		return err;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	tty = !json && isatty(STDOUT_FILENO);
	if (!json)
		printf("%8s %11s %6s %6s %20s %12s\n", "gen", "usb_frame", "frame", "uframe",
		       "time_ns", "accuracy_ns");
	for (n = 0; !stop && (!count || n < count); n++) {
		struct usbts_frame_info info;
		char acc[24];

		if (n)
			sleep_ns((int64_t)interval * 1000000);
		memset(&info, 0, sizeof(info));
		err = usbts_get_current_frame_number_and_time(t.ctx, t.handle, &info);
		if (err)
			break;
		if (info.accuracy_ns == USBTS_ACCURACY_UNKNOWN)
			strcpy(acc, json ? "null" : "unknown");
		else
			snprintf(acc, sizeof(acc), "%" PRIu64, info.accuracy_ns);
		if (json)
			printf("{\"generation\":%" PRIu64 ",\"usb_frame\":%u,\"hw_frame\":%u,"
			       "\"microframe\":%u,\"time_ns\":%" PRId64 ",\"accuracy_ns\":%s}\n",
			       info.generation, info.current_usb_frame, info.current_hw_frame,
			       info.current_hw_microframe, info.current_time_ns, acc);
		else
			printf("%s%8" PRIu64 " %11u %6u %6u %20" PRId64 " %12s%s", tty ? "\r\033[K" : "",
			       info.generation, info.current_usb_frame, info.current_hw_frame,
			       info.current_hw_microframe, info.current_time_ns, acc, tty ? "" : "\n");
		fflush(stdout);
	}
	if (tty)
		printf("\n");
	if (err)
		err = fail("monitor", &t, err);
	untrack(&t);
	return err;
}
