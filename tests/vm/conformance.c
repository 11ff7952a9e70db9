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
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/time.h>
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

/* Rescan PCI and wait up to 10 s for the second xHCI's USB 2 bus. */
static int rescan_second_xhci(void)
{
	int i, bus = -1;

	write_sysfs("/sys/bus/pci/rescan", "1");
	for (i = 0; i < 100 && bus < 0; i++) {
		bus = find_bus("xhci_hcd", 1);
		if (bus < 0)
			usleep(100000);
	}
	/* let its root hubs finish enumerating */
	usleep(500000);
	return bus;
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
	/* a removal test before may have taken it away: bring it back */
	if (self->xhci[1] < 0)
		self->xhci[1] = rescan_second_xhci();
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
	int64_t off_real, off_tai;

	ASSERT_EQ(0, get(self->fd, self->h, 0, 0, 0, 0, &a));
	ASSERT_EQ(0, get(self->fd, self->h, USB_TIMESYNC_CLOCK_MONOTONIC, 1,
			 a.current_usb_frame, a.current_hw_microframe, &m));
	ASSERT_EQ(0, get(self->fd, self->h, USB_TIMESYNC_CLOCK_REALTIME, 1,
			 a.current_usb_frame, a.current_hw_microframe, &r));
	ASSERT_EQ(0, get(self->fd, self->h, USB_TIMESYNC_CLOCK_TAI, 1,
			 a.current_usb_frame, a.current_hw_microframe, &t));
	ASSERT_EQ(0, get(self->fd, self->h, USB_TIMESYNC_CLOCK_BOOTTIME, 1,
			 a.current_usb_frame, a.current_hw_microframe, &bt));
	off_real = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC);
	off_tai = clock_ns(CLOCK_TAI) - clock_ns(CLOCK_MONOTONIC);
	/* the same microframe, converted by the kernel's offsets */
	ASSERT_LT(llabs(r.time_at_input_ns - m.time_at_input_ns - off_real), 200000);
	ASSERT_LT(llabs(t.time_at_input_ns - m.time_at_input_ns - off_tai), 200000);
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
		int err = get(fd2, h, 0, 0, 0, 0, &g);

		/* EAGAIN until the sampler's first read is published */
		ASSERT_TRUE(err == 0 || err == -EAGAIN);
		if (!err && g.accuracy_ns != USB_TIMESYNC_ACCURACY_UNKNOWN)
			break;
		usleep(10000);
	}
	ASSERT_NE(USB_TIMESYNC_ACCURACY_UNKNOWN, g.accuracy_ns);
	close(fd2);
}

/*
 * A GET at once after a START that does not wait: refused with EAGAIN, or
 * a real answer (a generation, the current frame); never generation 0 and
 * frame 0 from a model not yet published.
 */
TEST_F(ts, get_right_after_tolerable_start)
{
	static struct usb_timesync_samples smp;
	struct usb_timesync_frame_time g;
	int i, err, refused = 0;
	__u32 h;

	for (i = 0; i < 200; i++) {
		int fd2 = open(DEV, O_RDWR);

		ASSERT_LE(0, fd2);
		ASSERT_EQ(0, start(fd2, self->xhci[1], 0,
				   USB_TIMESYNC_FLAG_STARTUP_DELAY_TOLERABLE, &h));
		err = get(fd2, h, 0, 0, 0, 0, &g);
		ASSERT_TRUE(err == 0 || err == -EAGAIN);
		if (err) {
			refused++;
		} else {
			ASSERT_NE(0, g.generation);
			/* the frame it names is the one the register shows */
			smp.handle = h;
			smp.n_samples = 1;
			smp.reserved = 0;
			ASSERT_EQ(0, ioctl(fd2, USB_TIMESYNC_IOC_SAMPLE, &smp));
			ASSERT_LT((smp.samples[0].mfindex - (g.current_hw_frame * 8 +
				   g.current_hw_microframe)) & 16383, 8 * 200);
		}
		close(fd2);
	}
	TH_LOG("%d of 200 refused with EAGAIN", refused);
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

static void on_signal(int sig)
{
	(void)sig;
}

/*
 * START waits for the first edge; a signal meanwhile restarts it under
 * SA_RESTART (ERESTARTSYS inside), and is EINTR without: never another
 * errno, never a handle left behind.
 */
static void start_under_signals(struct __test_metadata *_metadata, int bus,
				int flags, int *interrupted)
{
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = flags };
	struct itimerval it = { { 0, 0 }, { 0, 0 } };
	struct itimerval off = { { 0, 0 }, { 0, 0 } };
	int i, err;
	__u32 h;

	*interrupted = 0;
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	for (i = 0; i < 30; i++) {
		int fd2 = open(DEV, O_RDWR);

		ASSERT_LE(0, fd2);
		/* one signal, 0.1 to 3 ms into the call: mostly in the wait */
		it.it_value.tv_usec = 100 + 100 * i;
		ASSERT_EQ(0, setitimer(ITIMER_REAL, &it, NULL));
		err = start(fd2, bus, 0, 0, &h);
		ASSERT_EQ(0, setitimer(ITIMER_REAL, &off, NULL));
		if (flags & SA_RESTART) {
			ASSERT_EQ(0, err);
		} else {
			ASSERT_TRUE(err == 0 || err == -EINTR);
		}
		*interrupted += err == -EINTR;
		close(fd2);
	}
	signal(SIGALRM, SIG_DFL);
}

