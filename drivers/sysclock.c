// SPDX-License-Identifier: GPL-2.0
/*
 * sysclock.c - the kernel's CLOCK_MONOTONIC_RAW -> system clocks map
 *
 * Copyright (C) 2026 The usb-timesync developers
 *
 * The model is fitted against CLOCK_MONOTONIC_RAW, which nobody steers.
 * Answers in the steered clocks are converted when asked, with the
 * kernel's own conversion: while anything is tracked, a pvclock_gtod
 * notifier (the interface KVM uses for the same purpose) sees every update
 * of the timekeeper and copies the exact (raw, monotonic) point and rate
 * into a struct usbts_clockmap.  MONOTONIC -> BOOTTIME, REALTIME and TAI
 * then uses the kernel's current offsets (ktime_mono_to_any()), so
 * clock_settime() moves REALTIME answers at once and nothing else.
 */
#include <linux/errno.h>
#include <linux/ktime.h>
#include <linux/pvclock_gtod.h>
#include <linux/timekeeper_internal.h>
#include <linux/timekeeping.h>
#include <linux/usb/timesync.h>

#include "sysclock.h"

/*
 * Called by the timekeeper after every update, under its raw spinlock with
 * interrupts off, inside its own write section: copy numbers, nothing else.
 */
static int sysclock_notify(struct notifier_block *nb, unsigned long was_set,
			   void *priv)
{
	struct usbts_sysclock *sc = container_of(nb, struct usbts_sysclock, nb);
	const struct timekeeper *tk = priv;
	struct usbts_clock_point p;

	p.raw = ktime_to_ns(tk->tkr_raw.base) +
		(s64)(tk->tkr_raw.xtime_nsec >> tk->tkr_raw.shift);
	p.mono = ktime_to_ns(tk->tkr_mono.base) +
		 (s64)(tk->tkr_mono.xtime_nsec >> tk->tkr_mono.shift);
	p.mult = tk->tkr_mono.mult;
	p.base_mult = tk->tkr_mono.mult - tk->ntp_err_mult;
	p.raw_mult = tk->tkr_raw.mult;
	p.interval = (u32)min_t(u64, tk->raw_interval >> tk->tkr_raw.shift,
				U32_MAX);

	write_seqcount_begin(&sc->seq);
	usbts_clockmap_update(&sc->map, &p);
	write_seqcount_end(&sc->seq);
	return NOTIFY_DONE;
}

/**
 * usbts_sysclock_init() - an inactive map
 * @sc: map
 */
void usbts_sysclock_init(struct usbts_sysclock *sc)
{
	sc->nb.notifier_call = sysclock_notify;
	seqcount_init(&sc->seq);
	sc->active = false;
	usbts_clockmap_init(&sc->map);
}

/**
 * usbts_sysclock_start() - follow the timekeeper
 * @sc: map
 *
 * Empties the map and registers the notifier, which records the current
 * state at once.  Called with the registry's lock held, when the first
 * controller is tracked.
 *
 * Return: 0 or what pvclock_gtod_register_notifier() returned.
 */
int usbts_sysclock_start(struct usbts_sysclock *sc)
{
	unsigned long flags;
	int err;

	if (sc->active)
		return 0;
	/* readers may still look at the old map: reset it as a writer */
	local_irq_save(flags);
	write_seqcount_begin(&sc->seq);
	usbts_clockmap_init(&sc->map);
	write_seqcount_end(&sc->seq);
	local_irq_restore(flags);
	err = pvclock_gtod_register_notifier(&sc->nb);
	if (!err)
		sc->active = true;
	return err;
}

/**
 * usbts_sysclock_stop() - stop following the timekeeper
 * @sc: map
 *
 * Called with the registry's lock held, when the last controller stops
 * being tracked.  Once this returns, the notifier is not running.
 */
void usbts_sysclock_stop(struct usbts_sysclock *sc)
{
	if (!sc->active)
		return;
	pvclock_gtod_unregister_notifier(&sc->nb);
	sc->active = false;
}

static const enum tk_offsets usbts_offs[] = {
	[USB_TIMESYNC_CLOCK_BOOTTIME] = TK_OFFS_BOOT,
	[USB_TIMESYNC_CLOCK_REALTIME] = TK_OFFS_REAL,
	[USB_TIMESYNC_CLOCK_TAI] = TK_OFFS_TAI,
};

