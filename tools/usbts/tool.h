/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tool.h - subcommands of the usbts tool and what they share
 */
#ifndef USBTS_TOOL_H_
#define USBTS_TOOL_H_

#include <stdint.h>
#include <stdio.h>

#include "usbts.h"

int cmd_replay(int argc, char **argv);
int usbts_replay_stream(FILE *in, FILE *out, FILE *err, const char *name,
			int raw);
int cmd_list(int argc, char **argv);
int cmd_get(int argc, char **argv);
int cmd_frame_to_time(int argc, char **argv);
int cmd_monitor(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_record(int argc, char **argv);

/* exit statuses: 0, 1 (failed), 64 (usage, as sysexits.h), or the errno
 * of a failed call */
#define EXIT_USAGE 64

struct tracked {
	struct usbts_ctx *ctx;
	uint32_t handle;
	uint32_t bus;
	uint32_t dev;
};

/* values of the long-only options; below it, short options */
#define OPT_FIRST 256

struct option;
int next_option(int argc, char **argv, const struct option *longopts);
int usage_error(const char *cmd, char **argv);
int opt_u32(const char *cmd, const char *name, const char *arg, uint32_t *v, uint32_t min);
int bus_operand(const char *cmd, int argc, char **argv, uint32_t *bus, uint32_t *dev);
int parse_u32(const char *s, uint32_t *v);
int parse_bus_dev(const char *s, uint32_t *bus, uint32_t *dev);
int parse_clock(const char *s, uint32_t *clock);
const char *clock_name(uint32_t clock);
/* open and start tracking; on failure prints why and returns the exit code */
int track(const char *cmd, uint32_t bus, uint32_t dev, uint32_t want_ns, struct tracked *t);
void untrack(struct tracked *t);
int fail(const char *cmd, const struct tracked *t, int err);
int bus_driver(uint32_t bus, char *buf, size_t len);
void json_string(FILE *f, const char *s);
int64_t now_ns(void);
void sleep_ns(int64_t ns);

#endif