TEST_F(ts, start_restarts_after_sa_restart_signal)
{
	int interrupted;

	start_under_signals(_metadata, self->xhci[1], SA_RESTART, &interrupted);
}

TEST_F(ts, start_eintr_after_plain_signal)
{
	int interrupted;

	start_under_signals(_metadata, self->xhci[1], 0, &interrupted);
	TH_LOG("%d of 30 STARTs interrupted", interrupted);
}

/* ---- GET never sleeps, also while the writer is busy ----------------------- */

struct get_load {
	int fd;
	__u32 h;
	atomic_int stop;
	atomic_long gets, refused, samples;
	atomic_int bad_errno;
};

static void *get_loop(void *p)
{
	struct get_load *l = p;
	struct usb_timesync_frame_time g;
	int err;

	while (!atomic_load(&l->stop)) {
		err = get(l->fd, l->h, 0, 0, 0, 0, &g);
		if (err == -EAGAIN)
			atomic_fetch_add(&l->refused, 1);
		else if (err)
			atomic_store(&l->bad_errno, -err);
		atomic_fetch_add(&l->gets, 1);
	}
	return NULL;
}

static void *sample_loop(void *p)
{
	static struct usb_timesync_samples s;
	struct get_load *l = p;

	while (!atomic_load(&l->stop)) {
		s.handle = l->h;
		s.n_samples = USB_TIMESYNC_MAX_SAMPLES;
		s.reserved = 0;
		if (ioctl(l->fd, USB_TIMESYNC_IOC_SAMPLE, &s) && errno != EAGAIN)
			atomic_store(&l->bad_errno, errno);
		atomic_fetch_add(&l->samples, 1);
	}
	return NULL;
}

/*
 * GETs race SAMPLEs, which publish the model back to back: the reader meets
 * the writer.  On a PREEMPT_RT kernel with DEBUG_ATOMIC_SLEEP, a reader
 * that slept on the writer's lock under rcu_read_lock() would splat, and
 * tests/vm/run fails the run on that.
 */
TEST_F(ts, get_never_sleeps_while_sample_publishes)
{
	struct get_load l = { .fd = self->fd, .h = self->h };
	pthread_t t[3];
	int i;

	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL, i ? get_loop : sample_loop, &l));
	usleep(3000000);
	atomic_store(&l.stop, 1);
	for (i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	TH_LOG("%ld GETs (%ld refused), %ld SAMPLEs", atomic_load(&l.gets),
	       atomic_load(&l.refused), atomic_load(&l.samples));
	ASSERT_EQ(0, atomic_load(&l.bad_errno));
	ASSERT_GT(atomic_load(&l.gets), 1000);
	ASSERT_GT(atomic_load(&l.samples), 10);
}

/* ---- system suspend and resume ------------------------------------------ */

/*
 * SAMPLE one raw read, then ask GET when that microframe began: the read
 * happened in it, so its start lies in (pre - 125 us, post], and GET's
 * answer must be within accuracy_ns of that.  Returns -EAGAIN if SAMPLE or
 * GET refused (documented, fine), else 0 with *out set.
 */
