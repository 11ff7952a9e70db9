// SPDX-License-Identifier: GPL-2.0
/*
 * test_libusbts - the library without the module: pure helpers, and the
 * device calls against a test double (fake_device.h).
 */
#include <stdio.h>
#include <string.h>

#include "fake_device.h"
#include "usbts.h"

static int passed, failed;

#define CHECK(cond, ...) do { \
	if (cond) { \
		passed++; \
	} else { \
		failed++; \
		printf("not ok - %s:%d: %s: ", __FILE__, __LINE__, #cond); \
		printf(__VA_ARGS__); \
		printf("\n"); \
	} \
} while (0)

static void test_adjusted_frame_number(void)
{
	uint32_t f = 1000;

	usbts_get_adjusted_frame_number(&f, fake_now() - 5500000);
	CHECK(f == 1005, "got %u", f);
	f = 1000;
	usbts_get_adjusted_frame_number(&f, fake_now());
	CHECK(f == 1000, "got %u", f);
	f = UINT32_MAX;
	usbts_get_adjusted_frame_number(&f, fake_now() - 2500000);
	CHECK(f == 1, "wraps: got %u", f);
}

static void test_widen(void)
{
	CHECK(usbts_widen_frame(2047, 0, 11) == 2048, "up across a wrap");
	CHECK(usbts_widen_frame(2048, 2047, 11) == 2047, "down across a wrap");
	CHECK(usbts_widen_frame(0, 2047, 11) == UINT32_MAX, "below frame 0");
	CHECK(usbts_widen_frame(UINT32_MAX, 0, 11) == 0, "past 2^32");
	CHECK(usbts_widen_frame(5000, 5000 & 2047, 11) == 5000, "same frame");
	CHECK(usbts_widen_frame(5000, (5000 + 1023) & 2047, 11) == 6023, "+1023");
	CHECK(usbts_widen_frame(5000, (5000 + 1024) & 2047, 11) == 3976,
	      "half way back (ties go back)");
	CHECK(usbts_widen_frame(7, 12345, 32) == 12345, "32 bits");
	CHECK(usbts_widen_microframe(16383, 0, 14) == 16384, "mfindex wrap");
	CHECK(usbts_widen_microframe(0x100000005ull, (0x100000005ull - 3) & 0x3fff, 14) ==
	      0x100000002ull, "past 2^32 microframes, slightly back");
	CHECK(usbts_widen_microframe(100, 16383, 14) == (uint64_t)-1, "below 0");
}

static void test_sof_time(void)
{
	struct usbts_frame_info i = { .current_time_ns = 10000000, .current_hw_microframe = 3 };

	CHECK(usbts_sof_time(&i) == 10000000 - 375000, "got %lld", (long long)usbts_sof_time(&i));
}

