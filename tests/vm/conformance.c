// SPDX-License-Identifier: GPL-2.0
/*
 * conformance - the /dev/usb-timesync ioctl ABI, run in the QEMU guest
 *
 * One error path per test; every read buffer is filled with 0xcc first.
 * Expects the default hardware of tests/vm/run: two xHCI controllers
 * (qemu-xhci with usb-audio and usb-tablet, nec-usb-xhci with usb-kbd) and
 * an EHCI with usb-mouse.  The tests that remove hardware come last.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <stddef.h>
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

#include "kselftest_harness.h"

#define DEV "/dev/usb-timesync"

static int read_sysfs(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	if (!fgets(buf, (int)len, f)) {
		fclose(f);
		return -1;
	}
	fclose(f);
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

static int write_sysfs(const char *path, const char *v)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, v, strlen(v));
	close(fd);
	return n < 0 ? -errno : 0;
}

/* The USB 2 bus of the n-th controller driven by @driver (sorted by bus). */
static int find_bus(const char *driver, int nth)
{
	char path[PATH_MAX], link[PATH_MAX], buf[64];
	int bus, found = 0;

	for (bus = 1; bus < 64; bus++) {
		ssize_t n;

		snprintf(path, sizeof(path), "/sys/bus/usb/devices/usb%d/../driver", bus);
		n = readlink(path, link, sizeof(link) - 1);
		if (n < 0)
			continue;
		link[n] = 0;
		if (strcmp(strrchr(link, '/') + 1, driver))
			continue;
		snprintf(path, sizeof(path), "/sys/bus/usb/devices/usb%d/speed", bus);
		if (read_sysfs(path, buf, sizeof(buf)) || strcmp(buf, "480"))
			continue;
		if (found++ == nth)
			return bus;
	}
	return -1;
}

/* devnum of the device on @bus whose product string is @product */
static int find_dev(int bus, const char *product, char *name, size_t len)
{
	char path[PATH_MAX], buf[128];
	struct dirent *d;
	DIR *dir = opendir("/sys/bus/usb/devices");
	int devnum = -1;

	if (!dir)
		return -1;
	while ((d = readdir(dir))) {
		if (atoi(d->d_name) != bus || !strchr(d->d_name, '-') || strchr(d->d_name, ':'))
			continue;
		snprintf(path, sizeof(path), "/sys/bus/usb/devices/%s/product", d->d_name);
		if (read_sysfs(path, buf, sizeof(buf)) || strcmp(buf, product))
			continue;
		snprintf(path, sizeof(path), "/sys/bus/usb/devices/%s/devnum", d->d_name);
		if (!read_sysfs(path, buf, sizeof(buf))) {
			devnum = atoi(buf);
			if (name)
				snprintf(name, len, "%s", d->d_name);
		}
		break;
	}
	closedir(dir);
	return devnum;
}

static int64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int start(int fd, int bus, int dev, unsigned int flags, __u32 *handle)
{
	struct usb_timesync_start s;

	memset(&s, 0xcc, sizeof(s));
	memset(s.reserved, 0, sizeof(s.reserved));
	s.busnum = bus;
	s.devnum = dev;
	s.flags = flags;
	if (ioctl(fd, USB_TIMESYNC_IOC_START_TRACKING, &s))
		return -errno;
	*handle = s.handle;
	return 0;
}

static int get(int fd, __u32 handle, __u32 clock, int with_input, __u32 frame,
	       __u32 uframe, struct usb_timesync_frame_time *out)
{
	struct usb_timesync_frame_time g;

	/* outputs 0xcc, so that one the kernel forgot to write shows */
	memset(&g, 0xcc, sizeof(g));
	memset(g.reserved, 0, sizeof(g.reserved));
	g.handle = handle;
	g.clock = clock;
	g.flags = with_input ? USB_TIMESYNC_FRAME_INPUT_VALID : 0;
	g.input_frame = with_input ? frame : 0;
	g.input_microframe = with_input ? uframe : 0;
	if (ioctl(fd, USB_TIMESYNC_IOC_GET_FRAME_NUMBER_AND_TIME, &g))
		return -errno;
	*out = g;
	return 0;
}

static __u64 uframes(const struct usb_timesync_frame_time *g)
{
	return (__u64)g->current_usb_frame * 8 + g->current_hw_microframe;
}

