/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmtest.h - helpers shared by the guest test programs (conformance,
 * scenarios): sysfs, bus and device lookup, the ioctls, and the check of
 * an answer against a raw MFINDEX read.  Include after kselftest_harness.h.
 */
#ifndef USBTS_VMTEST_H
#define USBTS_VMTEST_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <time.h>
#include <unistd.h>
#include <linux/usb/timesync.h>

/* not every program uses every helper */
#define VMTEST_FN __attribute__((unused))

#define DEV "/dev/usb-timesync"

static VMTEST_FN int read_sysfs(const char *path, char *buf, size_t len)
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

static VMTEST_FN int write_sysfs(const char *path, const char *v)
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
static VMTEST_FN int find_bus(const char *driver, int nth)
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
static VMTEST_FN int rescan_second_xhci(void)
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
static VMTEST_FN int find_dev(int bus, const char *product, char *name, size_t len)
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

static VMTEST_FN int64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* START asking for an accuracy of @want ns (0: none) */
static VMTEST_FN int start_want(int fd, int bus, int dev, unsigned int flags, __u64 want,
				__u32 *handle)
{
	struct usb_timesync_start s;

	memset(&s, 0xcc, sizeof(s));
	s.want_accuracy_ns = want;
	s.device_fd = 0;
	s.pad = 0;
	s.busnum = bus;
	s.devnum = dev;
	s.flags = flags;
	if (ioctl(fd, USB_TIMESYNC_IOC_START_TRACKING, &s))
		return -errno;
	*handle = s.handle;
	return 0;
}

static VMTEST_FN int start(int fd, int bus, int dev, unsigned int flags, __u32 *handle)
{
	return start_want(fd, bus, dev, flags, 0, handle);
}

static VMTEST_FN int get(int fd, __u32 handle, __u32 clock, int with_input, __u32 frame,
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

static VMTEST_FN __u64 uframes(const struct usb_timesync_frame_time *g)
{
	return (__u64)g->current_usb_frame * 8 + g->current_hw_microframe;
}

/* /dev/bus/usb/BBB/DDD of device @dev on @bus */
static VMTEST_FN void node_path(char *buf, size_t len, int bus, int dev)
{
	snprintf(buf, len, "/dev/bus/usb/%03d/%03d", bus, dev);
}

/*
 * SAMPLE one raw read, then ask GET when that microframe began: the read
 * happened in it, so its start lies in (pre - 125 us, post], and GET's
 * answer must be within accuracy_ns of that.  Returns -EAGAIN if SAMPLE or
 * GET refused (documented, fine), else 0 with *out set.
 */
static VMTEST_FN int check_vs_sample(struct __test_metadata *_metadata, int fd, __u32 h,
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
	d = ((a.current_hw_frame * 8 + a.current_hw_microframe) - s.samples[0].mfindex + 8192) &
	    16383;
	d -= 8192;
	/*
	 * GET came within a second of SAMPLE; right at an edge its answer
	 * may name the microframe before, within its accuracy (the uAPI's
	 * promise for successive answers, Generations).
	 */
	ASSERT_GE(d, -1);
	ASSERT_LT(d, 8000);
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

static VMTEST_FN int64_t elapsed_ns(int64_t since)
{
	return clock_ns(CLOCK_MONOTONIC) - since;
}

#define DBG "/sys/kernel/debug/usb_timesync"

/* Mount debugfs if needed; 0 if usb_timesync's directory is there. */
static VMTEST_FN int have_debugfs(void)
{
	if (access(DBG, F_OK))
		mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	return access(DBG, F_OK);
}

static VMTEST_FN long read_long(const char *path)
{
	char buf[64];

	if (read_sysfs(path, buf, sizeof(buf)))
		return -1;
	return atol(buf);
}

/*
 * Right after a system resume, with @n (at most 4) handles whose generation
 * was g0[i] before the suspend: until every handle's accuracy is known again
 * (and for at least 200 ms, at most 1.5 s from @t0), each GET is refused
 * with EAGAIN or answers from a newer generation, and each answer is checked
 * against SAMPLE.  settle[i] is set to the ns from @t0 to handle i's first
 * answer with a known accuracy, or -1; *answered and *refused count up.
 */
static VMTEST_FN void after_resume(struct __test_metadata *_metadata, int fd, const __u32 *hs,
				const __u64 *g0, int n, int64_t t0, int64_t *settle,
				int *answered, int *refused)
{
	struct usb_timesync_frame_time g;
	int i, err, left;

	for (i = 0; i < n; i++)
		settle[i] = -1;
	while (elapsed_ns(t0) < 1500000000) {
		for (i = 0; i < n; i++) {
			/*
			 * GET before any SAMPLE of this controller since the
			 * resume (SAMPLE's reads would show the restart to
			 * the model): refused, or new.
			 */
			err = get(fd, hs[i], 0, 0, 0, 0, &g);
			ASSERT_TRUE(err == 0 || err == -EAGAIN);
			if (!err)
				ASSERT_GT(g.generation, g0[i]);
			err = check_vs_sample(_metadata, fd, hs[i], &g);
			if (err) {
				(*refused)++;
				continue;
			}
			(*answered)++;
			/* never the model from before the sleep */
			ASSERT_GT(g.generation, g0[i]);
			if (settle[i] < 0 && g.accuracy_ns != USB_TIMESYNC_ACCURACY_UNKNOWN)
				settle[i] = elapsed_ns(t0);
		}
		for (i = 0, left = 0; i < n; i++)
			left += settle[i] < 0;
		if (!left && elapsed_ns(t0) > 200000000)
			break;
		usleep(1000);
	}
}

#endif /* USBTS_VMTEST_H */
