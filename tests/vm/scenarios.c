// SPDX-License-Identifier: GPL-2.0
/*
 * usbts-scenarios - issue 7's fault scenarios, in a tests/vm/run guest
 *
 * Each test injects real faults through the host agent (vmctl: USB device
 * unplug, xHCI hot-unplug, S3 and s2idle) or the kernel itself (pm_test
 * suspend, module unload), checks every answer it gets meanwhile, and logs
 * one "figures:" line for tests/RELIABILITY.md: operations, faults
 * injected and errors by errno.  The kernel log is checked by tests/vm/run.
 *
 *   device_unplug_under_four_get_threads     scenario 1
 *   xhci_hot_unplug_with_two_processes       scenario 2
 *   suspend_resume_at_random_phases          scenario 3
 *   rmmod_insmod_with_tracking               scenario 6
 *
 * Environment: SCENARIO_SEED (the suspend phases; default the time, and
 * logged), SUSPEND_CYCLES (default 12, at least 10), SUSPEND_KINDS (default
 * pm_test,s3; s2idle too), RELOADS (default 50).
 * Expects tests/vm/run's hardware: the qemu-xhci (agent id "xhci") with
 * usb-audio and usb-tablet ("tablet"), and the nec-usb-xhci.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/usb/timesync.h>

#include "kselftest_harness.h"

#include "vmtest.h"

#define TABLET "QEMU USB Tablet"
#define MODULE_KO "/lib/modules/usb_timesync.ko"

/* The USB 2 bus of the PCI function @vendor:@device, or -1. */
static int bus_of_pci(const char *vendor, const char *device)
{
	char path[PATH_MAX], buf[64];
	int bus;

	for (bus = 1; bus < 64; bus++) {
		snprintf(path, sizeof(path), "/sys/bus/usb/devices/usb%d/../vendor", bus);
		if (read_sysfs(path, buf, sizeof(buf)) || strcmp(buf, vendor))
			continue;
		snprintf(path, sizeof(path), "/sys/bus/usb/devices/usb%d/../device", bus);
		if (read_sysfs(path, buf, sizeof(buf)) || strcmp(buf, device))
			continue;
		snprintf(path, sizeof(path), "/sys/bus/usb/devices/usb%d/speed", bus);
		if (!read_sysfs(path, buf, sizeof(buf)) && !strcmp(buf, "480"))
			return bus;
	}
	return -1;
}

static int qemu_xhci_bus(void)
{
	return bus_of_pci("0x1b36", "0x000d");
}

static int nec_xhci_bus(void)
{
	return bus_of_pci("0x1033", "0x0194");
}

/* Poll @what every 100 ms for up to @secs; its last value. */
#define WAIT_FOR(secs, what)                                        \
	({                                                          \
		int __i, __v = 0;                                   \
		for (__i = 0; __i < (secs) * 10; __i++) {           \
			__v = (what);                               \
			if (__v)                                    \
				break;                              \
			usleep(100000);                             \
		}                                                   \
		__v;                                                \
	})

/* Run vmctl with @args (a shell word list); its exit status. */
static int vmctl(const char *args)
{
	char cmd[256];
	int rc;

	snprintf(cmd, sizeof(cmd), "vmctl %s", args);
	rc = system(cmd);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : 128;
}

/* START on the device @product of @bus with a usbfs credential. */
static int start_device(int fd, int bus, const char *product, __u32 *h)
{
	struct usb_timesync_start s = { .busnum = bus,
					.flags = USB_TIMESYNC_FLAG_DEVICE_FD };
	char node[64];
	int dev = find_dev(bus, product, NULL, 0), nfd, err = 0;

	if (dev <= 0)
		return -ENOENT;
	node_path(node, sizeof(node), bus, dev);
	nfd = open(node, O_RDWR | O_CLOEXEC);
	if (nfd < 0)
		return -errno;
	s.device_fd = nfd;
	if (ioctl(fd, USB_TIMESYNC_IOC_START_TRACKING, &s))
		err = -errno;
	close(nfd);
	*h = s.handle;
	return err;
}

