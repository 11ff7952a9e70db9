/* SPDX-License-Identifier: GPL-2.0 */
/*
 * predictor_compat.h - the few kernel types and helpers predictor.c uses,
 * for building it unchanged in userspace.  Deliberately tiny, and not the
 * kernel's tools/include: its math64.h differs from the kernel's.
 *
 * Each helper has the kernel's exact semantics (include/linux/math64.h).
 */
#ifndef _USBTS_PREDICTOR_COMPAT_H
#define _USBTS_PREDICTOR_COMPAT_H

#ifdef __KERNEL__
#error "predictor_compat.h is for userspace builds only"
#endif

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* the compiler's own names for the <stdint.h> types */
typedef __INT64_TYPE__ s64;
typedef __UINT64_TYPE__ u64;
typedef __INT32_TYPE__ s32;
typedef __UINT32_TYPE__ u32;

#define S64_MAX INT64_MAX
#define S64_MIN INT64_MIN
#define U64_MAX UINT64_MAX

#define check_add_overflow(a, b, d) __builtin_add_overflow(a, b, d)
#define check_sub_overflow(a, b, d) __builtin_sub_overflow(a, b, d)

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static inline u64 mul_u64_u64_shr(u64 a, u64 b, unsigned int shift)
{
	return (u64)(((__uint128_t)a * b) >> shift);
}

static inline u64 mul_u64_u64_div_u64(u64 a, u64 b, u64 c)
{
	return (u64)(((__uint128_t)a * b) / c);
}

static inline s64 div64_s64(s64 dividend, s64 divisor)
{
	return dividend / divisor;
}

static inline u64 div64_u64(u64 dividend, u64 divisor)
{
	return dividend / divisor;
}

/* floor(sqrt(x)), bit by bit as lib/math/int_sqrt.c does */
static inline u32 int_sqrt64(u64 x)
{
	u64 b, m, y = 0;

	if (x <= 1)
		return (u32)x;
	m = 1ull << ((63 - __builtin_clzll(x)) & ~1);
	while (m) {
		b = y + m;
		y >>= 1;
		if (x >= b) {
			x -= b;
			y += m;
		}
		m >>= 2;
	}
	return (u32)y;
}

#endif /* _USBTS_PREDICTOR_COMPAT_H */