FIXTURE(ts) {
	int fd;
	int xhci[2];	/* USB 2 bus of qemu-xhci and of nec-usb-xhci */
	int ehci;
	__u32 h;	/* a handle on xhci[0], made by setup */
};

FIXTURE_SETUP(ts)
{
	self->xhci[0] = find_bus("xhci_hcd", 0);
	self->xhci[1] = find_bus("xhci_hcd", 1);
	self->ehci = find_bus("ehci-pci", 0);
	ASSERT_GT(self->xhci[0], 0);
	ASSERT_GT(self->xhci[1], 0);
	ASSERT_GT(self->ehci, 0);
	self->fd = open(DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, start(self->fd, self->xhci[0], 0, 0, &self->h));
	ASSERT_NE(0, self->h);
}

FIXTURE_TEARDOWN(ts)
{
	close(self->fd);
}

/* ---- ENOTTY --------------------------------------------------------------- */

TEST_F(ts, enotty_unknown_command)
{
	ASSERT_EQ(-1, ioctl(self->fd, _IO(USB_TIMESYNC_IOC_MAGIC, 0x7f)));
	ASSERT_EQ(ENOTTY, errno);
}

TEST_F(ts, enotty_wrong_size)
{
	__u64 x = 0;

	ASSERT_EQ(-1, ioctl(self->fd, _IOWR(USB_TIMESYNC_IOC_MAGIC, 0x00, __u64), &x));
	ASSERT_EQ(ENOTTY, errno);
}

/* ---- EFAULT --------------------------------------------------------------- */

TEST_F(ts, efault_start)
{
	ASSERT_EQ(-1, ioctl(self->fd, USB_TIMESYNC_IOC_START_TRACKING, NULL));
	ASSERT_EQ(EFAULT, errno);
}

TEST_F(ts, efault_stop)
{
	ASSERT_EQ(-1, ioctl(self->fd, USB_TIMESYNC_IOC_STOP_TRACKING, (void *)8));
	ASSERT_EQ(EFAULT, errno);
}

TEST_F(ts, efault_get)
{
	ASSERT_EQ(-1, ioctl(self->fd, USB_TIMESYNC_IOC_GET_FRAME_NUMBER_AND_TIME, NULL));
	ASSERT_EQ(EFAULT, errno);
}

TEST_F(ts, efault_sample)
{
	ASSERT_EQ(-1, ioctl(self->fd, USB_TIMESYNC_IOC_SAMPLE, NULL));
	ASSERT_EQ(EFAULT, errno);
}

/* ---- EINVAL --------------------------------------------------------------- */

TEST_F(ts, einval_start_unknown_flag)
{
	__u32 h;

	ASSERT_EQ(-EINVAL, start(self->fd, self->xhci[0], 0, 1u << 1, &h));
}

TEST_F(ts, einval_start_reserved)
{
	struct usb_timesync_start s = { .busnum = self->xhci[0], .reserved[1] = 1 };

	ASSERT_EQ(-1, ioctl(self->fd, USB_TIMESYNC_IOC_START_TRACKING, &s));
	ASSERT_EQ(EINVAL, errno);
}

TEST_F(ts, einval_stop_reserved)
{
	struct usb_timesync_stop s = { .handle = self->h, .reserved = 1 };

	ASSERT_EQ(-1, ioctl(self->fd, USB_TIMESYNC_IOC_STOP_TRACKING, &s));
	ASSERT_EQ(EINVAL, errno);
}

TEST_F(ts, einval_get_unknown_flag)
{
	struct usb_timesync_frame_time g = { .handle = self->h, .flags = 2 };

	ASSERT_EQ(-1, ioctl(self->fd, USB_TIMESYNC_IOC_GET_FRAME_NUMBER_AND_TIME, &g));
	ASSERT_EQ(EINVAL, errno);
}

TEST_F(ts, einval_get_unknown_clock)
{
	struct usb_timesync_frame_time g;

	ASSERT_EQ(-EINVAL, get(self->fd, self->h, USB_TIMESYNC_CLOCK_TAI + 1, 0, 0, 0, &g));
}

TEST_F(ts, einval_get_microframe_8)
{
	struct usb_timesync_frame_time g;

	ASSERT_EQ(-EINVAL, get(self->fd, self->h, 0, 1, 0, 8, &g));
}