static int stop(int fd, __u32 h)
{
	struct usb_timesync_stop s = { .handle = h };

	return ioctl(fd, USB_TIMESYNC_IOC_STOP_TRACKING, &s) ? -errno : 0;
}

static int sample1(int fd, __u32 h)
{
	static __thread struct usb_timesync_samples s;

	s.handle = h;
	s.n_samples = 1;
	s.flags = 0;
	s.reserved = 0;
	return ioctl(fd, USB_TIMESYNC_IOC_SAMPLE, &s) ? -errno : 0;
}

static long handles(void)
{
	return have_debugfs() ? -1 : read_long(DBG "/handles");
}

/* check_vs_sample(), retried while it is refused for up to 2 s */
static int checked_answer(struct __test_metadata *_metadata, int fd, __u32 h,
			  struct usb_timesync_frame_time *g)
{
	int i, err = -EAGAIN;

	for (i = 0; i < 200 && err == -EAGAIN; i++) {
		err = check_vs_sample(_metadata, fd, h, g);
		if (err == -EAGAIN)
			usleep(10000);
	}
	return err;
}

/*
 * kmemleak: "clear" forgets what it has found so far; kmemleak_new()
 * scans twice (an object must stay unreferenced for 5 s and two scans) and
 * returns how many new unreferenced objects it reports, or -1 without
 * kmemleak.  The first report is printed.
 */
/*
 * Every scenario is a TEST_F_TIMEOUT of this empty fixture: the debug
 * kernel under TCG needs minutes, not the harness's default 30 s.
 */
FIXTURE(sc) {
	int unused;
};

FIXTURE_SETUP(sc)
{
}

FIXTURE_TEARDOWN(sc)
{
}

#define KMEMLEAK "/sys/kernel/debug/kmemleak"

static int kmemleak_clear(void)
{
	if (have_debugfs() && access("/sys/kernel/debug/kmemleak", F_OK))
		return -1;
	return write_sysfs(KMEMLEAK, "clear") ? -1 : 0;
}

static int kmemleak_new(void)
{
	char line[512];
	int n = 0, shown = 0;
	FILE *f;

	if (write_sysfs(KMEMLEAK, "scan"))
		return -1;
	sleep(6);
	if (write_sysfs(KMEMLEAK, "scan"))
		return -1;
	f = fopen(KMEMLEAK, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (strstr(line, "unreferenced object"))
			n++;
		if (n && shown++ < 30)
			fputs(line, stdout);
	}
	fclose(f);
	return n;
}

/* ---- scenario 1: a tracked device unplugged under 4 GET threads ----------- */

struct getter {
	int fd;
	__u32 h;
	atomic_int *stop;
	atomic_int gone;		/* has seen ENODEV */
	long ok, enodev, eagain, other, ok_after_enodev, frame_back;
	int other_errno;
};

static void *getter_loop(void *p)
{
	struct getter *t = p;
	struct usb_timesync_frame_time g;
	__u64 gen = 0, last = 0;
	int err;

	while (!atomic_load(t->stop)) {
		err = get(t->fd, t->h, 0, 0, 0, 0, &g);
		if (!err) {
			t->ok++;
			if (atomic_load(&t->gone))
				t->ok_after_enodev++;
			if (g.generation == gen && uframes(&g) < last)
				t->frame_back++;
			gen = g.generation;
			last = uframes(&g);
		} else if (err == -ENODEV) {
			t->enodev++;
			atomic_store(&t->gone, 1);
		} else if (err == -EAGAIN) {
			t->eagain++;
		} else {
			t->other++;
			t->other_errno = -err;
		}
	}
	return NULL;
}

static int all_gone(struct getter *t, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (!atomic_load(&t[i].gone))
			return 0;
	return 1;
}

static int tablet_present(int bus)
{
	return find_dev(bus, TABLET, NULL, 0) > 0;
}