static int check_vs_sample(struct __test_metadata *_metadata, int fd, __u32 h,
			   struct usb_timesync_frame_time *out)
{
	static struct usb_timesync_samples s;
	struct usb_timesync_frame_time a, b;
	__u64 x;
	int d, err;

	s.handle = h;
	s.n_samples = 1;
	s.reserved = 0;
	if (ioctl(fd, USB_TIMESYNC_IOC_SAMPLE, &s)) {
		ASSERT_EQ(EAGAIN, errno);
		return -EAGAIN;
	}
	err = get(fd, h, 0, 0, 0, 0, &a);
	if (err == -EAGAIN)
		return err;
	ASSERT_EQ(0, err);
	/* the sampled microframe, in a's extended numbering */
	d = ((a.current_hw_frame * 8 + a.current_hw_microframe) - s.samples[0].mfindex) & 16383;
	ASSERT_LT(d, 8000);	/* GET came within a second of SAMPLE */
	x = uframes(&a) - d;
	err = get(fd, h, 0, 1, (__u32)(x >> 3), x & 7, &b);
	if (err == -EAGAIN)
		return err;
	ASSERT_EQ(0, err);
	if (b.generation != a.generation)
		return -EAGAIN;	/* a new generation between the two: try again */
	if (b.accuracy_ns != USB_TIMESYNC_ACCURACY_UNKNOWN) {
		EXPECT_LE(b.time_at_input_ns - (int64_t)b.accuracy_ns, s.samples[0].post_ns);
		EXPECT_GE(b.time_at_input_ns + (int64_t)b.accuracy_ns + 125000,
			  s.samples[0].pre_ns);
	}
	*out = b;
	return 0;
}

static int64_t elapsed_ns(int64_t since)
{
	return clock_ns(CLOCK_MONOTONIC) - since;
}

/*
 * System suspend and resume (freeze with pm_test=devices: the devices,
 * xHCI included, really suspend and resume, and MFINDEX restarts).  Every
 * GET after resume is right within its accuracy, checked against SAMPLE,
 * or refused with EAGAIN; the generation is new; a known accuracy is back
 * within 1 s.  Cycles start at different sampler phases, from the fast
 * first second to the slow converged schedule.  pm_test_delay 0 keeps the
 * suspended window short, as on a real resume.
 */
TEST_F_TIMEOUT(ts, suspend_resume_never_answers_from_before, 300)
{
	/*
	 * ms after the generation began (START, or the previous resume):
	 * fast schedule, its end, and converged with the sampler asleep for
	 * seconds (after 18 s bursts are over 2 s apart, so none falls in
	 * the suspended window and only a resume notification can help).
	 */
	static const int phase_ms[] = { 0, 50, 400, 1300, 2500, 18000, 20000 };
	struct usb_timesync_frame_time g;
	int64_t t0, settle[2], worst = 0;
	int cycle, i, err, refused = 0, answered = 0;
	__u32 hs[2];
	__u64 g0[2];

	if (access("/sys/power/state", W_OK) || access("/sys/power/pm_test", W_OK))
		SKIP(return, "no /sys/power/pm_test");
	ASSERT_EQ(0, write_sysfs("/sys/power/pm_test", "devices"));
	write_sysfs("/sys/module/suspend/parameters/pm_test_delay", "0");
	hs[0] = self->h;
	ASSERT_EQ(0, start(self->fd, self->xhci[1], 0, 0, &hs[1]));

	for (cycle = 0; cycle < (int)(sizeof(phase_ms) / sizeof(phase_ms[0])); cycle++) {
		usleep(phase_ms[cycle] * 1000);
		for (i = 0; i < 2; i++) {
			ASSERT_EQ(0, get(self->fd, hs[i], 0, 0, 0, 0, &g));
			g0[i] = g.generation;
		}
		ASSERT_EQ(0, write_sysfs("/sys/power/state", "freeze"));
		t0 = clock_ns(CLOCK_MONOTONIC);
		settle[0] = settle[1] = -1;
		while (elapsed_ns(t0) < 1500000000) {
			for (i = 0; i < 2; i++) {
				/*
				 * GET before any SAMPLE of this controller since
				 * the resume (SAMPLE's reads would show the
				 * restart to the model): refused, or new.
				 */
				err = get(self->fd, hs[i], 0, 0, 0, 0, &g);
				ASSERT_TRUE(err == 0 || err == -EAGAIN);
				if (!err)
					ASSERT_GT(g.generation, g0[i]);
				err = check_vs_sample(_metadata, self->fd, hs[i], &g);
				if (err) {
					refused++;
					continue;
				}
				answered++;
				/* never the model from before the sleep */
				ASSERT_GT(g.generation, g0[i]);
				if (settle[i] < 0 && g.accuracy_ns != USB_TIMESYNC_ACCURACY_UNKNOWN)
					settle[i] = elapsed_ns(t0);
			}
			if (settle[0] >= 0 && settle[1] >= 0 &&
			    elapsed_ns(t0) > 200000000)
				break;
			usleep(1000);
		}
		for (i = 0; i < 2; i++) {
			TH_LOG("cycle %d (phase %d ms), controller %d: accuracy known %.1f ms after resume",
			       cycle, phase_ms[cycle], i, settle[i] / 1e6);
			ASSERT_GE(settle[i], 0);
			ASSERT_LT(settle[i], 1000000000);
			if (settle[i] > worst)
				worst = settle[i];
		}
	}
	TH_LOG("%d answers checked against SAMPLE, %d refused with EAGAIN; settle at most %.1f ms",
	       answered, refused, worst / 1e6);
	write_sysfs("/sys/power/pm_test", "none");
}