TEST_F(ts, einval_get_input_without_flag)
{
	struct usb_timesync_frame_time g = { .handle = self->h, .input_frame = 3 };

	ASSERT_EQ(-1, ioctl(self->fd, USB_TIMESYNC_IOC_GET_FRAME_NUMBER_AND_TIME, &g));
	ASSERT_EQ(EINVAL, errno);
}

TEST_F(ts, einval_get_reserved)
{
	struct usb_timesync_frame_time g = { .handle = self->h, .reserved[2] = 1 };

	ASSERT_EQ(-1, ioctl(self->fd, USB_TIMESYNC_IOC_GET_FRAME_NUMBER_AND_TIME, &g));
	ASSERT_EQ(EINVAL, errno);
}

TEST_F(ts, einval_sample_zero)
{
	static struct usb_timesync_samples s;

	s.handle = self->h;
	s.n_samples = 0;
	ASSERT_EQ(-1, ioctl(self->fd, USB_TIMESYNC_IOC_SAMPLE, &s));
	ASSERT_EQ(EINVAL, errno);
}

TEST_F(ts, einval_sample_too_many)
{
	static struct usb_timesync_samples s;

	s.handle = self->h;
	s.n_samples = USB_TIMESYNC_MAX_SAMPLES + 1;
	ASSERT_EQ(-1, ioctl(self->fd, USB_TIMESYNC_IOC_SAMPLE, &s));
	ASSERT_EQ(EINVAL, errno);
}

TEST_F(ts, einval_sample_reserved)
{
	static struct usb_timesync_samples s;

	s.handle = self->h;
	s.n_samples = 1;
	s.reserved = 1;
	ASSERT_EQ(-1, ioctl(self->fd, USB_TIMESYNC_IOC_SAMPLE, &s));
	ASSERT_EQ(EINVAL, errno);
}

/* ---- ENOENT --------------------------------------------------------------- */

TEST_F(ts, enoent_get_handle_zero)
{
	struct usb_timesync_frame_time g;

	ASSERT_EQ(-ENOENT, get(self->fd, 0, 0, 0, 0, 0, &g));
}

TEST_F(ts, enoent_get_unknown_handle)
{
	struct usb_timesync_frame_time g;

	ASSERT_EQ(-ENOENT, get(self->fd, self->h + 1000, 0, 0, 0, 0, &g));
}

TEST_F(ts, enoent_handle_of_another_file)
{
	struct usb_timesync_frame_time g;
	int fd2 = open(DEV, O_RDWR);

	ASSERT_LE(0, fd2);
	ASSERT_EQ(-ENOENT, get(fd2, self->h, 0, 0, 0, 0, &g));
	close(fd2);
}

TEST_F(ts, enoent_stop_twice)
{
	struct usb_timesync_stop s = { .handle = self->h };

	ASSERT_EQ(0, ioctl(self->fd, USB_TIMESYNC_IOC_STOP_TRACKING, &s));
	ASSERT_EQ(-1, ioctl(self->fd, USB_TIMESYNC_IOC_STOP_TRACKING, &s));
	ASSERT_EQ(ENOENT, errno);
}

TEST_F(ts, enoent_sample_unknown_handle)
{
	static struct usb_timesync_samples s;

	s.handle = self->h + 1000;
	s.n_samples = 1;
	ASSERT_EQ(-1, ioctl(self->fd, USB_TIMESYNC_IOC_SAMPLE, &s));
	ASSERT_EQ(ENOENT, errno);
}

/* ---- ENODEV, EOPNOTSUPP, ENOSPC at START ---------------------------------- */

TEST_F(ts, enodev_no_such_bus)
{
	__u32 h;

	ASSERT_EQ(-ENODEV, start(self->fd, 99, 0, 0, &h));
}

TEST_F(ts, enodev_no_such_device)
{
	__u32 h;

	ASSERT_EQ(-ENODEV, start(self->fd, self->xhci[0], 99, 0, &h));
}

TEST_F(ts, eopnotsupp_ehci)
{
	__u32 h;

	ASSERT_EQ(-EOPNOTSUPP, start(self->fd, self->ehci, 0, 0, &h));
}

