// SPDX-License-Identifier: GPL-2.0
/*
 * usbts monitor - a live view of one bus: a table that redraws itself on
 * a terminal, plain lines (or JSON lines) when piped
 */
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

int cmd_monitor(int argc, char **argv)
{
	uint32_t bus = 0, dev = 0, interval = 500, count = 0, n;
	int json = 0, tty, have_bus = 0, i, err = 0;
	struct tracked t;

	for (i = 1; i < argc; i++) {
		int r;

		if (is_help(argv[i])) {
			printf("usage: usbts monitor BUS[-DEV] [--interval MS] [--count N] [--json]\n\n"
			       "Print the bus's frame, microframe, time, accuracy and generation\n"
			       "every MS milliseconds (default 500), N times (default: until\n"
			       "interrupted).  On a terminal one line redraws itself; piped, each\n"
			       "sample is a line of its own.  --json prints one object per line:\n"
			       "generation, usb_frame, hw_frame, microframe, time_ns, accuracy_ns\n"
			       "(null when unknown).\n");
			return 0;
		} else if (!strcmp(argv[i], "--json")) {
			json = 1;
		} else if ((r = opt_u32("monitor", argc, argv, &i, "--interval", &interval, 1))) {
			if (r < 0)
				return EXIT_USAGE;
		} else if ((r = opt_u32("monitor", argc, argv, &i, "--count", &count, 1))) {
			if (r < 0)
				return EXIT_USAGE;
		} else if (!have_bus && !parse_bus_dev(argv[i], &bus, &dev)) {
			have_bus = 1;
		} else {
			fprintf(stderr, "usbts monitor: unexpected argument '%s' (see --help)\n", argv[i]);
			return EXIT_USAGE;
		}
	}
	if (!have_bus) {
		fprintf(stderr, "usbts monitor: which bus? (usbts monitor BUS)\n");
		return EXIT_USAGE;
	}
	err = track("monitor", bus, dev, &t);
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