static int tablet_absent(int bus)
{
	return find_dev(bus, TABLET, NULL, 0) <= 0;
}

/*
 * Four threads loop on GET for a device handle while the host unplugs the
 * device: every thread turns to ENODEV and never answers again, STOP
 * works, the debugfs handle count falls back to 0, and after the replug
 * the device is tracked again.
 */
TEST_F_TIMEOUT(sc, device_unplug_under_four_get_threads, 600)
{
	struct getter t[4];
	struct usb_timesync_frame_time g;
	atomic_int stop_flag = 0;
	long ops = 0, ok = 0, enodev = 0, eagain = 0;
	int64_t t0, gone_after = -1;
	int bus = qemu_xhci_bus(), fd, i;
	pthread_t th[4];
	__u32 h;

	ASSERT_GT(bus, 0);
	ASSERT_TRUE(WAIT_FOR(60, tablet_present(bus)));
	if (handles() >= 0)
		ASSERT_EQ(0, handles());
	fd = open(DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, start_device(fd, bus, TABLET, &h));
	ASSERT_EQ(0, checked_answer(_metadata, fd, h, &g));
	ASSERT_NE(USB_TIMESYNC_ACCURACY_UNKNOWN, g.accuracy_ns);
	if (handles() >= 0)
		ASSERT_EQ(1, handles());

	memset(t, 0, sizeof(t));
	for (i = 0; i < 4; i++) {
		t[i].fd = fd;
		t[i].h = h;
		t[i].stop = &stop_flag;
		ASSERT_EQ(0, pthread_create(&th[i], NULL, getter_loop, &t[i]));
	}
	usleep(500000);
	ASSERT_EQ(0, vmctl("unplug-usb tablet"));
	t0 = clock_ns(CLOCK_MONOTONIC);
	for (i = 0; i < 1000 && !all_gone(t, 4); i++)
		usleep(10000);
	if (all_gone(t, 4))
		gone_after = elapsed_ns(t0);
	usleep(200000);
	atomic_store(&stop_flag, 1);
	for (i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		TH_LOG("thread %d: %ld answers, %ld ENODEV, %ld EAGAIN, %ld other (errno %d)",
		       i, t[i].ok, t[i].enodev, t[i].eagain, t[i].other, t[i].other_errno);
		EXPECT_TRUE(atomic_load(&t[i].gone));
		EXPECT_EQ(0, t[i].ok_after_enodev);
		EXPECT_EQ(0, t[i].other);
		EXPECT_EQ(0, t[i].frame_back);
		EXPECT_GT(t[i].ok, 0);
		ops += t[i].ok + t[i].enodev + t[i].eagain + t[i].other;
		ok += t[i].ok;
		enodev += t[i].enodev;
		eagain += t[i].eagain;
	}
	ASSERT_GE(gone_after, 0);
	ASSERT_TRUE(WAIT_FOR(10, tablet_absent(bus)));
	TH_LOG("every thread saw ENODEV %.1f ms after the agent had unplugged the device",
	       gone_after / 1e6);
	ASSERT_EQ(-ENODEV, get(fd, h, 0, 0, 0, 0, &g));
	ASSERT_EQ(-ENODEV, sample1(fd, h));
	ASSERT_EQ(0, stop(fd, h));
	ASSERT_EQ(-ENOENT, get(fd, h, 0, 0, 0, 0, &g));
	ops += 4;
	if (handles() >= 0)
		ASSERT_EQ(0, handles());
	close(fd);
	if (handles() >= 0)
		ASSERT_EQ(0, handles());

	/* replugged, it is tracked again */
	ASSERT_EQ(0, vmctl("replug-usb tablet"));
	ASSERT_TRUE(WAIT_FOR(30, tablet_present(bus)));
	fd = open(DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, start_device(fd, bus, TABLET, &h));
	ASSERT_EQ(0, checked_answer(_metadata, fd, h, &g));
	ASSERT_NE(USB_TIMESYNC_ACCURACY_UNKNOWN, g.accuracy_ns);
	close(fd);
	ops += 3;
	if (handles() >= 0)
		ASSERT_EQ(0, handles());
	TH_LOG("figures: scenario 1: %ld operations, 1 unplug and 1 replug injected; "
	       "errors: ENODEV %ld, EAGAIN %ld, other 0", ops, enodev + 2, eagain);
}