TEST_F(ts, enospc_handle_limit)
{
	__u32 h;
	int i;

	/* the fixture holds one already */
	for (i = 1; i < USB_TIMESYNC_MAX_HANDLES; i++)
		ASSERT_EQ(0, start(self->fd, self->xhci[i & 1], 0,
				   USB_TIMESYNC_FLAG_STARTUP_DELAY_TOLERABLE, &h));
	ASSERT_EQ(-ENOSPC, start(self->fd, self->xhci[0], 0, 0, &h));
}

/* ---- the happy path, on both controllers ---------------------------------- */

TEST_F(ts, get_fills_every_field)
{
	struct usb_timesync_frame_time g;
	int64_t before = clock_ns(CLOCK_MONOTONIC), after;

	ASSERT_EQ(0, get(self->fd, self->h, 0, 0, 0, 0, &g));
	after = clock_ns(CLOCK_MONOTONIC);
	EXPECT_EQ(1000000000ull, g.time_frequency_hz);
	EXPECT_EQ(0, g.time_at_input_ns);
	EXPECT_NE(USB_TIMESYNC_ACCURACY_UNKNOWN, g.accuracy_ns);
	EXPECT_LT(g.accuracy_ns, 125000ull);
	EXPECT_NE(0, g.generation);
	EXPECT_LE(before, g.current_time_ns);
	EXPECT_GE(after, g.current_time_ns);
	EXPECT_LT(g.current_hw_frame, 2048);
	EXPECT_LT(g.current_hw_microframe, 8);
	EXPECT_EQ(g.current_hw_frame, g.current_usb_frame & 2047);
	EXPECT_EQ(0, g.reserved[0] | g.reserved[1] | g.reserved[2]);
	EXPECT_NE((__u64)0xcccccccccccccccc, (__u64)g.current_time_ns);
	EXPECT_NE(0xccccccccu, g.current_usb_frame);
}

static void check_rate(struct __test_metadata *_metadata, int fd, __u32 h)
{
	struct usb_timesync_frame_time a, b;
	double rate;

	ASSERT_EQ(0, get(fd, h, 0, 0, 0, 0, &a));
	usleep(2000000);
	ASSERT_EQ(0, get(fd, h, 0, 0, 0, 0, &b));
	ASSERT_EQ(a.generation, b.generation);
	rate = (double)(uframes(&b) - uframes(&a)) * 1e9 /
	       (double)(b.current_time_ns - a.current_time_ns);
	TH_LOG("%.3f microframes per second", rate);
	ASSERT_LT(rate, 8000 * 1.001);
	ASSERT_GT(rate, 8000 * 0.999);
}

TEST_F(ts, rate_8000_per_second_qemu_xhci)
{
	check_rate(_metadata, self->fd, self->h);
}

TEST_F(ts, rate_8000_per_second_nec_xhci)
{
	__u32 h;

	ASSERT_EQ(0, start(self->fd, self->xhci[1], 0, 0, &h));
	check_rate(_metadata, self->fd, h);
}

static void check_current_within_accuracy(struct __test_metadata *_metadata, int fd,
					  __u32 h)
{
	struct usb_timesync_frame_time a, b;
	int i;

	for (i = 0; i < 50; i++) {
		ASSERT_EQ(0, get(fd, h, 0, 0, 0, 0, &a));
		ASSERT_EQ(0, get(fd, h, 0, 1, a.current_usb_frame, a.current_hw_microframe, &b));
		ASSERT_EQ(a.generation, b.generation);
		/* that microframe began at or before now, and lasts 125 us */
		ASSERT_LE(b.time_at_input_ns, a.current_time_ns + (int64_t)b.accuracy_ns);
		ASSERT_GT(b.time_at_input_ns + 125100 + (int64_t)b.accuracy_ns,
			  a.current_time_ns);
		usleep(20000);
	}
}

TEST_F(ts, current_frame_within_accuracy_qemu_xhci)
{
	check_current_within_accuracy(_metadata, self->fd, self->h);
}

TEST_F(ts, current_frame_within_accuracy_nec_xhci)
{
	__u32 h;

	ASSERT_EQ(0, start(self->fd, self->xhci[1], 0, 0, &h));
	check_current_within_accuracy(_metadata, self->fd, h);
}

