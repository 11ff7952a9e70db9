/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The uAPI header on its own: compiled as C90, C11 and C++, -m32 and -m64,
 * by `make uapi-test`.  Every size and 64-bit field offset is checked at
 * compile time against one table, so all builds share one layout.
 */
#include <linux/usb/timesync.h>
#include <stddef.h>

#define CHECK(name, cond) typedef char check_##name[(cond) ? 1 : -1]

CHECK(start, sizeof(struct usb_timesync_start) == 32);
CHECK(stop, sizeof(struct usb_timesync_stop) == 8);
CHECK(frame_time, sizeof(struct usb_timesync_frame_time) == 96);
CHECK(sample, sizeof(struct usb_timesync_sample) == 24);
CHECK(samples, sizeof(struct usb_timesync_samples) == 16 + 64 * 24);
CHECK(start_device_fd, offsetof(struct usb_timesync_start, device_fd) == 16);
CHECK(start_want_accuracy, offsetof(struct usb_timesync_start, want_accuracy_ns) == 24);
CHECK(ft_time_at_input, offsetof(struct usb_timesync_frame_time, time_at_input_ns) == 32);
CHECK(ft_generation, offsetof(struct usb_timesync_frame_time, generation) == 64);
CHECK(ft_reserved, offsetof(struct usb_timesync_frame_time, reserved) == 72);
CHECK(samples_flags, offsetof(struct usb_timesync_samples, flags) == 8);
CHECK(samples_reserved, offsetof(struct usb_timesync_samples, reserved) == 12);
CHECK(sample_clock, offsetof(struct usb_timesync_sample, clock) == 20);
CHECK(clock_raw, USB_TIMESYNC_CLOCK_MONOTONIC_RAW == 4);
CHECK(sample_flag_raw, USB_TIMESYNC_SAMPLE_FLAG_MONOTONIC_RAW == 1);
CHECK(samples_samples, offsetof(struct usb_timesync_samples, samples) == 16);
CHECK(sample_mfindex, offsetof(struct usb_timesync_sample, mfindex) == 16);

int main(void)
{
	return (int)(USB_TIMESYNC_IOC_GET_FRAME_NUMBER_AND_TIME & 0);
}
