// SPDX-License-Identifier: GPL-2.0
/*
 * usbts-demo - a live table of every xHCI bus's frame, microframe, time and
 * accuracy, straight from /dev/usb-timesync (used by `make demo`).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <linux/usb/timesync.h>

#define MAX_BUSES 16

static int is_xhci_usb2_bus(int bus)
{
	char path[PATH_MAX], link[PATH_MAX], speed[16] = "";
	ssize_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/bus/usb/devices/usb%d/../driver", bus);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return 0;
	link[n] = 0;
	if (strcmp(strrchr(link, '/') + 1, "xhci_hcd"))
		return 0;
	snprintf(path, sizeof(path), "/sys/bus/usb/devices/usb%d/speed", bus);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (!fgets(speed, sizeof(speed), f))
		speed[0] = 0;
	fclose(f);
	return atoi(speed) == 480;
}

int main(int argc, char **argv)
{
	unsigned int handle[MAX_BUSES];
	int bus[MAX_BUSES], n = 0, b, i, fd;
	double seconds = 10;

	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("usage: usbts-demo [SECONDS]\n"
		       "Track every xHCI controller and print its frame, microframe,\n"
		       "time and accuracy twice a second (default for 10 seconds).\n");
		return 0;
	}
	if (argc > 1)
		seconds = atof(argv[1]);
	fd = open("/dev/usb-timesync", O_RDWR);
	if (fd < 0) {
		perror("usbts-demo: /dev/usb-timesync");
		return 1;
	}
	for (b = 1; b < 64 && n < MAX_BUSES; b++) {
		struct usb_timesync_start s;

		if (!is_xhci_usb2_bus(b))
			continue;
		memset(&s, 0, sizeof(s));
		s.busnum = (unsigned int)b;
		if (ioctl(fd, USB_TIMESYNC_IOC_START_TRACKING, &s)) {
			fprintf(stderr, "usbts-demo: bus %d: %s\n", b, strerror(errno));
			continue;
		}
		bus[n] = b;
		handle[n++] = s.handle;
	}
	if (!n) {
		fprintf(stderr, "usbts-demo: no xHCI bus could be tracked\n");
		return 1;
	}
	printf("%4s %6s %11s %5s %6s %20s %12s\n", "bus", "gen", "usb_frame",
	       "frame", "uframe", "time_ns(MONOTONIC)", "accuracy_ns");
	for (i = 0; i < (int)(seconds * 2); i++) {
		for (b = 0; b < n; b++) {
			struct usb_timesync_frame_time g;

			memset(&g, 0, sizeof(g));
			g.handle = handle[b];
			if (ioctl(fd, USB_TIMESYNC_IOC_GET_FRAME_NUMBER_AND_TIME, &g)) {
				printf("%4d  error: %s\n", bus[b], strerror(errno));
				continue;
			}
			printf("%4d %6llu %11u %5u %6u %20lld %12llu\n", bus[b],
			       (unsigned long long)g.generation, g.current_usb_frame,
			       g.current_hw_frame, g.current_hw_microframe,
			       (long long)g.current_time_ns, (unsigned long long)g.accuracy_ns);
		}
		fflush(stdout);
		nanosleep(&(struct timespec){ .tv_nsec = 500000000 }, NULL);
	}
	close(fd);
	return 0;
}
