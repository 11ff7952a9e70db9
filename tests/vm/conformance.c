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
#include <grp.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/timex.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/usb/timesync.h>

#include "kselftest_harness.h"

#include "vmtest.h"

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

TEST_F(ts, einval_start_pad)
{
	struct usb_timesync_start s = { .busnum = self->xhci[0], .pad = 1 };

	ASSERT_EQ(-1, ioctl(self->fd, USB_TIMESYNC_IOC_START_TRACKING, &s));
	ASSERT_EQ(EINVAL, errno);
}

TEST_F(ts, einval_start_device_fd_without_flag)
{
	struct usb_timesync_start s = { .busnum = self->xhci[0], .device_fd = 3 };

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

	ASSERT_EQ(-EINVAL, get(self->fd, self->h, USB_TIMESYNC_CLOCK_MONOTONIC_RAW + 1, 0, 0, 0, &g));
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

TEST_F(ts, einval_sample_unknown_flag)
{
	static struct usb_timesync_samples s;

	s.handle = self->h;
	s.n_samples = 2;
	s.flags = USB_TIMESYNC_SAMPLE_FLAG_MONOTONIC_RAW << 1;
	ASSERT_EQ(-1, ioctl(self->fd, USB_TIMESYNC_IOC_SAMPLE, &s));
	ASSERT_EQ(EINVAL, errno);
}

TEST_F(ts, einval_sample_both_clocks_odd)
{
	static struct usb_timesync_samples s;

	s.handle = self->h;
	s.n_samples = 3;
	s.flags = USB_TIMESYNC_SAMPLE_FLAG_MONOTONIC_RAW;
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
	/*
	 * BOOTTIME runs ahead of MONOTONIC by the time spent asleep, never
	 * behind; two GETs may each round the conversion differently (a
	 * timekeeper update between them), within their accuracies.
	 */
	ASSERT_NE(USB_TIMESYNC_ACCURACY_UNKNOWN, m.accuracy_ns);
	ASSERT_NE(USB_TIMESYNC_ACCURACY_UNKNOWN, bt.accuracy_ns);
	ASSERT_LE(m.time_at_input_ns,
		  bt.time_at_input_ns + (int64_t)(m.accuracy_ns + bt.accuracy_ns));
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
 * A new generation (START on a controller nobody tracks) answers for no
 * microframe before its first counter read: one second before, GET gives
 * time 0 and an unknown accuracy; the next frames are answered.
 */
TEST_F(ts, input_before_the_generation_is_unknown)
{
	struct usb_timesync_frame_time g, b;
	__u32 h;
	int i;

	ASSERT_EQ(0, start(self->fd, self->xhci[1], 0, 0, &h));
	ASSERT_EQ(0, get(self->fd, h, 0, 0, 0, 0, &g));
	ASSERT_NE(USB_TIMESYNC_ACCURACY_UNKNOWN, g.accuracy_ns);
	/*
	 * In MONOTONIC_RAW, the model's own clock: in MONOTONIC a time from
	 * before tracking began has no claim anyway (Clocks).
	 */
	ASSERT_EQ(0, get(self->fd, h, USB_TIMESYNC_CLOCK_MONOTONIC_RAW, 1,
			 g.current_usb_frame - 1000, 0, &b));
	ASSERT_EQ(g.generation, b.generation);
	EXPECT_EQ(USB_TIMESYNC_ACCURACY_UNKNOWN, b.accuracy_ns);
	EXPECT_EQ(0, b.time_at_input_ns);
	/* (the current frame's microframe 0 may precede the first read) */
	for (i = 2; i < 4; i++) {
		ASSERT_EQ(0, get(self->fd, h, USB_TIMESYNC_CLOCK_MONOTONIC_RAW, 1,
				 g.current_usb_frame + i, 0, &b));
		EXPECT_NE(USB_TIMESYNC_ACCURACY_UNKNOWN, b.accuracy_ns);
		EXPECT_NE(0, b.time_at_input_ns);
	}
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
	s.flags = 0;
	s.reserved = 0;
	ASSERT_EQ(0, ioctl(self->fd, USB_TIMESYNC_IOC_SAMPLE, &s));
	for (i = 0; i < 25; i++) {
		ASSERT_LE(s.samples[i].pre_ns, s.samples[i].post_ns);
		ASSERT_LT(s.samples[i].mfindex, 16384);
		ASSERT_EQ(USB_TIMESYNC_CLOCK_MONOTONIC, s.samples[i].clock);
		if (i)
			ASSERT_LE(s.samples[i - 1].post_ns, s.samples[i].pre_ns);
	}
	/* the rest is untouched */
	ASSERT_EQ((__u32)0xcccccccc, s.samples[25].mfindex);
}

TEST_F(ts, sample_in_both_clocks)
{
	static struct usb_timesync_samples s;
	int64_t before = clock_ns(CLOCK_MONOTONIC_RAW), after;
	unsigned int i;

	memset(&s, 0xcc, sizeof(s));
	s.handle = self->h;
	s.n_samples = 20;
	s.flags = USB_TIMESYNC_SAMPLE_FLAG_MONOTONIC_RAW;
	s.reserved = 0;
	ASSERT_EQ(0, ioctl(self->fd, USB_TIMESYNC_IOC_SAMPLE, &s));
	after = clock_ns(CLOCK_MONOTONIC_RAW);
	for (i = 0; i < 20; i += 2) {
		const struct usb_timesync_sample *m = &s.samples[i], *r = &s.samples[i + 1];

		ASSERT_EQ(USB_TIMESYNC_CLOCK_MONOTONIC, m->clock);
		ASSERT_EQ(USB_TIMESYNC_CLOCK_MONOTONIC_RAW, r->clock);
		ASSERT_EQ(m->mfindex, r->mfindex);
		ASSERT_LE(r->pre_ns, r->post_ns);
		ASSERT_LE(before, r->pre_ns);
		ASSERT_GE(after, r->post_ns);
		/* the monotonic sandwich holds the raw one: at least as long */
		ASSERT_GE((m->post_ns - m->pre_ns) * 1001 / 1000 + 1, r->post_ns - r->pre_ns);
		if (i)
			ASSERT_LE(s.samples[i - 1].post_ns, r->pre_ns);
	}
	ASSERT_EQ((__u32)0xcccccccc, s.samples[20].mfindex);
}

TEST_F(ts, get_in_monotonic_raw)
{
	struct usb_timesync_frame_time g, m;
	int64_t before = clock_ns(CLOCK_MONOTONIC_RAW), after;

	ASSERT_EQ(0, get(self->fd, self->h, USB_TIMESYNC_CLOCK_MONOTONIC_RAW, 0, 0, 0, &g));
	after = clock_ns(CLOCK_MONOTONIC_RAW);
	ASSERT_LE(before, g.current_time_ns);
	ASSERT_GE(after, g.current_time_ns);
	ASSERT_NE(USB_TIMESYNC_ACCURACY_UNKNOWN, g.accuracy_ns);
	ASSERT_EQ(0, get(self->fd, self->h, USB_TIMESYNC_CLOCK_MONOTONIC, 1,
			 g.current_usb_frame + 100, 0, &m));
	ASSERT_EQ(g.generation, m.generation);
}

/* ---- steering the system clock ------------------------------------------- */

#define MASK 0x3fff

/*
 * Bracket the start of extended microframe @x, expected at raw time
 * @t_raw, with SAMPLE in both clocks: it lies after the last read that
 * showed an earlier microframe and at or before the first read that showed
 * it or a later one.  Returns 0 with the raw and the monotonic bracket, or
 * 1 if the first read was already past it.
 */
static int bracket(int fd, __u32 h, int64_t x, int64_t t_raw, int64_t *rlo,
		   int64_t *rhi, int64_t *mlo, int64_t *mhi)
{
	static struct usb_timesync_samples s;
	struct usb_timesync_sample pm = { 0 }, pr = { 0 };
	__u32 target = (__u32)(x & MASK);
	int64_t wait = t_raw - clock_ns(CLOCK_MONOTONIC_RAW) - 10000000;
	int have = 0, tries, i;

	if (wait > 0)
		usleep((useconds_t)(wait / 1000));
	for (tries = 0; tries < 400; tries++) {
		memset(&s, 0, sizeof(s));
		s.handle = h;
		s.n_samples = 64;
		s.flags = USB_TIMESYNC_SAMPLE_FLAG_MONOTONIC_RAW;
		if (ioctl(fd, USB_TIMESYNC_IOC_SAMPLE, &s))
			return -errno;
		for (i = 0; i < 64; i += 2) {
			__u32 d = (s.samples[i].mfindex - target) & MASK;

			if (d < MASK / 2) {
				/* the last read before it and the first at or after it */
				if (!have)
					return 1;
				*mlo = pm.pre_ns;
				*rlo = pr.pre_ns;
				*mhi = s.samples[i].post_ns;
				*rhi = s.samples[i + 1].post_ns;
				return 0;
			}
			pm = s.samples[i];
			pr = s.samples[i + 1];
			have = 1;
		}
	}
	return 1;
}

/* the claim [t - acc, t + acc] meets the bracket (lo, hi] */
static int holds(int64_t t, __u64 acc, int64_t lo, int64_t hi)
{
	return t + (int64_t)acc > lo && t - (int64_t)acc <= hi;
}

struct steer {
	const char *name;
	long freq_ppm;		/* adjtimex ADJ_FREQUENCY, or */
	long slew_ms;		/* adjtime() */
};

#define HORIZONS 5

/* sleep until CLOCK_REALTIME is @frac_ms into a second */
static void sleep_until_frac(int frac_ms)
{
	int64_t now = clock_ns(CLOCK_REALTIME), ms = now / 1000000 % 1000;
	int64_t wait = (frac_ms - ms + 1000) % 1000;

	usleep((useconds_t)(wait ? wait * 1000 : 1000000));
}

/*
 * While only the module's own sampler feeds the model, steer the system
 * clock and check predictions of frames just after the change against
 * edges bracketed afterwards.  The kernel applies a new frequency or slew
 * at its next second (second_overflow()), so each round predicts at .850
 * s, steers at .900 and asks again at .040 of the next second, after the
 * change took effect but before any SAMPLE fed the model:
 *   - every MONOTONIC_RAW prediction made before the change holds;
 *   - every MONOTONIC prediction asked after the change holds (before the
 *     fix, the model broke: 500 us off, and a new generation);
 *   - MONOTONIC predictions made before the change assumed the old rate:
 *     they are off by at most the rate change times the time since it;
 *   - the generation never changes.
 */
TEST_F_TIMEOUT(ts, steered_system_clock_neither_breaks_nor_restarts, 180)
{
	static const struct steer steps[] = {
		{ "frequency +500 ppm", 500, 0 },
		{ "frequency -500 ppm", -500, 0 },
		{ "adjtime() slew +1 s", 0, 1000 },
		{ "frequency 0", 0, 0 },
		{ "adjtime() slew -1 s", 0, -1000 },
		{ "adjtime() slew 0", 0, 0 },
	};
	/* targets at about .100 to .600 of the second after the change */
	static const int64_t horizon_ms[HORIZONS] = { 250, 350, 450, 600, 750 };
	enum { NSTEPS = sizeof(steps) / sizeof(steps[0]) };
	struct usb_timesync_frame_time g0, g;
	int measured = 0, broken = 0, i, k;
	struct timeval zero = { 0, 0 };
	struct timex tx;

	/* let the sampler converge; nothing else feeds the model */
	usleep(3000000);
	ASSERT_EQ(0, get(self->fd, self->h, USB_TIMESYNC_CLOCK_MONOTONIC_RAW, 0, 0, 0, &g0));
	ASSERT_NE(USB_TIMESYNC_ACCURACY_UNKNOWN, g0.accuracy_ns);

	/*
	 * Every step once, then again until enough edges were bracketed
	 * narrowly enough to check (a loaded host widens many brackets).
	 */
	for (i = 0; i < NSTEPS || (measured < 6 && i < 8 * NSTEPS); i++) {
		const struct steer *step = &steps[i % NSTEPS];
		struct usb_timesync_frame_time raw_before[HORIZONS], mono_before[HORIZONS];
		struct usb_timesync_frame_time mono_after[HORIZONS], raw_after[HORIZONS];
		int64_t x[HORIZONS], t_change;

		sleep_until_frac(850);
		ASSERT_EQ(0, get(self->fd, self->h, USB_TIMESYNC_CLOCK_MONOTONIC_RAW, 0, 0, 0, &g));
		for (k = 0; k < HORIZONS; k++) {
			x[k] = (int64_t)uframes(&g) + horizon_ms[k] * 8;
			ASSERT_EQ(0, get(self->fd, self->h, USB_TIMESYNC_CLOCK_MONOTONIC_RAW, 1,
					 (__u32)(x[k] >> 3), x[k] & 7, &raw_before[k]));
			ASSERT_EQ(0, get(self->fd, self->h, USB_TIMESYNC_CLOCK_MONOTONIC, 1,
					 (__u32)(x[k] >> 3), x[k] & 7, &mono_before[k]));
		}
		sleep_until_frac(900);
		t_change = clock_ns(CLOCK_MONOTONIC);
		if (step->slew_ms || !strncmp(step->name, "adjtime", 7)) {
			struct timeval d = { step->slew_ms / 1000, 0 };

			ASSERT_EQ(0, adjtime(&d, NULL));
		} else {
			memset(&tx, 0, sizeof(tx));
			tx.modes = ADJ_FREQUENCY;
			tx.freq = step->freq_ppm * 65536;
			ASSERT_LE(0, adjtimex(&tx));
		}
		/* a slew takes effect at the kernel's next second */
		sleep_until_frac(40);
		for (k = 0; k < HORIZONS; k++) {
			struct usb_timesync_frame_time again;
			int tries;

			/*
			 * One model for both answers: the sampler may publish
			 * between two GETs, so ask MONOTONIC again after RAW
			 * and retry unless both MONOTONIC answers agree.
			 */
			for (tries = 0; tries < 10; tries++) {
				ASSERT_EQ(0, get(self->fd, self->h, USB_TIMESYNC_CLOCK_MONOTONIC, 1,
						 (__u32)(x[k] >> 3), x[k] & 7, &mono_after[k]));
				ASSERT_EQ(0, get(self->fd, self->h,
						 USB_TIMESYNC_CLOCK_MONOTONIC_RAW, 1,
						 (__u32)(x[k] >> 3), x[k] & 7, &raw_after[k]));
				ASSERT_EQ(0, get(self->fd, self->h, USB_TIMESYNC_CLOCK_MONOTONIC, 1,
						 (__u32)(x[k] >> 3), x[k] & 7, &again));
				if (llabs(again.time_at_input_ns -
					  mono_after[k].time_at_input_ns) <= 100)
					break;
			}
		}
		for (k = 0; k < HORIZONS; k++) {
			int64_t rlo = 0, rhi = 0, mlo = 0, mhi = 0, allow, conv, ahead;
			int r = bracket(self->fd, self->h, x[k], raw_before[k].time_at_input_ns,
					&rlo, &rhi, &mlo, &mhi);

			ASSERT_LE(0, r);
			if (r)
				continue;
			/*
			 * The same reads in both clocks, and answers from one
			 * model: the errors of the MONOTONIC answer and of the
			 * MONOTONIC_RAW one differ by the conversion only (and
			 * the clocks' rates over the bracket), however wide the
			 * bracket is.
			 */
			/*
			 * A MONOTONIC answer for a later frame assumes the
			 * clock keeps its rate (documented); the kernel may
			 * still move it before the edge (NTP applies steps and
			 * slews at second boundaries; a slow guest may answer
			 * before the boundary's update ran), by at most the
			 * 1000 ppm one of this test's steps changes the rate:
			 * allow twice that over the distance to the edge.
			 */
			ahead = raw_after[k].time_at_input_ns - raw_after[k].current_time_ns;
			conv = (raw_after[k].time_at_input_ns - (rlo + rhi) / 2) -
			       (mono_after[k].time_at_input_ns - (mlo + mhi) / 2);
			/*
			 * Each MONOTONIC sandwich holds its RAW one: a guest
			 * stopped between the two clock reads shifts the
			 * midpoints by up to half the difference of the widths.
			 */
			if (llabs(conv) > (mhi - mlo) / 1000 + 2000 + llabs(ahead) / 500 +
					  llabs((mhi - mlo) - (rhi - rlo)) / 2) {
				TH_LOG("broken: MONOTONIC and MONOTONIC_RAW disagree by %lld ns",
				       (long long)conv);
				broken++;
			}
			/* a claim is checked only against a narrow bracket */
			if (rhi - rlo > 250000) {
				TH_LOG("%s, %lld ms: bracket %lld ns too wide to check a claim",
				       step->name, (long long)horizon_ms[k], (long long)(rhi - rlo));
				continue;
			}
			measured++;
			/*
			 * the rate changed by up to 1500 ppm (+500 to -500 ppm
			 * of frequency, 500 ppm of slew) since the change
			 */
			allow = (mhi - t_change) * 3 / 2000 + 1000;
			TH_LOG("%s, %lld ms: bracket %lld ns: raw %+lld ns (acc %llu), mono after %+lld ns (acc %llu), mono before %+lld ns (acc %llu + %lld)",
			       step->name, (long long)horizon_ms[k], (long long)(rhi - rlo),
			       (long long)(raw_before[k].time_at_input_ns - (rlo + rhi) / 2),
			       (unsigned long long)raw_before[k].accuracy_ns,
			       (long long)(mono_after[k].time_at_input_ns - (mlo + mhi) / 2),
			       (unsigned long long)mono_after[k].accuracy_ns,
			       (long long)(mono_before[k].time_at_input_ns - (mlo + mhi) / 2),
			       (unsigned long long)mono_before[k].accuracy_ns, (long long)allow);
			if (!holds(raw_before[k].time_at_input_ns, raw_before[k].accuracy_ns, rlo, rhi)) {
				TH_LOG("broken: MONOTONIC_RAW, made before the change");
				broken++;
			}
			if (!holds(mono_after[k].time_at_input_ns, mono_after[k].accuracy_ns, mlo, mhi)) {
				TH_LOG("broken: MONOTONIC, asked after the change");
				broken++;
			}
			if (!holds(mono_before[k].time_at_input_ns,
				   mono_before[k].accuracy_ns + (__u64)allow, mlo, mhi)) {
				TH_LOG("broken: MONOTONIC made before, beyond the rate change");
				broken++;
			}
			EXPECT_EQ(g0.generation, raw_before[k].generation);
			EXPECT_EQ(g0.generation, mono_after[k].generation);
		}
		ASSERT_EQ(0, get(self->fd, self->h, USB_TIMESYNC_CLOCK_MONOTONIC, 0, 0, 0, &g));
		EXPECT_EQ(g0.generation, g.generation);
	}
	memset(&tx, 0, sizeof(tx));
	tx.modes = ADJ_FREQUENCY;
	adjtimex(&tx);
	adjtime(&zero, NULL);
	TH_LOG("%d edges measured, %d claims broken", measured, broken);
	EXPECT_GE(measured, 6);
	EXPECT_EQ(0, broken);
}

/* clock_settime() moves REALTIME answers at once, and nothing else */
TEST_F(ts, realtime_step_moves_only_realtime)
{
	struct usb_timesync_frame_time g, r0, m0, w0, r1, m1, w1;
	int64_t x, off0, off1;
	struct timespec ts;

	/* the conversion covers the time since tracking started */
	usleep(1500000);
	ASSERT_EQ(0, get(self->fd, self->h, USB_TIMESYNC_CLOCK_MONOTONIC_RAW, 0, 0, 0, &g));
	x = (int64_t)uframes(&g) - 8000;	/* a second ago */
	ASSERT_EQ(0, get(self->fd, self->h, USB_TIMESYNC_CLOCK_MONOTONIC_RAW, 1,
			 (__u32)(x >> 3), x & 7, &r0));
	ASSERT_EQ(0, get(self->fd, self->h, USB_TIMESYNC_CLOCK_MONOTONIC, 1,
			 (__u32)(x >> 3), x & 7, &m0));
	ASSERT_EQ(0, get(self->fd, self->h, USB_TIMESYNC_CLOCK_REALTIME, 1,
			 (__u32)(x >> 3), x & 7, &w0));
	off0 = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC);
	ASSERT_EQ(0, clock_gettime(CLOCK_REALTIME, &ts));
	ts.tv_sec += 1000;
	ASSERT_EQ(0, clock_settime(CLOCK_REALTIME, &ts));
	off1 = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC);
	ASSERT_EQ(0, get(self->fd, self->h, USB_TIMESYNC_CLOCK_MONOTONIC_RAW, 1,
			 (__u32)(x >> 3), x & 7, &r1));
	ASSERT_EQ(0, get(self->fd, self->h, USB_TIMESYNC_CLOCK_MONOTONIC, 1,
			 (__u32)(x >> 3), x & 7, &m1));
	ASSERT_EQ(0, get(self->fd, self->h, USB_TIMESYNC_CLOCK_REALTIME, 1,
			 (__u32)(x >> 3), x & 7, &w1));
	ASSERT_EQ(0, clock_gettime(CLOCK_REALTIME, &ts));
	ts.tv_sec -= 1000;
	ASSERT_EQ(0, clock_settime(CLOCK_REALTIME, &ts));
	TH_LOG("raw %+lld, mono %+lld, realtime %+lld ns; the step was %lld ns",
	       (long long)(r1.time_at_input_ns - r0.time_at_input_ns),
	       (long long)(m1.time_at_input_ns - m0.time_at_input_ns),
	       (long long)(w1.time_at_input_ns - w0.time_at_input_ns),
	       (long long)(off1 - off0));
	/* the model may have learnt a little in between: a few us at most */
	EXPECT_LT(llabs(r1.time_at_input_ns - r0.time_at_input_ns), 5000);
	EXPECT_LT(llabs(m1.time_at_input_ns - m0.time_at_input_ns), 5000);
	/* the step, as two clock_gettime() pairs measure it (TCG: slow) */
	EXPECT_LT(llabs(w1.time_at_input_ns - w0.time_at_input_ns - (off1 - off0)), 100000);
	EXPECT_NE(USB_TIMESYNC_ACCURACY_UNKNOWN, w0.accuracy_ns);
	EXPECT_NE(USB_TIMESYNC_ACCURACY_UNKNOWN, w1.accuracy_ns);
	EXPECT_EQ(r0.generation, r1.generation);
	EXPECT_EQ(r0.generation, w1.generation);
}

