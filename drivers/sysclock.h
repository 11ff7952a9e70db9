/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sysclock.h - the kernel's CLOCK_MONOTONIC_RAW -> system clocks map
 *
 * Copyright (C) 2026 The usb-timesync developers
 */
#ifndef _USBTS_SYSCLOCK_H
#define _USBTS_SYSCLOCK_H

#include <linux/notifier.h>
#include <linux/seqlock.h>
#include <linux/types.h>

#include "clockmap.h"

/**
 * struct usbts_sysclock - the timekeeper's updates, as a struct usbts_clockmap
 * @nb: pvclock_gtod notifier, registered while @active
 * @seq: publication of @map; written only by the notifier, which the
 *	timekeeper calls with its raw spinlock held and interrupts off, so
 *	writers never nest or sleep and readers never sleep (also on
 *	PREEMPT_RT)
 * @active: the notifier is registered; under the registry's lock
 * @map: the map
 */
struct usbts_sysclock {
	struct notifier_block nb;
	seqcount_t seq;
	bool active;
	struct usbts_clockmap map;
};

void usbts_sysclock_init(struct usbts_sysclock *sc);
int usbts_sysclock_start(struct usbts_sysclock *sc);
void usbts_sysclock_stop(struct usbts_sysclock *sc);
int usbts_sysclock_from_raw(struct usbts_sysclock *sc, s64 raw, s64 now_raw,
			    u32 clock, s64 *t_ns, u64 *err_ns);
int usbts_sysclock_answer(struct usbts_sysclock *sc, s64 now_raw, s64 raw,
			  u64 *acc, u32 clock, s64 *now_ns, s64 *t_ns);

#endif /* _USBTS_SYSCLOCK_H */
