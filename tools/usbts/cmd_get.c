// SPDX-License-Identifier: GPL-2.0
/*
 * usbts get, usbts frame-to-time - one snapshot; the start of one frame
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"

static void print_acc(FILE *f, uint64_t acc, int json)
{
	if (acc == USBTS_ACCURACY_UNKNOWN)
		fprintf(f, json ? "null" : "unknown");
	else
		fprintf(f, "%" PRIu64, acc);
}

enum { OPT_JSON = OPT_FIRST, OPT_CLOCK };

int cmd_get(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "clock", required_argument, NULL, OPT_CLOCK },
		{ NULL, 0, NULL, 0 }
	};
	struct usbts_frame_info info;
	uint32_t bus = 0, dev = 0, clock = USBTS_CLOCK_MONOTONIC;
	int64_t sof = 0;
	uint64_t sof_acc = 0;
	struct tracked t;
	int json = 0, c, err;

	while ((c = next_option(argc, argv, longopts)) != -1) {
		switch (c) {
		case 'h':
			printf("usage: usbts get BUS[-DEV] [--clock monotonic|boottime|realtime|tai|raw] [--json]\n\n"
			       "Track the bus (naming device DEV on it, if given) and print one\n"
			       "snapshot: generation, 32-bit usb_frame, 11-bit hw_frame, microframe,\n"
			       "time_ns, accuracy_ns, and frame_start_ns (start of the current frame,\n"
			       "microframe 0).  --json prints those as one object, with bus, device\n"
			       "and clock; an unknown accuracy is null.  The exit status is the\n"
			       "errno of a failed call.\n");
			return 0;
		case OPT_JSON:
			json = 1;
			break;
		case OPT_CLOCK:
			if (parse_clock(optarg, &clock)) {
				fprintf(stderr, "usbts get: unknown clock '%s'\n", optarg);
				return EXIT_USAGE;
			}
			break;
		default:
			return usage_error("get", argv);
		}
	}
	err = bus_operand("get", argc, argv, &bus, &dev);
	if (err)
		return err;
	err = track("get", bus, dev, 0, &t);
	if (err)
		return err;
	memset(&info, 0, sizeof(info));
	info.clock = clock;
	err = usbts_get_current_frame_number_and_time(t.ctx, t.handle, &info);
	if (!err) {
		struct usbts_frame_info s;

		memset(&s, 0, sizeof(s));
		s.clock = clock;
		s.input_valid = 1;
		s.input_frame = info.current_usb_frame;
		err = usbts_get_current_frame_number_and_time(t.ctx, t.handle, &s);
		sof = s.time_at_input_ns;
		sof_acc = s.accuracy_ns;
	}
	if (err) {
		err = fail("get", &t, err);
		untrack(&t);
		return err;
	}
	untrack(&t);
	if (json) {
		printf("{\"bus\":%u,\"device\":%u,\"generation\":%" PRIu64 ",\"usb_frame\":%u,"
		       "\"hw_frame\":%u,\"microframe\":%u,\"clock\":\"%s\",\"time_ns\":%" PRId64
		       ",\"accuracy_ns\":", bus, dev, info.generation, info.current_usb_frame,
		       info.current_hw_frame, info.current_hw_microframe, clock_name(clock),
		       info.current_time_ns);
		print_acc(stdout, info.accuracy_ns, 1);
		printf(",\"frame_start_ns\":%" PRId64 ",\"frame_start_accuracy_ns\":", sof);
		print_acc(stdout, sof_acc, 1);
		printf("}\n");
	} else {
		printf("bus            %u\n", bus);
		if (dev)
			printf("device         %u\n", dev);
		printf("generation     %" PRIu64 "\n", info.generation);
		printf("usb_frame      %u\n", info.current_usb_frame);
		printf("hw_frame       %u\n", info.current_hw_frame);
		printf("microframe     %u\n", info.current_hw_microframe);
		printf("time_ns        %" PRId64 " (CLOCK_%s)\n", info.current_time_ns,
		       clock == 0 ? "MONOTONIC" : clock == 1 ? "BOOTTIME" :
		       clock == 2 ? "REALTIME" : clock == 3 ? "TAI" : "MONOTONIC_RAW");
		printf("accuracy_ns    ");
		print_acc(stdout, info.accuracy_ns, 0);
		printf("\nframe_start_ns %" PRId64 "\n", sof);
	}
	return 0;
}

int cmd_frame_to_time(int argc, char **argv)
{
	static const struct option help_only[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	uint32_t bus = 0, dev = 0, frame = 0, uframe = 0;
	char *dot, buf[32];
	struct tracked t;
	int64_t ts;
	uint64_t acc;
	int err, c;

	while ((c = next_option(argc, argv, help_only)) != -1) {
		if (c != 'h') {
			fprintf(stderr, "usage: usbts frame-to-time BUS FRAME[.MICROFRAME]\n");
			return EXIT_USAGE;
		}
		printf("usage: usbts frame-to-time BUS FRAME[.MICROFRAME]\n\n"
		       "Print when frame FRAME (32-bit, the usb_frame of usbts get; the one\n"
		       "nearest the current frame) and microframe (0..7, default 0) started\n"
		       "or will start: CLOCK_MONOTONIC ns and the accuracy in ns.\n");
		return 0;
	}
	argc -= optind;
	argv += optind;
	if (argc != 2 || parse_bus_dev(argv[0], &bus, &dev) || strlen(argv[1]) >= sizeof(buf)) {
		fprintf(stderr, "usage: usbts frame-to-time BUS FRAME[.MICROFRAME]\n");
		return EXIT_USAGE;
	}
	strcpy(buf, argv[1]);
	dot = strchr(buf, '.');
	if (dot)
		*dot = 0;
	if (parse_u32(buf, &frame) || (dot && (parse_u32(dot + 1, &uframe) || uframe > 7))) {
		fprintf(stderr, "usbts frame-to-time: '%s' is not FRAME[.MICROFRAME 0..7]\n", argv[1]);
		return EXIT_USAGE;
	}
	err = track("frame-to-time", bus, dev, 0, &t);
	if (err)
		return err;
	err = usbts_frame_start_time(t.ctx, t.handle, frame, uframe, &ts, &acc);
	if (err) {
		err = fail("frame-to-time", &t, err);
		untrack(&t);
		return err;
	}
	untrack(&t);
	printf("frame %u.%u starts at %" PRId64 " ns (CLOCK_MONOTONIC), accuracy ", frame, uframe, ts);
	print_acc(stdout, acc, 0);
	printf(" ns\n");
	return 0;
}