TEST_F(ts, generation_stable_10s)
{
	struct usb_timesync_frame_time a, b;
	int i;

	ASSERT_EQ(0, get(self->fd, self->h, 0, 0, 0, 0, &a));
	for (i = 0; i < 100; i++) {
		usleep(100000);
		ASSERT_EQ(0, get(self->fd, self->h, 0, 0, 0, 0, &b));
		ASSERT_EQ(a.generation, b.generation);
		ASSERT_LE(uframes(&a), uframes(&b));
		a = b;
	}
}

TEST_F(ts, realtime_differs_by_kernel_offset)
{
	struct usb_timesync_frame_time a, m, r, t, bt;
	int64_t off_real, off_tai, mono0, mono1, gap_real, gap_tai;

	ASSERT_EQ(0, get(self->fd, self->h, 0, 0, 0, 0, &a));
	ASSERT_EQ(0, get(self->fd, self->h, USB_TIMESYNC_CLOCK_MONOTONIC, 1,
			 a.current_usb_frame, a.current_hw_microframe, &m));
	ASSERT_EQ(0, get(self->fd, self->h, USB_TIMESYNC_CLOCK_REALTIME, 1,
			 a.current_usb_frame, a.current_hw_microframe, &r));
	ASSERT_EQ(0, get(self->fd, self->h, USB_TIMESYNC_CLOCK_TAI, 1,
			 a.current_usb_frame, a.current_hw_microframe, &t));
	ASSERT_EQ(0, get(self->fd, self->h, USB_TIMESYNC_CLOCK_BOOTTIME, 1,
			 a.current_usb_frame, a.current_hw_microframe, &bt));
	/*
	 * Each offset is read between two CLOCK_MONOTONIC reads: on a loaded
	 * TCG guest (or an RT kernel) the reader can be preempted between
	 * two clock reads, so the gap is added to the tolerance.
	 */
	mono0 = clock_ns(CLOCK_MONOTONIC);
	off_real = clock_ns(CLOCK_REALTIME);
	mono1 = clock_ns(CLOCK_MONOTONIC);
	off_real -= mono0 / 2 + mono1 / 2;
	gap_real = mono1 - mono0;
	mono0 = clock_ns(CLOCK_MONOTONIC);
	off_tai = clock_ns(CLOCK_TAI);
	mono1 = clock_ns(CLOCK_MONOTONIC);
	off_tai -= mono0 / 2 + mono1 / 2;
	gap_tai = mono1 - mono0;
	/* the same microframe, converted by the kernel's offsets */
	ASSERT_LT(llabs(r.time_at_input_ns - m.time_at_input_ns - off_real), 200000 + gap_real);
	ASSERT_LT(llabs(t.time_at_input_ns - m.time_at_input_ns - off_tai), 200000 + gap_tai);
	ASSERT_LE(m.time_at_input_ns, bt.time_at_input_ns);
}

TEST_F(ts, current_time_in_the_chosen_clock)
{
	struct usb_timesync_frame_time g;
	int64_t before = clock_ns(CLOCK_REALTIME), after;

	ASSERT_EQ(0, get(self->fd, self->h, USB_TIMESYNC_CLOCK_REALTIME, 0, 0, 0, &g));
	after = clock_ns(CLOCK_REALTIME);
	ASSERT_LE(before, g.current_time_ns);
	ASSERT_GE(after, g.current_time_ns);
}

TEST_F(ts, both_buses_of_one_xhci_share_the_counter)
{
	struct usb_timesync_frame_time a, b;
	__u32 h;

	/* bus n+1 is the USB 3 bus of the controller whose USB 2 bus is n */
	ASSERT_EQ(0, start(self->fd, self->xhci[0] + 1, 0, 0, &h));
	ASSERT_EQ(0, get(self->fd, self->h, 0, 0, 0, 0, &a));
	ASSERT_EQ(0, get(self->fd, h, 0, 0, 0, 0, &b));
	ASSERT_EQ(a.generation, b.generation);
	ASSERT_LE(uframes(&a), uframes(&b));
	ASSERT_LT(uframes(&b) - uframes(&a), 8000);
}

