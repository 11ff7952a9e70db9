/* SPDX-License-Identifier: GPL-2.0 */
/*
 * usbts.h - subcommands of the usbts tool
 */
#ifndef USBTS_TOOL_H
#define USBTS_TOOL_H

int cmd_replay(int argc, char **argv);

#endif
