// SPDX-License-Identifier: GPL-2.0
/*
 * usbts - USB time sync from the command line
 */
#include <stdio.h>
#include <string.h>

#include "tool.h"

struct subcommand {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct subcommand subcommands[] = {
	{ "list", cmd_list, "USB buses, their controllers and devices; which can be tracked" },
	{ "get", cmd_get, "one snapshot of a bus: frame, microframe, time, accuracy" },
	{ "frame-to-time", cmd_frame_to_time, "when a frame starts or started" },
	{ "monitor", cmd_monitor, "a live view of a bus" },
	{ "verify", cmd_verify, "check the claimed accuracy against raw reads" },
	{ "record", cmd_record, "write raw reads in the replay format" },
	{ "replay", cmd_replay, "run the frame/time predictor over a recorded trace" },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: usbts <command> [options]\n\ncommands:\n");
	for (i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		fprintf(f, "  %-14s %s\n", subcommands[i].name, subcommands[i].summary);
	fprintf(f, "\n'usbts <command> --help' describes one command.  BUS is a bus number\n"
		   "as lsusb shows it; BUS-DEV names device DEV on it.  A failed call\n"
		   "exits with its errno (see usbts_strerror() in libusbts).\n\n"
		   "Access: whoever may open a device's /dev/bus/usb/BBB/DDD for writing\n"
		   "(as libusb does) may track its bus as BUS-DEV.  A bare BUS needs root\n"
		   "(CAP_SYS_ADMIN) or membership in the group of /dev/usb-timesync.\n");
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	for (i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		if (!strcmp(argv[1], subcommands[i].name))
			return subcommands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "usbts: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
