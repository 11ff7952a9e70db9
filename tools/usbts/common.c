// SPDX-License-Identifier: GPL-2.0
/*
 * common.c - what the usbts subcommands share
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"

int parse_u32(const char *s, uint32_t *v)
{
	char *end;
	unsigned long long x;

	if (!*s || *s == '-')
		return -1;
	errno = 0;
	x = strtoull(s, &end, 10);
	if (errno || *end || x > UINT32_MAX)
		return -1;
	*v = (uint32_t)x;
	return 0;
}

/*
 * getopt_long() over a subcommand's arguments (argv[0] is the subcommand).
 * Every subcommand takes -h/--help; its other options are long only, with
 * values of OPT_FIRST and up.  GNU getopt_long() moves operands after the
 * options, so they may come in any order, and takes --opt=value as well as
 * --opt value.  Returns 'h', an option's value, -1 after the last option
 * (the operands are argv[optind..argc-1]), or '?' for an unknown option or
 * a missing value, for usage_error() to report.
 */
int next_option(int argc, char **argv, const struct option *longopts)
{
	int c;

	opterr = 0;
	c = getopt_long(argc, argv, ":h", longopts, NULL);
	return c == ':' ? '?' : c;
}

/* Say why next_option() returned '?'; returns EXIT_USAGE. */
int usage_error(const char *cmd, char **argv)
{
	/* optopt is the option's value: a character for an unknown short
	 * option, 0 for an unknown long one, OPT_* for a missing value */
	if (optopt > 0 && optopt < OPT_FIRST)
		fprintf(stderr, "usbts %s: unexpected argument '-%c' (see --help)\n", cmd, optopt);
	else if (optopt >= OPT_FIRST)
		fprintf(stderr, "usbts %s: %s needs a value (see --help)\n", cmd, argv[optind - 1]);
	else
		fprintf(stderr, "usbts %s: unexpected argument '%s' (see --help)\n", cmd,
			argv[optind - 1]);
	return EXIT_USAGE;
}

/* The value @arg of option @name: a number, at least @min.  Returns -1,
 * having said why, when it is not. */
int opt_u32(const char *cmd, const char *name, const char *arg, uint32_t *v, uint32_t min)
{
	if (parse_u32(arg, v) || *v < min) {
		fprintf(stderr, "usbts %s: %s needs a number%s\n", cmd, name,
			min ? " above 0" : "");
		return -1;
	}
	return 0;
}

/*
 * The operands after the options: BUS[-DEV] once, nothing else.  Returns 0,
 * or EXIT_USAGE having said why.
 */
int bus_operand(const char *cmd, int argc, char **argv, uint32_t *bus, uint32_t *dev)
{
	int i, have_bus = 0;

	for (i = optind; i < argc; i++) {
		if (!have_bus && !parse_bus_dev(argv[i], bus, dev)) {
			have_bus = 1;
			continue;
		}
		fprintf(stderr, "usbts %s: unexpected argument '%s' (see --help)\n", cmd, argv[i]);
		return EXIT_USAGE;
	}
	if (!have_bus) {
		fprintf(stderr, "usbts %s: which bus? (usbts %s BUS[-DEV])\n", cmd, cmd);
		return EXIT_USAGE;
	}
	return 0;
}

/* "3" or "3-7": bus 3, or device 7 on bus 3 */
int parse_bus_dev(const char *s, uint32_t *bus, uint32_t *dev)
{
	char buf[32], *dash;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	dash = strchr(buf, '-');
	*dev = 0;
	if (dash) {
		*dash = 0;
		if (parse_u32(dash + 1, dev) || !*dev)
			return -1;
	}
	return parse_u32(buf, bus) || !*bus ? -1 : 0;
}

static const char *const clocks[] = { "monotonic", "boottime", "realtime", "tai", "raw" };

int parse_clock(const char *s, uint32_t *clock)
{
	uint32_t i;

	for (i = 0; i < 5; i++)
		if (!strcmp(s, clocks[i])) {
			*clock = i;
			return 0;
		}
	return -1;
}

const char *clock_name(uint32_t clock)
{
	return clock < 5 ? clocks[clock] : "?";
}

/* the driver of the controller behind bus @bus, from sysfs */
int bus_driver(uint32_t bus, char *buf, size_t len)
{
	char path[64], link[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/usb/devices/usb%u/../driver", bus);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -1;
	link[n] = 0;
	snprintf(buf, len, "%s", strrchr(link, '/') ? strrchr(link, '/') + 1 : link);
	return 0;
}

/* Print why a call failed; return the exit status (the errno). */
int fail(const char *cmd, const struct tracked *t, int err)
{
	char drv[64];

	if (err == -EOPNOTSUPP && t && !bus_driver(t->bus, drv, sizeof(drv)))
		fprintf(stderr, "usbts %s: bus %u is driven by %s; only xHCI controllers are supported\n",
			cmd, t->bus, drv);
	else if (err == -EPERM && t && t->dev)
		fprintf(stderr, "usbts %s: you may not track bus %u: open /dev/bus/usb/%03u/%03u for writing, or ask for the grant (see usbts --help)\n",
			cmd, t->bus, t->bus, t->dev);
	else if (err == -EPERM && t)
		fprintf(stderr, "usbts %s: only root or the grant may track a bare bus: name a device you may use as %u-DEV\n",
			cmd, t->bus);
	else if (err == -ENODEV && t && t->dev)
		fprintf(stderr, "usbts %s: no device %u on bus %u, or it has gone away\n",
			cmd, t->dev, t->bus);
	else if (err == -ENODEV && t)
		fprintf(stderr, "usbts %s: no bus %u, or its controller has gone away\n", cmd, t->bus);
	else if (err == -ENOENT && t && !t->ctx)
		fprintf(stderr, "usbts %s: /dev/usb-timesync does not exist: is usb_timesync loaded?\n",
			cmd);
	else
		fprintf(stderr, "usbts %s: %s\n", cmd, usbts_strerror(err));
	return -err;
}

int track(const char *cmd, uint32_t bus, uint32_t dev, uint32_t want_ns, struct tracked *t)
{
	int err;

	t->ctx = NULL;
	t->bus = bus;
	t->dev = dev;
	err = usbts_open(&t->ctx);
	if (err) {
		t->ctx = NULL;
		return fail(cmd, t, err);
	}
	err = usbts_start_tracking_with_accuracy(t->ctx, bus, dev, 0, want_ns, &t->handle);
	if (err) {
		int rc = fail(cmd, t, err);

		usbts_close(t->ctx);
		t->ctx = NULL;
		return rc;
	}
	return 0;
}

void untrack(struct tracked *t)
{
	if (t->ctx) {
		usbts_stop_tracking_for_time_sync(t->ctx, t->handle);
		usbts_close(t->ctx);
		t->ctx = NULL;
	}
}

void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void sleep_ns(int64_t ns)
{
	struct timespec ts = { .tv_sec = ns / 1000000000, .tv_nsec = ns % 1000000000 };

	nanosleep(&ts, NULL);
}