/* ---- debugfs: handle count, and injected all-ones reads ------------------- */

#define DBG "/sys/kernel/debug/usb_timesync"

/* Mount debugfs if needed; 0 if usb_timesync's directory is there. */
static int have_debugfs(void)
{
	if (access(DBG, F_OK))
		mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	return access(DBG, F_OK);
}

static long read_long(const char *path)
{
	char buf[64];

	if (read_sysfs(path, buf, sizeof(buf)))
		return -1;
	return atol(buf);
}

/* debugfs counts open handles; STOP and close bring it back down. */
TEST_F(ts, debugfs_counts_handles)
{
	struct usb_timesync_stop st;
	long n0;
	__u32 h1, h2;
	int fd2;

	if (have_debugfs())
		SKIP(return, "no debugfs");
	n0 = read_long(DBG "/handles");
	ASSERT_GE(n0, 1);	/* the fixture's */
	fd2 = open(DEV, O_RDWR);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, start(fd2, self->xhci[0], 0, 0, &h1));
	ASSERT_EQ(0, start(fd2, self->xhci[1], 0, 0, &h2));
	ASSERT_EQ(n0 + 2, read_long(DBG "/handles"));
	st = (struct usb_timesync_stop){ .handle = h1 };
	ASSERT_EQ(0, ioctl(fd2, USB_TIMESYNC_IOC_STOP_TRACKING, &st));
	ASSERT_EQ(n0 + 1, read_long(DBG "/handles"));
	close(fd2);
	ASSERT_EQ(n0, read_long(DBG "/handles"));
	/* a failed START counts nothing */
	ASSERT_EQ(-ENODEV, start(self->fd, 99, 0, 0, &h1));
	ASSERT_EQ(n0, read_long(DBG "/handles"));
}

/*
 * The next n MFINDEX reads return all-ones (fault injection, test builds
 * on a kernel with CONFIG_FAULT_INJECTION_DEBUG_FS): for n = 1, 10 and
 * 1000, every answer meanwhile is right (checked against SAMPLE) or
 * refused with EAGAIN, and tracking recovers by itself, without a STOP.
 */
