// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_predictor - libFuzzer target on drivers/predictor.c, compiled
 * unchanged in userspace (as tests/predictor does), under ASan and UBSan.
 *
 * The input is a program of operations, one opcode byte each followed by
 * its operands; bytes past the end read as zero.  A simulated controller
 * (a counter with a period within 600 ppm of 125 us, jitter, jumps and
 * stops) produces realistic reads, so that the model gets fitted, pruned
 * and restarted; other operations feed hostile reads and queries.
 *
 * The input domain is the API's: times are CLOCK_MONOTONIC ns, so in
 * [0, 2^62) (146 years of uptime); mfindex is any u32; a queried
 * microframe is any s64.
 *
 * Invariants, each an abort() with a message when broken:
 *  - no crash, no undefined behaviour (ASan, UBSan, -fno-sanitize-recover);
 *  - usbts_pred_add_read() returns -EINVAL exactly when pre > post, mfindex
 *    has more than 14 bits, or pre is before the previous accepted read's
 *    pre: an out-of-order read is never accepted silently.  A refused read
 *    leaves the predictor unchanged, byte for byte;
 *  - its result is a mask of the documented bits, GOOD_EDGE only with
 *    NEW_EDGE (it qualifies the new edge); the generation grows by
 *    one exactly when USBTS_PRED_NEW_GEN is returned, and never otherwise;
 *  - usbts_model_time_of() is defined (no overflow) for every 64-bit x,
 *    and refuses x further than 2^45 microframes from the reference;
 *  - usbts_model_count_at() is monotonic in time within one model; across
 *    the models of one generation, for non-decreasing query times (what
 *    successive GETs see), a later count is behind an earlier one by k
 *    microframes only when (k - 1) * 124925 ns is within the two answers'
 *    claims combined (the uAPI's promise; see query_now());
 *  - a read of the simulated counter is unwrapped to the true count (in
 *    the generation's numbering) or starts a new generation;
 *  - count_at() and time_of() agree: time_of(count_at(t)) <= t <
 *    time_of(count_at(t) + 1).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "predictor.h"

#define T_MAX		((s64)1 << 62)
#define QUERY_LIMIT	((s64)1 << 45)
/* The shortest microframe a counter within 600 ppm of nominal runs. */
#define PERIOD_MIN_NS	(USBTS_PRED_NOMINAL_NS - 75)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * FUZZ_TRACE=1 in the environment prints the operations of each input:
 * reads as `usbts replay` records, the rest as comments, so that a crash
 * input becomes a readable reproducer.
 */
static int trace = -1;
#define TRACE(...) do { if (trace) printf(__VA_ARGS__); } while (0)

struct in {
	const uint8_t *p;
	size_t n;
};

static uint64_t take(struct in *in, unsigned int bytes)
{
	uint64_t v = 0;
	unsigned int i;

	for (i = 0; i < bytes; i++) {
		uint64_t b = 0;

		if (in->n) {
			b = *in->p++;
			in->n--;
		}
		v |= b << (8 * i);
	}
	return v;
}

/* The simulated controller: x(t) = x0 + floor((t - t0) * 1000 / period_ps). */
struct sim {
	s64 now;		/* current time, ns */
	s64 t0;
	s64 x0;
	s64 period_ps;		/* picoseconds per microframe */
	int frozen;		/* the counter stands still at x0 */
};

static s64 sim_x(const struct sim *s, s64 t)
{
	if (s->frozen || t < s->t0)
		return s->x0;
	/* (t - t0) < 2^62 and * 1000 fits in 128 bits */
	return s->x0 + (s64)(((__int128)(t - s->t0) * 1000) / s->period_ps);
}

/* What the harness knows without looking inside the predictor. */
struct state {
	struct usbts_pred pred;
	struct usbts_pred saved;
	int have_read;
	s64 last_pre;		/* pre of the last accepted read */
	u32 gen;
	/* the last GET-like query: its time, generation and answer */
	int have_query;
	s64 q_t;
	u32 q_gen;
	s64 q_x;
	u64 q_acc;		/* its claim for the start of q_x */
	/*
	 * Truth: since the generation began with a read of the simulated
	 * counter, which has run continuously (rate changes only) and been
	 * read only by sim_read(), the predictor's count of each read is
	 * the simulated count plus truth_off.
	 */
	int truth;
	s64 truth_off;
};

static void fail(const char *what, ...) __attribute__((noreturn, format(printf, 1, 2)));

static void fail(const char *what, ...)
{
	va_list ap;

	fflush(stdout);
	va_start(ap, what);
	fprintf(stderr, "fuzz_predictor: invariant broken: ");
	vfprintf(stderr, what, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	abort();
}

/* Returns add_read()'s result; negative when refused. */
static int add_read(struct state *st, s64 pre, s64 post, u32 mfindex)
{
	int refuse = pre > post || mfindex > USBTS_PRED_MFINDEX_MASK ||
		     (st->have_read && pre < st->last_pre);
	int ret;

	if (refuse)
		memcpy(&st->saved, &st->pred, sizeof(st->pred));
	TRACE("R %" PRId64 " %" PRId64 " %u\n", pre, post, mfindex);
	if (trace)
		fflush(stdout);
	ret = usbts_pred_add_read(&st->pred, pre, post, mfindex);
	TRACE("# -> %d, gen %u valid %u xc %" PRId64 " tc %" PRId64
	      " period %" PRIu64 "\n", ret, st->pred.model.gen,
	      st->pred.model.valid, st->pred.model.xc, st->pred.model.tc, st->pred.model.period);
	if (refuse) {
		if (ret != -EINVAL)
			fail("read pre %" PRId64 " post %" PRId64 " mfindex %u after pre %" PRId64
			     " returned %d, not -EINVAL", pre, post, mfindex, st->last_pre, ret);
		if (memcmp(&st->saved, &st->pred, sizeof(st->pred)))
			fail("a refused read changed the predictor");
		return ret;
	}
	if (ret < 0)
		fail("valid read pre %" PRId64 " post %" PRId64 " mfindex %u refused (%d)",
		     pre, post, mfindex, ret);
	if (ret & ~(USBTS_PRED_NEW_GEN | USBTS_PRED_NEW_EDGE | USBTS_PRED_PRUNED |
		    USBTS_PRED_GOOD_EDGE))
		fail("result %#x has undocumented bits", ret);
	if ((ret & USBTS_PRED_GOOD_EDGE) && !(ret & USBTS_PRED_NEW_EDGE))
		fail("result %#x: GOOD_EDGE without NEW_EDGE", ret);
	if (ret & USBTS_PRED_NEW_GEN) {
		if (st->pred.model.gen != st->gen + 1)
			fail("NEW_GEN, but generation %u -> %u", st->gen, st->pred.model.gen);
	} else if (st->pred.model.gen != st->gen) {
		fail("generation %u -> %u without NEW_GEN", st->gen, st->pred.model.gen);
	}
	st->gen = st->pred.model.gen;
	st->have_read = 1;
	st->last_pre = pre;
	return ret;
}

/* A read of the simulated counter, sampled somewhere in [pre, post]. */
static void sim_read(struct state *st, struct sim *s, struct in *in)
{
	uint64_t dt = take(in, 2), w = take(in, 1);
	unsigned int mode = (unsigned int)take(in, 1);
	s64 pre, post, at;
	int ret;

	/* mostly short steps, sometimes long gaps and preempted reads */
	if (mode & 0x80)
		dt <<= (mode >> 4) & 7 ? 16 : 24;
	if (mode & 0x40)
		w <<= 8;
	pre = s->now + (s64)dt;
	if (pre >= T_MAX - 70000)
		pre = T_MAX - 70000;
	post = pre + (s64)w;
	at = pre + (s64)((w * (mode & 0xf)) / 15);
	ret = add_read(st, pre, post, (u32)(sim_x(s, at) & USBTS_PRED_MFINDEX_MASK));
	s->now = post;
	/*
	 * The unwrap never picks the wrong one of frames 2^14 apart: when it
	 * cannot be sure, the read starts a new generation.
	 */
	if (ret >= 0 && s->period_ps && !s->frozen) {
		if (ret & USBTS_PRED_NEW_GEN) {
			st->truth = 1;
			st->truth_off = st->pred.last_x - sim_x(s, at);
		} else if (st->truth && st->pred.last_x != sim_x(s, at) + st->truth_off) {
			fail("read of frame %" PRId64 " (truth) unwrapped to %" PRId64
			     ", not %" PRId64, sim_x(s, at), st->pred.last_x,
			     sim_x(s, at) + st->truth_off);
		}
	} else {
		st->truth = 0;
	}
}

/* Anything: times anywhere in the domain, mfindex any u32. */
static void raw_read(struct state *st, struct sim *s, struct in *in)
{
	unsigned int mode = (unsigned int)take(in, 1);
	s64 pre, post;
	u32 mfindex;

	if (mode & 1)
		pre = (s64)(take(in, 8) & (uint64_t)(T_MAX - 1));
	else
		pre = s->now + (s64)(int16_t)take(in, 2);	/* near now, maybe before */
	if (pre < 0)
		pre = 0;
	if (pre >= T_MAX)
		pre = T_MAX - 1;
	post = pre + (s64)(int16_t)take(in, 2);
	if (post < 0 || post >= T_MAX)
		post = pre;
	mfindex = mode & 2 ? (u32)take(in, 4) : (u32)take(in, 2) & USBTS_PRED_MFINDEX_MASK;
	if (add_read(st, pre, post, mfindex) >= 0)
		st->truth = 0;
	if (post > s->now && pre <= post)
		s->now = post;
}

/* time_of() for any x: must be defined, refuse far x, agree with count_at(). */
static void query_x(struct state *st, struct in *in)
{
	const struct usbts_model *m = &st->pred.model;
	unsigned int mode = (unsigned int)take(in, 1);
	s64 x, t;
	u64 acc;
	bool ok;

	if (mode & 1)
		x = (s64)take(in, 8);
	else
		x = (s64)((u64)m->xc + (u64)(s64)(int32_t)take(in, 4));
	TRACE("Q %" PRId64 "\n", x);
	ok = usbts_model_time_of(m, x, &t, &acc);
	if (!m->valid && ok)
		fail("time_of answered without a valid model");
	if (ok && ((x > m->xc && (u64)x - (u64)m->xc > (u64)QUERY_LIMIT) ||
		   (x < m->xc && (u64)m->xc - (u64)x > (u64)QUERY_LIMIT)))
		fail("time_of answered for x %" PRId64 ", over 2^45 from xc %" PRId64, x, m->xc);
}

/* count_at() monotonic within one model, for any two times. */
static void query_pair(struct state *st, struct in *in)
{
	const struct usbts_model *m = &st->pred.model;
	s64 a = (s64)(take(in, 8) & (uint64_t)(T_MAX - 1));
	s64 b = (s64)(take(in, 8) & (uint64_t)(T_MAX - 1));
	s64 xa, xb;

	if (!usbts_model_count_at(m, a, &xa)) {
		if (m->valid)
			fail("count_at refused with a valid model");
		return;
	}
	usbts_model_count_at(m, b, &xb);
	TRACE("# count_at %" PRId64 " -> %" PRId64 ", %" PRId64 " -> %" PRId64 "\n", a, xa, b, xb);
	if ((a < b && xa > xb) || (a > b && xa < xb))
		fail("count_at not monotonic in one model: t %" PRId64 " -> %" PRId64
		     ", t %" PRId64 " -> %" PRId64, a, xa, b, xb);
}

/*
 * A GET: the count now, from the current model.  Query times never go
 * back, nor before the last read; within a generation the count must not
 * go back either.
 */
static void query_now(struct state *st, struct sim *s, struct in *in)
{
	const struct usbts_model *m = &st->pred.model;
	s64 t = s->now + (s64)take(in, 2), x, t0, t1;
	u64 a0, a1;

	if (st->have_query && t < st->q_t)
		t = st->q_t;
	if (t >= T_MAX)
		t = T_MAX - 1;
	if (!m->valid)
		return;
	if (!usbts_model_count_at(m, t, &x))
		fail("count_at refused with a valid model");
	TRACE("# now %" PRId64 ": count_at -> %" PRId64 "\n", t, x);
	/* time_of() refuses frames over 2^45 from the reference, count_at() not */
	if (!usbts_model_time_of(m, x, &t0, &a0))
		a0 = U64_MAX;
	else if (t0 > t)
		fail("time_of(count_at(%" PRId64 ") = %" PRId64 ") = %" PRId64 " is later",
		     t, x, t0);
	if (!usbts_model_time_of(m, x + 1, &t1, &a1))
		a1 = U64_MAX;
	else if (t1 <= t)
		fail("time_of(count_at(%" PRId64 ") + 1 = %" PRId64 ") = %" PRId64
		     " is not later", t, x + 1, t1);
	/* the uAPI states the promise with a0: a1 exceeds it by at most 400 ns */
	if (a0 != U64_MAX && a1 != U64_MAX && a1 > a0 + 400)
		fail("claim %" PRIu64 " ns for frame %" PRId64 " but %" PRIu64
		     " ns for the next", a0, x, a1);
	/*
	 * The uAPI's promise (Generations): a later answer x2 (at t2, claim
	 * a2 for the start of x2 + 1) is behind an earlier one x1 (at t1 <=
	 * t2, claim a1 for the start of x1) by k microframes only if
	 * (k - 1) * PERIOD_MIN <= a1 + a2.  Both claims holding, start(x1) <=
	 * t1 + a1 and start(x2 + 1) > t2 - a2, and the counter takes at
	 * least (k - 1) * PERIOD_MIN from x2 + 1 to x1.  A larger step back
	 * means two of the predictor's claims contradict each other.
	 */
	if (st->have_query && st->q_gen == m->gen && x < st->q_x &&
	    st->q_acc != U64_MAX && a1 != U64_MAX &&
	    (u64)(st->q_x - x - 1) * PERIOD_MIN_NS > st->q_acc + a1)
		fail("count went back in generation %u: %" PRId64 " at t %" PRId64
		     " (claim %" PRIu64 " ns), then %" PRId64 " at t %" PRId64
		     " (claim %" PRIu64 " ns for the next frame)",
		     m->gen, st->q_x, st->q_t, st->q_acc, x, t, a1);
	st->have_query = 1;
	st->q_t = t;
	st->q_gen = m->gen;
	st->q_x = x;
	st->q_acc = a0;
}

/* Disturb the simulated counter: jump, stop, restart, change rate. */
static void sim_disturb(struct state *st, struct sim *s, struct in *in)
{
	unsigned int mode = (unsigned int)take(in, 1);
	s64 x = sim_x(s, s->now);

	TRACE("# counter: %s\n", (const char *[]){ "jump", "stop", "run", "rate" }[mode & 3]);
	if ((mode & 3) != 3)
		st->truth = 0;
	switch (mode & 3) {
	case 0:		/* jump (a reset): count from anywhere */
		s->x0 = (s64)(take(in, 2) & USBTS_PRED_MFINDEX_MASK);
		s->t0 = s->now;
		s->frozen = 0;
		break;
	case 1:		/* stop */
		s->x0 = x;
		s->t0 = s->now;
		s->frozen = 1;
		break;
	case 2:		/* run again */
		s->x0 = x;
		s->t0 = s->now;
		s->frozen = 0;
		break;
	default:	/* another rate within +-600 ppm, continuous */
		s->x0 = x;
		s->t0 = s->now;
		s->period_ps = 125000000 + (s64)(int16_t)take(in, 2) % 75000;
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct state st;
	struct in in = { data, size };
	struct sim s;
	unsigned int ops = 0;

	if (trace < 0)
		trace = getenv("FUZZ_TRACE") != NULL;
	memset(&st, 0, sizeof(st));
	usbts_pred_init(&st.pred);
	s.now = (s64)(take(&in, 5));
	s.t0 = s.now;
	s.x0 = (s64)(take(&in, 2) & USBTS_PRED_MFINDEX_MASK);
	s.period_ps = 125000000 + (s64)(int16_t)take(&in, 2) % 75000;
	s.frozen = 0;

	while (in.n && ops++ < 100000) {
		unsigned int op = (unsigned int)take(&in, 1);

		switch (op % 10) {
		case 0: case 1: case 2: case 3:
			sim_read(&st, &s, &in);
			break;
		case 4:
			raw_read(&st, &s, &in);
			break;
		case 5:
			/* a sampler's burst ends now and then */
			if (op & 0x80)
				usbts_pred_end_burst(&st.pred);
			query_x(&st, &in);
			break;
		case 6:
			query_pair(&st, &in);
			break;
		case 7: case 8:
			query_now(&st, &s, &in);
			break;
		default:
			sim_disturb(&st, &s, &in);
			break;
		}
	}
	return 0;
}