TEST_F(ts, start_on_a_device)
{
	struct usb_timesync_frame_time g;
	int dev = find_dev(self->xhci[0], "QEMU USB Audio", NULL, 0);
	__u32 h;

	ASSERT_GT(dev, 0);
	ASSERT_EQ(0, start(self->fd, self->xhci[0], dev, 0, &h));
	ASSERT_EQ(0, get(self->fd, h, 0, 0, 0, 0, &g));
	ASSERT_NE(USB_TIMESYNC_ACCURACY_UNKNOWN, g.accuracy_ns);
}

TEST_F(ts, startup_delay_tolerable_returns_at_once)
{
	struct usb_timesync_frame_time g;
	int fd2 = open(DEV, O_RDWR);
	__u32 h;
	int i;

	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, start(fd2, self->xhci[1], 0, USB_TIMESYNC_FLAG_STARTUP_DELAY_TOLERABLE, &h));
	for (i = 0; i < 100; i++) {
		ASSERT_EQ(0, get(fd2, h, 0, 0, 0, 0, &g));
		if (g.accuracy_ns != USB_TIMESYNC_ACCURACY_UNKNOWN)
			break;
		usleep(10000);
	}
	ASSERT_NE(USB_TIMESYNC_ACCURACY_UNKNOWN, g.accuracy_ns);
	close(fd2);
}

TEST_F(ts, sample_reads_back_to_back)
{
	static struct usb_timesync_samples s;
	unsigned int i;

	memset(&s, 0xcc, sizeof(s));
	s.handle = self->h;
	s.n_samples = 25;
	s.reserved = 0;
	ASSERT_EQ(0, ioctl(self->fd, USB_TIMESYNC_IOC_SAMPLE, &s));
	for (i = 0; i < 25; i++) {
		ASSERT_LE(s.samples[i].pre_ns, s.samples[i].post_ns);
		ASSERT_LT(s.samples[i].mfindex, 16384);
		ASSERT_EQ(0, s.samples[i].reserved);
		if (i)
			ASSERT_LE(s.samples[i - 1].post_ns, s.samples[i].pre_ns);
	}
	/* the rest is untouched */
	ASSERT_EQ((__u32)0xcccccccc, s.samples[25].mfindex);
}

/* Let bus @bus, its USB 3 sibling and their devices autosuspend at once. */
static void allow_autosuspend(int bus)
{
	char path[PATH_MAX + 64];
	struct dirent *d;
	DIR *dir = opendir("/sys/bus/usb/devices");

	while (dir && (d = readdir(dir))) {
		int b = atoi(d->d_name[0] == 'u' ? d->d_name + 3 : d->d_name);

		if ((b != bus && b != bus + 1) || strchr(d->d_name, ':'))
			continue;
		snprintf(path, sizeof(path), "/sys/bus/usb/devices/%s/power/autosuspend_delay_ms",
			 d->d_name);
		write_sysfs(path, "0");
		snprintf(path, sizeof(path), "/sys/bus/usb/devices/%s/power/control", d->d_name);
		write_sysfs(path, "auto");
	}
	if (dir)
		closedir(dir);
}

/* Wait up to @ms for root hub @bus to reach runtime state @want. */
static int wait_rh_status(int bus, const char *want, int ms)
{
	char path[PATH_MAX], buf[32];

	snprintf(path, sizeof(path), "/sys/bus/usb/devices/usb%d/power/runtime_status", bus);
	for (; ms >= 0; ms -= 50) {
		if (!read_sysfs(path, buf, sizeof(buf)) && !strcmp(buf, want))
			return 0;
		usleep(50000);
	}
	return -1;
}

TEST_F(ts, idle_bus_is_woken_and_held_while_tracked)
{
	struct usb_timesync_stop s;
	struct usb_timesync_frame_time g;
	__u32 h;

	allow_autosuspend(self->xhci[1]);
	ASSERT_EQ(0, wait_rh_status(self->xhci[1], "suspended", 5000));
	/* START wakes the idle bus rather than failing */
	ASSERT_EQ(0, start(self->fd, self->xhci[1], 0, 0, &h));
	ASSERT_EQ(0, wait_rh_status(self->xhci[1], "active", 0));
	usleep(2000000);
	ASSERT_EQ(0, wait_rh_status(self->xhci[1], "active", 0));
	ASSERT_EQ(0, get(self->fd, h, 0, 0, 0, 0, &g));
	ASSERT_NE(USB_TIMESYNC_ACCURACY_UNKNOWN, g.accuracy_ns);
	/* the last STOP lets it sleep again */
	s = (struct usb_timesync_stop){ .handle = h };
	ASSERT_EQ(0, ioctl(self->fd, USB_TIMESYNC_IOC_STOP_TRACKING, &s));
	ASSERT_EQ(0, wait_rh_status(self->xhci[1], "suspended", 5000));
}

