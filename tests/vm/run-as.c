// SPDX-License-Identifier: GPL-2.0
/*
 * run-as - in the guest: run a command as an unprivileged user, with no
 * supplementary groups and so no capabilities (busybox's setpriv has no
 * --reuid, and the guest has no passwd file for su).
 *
 * usage: run-as UID[:GID] CMD [ARG...]
 */
#define _GNU_SOURCE
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char *end;
	unsigned long uid, gid;

	if (argc < 3) {
		fprintf(stderr, "usage: run-as UID[:GID] CMD [ARG...]\n");
		return 2;
	}
	uid = strtoul(argv[1], &end, 10);
	gid = *end == ':' ? strtoul(end + 1, &end, 10) : uid;
	if (*end || !uid) {
		fprintf(stderr, "run-as: bad UID[:GID] '%s'\n", argv[1]);
		return 2;
	}
	if (setgroups(0, NULL) || setresgid(gid, gid, gid) || setresuid(uid, uid, uid)) {
		perror("run-as");
		return 2;
	}
	execvp(argv[2], argv + 2);
	perror("run-as: exec");
	return 127;
}