/* ---- scenario 2: the xHCI hot-unplugged under two processes --------------- */

/*
 * One process's share: a bus handle and a device handle on the qemu-xhci,
 * and an open usbfs credential.  side_start() makes them (0, or the step
 * that failed); once the controller has gone, side_check_gone() checks
 * that every call fails with ENODEV and that STOP still works, then
 * closes (0, or the step that failed; *ops and *enodev count the calls).
 */
struct side {
	int fd, nfd;
	__u32 hb, hd;
};

static int side_start(struct side *s, int bus)
{
	char node[64];
	int dev = find_dev(bus, TABLET, NULL, 0);

	s->fd = open(DEV, O_RDWR | O_CLOEXEC);
	if (s->fd < 0 || dev <= 0)
		return 1;
	if (start(s->fd, bus, 0, 0, &s->hb))
		return 2;
	if (start_device(s->fd, bus, TABLET, &s->hd))
		return 3;
	node_path(node, sizeof(node), bus, dev);
	s->nfd = open(node, O_RDWR | O_CLOEXEC);
	return s->nfd < 0 ? 4 : 0;
}

static int side_check_gone(struct side *s, int bus, long *ops, long *enodev)
{
	struct usb_timesync_start st = { .busnum = bus,
					 .flags = USB_TIMESYNC_FLAG_DEVICE_FD,
					 .device_fd = s->nfd };
	struct usb_timesync_frame_time g;
	__u32 h;

	*ops += 8;
	*enodev += 6;	/* the six calls below, each checked */
	if (get(s->fd, s->hb, 0, 0, 0, 0, &g) != -ENODEV)
		return 11;
	if (get(s->fd, s->hd, 0, 0, 0, 0, &g) != -ENODEV)
		return 12;
	if (sample1(s->fd, s->hb) != -ENODEV)
		return 13;
	if (sample1(s->fd, s->hd) != -ENODEV)
		return 14;
	if (start(s->fd, bus, 0, 0, &h) != -ENODEV)
		return 15;
	if (!ioctl(s->fd, USB_TIMESYNC_IOC_START_TRACKING, &st) || errno != ENODEV)
		return 16;
	/* documented: STOP succeeds on a handle whose controller has gone */
	if (stop(s->fd, s->hb) || stop(s->fd, s->hd))
		return 17;
	close(s->nfd);
	close(s->fd);
	return 0;
}

static int xhci_gone(int bus)
{
	char path[64];

	snprintf(path, sizeof(path), "/sys/bus/usb/devices/usb%d", bus);
	return access(path, F_OK) != 0;
}

static int module_unload(void)
{
	return syscall(SYS_delete_module, "usb_timesync", O_NONBLOCK) ? -errno : 0;
}