TEST_F(ts, close_stops_every_handle)
{
	int fd2 = open(DEV, O_RDWR);
	__u32 h;

	ASSERT_LE(0, fd2);
	allow_autosuspend(self->xhci[1]);
	ASSERT_EQ(0, start(fd2, self->xhci[1], 0, 0, &h));
	ASSERT_EQ(0, start(fd2, self->xhci[1] + 1, 0, 0, &h));
	ASSERT_EQ(0, wait_rh_status(self->xhci[1], "active", 0));
	close(fd2);
	ASSERT_EQ(0, wait_rh_status(self->xhci[1], "suspended", 5000));
}

TEST_F(ts, stop_then_get_enoent)
{
	struct usb_timesync_stop s = { .handle = self->h };
	struct usb_timesync_frame_time g;

	ASSERT_EQ(0, ioctl(self->fd, USB_TIMESYNC_IOC_STOP_TRACKING, &s));
	ASSERT_EQ(-ENOENT, get(self->fd, self->h, 0, 0, 0, 0, &g));
}

/* ---- removal: these change the hardware and run last ---------------------- */

TEST_F(ts, z1_enodev_after_device_removal)
{
	struct usb_timesync_frame_time g;
	struct usb_timesync_stop s;
	static struct usb_timesync_samples smp;
	char name[256], path[PATH_MAX];
	int dev = find_dev(self->xhci[0], "QEMU USB Tablet", name, sizeof(name));
	__u32 h;

	ASSERT_GT(dev, 0);
	ASSERT_EQ(0, start(self->fd, self->xhci[0], dev, 0, &h));
	ASSERT_EQ(0, get(self->fd, h, 0, 0, 0, 0, &g));
	/* power the port off: the device disconnects */
	snprintf(path, sizeof(path), "/sys/bus/usb/devices/%s/port/disable", name);
	ASSERT_EQ(0, write_sysfs(path, "1"));
	usleep(500000);
	ASSERT_EQ(-ENODEV, get(self->fd, h, 0, 0, 0, 0, &g));
	smp.handle = h;
	smp.n_samples = 1;
	ASSERT_EQ(-1, ioctl(self->fd, USB_TIMESYNC_IOC_SAMPLE, &smp));
	ASSERT_EQ(ENODEV, errno);
	/* the bus handle is unaffected */
	ASSERT_EQ(0, get(self->fd, self->h, 0, 0, 0, 0, &g));
	s = (struct usb_timesync_stop){ .handle = h };
	ASSERT_EQ(0, ioctl(self->fd, USB_TIMESYNC_IOC_STOP_TRACKING, &s));
}

TEST_F(ts, z2_enodev_after_controller_removal)
{
	struct usb_timesync_frame_time g;
	struct usb_timesync_stop s;
	char path[PATH_MAX + 16], pci[PATH_MAX];
	__u32 h;

	ASSERT_EQ(0, start(self->fd, self->xhci[1], 0, 0, &h));
	ASSERT_EQ(0, get(self->fd, h, 0, 0, 0, 0, &g));
	snprintf(path, sizeof(path), "/sys/bus/usb/devices/usb%d/..", self->xhci[1]);
	ASSERT_NE(NULL, realpath(path, pci));
	snprintf(path, sizeof(path), "%s/remove", pci);
	ASSERT_EQ(0, write_sysfs(path, "1"));
	ASSERT_EQ(-ENODEV, get(self->fd, h, 0, 0, 0, 0, &g));
	ASSERT_EQ(-ENODEV, get(self->fd, h, 0, 0, 0, 0, &g));
	/* STOP still succeeds, and START finds no such bus any more */
	s = (struct usb_timesync_stop){ .handle = h };
	ASSERT_EQ(0, ioctl(self->fd, USB_TIMESYNC_IOC_STOP_TRACKING, &s));
	ASSERT_EQ(-ENODEV, start(self->fd, self->xhci[1], 0, 0, &h));
}

TEST_HARNESS_MAIN