/**
 * usbts_sysclock_from_raw() - a CLOCK_MONOTONIC_RAW time in another clock
 * @sc: map
 * @raw: the time, raw ns
 * @now_raw: a raw time read just before; later times are extrapolated at
 *	the current NTP rate
 * @clock: USB_TIMESYNC_CLOCK_*
 * @t_ns: the time in @clock
 * @err_ns: bound on the conversion's error
 *
 * Lock-free and never sleeps.
 *
 * Return: 0, or -ERANGE if @raw lies before the map's coverage.
 */
int usbts_sysclock_from_raw(struct usbts_sysclock *sc, s64 raw, s64 now_raw,
			    u32 clock, s64 *t_ns, u64 *err_ns)
{
	unsigned int seq;
	bool ok;
	s64 mono;

	if (clock == USB_TIMESYNC_CLOCK_MONOTONIC_RAW) {
		*t_ns = raw;
		*err_ns = 0;
		return 0;
	}
	do {
		seq = read_seqcount_begin(&sc->seq);
		ok = usbts_clockmap_to_mono(&sc->map, raw, now_raw, &mono, err_ns);
	} while (read_seqcount_retry(&sc->seq, seq));
	if (!ok)
		return -ERANGE;
	if (clock == USB_TIMESYNC_CLOCK_MONOTONIC || clock >= ARRAY_SIZE(usbts_offs))
		*t_ns = mono;
	else
		*t_ns = ktime_to_ns(ktime_mono_to_any(ns_to_ktime(mono),
						      usbts_offs[clock]));
	return 0;
}

/**
 * usbts_sysclock_answer() - now and an answer, in another clock
 * @sc: map
 * @now_raw: now, raw ns
 * @raw: the answer's time, raw ns
 * @acc: on entry its accuracy, raw ns (from 2^62 on: unknown); on return
 *	the accuracy in @clock: the interval [@raw - @acc, @raw + @acc] is
 *	longer or shorter in a steered clock, by the rate the clock had then,
 *	so both ends count, plus the conversion's error;
 *	USB_TIMESYNC_ACCURACY_UNKNOWN if it was unknown or an end lies
 *	before the map's coverage
 * @clock: USB_TIMESYNC_CLOCK_*
 * @now_ns: @now_raw in @clock
 * @t_ns: @raw in @clock; 0 if it lies before the map's coverage
 *
 * GET's conversions, from one reading of the map and of the clock's
 * offset, so that a REALTIME step cannot fall between them.  Lock-free
 * and never sleeps.
 *
 * Return: 0, or -ERANGE if @now_raw lies before the map's coverage.
 */
int usbts_sysclock_answer(struct usbts_sysclock *sc, s64 now_raw, s64 raw,
			  u64 *acc, u32 clock, s64 *now_ns, s64 *t_ns)
{
	bool unknown = *acc >= (u64)1 << 62, ok, at_raw;
	unsigned int seq;
	s64 mnow, mono, off;
	u64 span, err;

	if (clock == USB_TIMESYNC_CLOCK_MONOTONIC_RAW) {
		*now_ns = now_raw;
		*t_ns = raw;
		if (unknown)
			*acc = USB_TIMESYNC_ACCURACY_UNKNOWN;
		return 0;
	}
	do {
		seq = read_seqcount_begin(&sc->seq);
		ok = usbts_clockmap_answer(&sc->map, now_raw, raw, unknown ? 0 : *acc,
					   &mnow, &mono, &span, &err, &at_raw);
	} while (read_seqcount_retry(&sc->seq, seq));
	if (!ok)
		return -ERANGE;
	off = 0;
	if (clock != USB_TIMESYNC_CLOCK_MONOTONIC && clock < ARRAY_SIZE(usbts_offs))
		off = ktime_to_ns(ktime_mono_to_any(ns_to_ktime(mnow), usbts_offs[clock])) -
		      mnow;
	*now_ns = mnow + off;
	*t_ns = at_raw ? mono + off : 0;
	*acc = !at_raw || unknown || span == U64_MAX ? USB_TIMESYNC_ACCURACY_UNKNOWN :
	       span + err;
	return 0;
}