static int module_load(void)
{
	int fd = open(MODULE_KO, O_RDONLY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return -errno;
	if (syscall(SYS_finit_module, fd, "", 0))
		err = -errno;
	close(fd);
	return err;
}

/*
 * The host hot-unplugs the qemu-xhci from its PCIe root port while two
 * processes hold handles on it (bus and device) and a usbfs credential:
 * every call in both fails with ENODEV, closing frees everything (the
 * handle count is 0 and a kmemleak scan finds nothing new), the module
 * unloads and loads, and after the replug the controller is tracked again.
 */
TEST_F_TIMEOUT(sc, xhci_hot_unplug_with_two_processes, 900)
{
	struct usb_timesync_frame_time g;
	int bus = qemu_xhci_bus(), ready[2], go[2], status, rc, leaks;
	struct side me;
	long ops = 0, enodev = 0;
	pid_t pid;
	char c;
	__u32 h;

	ASSERT_GT(bus, 0);
	ASSERT_TRUE(WAIT_FOR(60, tablet_present(bus)));
	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(go));
	kmemleak_clear();
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct side s;
		long n = 0, e = 0;

		rc = side_start(&s, bus);
		c = rc ? 'x' : 'r';
		if (write(ready[1], &c, 1) != 1 || rc)
			_exit(rc ? rc : 5);
		if (read(go[0], &c, 1) != 1)
			_exit(6);
		_exit(side_check_gone(&s, bus, &n, &e));
	}
	ASSERT_EQ(0, side_start(&me, bus));
	ASSERT_EQ(1, read(ready[0], &c, 1));
	ASSERT_EQ('r', c);
	ASSERT_EQ(0, get(me.fd, me.hb, 0, 0, 0, 0, &g));
	ASSERT_EQ(0, get(me.fd, me.hd, 0, 0, 0, 0, &g));
	if (handles() >= 0)
		ASSERT_EQ(4, handles());
	ops += 10;

	ASSERT_EQ(0, vmctl("unplug-xhci xhci"));
	ASSERT_TRUE(WAIT_FOR(20, xhci_gone(bus)));
	ASSERT_EQ(1, write(go[1], "g", 1));
	ASSERT_EQ(0, side_check_gone(&me, bus, &ops, &enodev));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	/* the child made the same calls, with the same results */
	ops += 8;
	enodev += 6;
	if (handles() >= 0)
		ASSERT_EQ(0, handles());
	leaks = kmemleak_new();
	TH_LOG("kmemleak after close: %s", leaks < 0 ? "not in this kernel" : leaks ? "LEAKS" : "clean");
	ASSERT_TRUE(leaks <= 0);

	ASSERT_EQ(0, module_unload());
	ASSERT_NE(0, access(DEV, F_OK));
	ASSERT_EQ(0, module_load());
	ASSERT_TRUE(WAIT_FOR(5, access(DEV, F_OK) == 0));

	ASSERT_EQ(0, vmctl("replug-xhci xhci"));
	ASSERT_TRUE(WAIT_FOR(60, qemu_xhci_bus() > 0));
	bus = qemu_xhci_bus();
	ASSERT_TRUE(WAIT_FOR(30, tablet_present(bus)));
	me.fd = open(DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, me.fd);
	ASSERT_EQ(0, start(me.fd, bus, 0, 0, &h));
	ASSERT_EQ(0, checked_answer(_metadata, me.fd, h, &g));
	ASSERT_NE(USB_TIMESYNC_ACCURACY_UNKNOWN, g.accuracy_ns);
	ASSERT_EQ(0, start_device(me.fd, bus, TABLET, &h));
	ASSERT_EQ(0, checked_answer(_metadata, me.fd, h, &g));
	close(me.fd);
	ops += 6;
	TH_LOG("figures: scenario 2: %ld operations, 1 xHCI unplug and 1 replug, 1 rmmod and "
	       "1 insmod injected; errors: ENODEV %ld (all expected), other 0; kmemleak %s",
	       ops, enodev, leaks < 0 ? "n/a" : "clean");
}

/* ---- scenario 3: suspend and resume at random sampler phases -------------- */

enum { SUSPEND_PM_TEST, SUSPEND_S3, SUSPEND_S2IDLE, SUSPEND_KINDS };
static const char *const suspend_names[] = { "freeze, pm_test=devices", "S3 (deep)", "s2idle" };
static const char *const kind_keys[] = { "pm_test", "s3", "s2idle" };

static long suspend_count(void)
{
	return read_long("/sys/power/suspend_stats/success");
}

/*
 * Suspend the guest by @kind; returns once userspace runs again, with
 * *t_resume the CLOCK_MONOTONIC of the first moment it saw the resume, and
 * *agent the pid of vmctl still finishing (or 0).
 */