/* a time before tracking started cannot be converted: no bound is claimed */
TEST_F(ts, before_tracking_no_claim_in_steered_clocks)
{
	struct usb_timesync_frame_time g, m, r;
	int64_t x;

	ASSERT_EQ(0, get(self->fd, self->h, USB_TIMESYNC_CLOCK_MONOTONIC_RAW, 0, 0, 0, &g));
	x = (int64_t)uframes(&g) - 80000;	/* ten seconds ago */
	ASSERT_EQ(0, get(self->fd, self->h, USB_TIMESYNC_CLOCK_MONOTONIC, 1,
			 (__u32)(x >> 3), x & 7, &m));
	ASSERT_EQ(0, get(self->fd, self->h, USB_TIMESYNC_CLOCK_MONOTONIC_RAW, 1,
			 (__u32)(x >> 3), x & 7, &r));
	EXPECT_EQ(USB_TIMESYNC_ACCURACY_UNKNOWN, m.accuracy_ns);
	EXPECT_EQ(r.generation, m.generation);
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

#define TRACING "/sys/kernel/tracing"

/* kprobe_profile's hit count for probe @name, or -1 */
static long kprobe_hits(const char *name)
{
	char line[256], probe[128];
	unsigned long hits;
	long found = -1;
	FILE *f = fopen(TRACING "/kprobe_profile", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%127s %lu", probe, &hits) == 2 && !strcmp(probe, name))
			found = (long)hits;
	fclose(f);
	return found;
}

/*
 * STOP frees its handle after an RCU grace period without waiting for
 * one: a START/STOP loop neither stalls its caller for a grace period nor
 * interrupts every CPU with expedited ones.  Kprobes count both waits
 * across 50 STOPs (the fixture's handle keeps the controller tracked, so
 * no STOP is its last user); a few calls from elsewhere in the kernel are
 * allowed, one a STOP is not.
 */
TEST_F(ts, stop_waits_for_no_grace_period)
{
	static const char *const fn[] = { "synchronize_rcu", "synchronize_rcu_expedited" };
	static const char *const ev[] = { "usbts_sync_rcu", "usbts_sync_rcu_exp" };
	struct usb_timesync_stop st;
	long before[2], after[2];
	char def[128];
	int i, n;
	__u32 h;

	if (access(TRACING "/kprobe_events", W_OK))
		mount("tracefs", TRACING, "tracefs", 0, NULL);
	if (access(TRACING "/kprobe_events", W_OK))
		SKIP(return, "no kprobe events");
	for (i = 0; i < 2; i++) {
		snprintf(def, sizeof(def), "p:usbts_conf/%s %s", ev[i], fn[i]);
		ASSERT_EQ(0, write_sysfs(TRACING "/kprobe_events", def));
	}
	ASSERT_EQ(0, write_sysfs(TRACING "/events/usbts_conf/enable", "1"));
	for (i = 0; i < 2; i++)
		before[i] = kprobe_hits(ev[i]);
	for (n = 0; n < 50; n++) {
		ASSERT_EQ(0, start(self->fd, self->xhci[0], 0,
				   USB_TIMESYNC_FLAG_STARTUP_DELAY_TOLERABLE, &h));
		st = (struct usb_timesync_stop){ .handle = h };
		ASSERT_EQ(0, ioctl(self->fd, USB_TIMESYNC_IOC_STOP_TRACKING, &st));
	}
	for (i = 0; i < 2; i++)
		after[i] = kprobe_hits(ev[i]);
	write_sysfs(TRACING "/events/usbts_conf/enable", "0");
	for (i = 0; i < 2; i++) {
		snprintf(def, sizeof(def), "-:usbts_conf/%s", ev[i]);
		write_sysfs(TRACING "/kprobe_events", def);
	}
	for (i = 0; i < 2; i++) {
		TH_LOG("%s: %ld calls during 50 START/STOP", fn[i], after[i] - before[i]);
		ASSERT_GE(before[i], 0);
		ASSERT_LT(after[i] - before[i], 10);
	}
}

/* ---- access: a usbfs credential, or the administrator's grant ------------- */

#define USER_UID	1000
#define USER_GID	1000
#define GRANT_GID	1001


/*
 * START in a child that runs as an unprivileged user (USER_UID, no
 * capabilities), in group @extra_gid too if it is not 0.  The child opens
 * its own /dev/usb-timesync and, if @node is set, @node with @node_flags,
 * passed as the credential (@cred_fd, if not -2, passes that fd instead).
 * With @keep_get, it closes the credential and checks that GET still works.
 * Returns START's result: 0 or -errno; 1000 + a step (200 + n in the child)
 * if the child failed elsewhere.
 */
static int start_as_user(int bus, int dev, const char *node, int node_flags,
			 int cred_fd, gid_t extra_gid, int keep_get)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return 1000;
	if (!pid) {
		struct usb_timesync_start s = { .busnum = bus, .devnum = dev };
		struct usb_timesync_frame_time g;
		gid_t groups[1] = { extra_gid };
		int fd, nfd = -1;

		if (setgroups(extra_gid ? 1 : 0, groups) ||
		    setresgid(USER_GID, USER_GID, USER_GID) ||
		    setresuid(USER_UID, USER_UID, USER_UID))
			_exit(201);
		fd = open(DEV, O_RDWR);
		if (fd < 0)
			_exit(202);
		if (node) {
			nfd = open(node, node_flags);
			if (nfd < 0)
				_exit(203);
			s.flags |= USB_TIMESYNC_FLAG_DEVICE_FD;
			s.device_fd = nfd;
		}
		if (cred_fd != -2) {
			s.flags |= USB_TIMESYNC_FLAG_DEVICE_FD;
			s.device_fd = cred_fd;
		}
		if (ioctl(fd, USB_TIMESYNC_IOC_START_TRACKING, &s))
			_exit(errno);
		if (nfd >= 0)
			close(nfd);
		if (keep_get && get(fd, s.handle, 0, 0, 0, 0, &g))
			_exit(204);
		if (keep_get && g.accuracy_ns == USB_TIMESYNC_ACCURACY_UNKNOWN)
			_exit(205);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return 1006;
	status = WEXITSTATUS(status);
	if (status >= 200)
		return 1000 + status;
	return -status;
}

/* A device on @bus whose node USER_UID may open for writing; its devnum. */
static int own_device(int bus, const char *product, char *node, size_t len)
{
	int dev = find_dev(bus, product, NULL, 0);

	if (dev <= 0)
		return -1;
	node_path(node, len, bus, dev);
	if (chown(node, USER_UID, USER_GID) || chmod(node, 0600))
		return -1;
	return dev;
}

static void disown_device(const char *node)
{
	chown(node, 0, 0);
	chmod(node, 0644);
}

TEST_F(ts, access_node_is_world_openable)
{
	struct stat st;

	ASSERT_EQ(0, stat(DEV, &st));
	ASSERT_EQ(0666, st.st_mode & 0777);
}

TEST_F(ts, access_device_credential_tracks_its_bus)
{
	char node[64];
	int dev = own_device(self->xhci[0], "QEMU USB Audio", node, sizeof(node));

	ASSERT_GT(dev, 0);
	/* the handle outlives the credential: the child closes it, then GETs */
	EXPECT_EQ(0, start_as_user(self->xhci[0], 0, node, O_RDWR, -2, 0, 1));
	EXPECT_EQ(0, start_as_user(self->xhci[0], dev, node, O_RDWR, -2, 0, 1));
	/* a devnum other than the credential's */
	EXPECT_EQ(-EINVAL, start_as_user(self->xhci[0], dev + 1, node, O_RDWR, -2, 0, 0));
	disown_device(node);
}

TEST_F(ts, access_eperm_without_credential_and_the_bus_stays_idle)
{
	int kbd = find_dev(self->xhci[1], "QEMU USB Keyboard", NULL, 0);

	char path[PATH_MAX], before[32], after[32];

	ASSERT_GT(kbd, 0);
	allow_autosuspend(self->xhci[1]);
	ASSERT_EQ(0, wait_rh_status(self->xhci[1], "suspended", 5000));
	snprintf(path, sizeof(path), "/sys/bus/usb/devices/usb%d/power/runtime_active_time",
		 self->xhci[1]);
	ASSERT_EQ(0, read_sysfs(path, before, sizeof(before)));
	EXPECT_EQ(-EPERM, start_as_user(self->xhci[1], 0, NULL, 0, -2, 0, 0));
	EXPECT_EQ(-EPERM, start_as_user(self->xhci[1], kbd, NULL, 0, -2, 0, 0));
	/* refused before the controller was touched: it never woke */
	EXPECT_EQ(0, wait_rh_status(self->xhci[1], "suspended", 0));
	ASSERT_EQ(0, read_sysfs(path, after, sizeof(after)));
	EXPECT_STREQ(before, after);
}

TEST_F(ts, access_refused_credentials)
{
	char node[64], other[64], tmp[] = "/tmp/usbts-cred.XXXXXX";
	int dev = own_device(self->xhci[0], "QEMU USB Audio", node, sizeof(node));
	int kbd = own_device(self->xhci[1], "QEMU USB Keyboard", other, sizeof(other));
	int tfd = mkstemp(tmp);

	ASSERT_GT(dev, 0);
	ASSERT_GT(kbd, 0);
	ASSERT_LE(0, tfd);
	ASSERT_EQ(0, fchmod(tfd, 0666));
	/* not a usbfs node: a character device, and a regular file */
	EXPECT_EQ(-EINVAL, start_as_user(self->xhci[0], 0, "/dev/null", O_RDWR, -2, 0, 0));
	EXPECT_EQ(-EINVAL, start_as_user(self->xhci[0], 0, tmp, O_RDWR, -2, 0, 0));
	/* a device opened read-only */
	EXPECT_EQ(-EPERM, start_as_user(self->xhci[0], 0, node, O_RDONLY, -2, 0, 0));
	/* a device on another bus */
	EXPECT_EQ(-EPERM, start_as_user(self->xhci[0], 0, other, O_RDWR, -2, 0, 0));
	/* no such fd */
	EXPECT_EQ(-EBADF, start_as_user(self->xhci[0], 0, NULL, 0, -1, 0, 0));
	EXPECT_EQ(-EBADF, start_as_user(self->xhci[0], 0, NULL, 0, 999, 0, 0));
	close(tfd);
	unlink(tmp);
	disown_device(node);
	disown_device(other);
}

TEST_F(ts, access_root_and_the_group_grant)
{
	__u32 h;

	/* root needs no credential */
	EXPECT_EQ(0, start(self->fd, self->xhci[1], 0, 0, &h));
	/* the node's group is the grant; root by default */
	EXPECT_EQ(-EPERM, start_as_user(self->xhci[0], 0, NULL, 0, -2, GRANT_GID, 0));
	ASSERT_EQ(0, chown(DEV, 0, GRANT_GID));
	EXPECT_EQ(0, start_as_user(self->xhci[0], 0, NULL, 0, -2, GRANT_GID, 1));
	EXPECT_EQ(-EPERM, start_as_user(self->xhci[0], 0, NULL, 0, -2, 0, 0));
	ASSERT_EQ(0, chown(DEV, 0, 0));
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
	int cycle, i, refused = 0, answered = 0;
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
		after_resume(_metadata, self->fd, hs, g0, 2, t0, settle, &answered, &refused);
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


/*
 * The need_ns of every tracked controller in debugfs, joined by spaces
 * into @buf; the number of controllers.
 */
static int controller_needs(char *buf, size_t len)
{
	char line[512], *p;
	FILE *f = fopen(DBG "/controllers", "r");
	int n = 0;

	buf[0] = 0;
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		p = strstr(line, " need_ns ");
		if (strncmp(line, "controller ", 11) || !p)
			continue;
		snprintf(buf + strlen(buf), len - strlen(buf), "%s%llu", n ? " " : "",
			 strtoull(p + 9, NULL, 10));
		n++;
	}
	fclose(f);
	return n;
}

/*
 * START's want_accuracy_ns: the controller's sampler plans for the most
 * demanding started handle, and forgets a need at its STOP or close.  A
 * need the controller cannot meet (1 ns) is accepted, and GET still
 * reports the accuracy it has.
 */
TEST_F(ts, want_accuracy_sets_the_sampler_need)
{
	struct usb_timesync_frame_time g;
	struct usb_timesync_stop st;
	char needs[256];
	__u32 h1, h2, h3;
	int fd2;

	if (have_debugfs())
		SKIP(return, "no debugfs");
	/* only the fixture's handle is started, on xhci[0], asking nothing */
	ASSERT_EQ(1, controller_needs(needs, sizeof(needs)));
	ASSERT_STREQ("0", needs);
	ASSERT_EQ(0, start_want(self->fd, self->xhci[0], 0, 0, 5000, &h1));
	controller_needs(needs, sizeof(needs));
	ASSERT_STREQ("5000", needs);
	fd2 = open(DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, start_want(fd2, self->xhci[0], 0, 0, 1, &h2));
	controller_needs(needs, sizeof(needs));
	ASSERT_STREQ("1", needs);
	ASSERT_EQ(0, get(fd2, h2, USB_TIMESYNC_CLOCK_MONOTONIC, 0, 0, 0, &g));
	ASSERT_GT(g.accuracy_ns, 1);
	ASSERT_NE(USB_TIMESYNC_ACCURACY_UNKNOWN, g.accuracy_ns);
	/* a looser need joins without loosening */
	ASSERT_EQ(0, start_want(self->fd, self->xhci[0], 0, 0, 1000000, &h3));
	controller_needs(needs, sizeof(needs));
	ASSERT_STREQ("1", needs);
	/* close forgets its handles' needs */
	close(fd2);
	controller_needs(needs, sizeof(needs));
	ASSERT_STREQ("5000", needs);
	st = (struct usb_timesync_stop){ .handle = h3 };
	ASSERT_EQ(0, ioctl(self->fd, USB_TIMESYNC_IOC_STOP_TRACKING, &st));
	controller_needs(needs, sizeof(needs));
	ASSERT_STREQ("5000", needs);
	st = (struct usb_timesync_stop){ .handle = h1 };
	ASSERT_EQ(0, ioctl(self->fd, USB_TIMESYNC_IOC_STOP_TRACKING, &st));
	controller_needs(needs, sizeof(needs));
	ASSERT_STREQ("0", needs);
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
	char name[256], path[PATH_MAX], link[PATH_MAX];
	int dev = find_dev(self->xhci[0], "QEMU USB Tablet", name, sizeof(name));
	struct usb_timesync_start st = { .busnum = self->xhci[0],
					 .flags = USB_TIMESYNC_FLAG_DEVICE_FD };
	char node[64];
	int nfd, nfd2, i;
	__u32 h;

	ASSERT_GT(dev, 0);
	/* a handle made with a credential that is closed at once */
	node_path(node, sizeof(node), self->xhci[0], dev);
	nfd = open(node, O_RDWR);
	nfd2 = open(node, O_RDWR);
	ASSERT_LE(0, nfd);
	ASSERT_LE(0, nfd2);
	st.device_fd = nfd;
	ASSERT_EQ(0, ioctl(self->fd, USB_TIMESYNC_IOC_START_TRACKING, &st));
	close(nfd);
	h = st.handle;
	ASSERT_EQ(0, get(self->fd, h, 0, 0, 0, 0, &g));
	/* power the port off (its sysfs path outlives the device): it disconnects */
	snprintf(link, sizeof(link), "/sys/bus/usb/devices/%s/port", name);
	ASSERT_NE(NULL, realpath(link, path));
	strncat(path, "/disable", sizeof(path) - strlen(path) - 1);
	ASSERT_EQ(0, write_sysfs(path, "1"));
	usleep(500000);
	ASSERT_EQ(-ENODEV, get(self->fd, h, 0, 0, 0, 0, &g));
	smp.handle = h;
	smp.n_samples = 1;
	ASSERT_EQ(-1, ioctl(self->fd, USB_TIMESYNC_IOC_SAMPLE, &smp));
	ASSERT_EQ(ENODEV, errno);
	/* the bus handle is unaffected */
	ASSERT_EQ(0, get(self->fd, self->h, 0, 0, 0, 0, &g));
	/* a credential for a device that has gone */
	st.device_fd = nfd2;
	ASSERT_EQ(-1, ioctl(self->fd, USB_TIMESYNC_IOC_START_TRACKING, &st));
	ASSERT_EQ(ENODEV, errno);
	close(nfd2);
	s = (struct usb_timesync_stop){ .handle = h };
	ASSERT_EQ(0, ioctl(self->fd, USB_TIMESYNC_IOC_STOP_TRACKING, &s));
	/*
	 * Power the port on again, and (QEMU signals no connect change for
	 * that) have the host agent unplug and replug the tablet: the
	 * programs after this one need it.
	 */
	ASSERT_EQ(0, write_sysfs(path, "0"));
	ASSERT_EQ(0, system("vmctl unplug-usb tablet >/dev/null && vmctl replug-usb tablet >/dev/null"));
	for (i = 0; i < 200 && find_dev(self->xhci[0], "QEMU USB Tablet", NULL, 0) <= 0; i++)
		usleep(100000);
	ASSERT_GT(find_dev(self->xhci[0], "QEMU USB Tablet", NULL, 0), 0);
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
/* slow on the debug kernel (KASAN, lockdep under TCG): minutes, not 30 s */
TEST_F_TIMEOUT(ts, z3_start_races_controller_removal, 900)
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
TEST_F_TIMEOUT(ts, z4_controller_rebind_new_generation, 900)
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