static void test_device_calls(void)
{
	static struct fake_device fd;
	struct usbts_ctx *ctx;
	struct usbts_frame_info info;
	uint32_t h, f, uf, f2, uf2;
	int64_t t, ts;
	uint64_t acc;
	int i;

	fake_init(&fd);
	CHECK(usbts_open_backend(&ctx, &fake_backend, &fd) == 0, "open");
	CHECK(usbts_start_tracking_for_time_sync(ctx, 2, 0, 0, &h) == -ENODEV, "no bus");
	CHECK(usbts_start_tracking_for_time_sync(ctx, 1, 0, 4, &h) == -EINVAL, "bad flag");
	CHECK(usbts_start_tracking_device_fd(ctx, 1, -1, 0, &h) == -EBADF, "no credential fd");
	CHECK(usbts_start_tracking_device_fd(ctx, 1, 7, 0, &h) == 0 && fd.last_device_fd == 7,
	      "a credential fd is passed with its flag");
	CHECK(usbts_stop_tracking_for_time_sync(ctx, h) == 0, "stop the credential's handle");
	CHECK(usbts_start_tracking_device_fd(ctx, 1, 7, 4, &h) == -EINVAL, "bad flag with a credential");
	CHECK(usbts_start_tracking_with_accuracy(ctx, 1, 0, 0, 2500, &h) == 0 &&
	      fd.last_want == 2500, "an accuracy need is passed in want_accuracy_ns");
	CHECK(usbts_stop_tracking_for_time_sync(ctx, h) == 0, "stop the handle with a need");
	CHECK(usbts_start_tracking_with_accuracy(ctx, 1, 0, 4, 2500, &h) == -EINVAL,
	      "bad flag with a need");
	CHECK(usbts_start_tracking_for_time_sync(ctx, 1, 0, 0, &h) == 0 && fd.last_device_fd == -1 &&
	      fd.last_want == 0, "start, no credential for a bare bus, no need");

	memset(&info, 0, sizeof(info));
	CHECK(usbts_get_current_frame_number_and_time(ctx, h, &info) == 0, "get");
	CHECK(info.time_at_input_ns == 0 && info.accuracy_ns == 100, "outputs");
	CHECK(usbts_get_current_frame_number(ctx, h, &f, &ts) == 0 && f >= info.current_usb_frame,
	      "current frame");

	/* time <-> frame at microframe edges, near and far, with the model's rate */
	for (i = -3; i <= 3; i++) {
		int64_t dx = (int64_t)i * i * i * 1000 + i;	/* up to 27000 uframes */
		int64_t x = (int64_t)info.current_usb_frame * 8 + info.current_hw_microframe + dx;

		CHECK(usbts_frame_start_time(ctx, h, (uint32_t)(x >> 3), (uint32_t)(x & 7),
					     &t, &acc) == 0, "start time");
		CHECK(t == fd.t0 + x * FAKE_PERIOD_NS, "dx %lld: start %lld", (long long)dx,
		      (long long)t);
		CHECK(usbts_time_to_frame(ctx, h, t, &f, &uf) == 0 &&
		      (int64_t)f * 8 + uf == x, "dx %lld: at the start", (long long)dx);
		CHECK(usbts_time_to_frame(ctx, h, t - 1, &f2, &uf2) == 0 &&
		      (int64_t)f2 * 8 + uf2 == x - 1, "dx %lld: 1 ns before", (long long)dx);
		CHECK(usbts_time_to_frame(ctx, h, t + FAKE_PERIOD_NS - 1, &f2, &uf2) == 0 &&
		      (int64_t)f2 * 8 + uf2 == x, "dx %lld: last ns", (long long)dx);
	}

	/* both clocks: each read's two sandwiches, told apart by the kernel */
	{
		struct usbts_sample_clocks sc[USBTS_MAX_SAMPLE_CLOCKS + 1];

		CHECK(usbts_sample_clocks(ctx, h, USBTS_MAX_SAMPLE_CLOCKS, sc) == 0,
		      "sample both clocks");
		for (i = 0; i < USBTS_MAX_SAMPLE_CLOCKS; i++)
			CHECK(sc[i].raw_pre_ns == sc[i].pre_ns + FAKE_RAW_OFFSET &&
			      sc[i].raw_post_ns == sc[i].post_ns + FAKE_RAW_OFFSET &&
			      sc[i].pre_ns <= sc[i].post_ns && sc[i].mfindex < 16384,
			      "read %d in both clocks", i);
		CHECK(usbts_sample_clocks(ctx, h, USBTS_MAX_SAMPLE_CLOCKS + 1, sc) == -EINVAL,
		      "too many reads");
		CHECK(usbts_sample_clocks(ctx, h, 0, sc) == -EINVAL, "no read");
	}

	CHECK(usbts_stop_tracking_for_time_sync(ctx, h) == 0, "stop");
	CHECK(usbts_stop_tracking_for_time_sync(ctx, h) == -ENOENT, "stop twice");
	CHECK(usbts_get_current_frame_number(ctx, h, &f, &ts) == -ENOENT, "get after stop");
	usbts_close(ctx);
	CHECK(fd.closed == 1, "backend closed once");
}

static void test_open_errors(void)
{
	struct usbts_ctx *ctx;

	CHECK(usbts_open_path(&ctx, "/nonexistent/usb-timesync") == -ENOENT, "no node");
	CHECK(usbts_open_backend(&ctx, NULL, NULL) == -EINVAL, "no backend");
}

static void test_strerror(void)
{
	static const int errs[] = { ENOENT, ENODEV, EOPNOTSUPP, EAGAIN, ETIMEDOUT,
				    ENOSPC, EINVAL, ENOTTY, EFAULT, EINTR, EACCES };
	const char *unknown = usbts_strerror(-9999);
	unsigned int i;

	for (i = 0; i < sizeof(errs) / sizeof(errs[0]); i++)
		CHECK(strcmp(usbts_strerror(-errs[i]), unknown), "errno %d named", errs[i]);
	CHECK(strstr(usbts_strerror(-EOPNOTSUPP), "xHCI") != NULL, "EOPNOTSUPP says xHCI");
}

int main(void)
{
	test_adjusted_frame_number();
	test_widen();
	test_sof_time();
	test_device_calls();
	test_open_errors();
	test_strerror();
	printf("libusbts: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