TEST_F(ts, all_ones_reads_recover)
{
	static const int runs[] = { 1, 10, 1000 };
	struct usb_timesync_frame_time g;
	char n[16];
	int i, err, answered, refused;
	int64_t t0, back;

	if (have_debugfs() || access(DBG "/fail_mfindex/times", W_OK))
		SKIP(return, "no fault injection in this build or kernel");
	ASSERT_EQ(0, write_sysfs(DBG "/fail_mfindex/verbose", "0"));
	ASSERT_EQ(0, write_sysfs(DBG "/fail_mfindex/interval", "1"));
	for (i = 0; i < 3; i++) {
		answered = refused = 0;
		back = -1;
		snprintf(n, sizeof(n), "%d", runs[i]);
		ASSERT_EQ(0, write_sysfs(DBG "/fail_mfindex/times", n));
		ASSERT_EQ(0, write_sysfs(DBG "/fail_mfindex/probability", "100"));
		t0 = clock_ns(CLOCK_MONOTONIC);
		while (elapsed_ns(t0) < 5000000000LL) {
			err = check_vs_sample(_metadata, self->fd, self->h, &g);
			if (err) {
				refused++;
			} else {
				answered++;
				if (back < 0 && read_long(DBG "/fail_mfindex/times") == 0 &&
				    g.accuracy_ns != USB_TIMESYNC_ACCURACY_UNKNOWN)
					back = elapsed_ns(t0);
			}
			if (back >= 0 && elapsed_ns(t0) > back + 100000000)
				break;
			usleep(1000);
		}
		write_sysfs(DBG "/fail_mfindex/probability", "0");
		TH_LOG("%d all-ones reads: %d answers checked, %d refused; back after %.1f ms",
		       runs[i], answered, refused, back / 1e6);
		ASSERT_GE(back, 0);
		ASSERT_EQ(0, read_long(DBG "/fail_mfindex/times"));
	}
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

/* PCI device directory of USB bus @bus, into @pci */
static int bus_pci_dir(int bus, char *pci, size_t len)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/bus/usb/devices/usb%d/..", bus);
	if (!realpath(path, pci))
		return -1;
	(void)len;
	return 0;
}

struct start_race {
	int fd;
	int bus;
	atomic_int stop;
	atomic_long ok, enodev, eagain, etimedout, other;
	atomic_int other_errno;
};

static void *start_loop(void *p)
{
	struct start_race *r = p;
	struct usb_timesync_stop st;
	__u32 h;
	int err;

	while (!atomic_load(&r->stop)) {
		err = start(r->fd, r->bus, 0, USB_TIMESYNC_FLAG_STARTUP_DELAY_TOLERABLE, &h);
		if (!err) {
			atomic_fetch_add(&r->ok, 1);
			st = (struct usb_timesync_stop){ .handle = h };
			if (ioctl(r->fd, USB_TIMESYNC_IOC_STOP_TRACKING, &st))
				atomic_store(&r->other_errno, errno);
		} else if (err == -ENODEV) {
			atomic_fetch_add(&r->enodev, 1);
		} else if (err == -EAGAIN) {
			atomic_fetch_add(&r->eagain, 1);
		} else if (err == -ETIMEDOUT) {
			atomic_fetch_add(&r->etimedout, 1);
		} else {
			atomic_fetch_add(&r->other, 1);
			atomic_store(&r->other_errno, -err);
		}
	}
	return NULL;
}

/*
 * START and STOP in a loop while the controller is removed: every START
 * succeeds or fails with a documented errno (ENODEV once it is gone), and
 * nothing touches freed memory (KASAN on the debug kernel).  Then the
 * controller comes back and is tracked again.
 */
TEST_F(ts, z3_start_races_controller_removal)
{
	struct usb_timesync_frame_time g;
	char pci[PATH_MAX], path[PATH_MAX + 16];
	int round;
	__u32 h;

	for (round = 0; round < 3; round++) {
		struct start_race r = { .fd = self->fd };
		pthread_t t;

		r.bus = find_bus("xhci_hcd", 1);
		if (r.bus < 0)
			r.bus = rescan_second_xhci();
		ASSERT_GT(r.bus, 0);
		ASSERT_EQ(0, bus_pci_dir(r.bus, pci, sizeof(pci)));
		ASSERT_EQ(0, pthread_create(&t, NULL, start_loop, &r));
		usleep(20000 + round * 40000);
		snprintf(path, sizeof(path), "%s/remove", pci);
		ASSERT_EQ(0, write_sysfs(path, "1"));
		usleep(200000);
		atomic_store(&r.stop, 1);
		pthread_join(t, NULL);
		TH_LOG("round %d: START ok %ld, ENODEV %ld, EAGAIN %ld, ETIMEDOUT %ld, other %ld",
		       round, atomic_load(&r.ok), atomic_load(&r.enodev), atomic_load(&r.eagain),
		       atomic_load(&r.etimedout), atomic_load(&r.other));
		ASSERT_EQ(0, atomic_load(&r.other_errno));
		ASSERT_GT(atomic_load(&r.enodev), 0);
		/* a controller going away is ENODEV, never "try again" */
		ASSERT_EQ(0, atomic_load(&r.eagain));
	}
	/* back again, and tracked again */
	ASSERT_GT(rescan_second_xhci(), 0);
	ASSERT_EQ(0, start(self->fd, find_bus("xhci_hcd", 1), 0, 0, &h));
	ASSERT_EQ(0, get(self->fd, h, 0, 0, 0, 0, &g));
	ASSERT_NE(USB_TIMESYNC_ACCURACY_UNKNOWN, g.accuracy_ns);
}