static int suspend_once(int kind, int64_t *t_resume, pid_t *agent)
{
	long before = suspend_count();
	const char *arg;
	int err;

	*agent = 0;
	if (kind == SUSPEND_PM_TEST) {
		if (write_sysfs("/sys/power/pm_test", "devices"))
			return -1;
		err = write_sysfs("/sys/power/state", "freeze");
		*t_resume = clock_ns(CLOCK_MONOTONIC);
		write_sysfs("/sys/power/pm_test", "none");
		return err ? -2 : 0;
	}
	arg = kind == SUSPEND_S3 ? "1" : "--freeze";
	*agent = fork();
	if (*agent < 0)
		return -3;
	if (!*agent) {
		if (kind == SUSPEND_S3)
			execlp("vmctl", "vmctl", "suspend", arg, NULL);
		else
			execlp("vmctl", "vmctl", "suspend", arg, "1", NULL);
		_exit(127);
	}
	/* frozen with every task while suspended; the count moves at resume */
	while (suspend_count() == before) {
		if (waitpid(*agent, NULL, WNOHANG) == *agent) {
			*agent = 0;
			return -4;
		}
		usleep(500);
	}
	*t_resume = clock_ns(CLOCK_MONOTONIC);
	return 0;
}

/*
 * At least 10 suspend/resume cycles, of the SUSPEND_KINDS in turn (default
 * pm_test and S3; real s2idle is woken by a line the host sends on ttyS1 a
 * fixed time after vmctl asks, and on the slow debug kernel that line can
 * come before the guest sleeps, leaving it asleep for good), each after
 * a random time since the generation began: most within the sampler's fast
 * first seconds, every third after 18 s, when it has converged and sleeps
 * for seconds between bursts.  After each resume every GET is right within
 * its accuracy (checked against SAMPLE) or refused with EAGAIN, the
 * generation has increased, and a known accuracy is back within 1 s.
 */
TEST_F_TIMEOUT(sc, suspend_resume_at_random_phases, 1800)
{
	const char *e = getenv("SCENARIO_SEED");
	unsigned int seed = e ? (unsigned int)atol(e) : (unsigned int)time(NULL);
	int cycles = getenv("SUSPEND_CYCLES") ? atoi(getenv("SUSPEND_CYCLES")) : 12;
	int fd, cycle, i, kind, phase, answered = 0, refused = 0, status;
	int64_t t0, settle[2], worst = 0;
	struct usb_timesync_frame_time g;
	int per_kind[SUSPEND_KINDS] = { 0 }, kinds[8], n_kinds = 0;
	const char *list;
	__u32 hs[2];
	__u64 g0[2];
	pid_t agent;

	if (access("/sys/power/state", W_OK) || access("/sys/power/pm_test", W_OK))
		SKIP(return, "no /sys/power/pm_test");
	ASSERT_GE(cycles, 10);
	/* SUSPEND_KINDS: a comma-separated subset of pm_test, s3, s2idle */
	for (list = getenv("SUSPEND_KINDS") ?: "pm_test,s3"; *list; list += *list == ',') {
		size_t len = strcspn(list, ",");

		for (kind = 0; kind < SUSPEND_KINDS; kind++)
			if (strlen(kind_keys[kind]) == len && !strncmp(list, kind_keys[kind], len))
				break;
		ASSERT_LT(kind, SUSPEND_KINDS) TH_LOG("unknown suspend kind in '%s'", list);
		ASSERT_LT(n_kinds, 8);
		kinds[n_kinds++] = kind;
		list += len;
	}
	ASSERT_GT(n_kinds, 0);
	srand(seed);
	TH_LOG("seed %u (SCENARIO_SEED), %d cycles", seed, cycles);
	write_sysfs("/sys/module/suspend/parameters/pm_test_delay", "0");
	fd = open(DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, start(fd, qemu_xhci_bus(), 0, 0, &hs[0]));
	ASSERT_EQ(0, start(fd, nec_xhci_bus(), 0, 0, &hs[1]));

	for (cycle = 0; cycle < cycles; cycle++) {
		kind = kinds[cycle % n_kinds];
		phase = cycle % 3 == 2 ? 18000 + rand() % 6000 : rand() % 2500;
		usleep(phase * 1000);
		for (i = 0; i < 2; i++) {
			ASSERT_EQ(0, get(fd, hs[i], 0, 0, 0, 0, &g));
			g0[i] = g.generation;
		}
		ASSERT_EQ(0, suspend_once(kind, &t0, &agent));
		after_resume(_metadata, fd, hs, g0, 2, t0, settle, &answered, &refused);
		if (agent) {
			ASSERT_EQ(agent, waitpid(agent, &status, 0));
			ASSERT_TRUE(WIFEXITED(status));
			ASSERT_EQ(0, WEXITSTATUS(status));
		}
		per_kind[kind]++;
		TH_LOG("cycle %d: %s after %d ms; accuracy known %.1f and %.1f ms after resume",
		       cycle, suspend_names[kind], phase, settle[0] / 1e6, settle[1] / 1e6);
		for (i = 0; i < 2; i++) {
			ASSERT_GE(settle[i], 0);
			ASSERT_LT(settle[i], 1000000000);
			if (settle[i] > worst)
				worst = settle[i];
		}
	}
	close(fd);
	TH_LOG("figures: scenario 3: %d operations (answers checked against SAMPLE, and refusals), "
	       "%d suspends injected (%d pm_test, %d S3, %d s2idle); errors: EAGAIN %d, other 0; "
	       "settle at most %.1f ms", answered + refused, cycles, per_kind[0], per_kind[1],
	       per_kind[2], refused, worst / 1e6);
}

