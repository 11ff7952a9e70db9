// SPDX-License-Identifier: GPL-2.0
/*
 * usbts list - USB buses, their controllers, whether each can be tracked,
 * and the devices on each; from sysfs, so it works without the module too.
 */
#define _XOPEN_SOURCE 700	/* realpath() */
#include <dirent.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tool.h"

static void read_attr(const char *dev, const char *attr, char *buf, size_t len)
{
	char path[PATH_MAX];
	FILE *f;

	buf[0] = 0;
	snprintf(path, sizeof(path), "/sys/bus/usb/devices/%s/%s", dev, attr);
	f = fopen(path, "r");
	if (!f)
		return;
	if (!fgets(buf, (int)len, f))
		buf[0] = 0;
	fclose(f);
	buf[strcspn(buf, "\n")] = 0;
}

static int is_xhci(const char *driver)
{
	return !strcmp(driver, "xhci_hcd") || !strcmp(driver, "xhci-hcd");
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

enum { OPT_JSON = OPT_FIRST };

int cmd_list(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, OPT_JSON },
		{ NULL, 0, NULL, 0 }
	};
	char *names[512];
	int n = 0, json = 0, i, j, bus, c;
	struct dirent *d;
	DIR *dir;

	while ((c = next_option(argc, argv, longopts)) != -1) {
		switch (c) {
		case 'h':
			printf("usage: usbts list [--json]\n\n"
			       "List the USB buses, their controllers and drivers, whether each\n"
			       "can be tracked (only xHCI controllers can) and the devices on it.\n"
			       "--json prints one object per bus and line: bus, controller, driver,\n"
			       "speed_mbps, trackable, reason (null when trackable) and devices\n"
			       "(devnum, port, vendor_id, product_id, product, speed_mbps).\n");
			return 0;
		case OPT_JSON:
			json = 1;
			break;
		default:
			return usage_error("list", argv);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "usbts list: unexpected argument '%s' (see --help)\n", argv[optind]);
		return EXIT_USAGE;
	}
	dir = opendir("/sys/bus/usb/devices");
	if (!dir) {
		perror("usbts list: /sys/bus/usb/devices");
		return 1;
	}
	while ((d = readdir(dir)) && n < 512)
		if (d->d_name[0] != '.' && !strchr(d->d_name, ':'))
			names[n++] = strdup(d->d_name);
	closedir(dir);
	qsort(names, (size_t)n, sizeof(names[0]), cmp_str);

	if (!json)
		printf("%-4s %-14s %-10s %-6s %s\n", "bus", "controller", "driver", "speed", "tracking");
	for (bus = 1; bus < 256; bus++) {
		char root[16], driver[64] = "?", ctrl[PATH_MAX] = "?", link[PATH_MAX];
		char path[PATH_MAX], speed[16], reason[128] = "";
		int first = 1;

		snprintf(root, sizeof(root), "usb%d", bus);
		for (i = 0; i < n && strcmp(names[i], root); i++)
			;
		if (i == n)
			continue;
		bus_driver((uint32_t)bus, driver, sizeof(driver));
		snprintf(path, sizeof(path), "/sys/bus/usb/devices/%s/..", root);
		if (realpath(path, link))
			snprintf(ctrl, sizeof(ctrl), "%s", strrchr(link, '/') + 1);
		read_attr(root, "speed", speed, sizeof(speed));
		if (!is_xhci(driver))
			snprintf(reason, sizeof(reason),
				 "driven by %s; only xHCI controllers are supported", driver);
		if (json) {
			printf("{\"bus\":%d,\"controller\":", bus);
			json_string(stdout, ctrl);
			printf(",\"driver\":");
			json_string(stdout, driver);
			printf(",\"speed_mbps\":%d,\"trackable\":%s,\"reason\":", atoi(speed),
			       reason[0] ? "false" : "true");
			if (reason[0])
				json_string(stdout, reason);
			else
				printf("null");
			printf(",\"devices\":[");
		} else {
			printf("%-4d %-14s %-10s %-6s %s\n", bus, ctrl, driver, speed,
			       reason[0] ? reason : "yes (xHCI)");
		}
		for (j = 0; j < n; j++) {
			char devnum[16], vid[16], pid[16], product[128], dspeed[16];

			if (atoi(names[j]) != bus || !strchr(names[j], '-'))
				continue;
			read_attr(names[j], "devnum", devnum, sizeof(devnum));
			read_attr(names[j], "idVendor", vid, sizeof(vid));
			read_attr(names[j], "idProduct", pid, sizeof(pid));
			read_attr(names[j], "product", product, sizeof(product));
			read_attr(names[j], "speed", dspeed, sizeof(dspeed));
			if (json) {
				printf("%s{\"devnum\":%d,\"port\":", first ? "" : ",", atoi(devnum));
				json_string(stdout, names[j]);
				printf(",\"vendor_id\":");
				json_string(stdout, vid);
				printf(",\"product_id\":");
				json_string(stdout, pid);
				printf(",\"product\":");
				json_string(stdout, product);
				printf(",\"speed_mbps\":%g}", atof(dspeed));
			} else {
				printf("       %-3s %-8s %s:%s %s\n", devnum, names[j], vid, pid, product);
			}
			first = 0;
		}
		if (json)
			printf("]}\n");
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	return 0;
}