struct get_check {
	int fd;
	__u32 h;
	atomic_int stop;
	atomic_long answered, eagain, enodev;
	atomic_int bad_errno;
};

static void *get_check_loop(void *p)
{
	struct get_check *c = p;
	struct usb_timesync_frame_time g;
	int err;

	while (!atomic_load(&c->stop)) {
		err = get(c->fd, c->h, 0, 0, 0, 0, &g);
		if (!err)
			atomic_fetch_add(&c->answered, 1);
		else if (err == -EAGAIN)
			atomic_fetch_add(&c->eagain, 1);
		else if (err == -ENODEV)
			atomic_fetch_add(&c->enodev, 1);
		else
			atomic_store(&c->bad_errno, -err);
	}
	return NULL;
}

/*
 * A controller reset by unbinding and binding xhci-hcd while tracked and
 * read: GET answers, or fails with EAGAIN or ENODEV, and ENODEV for good
 * once the controller is gone; after the bind it is tracked again, in a
 * new generation.  No splat (MFINDEX is not read while xhci-hcd halts and
 * resets the controller).
 */
TEST_F(ts, z4_controller_rebind_new_generation)
{
	struct get_check c = { .fd = self->fd };
	struct usb_timesync_frame_time g;
	char pci[PATH_MAX], *addr;
	__u64 g0;
	pthread_t t;
	int bus, i;
	__u32 h;

	bus = find_bus("xhci_hcd", 1);
	if (bus < 0)
		bus = rescan_second_xhci();
	ASSERT_GT(bus, 0);
	ASSERT_EQ(0, bus_pci_dir(bus, pci, sizeof(pci)));
	addr = strrchr(pci, '/') + 1;
	ASSERT_EQ(0, start(self->fd, bus, 0, 0, &c.h));
	ASSERT_EQ(0, get(self->fd, c.h, 0, 0, 0, 0, &g));
	g0 = g.generation;
	ASSERT_EQ(0, pthread_create(&t, NULL, get_check_loop, &c));
	usleep(100000);
	ASSERT_EQ(0, write_sysfs("/sys/bus/pci/drivers/xhci_hcd/unbind", addr));
	usleep(100000);
	atomic_store(&c.stop, 1);
	pthread_join(t, NULL);
	TH_LOG("GET during unbind: %ld answered, %ld EAGAIN, %ld ENODEV",
	       atomic_load(&c.answered), atomic_load(&c.eagain), atomic_load(&c.enodev));
	ASSERT_EQ(0, atomic_load(&c.bad_errno));
	ASSERT_EQ(-ENODEV, get(self->fd, c.h, 0, 0, 0, 0, &g));

	ASSERT_EQ(0, write_sysfs("/sys/bus/pci/drivers/xhci_hcd/bind", addr));
	for (i = 0, bus = -1; i < 100 && bus < 0; i++) {
		bus = find_bus("xhci_hcd", 1);
		if (bus < 0)
			usleep(100000);
	}
	ASSERT_GT(bus, 0);
	usleep(500000);
	ASSERT_EQ(0, start(self->fd, bus, 0, 0, &h));
	ASSERT_EQ(0, get(self->fd, h, 0, 0, 0, 0, &g));
	ASSERT_GT(g.generation, g0);
	ASSERT_NE(USB_TIMESYNC_ACCURACY_UNKNOWN, g.accuracy_ns);
}

TEST_HARNESS_MAIN