/* ---- scenario 6: rmmod and insmod, with tracking in between --------------- */

/*
 * RELOADS (default 50) times: unload the module, load it, open, START on
 * both xHCIs and on the tablet, check an answer of each against SAMPLE,
 * close.  The node goes and comes back each time.
 */
TEST_F_TIMEOUT(sc, rmmod_insmod_with_tracking, 1800)
{
	int n = getenv("RELOADS") ? atoi(getenv("RELOADS")) : 50;
	struct usb_timesync_frame_time g;
	int round, fd, i, bus[2];
	long ops = 0;
	__u32 h[3];

	bus[0] = qemu_xhci_bus();
	bus[1] = nec_xhci_bus();
	ASSERT_GT(bus[0], 0);
	ASSERT_GT(bus[1], 0);
	ASSERT_TRUE(WAIT_FOR(60, tablet_present(bus[0])));
	for (round = 0; round < n; round++) {
		ASSERT_EQ(0, module_unload());
		ASSERT_NE(0, access(DEV, F_OK));
		ASSERT_EQ(0, module_load());
		ASSERT_TRUE(WAIT_FOR(5, access(DEV, F_OK) == 0));
		fd = open(DEV, O_RDWR | O_CLOEXEC);
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, start(fd, bus[0], 0, 0, &h[0]));
		ASSERT_EQ(0, start(fd, bus[1], 0, 0, &h[1]));
		ASSERT_EQ(0, start_device(fd, bus[0], TABLET, &h[2]));
		for (i = 0; i < 3; i++) {
			ASSERT_EQ(0, checked_answer(_metadata, fd, h[i], &g));
			ASSERT_NE(USB_TIMESYNC_ACCURACY_UNKNOWN, g.accuracy_ns);
		}
		close(fd);
		ops += 2 + 1 + 3 + 3 * 3;
		if (round % 10 == 9)
			TH_LOG("%d of %d reloads", round + 1, n);
	}
	TH_LOG("figures: scenario 6: %ld operations, %d rmmod and %d insmod injected; "
	       "errors: none", ops, n, n);
}

TEST_HARNESS_MAIN
