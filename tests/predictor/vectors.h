/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vectors.h - predictor test vectors shared by the KUnit suite and the
 * userspace test: an integer-only trace generator with known truth, a
 * table of named cases, and a runner that reports what it measured.
 *
 * Include after predictor.h.  Everything here is static: each test file
 * gets its own copy.
 *
 * Truth: the counter is a list of segments.  In segment s the k-th edge
 * (k counted from the segment's first) starts at t_start + k * period, and
 * the counter reads (raw_start + k) mod 2^14.  A frequency step starts a
 * segment that continues the count; a reset restarts it at 0; a stop
 * freezes it and a segment resumes counting afterwards.
 */
#ifndef USBTS_TEST_VECTORS_H
#define USBTS_TEST_VECTORS_H

#define TV_NS_PER_S	1000000000LL
#define TV_MAX_SEGS	32

struct tv_case {
	const char *name;
	s64 t0;			/* first edge */
	u32 raw0;		/* counter at the first edge */
	s32 ppb;		/* frequency offset */
	s32 step_ppb;		/* added at step_at, 0: none */
	s64 step_at;		/* ns after t0 */
	s32 ramp_ppb;		/* added once a second from ramp_at, 0: none */
	s64 ramp_at;		/* ns after t0 */
	u32 ramp_steps;		/* how many seconds the ramp lasts */
	bool far;		/* also ask for frames 1 s and 10 s away */
	s64 reset_at;		/* ns after t0, 0: none */
	s64 stop_at;		/* ns after t0, 0: none */
	s64 stop_ns;
	u32 lat_ns;		/* read latency base */
	u32 jitter_ns;		/* plus up to this */
	u32 outlier_every;	/* every Nth read is preempted 100 us, 0: none */
	s64 burst_every;	/* ns between bursts after the first second */
	u32 singles;		/* single reads between two bursts */
	s64 duration;
	/* expectations */
	u32 gens;		/* generations at the end, 0: one */
	bool new_gen_expected;	/* at least one generation change */
	u32 max_err_ns;		/* |error| after warm-up, 0: not checked */
	s64 warmup_ns;		/* after each generation's first read */
	u32 min_within_pm;	/* answers within accuracy, per mille */
	bool check_unwrap;	/* every read must unwrap to the truth */
	bool past_2_32;		/* the extended count must pass 2^32 */
};

struct tv_seg {
	s64 t_start;
	s64 k_start;		/* count of the segment's first edge */
	u64 period;		/* ns << USBTS_PRED_SHIFT */
	u32 raw_start;		/* counter value of edge k_start */
	s64 t_end;		/* frozen from here (stop), or S64_MAX */
	bool cont;		/* a rate change: continues the previous count */
};

struct tv_trace {
	const struct tv_case *c;
	struct tv_seg seg[TV_MAX_SEGS];
	int nseg;
	u64 rng;
	s64 now;
	u32 reads;
};

struct tv_result {
	u32 reads;
	u32 gens;
	u32 unwrap_errors;
	u32 outside;		/* window edges whose estimate left its bracket */
	u32 queries;
	u32 answered;
	u32 within;
	u32 far_answered;	/* of them, for frames 1 s or more away */
	u32 far_within;
	u64 max_err_ns;		/* after warm-up */
	s64 last_x;
};

static u64 tv_rand(struct tv_trace *tr)
{
	tr->rng ^= tr->rng << 13;
	tr->rng ^= tr->rng >> 7;
	tr->rng ^= tr->rng << 17;
	return tr->rng;
}

static u64 tv_period(s32 ppb)
{
	u64 nominal = (u64)USBTS_PRED_NOMINAL_NS << USBTS_PRED_SHIFT;
	u64 delta = mul_u64_u64_div_u64((u64)(ppb < 0 ? -ppb : ppb),
					nominal, 1000000000ull);

	return ppb < 0 ? nominal - delta : nominal + delta;
}

static s64 tv_edge(const struct tv_seg *s, s64 k)
{
	return s->t_start +
	       (s64)mul_u64_u64_shr((u64)(k - s->k_start), s->period,
				    USBTS_PRED_SHIFT);
}

/* the segment in force at t, and the count there */
static const struct tv_seg *tv_count_at(const struct tv_trace *tr, s64 t,
					s64 *k)
{
	const struct tv_seg *s = &tr->seg[0];
	int i;

	for (i = 1; i < tr->nseg; i++)
		if (t >= tr->seg[i].t_start)
			s = &tr->seg[i];
	if (t > s->t_end)
		t = s->t_end;
	*k = s->k_start + (s64)mul_u64_u64_div_u64((u64)(t - s->t_start),
						   (u64)1 << USBTS_PRED_SHIFT,
						   s->period);
	while (*k > s->k_start && tv_edge(s, *k) > t)
		(*k)--;
	while (tv_edge(s, *k + 1) <= t)
		(*k)++;
	return s;
}

static void tv_defaults(struct tv_case *c)
{
	if (!c->t0)
		c->t0 = 5 * TV_NS_PER_S;
	if (!c->lat_ns && !c->jitter_ns) {
		c->lat_ns = 300;
		c->jitter_ns = 600;
	}
	if (!c->burst_every)
		c->burst_every = TV_NS_PER_S / 10;
	if (!c->duration)
		c->duration = 6 * TV_NS_PER_S;
	if (!c->warmup_ns)
		c->warmup_ns = 2 * TV_NS_PER_S;
	if (!c->gens && !c->new_gen_expected)
		c->gens = 1;
}

/* the rate changes by @ppb at @at: a segment that continues the count */
static void tv_rate_change(struct tv_trace *tr, s64 at, s32 ppb)
{
	struct tv_seg *s = &tr->seg[tr->nseg - 1], *n;
	s64 k;

	if (tr->nseg >= TV_MAX_SEGS)
		return;
	tv_count_at(tr, at, &k);
	n = &tr->seg[tr->nseg++];
	*n = *s;
	n->k_start = k + 1;
	n->raw_start = s->raw_start + (u32)(k + 1 - s->k_start);
	n->t_start = tv_edge(s, k + 1);
	n->period = tv_period(ppb);
	n->cont = true;
}

static void tv_init(struct tv_trace *tr, const struct tv_case *c)
{
	struct tv_seg *s;

	memset(tr, 0, sizeof(*tr));
	tr->c = c;
	tr->rng = 0x9e3779b97f4a7c15ull ^ (u64)c->ppb;
	s = &tr->seg[tr->nseg++];
	s->t_start = c->t0;
	s->period = tv_period(c->ppb);
	s->raw_start = c->raw0;
	s->t_end = S64_MAX;
	if (c->step_ppb)
		tv_rate_change(tr, c->t0 + c->step_at, c->ppb + c->step_ppb);
	if (c->ramp_ppb) {
		u32 i;

		for (i = 1; i <= c->ramp_steps; i++)
			tv_rate_change(tr, c->t0 + c->ramp_at + (s64)(i - 1) * TV_NS_PER_S,
				       c->ppb + (s32)i * c->ramp_ppb);
	}
	if (c->reset_at) {
		struct tv_seg *n = &tr->seg[tr->nseg++];

		*n = tr->seg[tr->nseg - 2];
		n->t_start = c->t0 + c->reset_at;
		n->k_start = 0;
		n->raw_start = 0;
	}
	if (c->stop_at) {
		struct tv_seg *n;
		s64 k;

		tv_count_at(tr, c->t0 + c->stop_at, &k);
		tr->seg[tr->nseg - 1].t_end = c->t0 + c->stop_at;
		n = &tr->seg[tr->nseg++];
		*n = tr->seg[tr->nseg - 2];
		n->t_end = S64_MAX;
		n->t_start = c->t0 + c->stop_at + c->stop_ns;
		n->k_start = k + 1;
		n->raw_start = tr->seg[tr->nseg - 2].raw_start +
			       (u32)(k + 1 - tr->seg[tr->nseg - 2].k_start);
	}
	tr->now = c->t0 + 1000;
}

/* one sandwiched read starting now */
static void tv_read(struct tv_trace *tr, s64 *pre, s64 *post, u32 *raw,
		    const struct tv_seg **seg, s64 *k)
{
	const struct tv_case *c = tr->c;
	s64 lat = c->lat_ns + (s64)(tv_rand(tr) % (c->jitter_ns + 1));
	s64 before = (s64)(tv_rand(tr) % (u64)(lat + 1)), after = lat - before;

	tr->reads++;
	if (c->outlier_every && tr->reads % c->outlier_every == 0) {
		if (tv_rand(tr) & 1)
			before += 100000;
		else
			after += 100000;
	}
	*pre = tr->now;
	*seg = tv_count_at(tr, tr->now + before, k);
	*raw = ((*seg)->raw_start + (u32)(*k - (*seg)->k_start)) &
	       USBTS_PRED_MFINDEX_MASK;
	*post = tr->now + before + after;
	tr->now = *post + 20;
}

struct tv_state {
	struct tv_case c;
	struct usbts_pred p;
	struct tv_trace tr;
	struct tv_result res;
	const struct tv_seg *gen_seg;
	s64 gen_off;
	s64 gen_t;
};

/* @seg is the generation's segment, or continues it through rate changes */
static bool tv_in_gen(const struct tv_state *st, const struct tv_seg *seg)
{
	while (seg != st->gen_seg && seg->cont)
		seg--;
	return seg == st->gen_seg;
}

static int tv_feed(struct tv_state *st, s64 pre, s64 post, u32 raw,
		   const struct tv_seg *seg, s64 k)
{
	int ret = usbts_pred_add_read(&st->p, pre, post, raw);

	st->res.reads++;
	if (ret > 0 && (ret & USBTS_PRED_NEW_EDGE) && st->p.count) {
		const struct usbts_pred_edge *e =
			&st->p.edges[(st->p.first + st->p.count - 1) % USBTS_PRED_EDGES];

		if (e->mid < e->lo || e->mid > e->hi)
			st->res.outside++;
	}
	if (ret > 0 && (ret & USBTS_PRED_NEW_GEN)) {
		st->gen_seg = seg;
		st->gen_off = (s64)raw - k;
		st->gen_t = pre;
		st->res.gens++;
	} else if (tv_in_gen(st, seg) && st->p.last_x != k + st->gen_off) {
		st->res.unwrap_errors++;
	}
	st->res.last_x = st->p.last_x;
	return ret;
}

/*
 * The segment whose count holds edge @k, following rate changes from @seg
 * either way; NULL when @k lies beyond a reset or a stop.
 */
static const struct tv_seg *tv_seg_of(const struct tv_trace *tr,
				      const struct tv_seg *seg, s64 k)
{
	while (k < seg->k_start) {
		if (!seg->cont)
			return NULL;
		seg--;
	}
	while (seg + 1 < tr->seg + tr->nseg && (seg + 1)->cont &&
	       k >= (seg + 1)->k_start)
		seg++;
	if (seg + 1 < tr->seg + tr->nseg && !(seg + 1)->cont &&
	    tv_edge(seg, k) >= (seg + 1)->t_start)
		return NULL;
	return seg;
}

/* ask for microframe k + dk as if at time t */
static void tv_query(struct tv_state *st, s64 t, s64 dk)
{
	const struct tv_seg *seg, *s0;
	s64 k, pt;
	u64 acc, err;
	s64 truth;

	seg = tv_count_at(&st->tr, t, &k);
	if (t >= seg->t_end)
		return;
	/* the generation began in this segment or in one it continues */
	if (!tv_in_gen(st, seg))
		return;
	k += dk;
	/*
	 * A frame past a rate change later than the model's newest edge
	 * cannot be foreseen: no model knows the rate it will have.  Those
	 * are not asked.
	 */
	s0 = tv_count_at(&st->tr, st->p.model.tc, &pt);
	seg = tv_seg_of(&st->tr, seg, k);
	if (!seg || k < st->gen_seg->k_start || seg > s0)
		return;
	truth = tv_edge(seg, k);
	st->res.queries++;
	if (!usbts_model_time_of(&st->p.model, k + st->gen_off, &pt, &acc))
		return;
	st->res.answered++;
	err = pt > truth ? (u64)(pt - truth) : (u64)(truth - pt);
	if (err <= acc)
		st->res.within++;
	if (dk >= 8000 || dk <= -8000) {
		st->res.far_answered++;
		if (err <= acc)
			st->res.far_within++;
	}
	if (dk == 0 && t - st->gen_t >= st->tr.c->warmup_ns &&
	    err > st->res.max_err_ns)
		st->res.max_err_ns = err;
}

/*
 * Run one case.  Bursts read back to back until a value change and two more
 * reads; they come every 10 ms in the first second, then every burst_every,
 * with @singles evenly spaced single reads in between.
 */
static void tv_run(struct tv_state *st, const struct tv_case *tc)
{
	const struct tv_case *c = &st->c;
	s64 end, next_burst;

	memset(st, 0, sizeof(*st));
	st->c = *tc;
	tv_defaults(&st->c);
	end = c->t0 + c->duration;
	usbts_pred_init(&st->p);
	tv_init(&st->tr, c);
	next_burst = st->tr.now;
	while (next_burst < end) {
		s64 pre, post, k, gap;
		const struct tv_seg *seg;
		u32 raw, first = 0, edges;
		int n, after = -1;
		u32 i;

		st->tr.now = next_burst;
		for (n = 0, edges = 0; n < 2000 && after != 0; n++) {
			int ret;

			tv_read(&st->tr, &pre, &post, &raw, &seg, &k);
			ret = tv_feed(st, pre, post, raw, seg, k);
			if (n == 0) {
				first = raw;
			} else if (after < 0 && raw != first) {
				after = 2;
				/*
				 * As the module's burst(): on past a wide edge,
				 * and on for the edges the predictor asks for.
				 */
				if (ret > 0 && (ret & USBTS_PRED_NEW_EDGE) &&
				    (!(ret & USBTS_PRED_GOOD_EDGE) ||
				     ++edges < usbts_pred_edges_wanted(&st->p))) {
					after = -1;
					first = raw;
				}
			} else if (after > 0) {
				after--;
			}
		}
		tv_query(st, post + 1000, 0);
		tv_query(st, post + 1000, -800);
		tv_query(st, post + 1000, 8000);
		if (c->far) {
			tv_query(st, post + 1000, -8000);
			tv_query(st, post + 1000, 80000);
			tv_query(st, post + 1000, -80000);
		}
		gap = next_burst - c->t0 < TV_NS_PER_S ? 10000000 : c->burst_every;
		for (i = 1; i <= c->singles && gap == c->burst_every; i++) {
			st->tr.now = next_burst + gap * i / (c->singles + 1);
			tv_read(&st->tr, &pre, &post, &raw, &seg, &k);
			tv_feed(st, pre, post, raw, seg, k);
			tv_query(st, post + 1000, 0);
		}
		next_burst += gap;
	}
}

/*
 * Extreme frames against a converged model (run a case first): every frame
 * either answers or is refused, answers iff it lies within 2^45 microframes
 * of the model's reference, from the generation's first microframe answered
 * for (usbts_model.x0), and its
 * time fits, claims grow with distance,
 * and time_of() and count_at() agree.  Returns the number of failed checks
 * and names the first in *@what.  Built with UBSan in userspace, any
 * overflow on the way aborts the test.
 */
static u32 tv_extremes(const struct usbts_model *m, const char **what)
{
	static const s64 off[] = {
		0, 1, -1, 8000, -8000, 80000, -80000, (s64)1 << 32, -((s64)1 << 32),
		((s64)1 << 45) - 1, (s64)1 << 45, ((s64)1 << 45) + 1,
		-((s64)1 << 45), -((s64)1 << 45) - 1,
	};
	static const s64 abs_x[] = { S64_MIN, S64_MIN + 1, -1, 0, S64_MAX - 1, S64_MAX };
	static const u32 low[] = { 0, 1, 0x7fffffff, 0x80000000, 0xffffffff };
	u64 acc, prev_acc = 0;
	s64 t, x, back;
	u32 bad = 0, i, j;

#define TV_BAD(msg) do { if (!bad++) *what = (msg); } while (0)
	*what = "";
	/* the generation's first microframe answered for is ... */
	if (!usbts_model_time_of(m, m->x0, &t, &acc))
		TV_BAD("no answer for the first microframe answered for");
	/* ... the one before it not */
	if (usbts_model_time_of(m, m->x0 - 1, &t, &acc))
		TV_BAD("an answer for a microframe before the first answered for");
	for (i = 0; i < ARRAY_SIZE(off); i++) {
		bool ok = usbts_model_time_of(m, m->xc + off[i], &t, &acc);
		bool near = off[i] <= ((s64)1 << 45) && off[i] >= -((s64)1 << 45) &&
			    m->xc + off[i] >= m->x0;

		if (ok != near)
			TV_BAD("answered iff within 2^45 microframes, from the first read's frame");
		if (!ok)
			continue;
		if (!usbts_model_count_at(m, t, &back) || back != m->xc + off[i])
			TV_BAD("count_at(time_of(x)) != x");
		if (off[i] >= 0 && off[i] <= ((s64)1 << 32)) {
			if (acc < prev_acc)
				TV_BAD("the claim shrank with distance");
			prev_acc = acc;
		}
	}
	for (i = 0; i < ARRAY_SIZE(abs_x); i++) {
		if (usbts_model_time_of(m, abs_x[i], &t, &acc) &&
		    (abs_x[i] - m->xc > ((s64)1 << 45) || m->xc - abs_x[i] > ((s64)1 << 45)))
			TV_BAD("answered a frame beyond 2^45 microframes");
		usbts_model_count_at(m, abs_x[i], &x);
	}
	/* 32-bit frame numbers around the reference, as a caller might pass */
	for (j = 0; j < 3; j++) {
		s64 base = (m->xc & ~(s64)0xffffffff) + ((s64)j - 1) * ((s64)1 << 32);

		for (i = 0; i < ARRAY_SIZE(low); i++) {
			x = base + low[i];
			if (usbts_model_time_of(m, x, &t, &acc) &&
			    (!usbts_model_count_at(m, t, &back) || back != x))
				TV_BAD("32-bit frame: count_at(time_of(x)) != x");
		}
	}
#undef TV_BAD
	return bad;
}

/*
 * usbts_model_horizon(): the claim a microframe before the horizon is
 * within @want, and one 1% past it is not.  Returns false on a failure.
 */
static bool tv_horizon_ok(const struct usbts_model *m, u64 want)
{
	u64 h = usbts_model_horizon(m, want), acc;
	s64 d = (s64)div64_u64(h, USBTS_PRED_NOMINAL_NS), t;

	if (!h || d < 2)
		return false;
	if (!usbts_model_time_of(m, m->xc + d - 1, &t, &acc) || acc > want)
		return false;
	if (!usbts_model_time_of(m, m->xc + d + d / 100 + 2, &t, &acc) || acc <= want)
		return false;
	return usbts_model_horizon(m, 1) == 0;
}

/*
 * Two reads no counter within 600 ppm of nominal can produce: 62 us apart,
 * 1194 microframes apart.  The model (one edge, 250 s before) is unsure by
 * about 150 ms there, so the second read misses no claim; it must start a
 * new generation all the same, not be numbered as if the counter had run.
 * Returns NULL when it does, else what went wrong.
 */
static const char *tv_impossible_read(void)
{
	static struct usbts_pred p;
	const s64 t = 1000000000LL, gap = 250 * 1000000000LL;
	const u32 raw = (101 + 2000000) & USBTS_PRED_MFINDEX_MASK;
	int ret;

	usbts_pred_init(&p);
	usbts_pred_add_read(&p, t, t + 300, 100);
	ret = usbts_pred_add_read(&p, t + 50000, t + 50300, 101);
	if (ret < 0 || !(ret & USBTS_PRED_NEW_EDGE) || !p.model.valid)
		return "no model from the first edge";
	ret = usbts_pred_add_read(&p, t + gap, t + gap + 300, raw);
	if (ret < 0 || (ret & USBTS_PRED_NEW_GEN) || p.last_x != 101 + 2000000)
		return "a read that fits the model 250 s out was not numbered on";
	ret = usbts_pred_add_read(&p, t + gap + 62000, t + gap + 62300,
				  (raw + 1194) & USBTS_PRED_MFINDEX_MASK);
	if (ret < 0 || !(ret & USBTS_PRED_NEW_GEN))
		return "a read 1194 frames on after 62 us kept the generation";
	return NULL;
}

/*
 * A burst of reads of @len ns each, back to back, from @t, on a counter
 * whose edges fall exactly every 125 us from 0, each read sampling in its
 * middle; it reads until @edges edges have passed.  Returns the time after.
 */
static s64 tv_burst(struct usbts_pred *p, s64 t, s64 len, u32 edges)
{
	u32 seen = 0, last = ~0u;

	while (seen < edges) {
		u32 v = (u32)div64_s64(t + len / 2, USBTS_PRED_NOMINAL_NS) &
			USBTS_PRED_MFINDEX_MASK;

		usbts_pred_add_read(p, t, t + len, v);
		if (last != ~0u && v != last)
			seen++;
		last = v;
		t += len + 20;
	}
	return t;
}

/*
 * Slow reads (30 us) learn little from one edge: the predictor asks for
 * USBTS_PRED_BURST_EDGES a burst, and merges a burst's edges into one slot
 * of the window, which gets narrower; fast reads (500 ns) are asked for
 * one.  Returns NULL when so, else what went wrong.
 */
static const char *tv_burst_merge(void)
{
	static struct usbts_pred p;
	const struct usbts_pred_edge *n;
	s64 t = TV_NS_PER_S;
	u32 i, count;
	u64 w;

	usbts_pred_init(&p);
	for (i = 0; i < 20; i++)
		t = tv_burst(&p, t + 100 * 1000000LL, 500, 1);
	if (!p.model.valid || usbts_pred_edges_wanted(&p) != 1)
		return "fast reads: not one edge a burst";

	usbts_pred_init(&p);
	t = TV_NS_PER_S;
	for (i = 0; i < 20; i++)
		t = tv_burst(&p, t + 100 * 1000000LL, 30000, 1);
	if (!p.model.valid || usbts_pred_edges_wanted(&p) != USBTS_PRED_BURST_EDGES)
		return "slow reads: not USBTS_PRED_BURST_EDGES a burst";
	count = p.count;
	w = p.edges[(p.first + count - 1) % USBTS_PRED_EDGES].w;
	tv_burst(&p, t + 100 * 1000000LL, 30000, USBTS_PRED_BURST_EDGES);
	n = &p.edges[(p.first + p.count - 1) % USBTS_PRED_EDGES];
	if (p.count != count + 1)
		return "a burst's edges took more than one slot";
	if (n->n != USBTS_PRED_BURST_EDGES || n->w * 2 > w)
		return "a burst's edges were not merged into a narrower one";
	return NULL;
}

/*
 * A read nested in the one before (which no sampler makes, but a replayed
 * trace may): the edge's estimate still lies in its bracket, (0, 20].
 * Returns NULL when it does, else what went wrong.
 */
static const char *tv_nested_read(void)
{
	static struct usbts_pred p;
	s64 t;
	u64 acc;

	usbts_pred_init(&p);
	usbts_pred_add_read(&p, 0, 2040000000LL, 100);
	if (!(usbts_pred_add_read(&p, 10, 20, 101) & USBTS_PRED_NEW_EDGE))
		return "no edge from the nested read";
	if (!usbts_model_time_of(&p.model, 101, &t, &acc))
		return "no answer after the edge";
	if (t < 0 || t > 20)
		return "the edge's estimate left its bracket";
	return NULL;
}

/*
 * A counter that stops in the middle of microframe 1237 (frame 154, whose
 * start is 1232) and moves again half a second later: microframes up to
 * the first read after it (1238) began before the stop, or at a moment
 * nobody saw, and must not be answered for in the new generation; those
 * after it are.  Returns NULL when so, else what went wrong.
 */
static const char *tv_resumed_counter(void)
{
	static struct usbts_pred p;
	const s64 per = USBTS_PRED_NOMINAL_NS, stop = 1237 * per + 40000;
	s64 t, tt;
	u64 acc;
	u32 v;

	usbts_pred_init(&p);
	/* running: bursts every 10 ms until the stop */
	for (t = 1000 * per; t + 400 < stop; t += 500) {
		v = (u32)div64_s64(t + 200, per);
		usbts_pred_add_read(&p, t, t + 400, v & USBTS_PRED_MFINDEX_MASK);
	}
	/* stopped at 1237 for 0.5 s, read now and then */
	for (t = stop + 1000; t < stop + 500000000LL; t += 10000000LL)
		usbts_pred_add_read(&p, t, t + 400, 1237);
	/* moving again: 1238 from the resume on */
	for (tt = 0; tt < 20 * per; tt += 500) {
		v = 1238 + (u32)div64_s64(tt, per);
		usbts_pred_add_read(&p, t + tt, t + tt + 400, v & USBTS_PRED_MFINDEX_MASK);
	}
	if (!p.model.valid)
		return "no model after the counter moved again";
	for (v = 1232; v <= 1238; v++)
		if (usbts_model_time_of(&p.model, v, &tt, &acc))
			return "an answer for a microframe up to the first read after the stop";
	if (!usbts_model_time_of(&p.model, 1240, &tt, &acc))
		return "no answer after the counter moved again";
	return NULL;
}

/*
 * A counter at nominal rate up to microframe 48000 (6 s), 0.2 ppm slow
 * after: where microframe @k starts, and which one runs at @t.
 */
#define TV_WARP_K1	48000
static s64 tv_warp_edge(s64 k)
{
	const s64 per = USBTS_PRED_NOMINAL_NS;

	if (k <= TV_WARP_K1)
		return k * per;
	return TV_WARP_K1 * per + div64_s64((k - TV_WARP_K1) * 125000025LL, 1000);
}

static u32 tv_warp_frame(s64 t)
{
	s64 k = div64_s64(t, USBTS_PRED_NOMINAL_NS);

	while (tv_warp_edge(k) > t)
		k--;
	while (tv_warp_edge(k + 1) <= t)
		k++;
	return (u32)k & USBTS_PRED_MFINDEX_MASK;
}

/* 500 ns reads from @t, sampling in their middle, until an edge passed */
static s64 tv_warp_reads(struct usbts_pred *p, s64 t)
{
	u32 first = tv_warp_frame(t + 250), v;

	do {
		v = tv_warp_frame(t + 250);
		usbts_pred_add_read(p, t, t + 500, v);
		t += 520;
	} while (v == first);
	usbts_pred_add_read(p, t, t + 500, tv_warp_frame(t + 250));
	return t + 520;
}

/*
 * 10 s after a converged model, the clock's rate has moved 0.2 ppm.  A
 * burst whose first edge a preempted read brackets only roughly (100 us)
 * reads on to the next: the far prediction that good edge tests must teach
 * the wander estimate what it teaches without the rough edge, rather than
 * look 125 us near.  @rough: begin with the rough edge.  Returns the wander
 * allowance after the burst, 0 on a setup failure.
 */
static u64 tv_far_after_rough(bool rough)
{
	static struct usbts_pred p;
	const s64 e = tv_warp_edge(TV_WARP_K1 + 80000);
	s64 t;

	usbts_pred_init(&p);
	for (t = TV_NS_PER_S; t < 6 * TV_NS_PER_S - 1000000; t += 100000000LL)
		tv_warp_reads(&p, t);
	if (!p.model.valid)
		return 0;
	if (rough) {
		usbts_pred_add_read(&p, e - 40520, e - 40020, tv_warp_frame(e - 40270));
		usbts_pred_add_read(&p, e - 40000, e + 60000, tv_warp_frame(e + 10000));
	}
	tv_warp_reads(&p, e + 60020);
	return p.model.wander;
}

/*
 * Returns NULL when a rough first edge hides nothing of the far miss, else
 * what went wrong.
 */
static const char *tv_rough_first_edge(void)
{
	u64 plain = tv_far_after_rough(false), rough = tv_far_after_rough(true);

	if (!plain || !rough)
		return "no model after the first bursts";
	if (rough * 4 < plain * 3)
		return "a rough first edge hid the far prediction's miss";
	return NULL;
}

/*
 * A generation's first burst reads six edges in a row (merged into one
 * slot): its model has no rate to speak of, and a claim that says so.  Ten
 * seconds later, on a clock 40 ppm off nominal, its prediction misses by
 * 400 us, well within that claim: the miss is the model's own spread, not
 * the clock's wander, and must not make the wander estimate claim 120 ppm
 * for minutes (it did, after a change point had cut the window down to one
 * burst).  Returns the wander allowance after the second burst in *@w;
 * false on a setup failure.
 */
static bool tv_wander_after_first_burst(u64 *w)
{
	static struct usbts_pred p;
	const s64 per = 124995;	/* 40 ppm fast, ns */
	s64 t = TV_NS_PER_S, end;
	u32 k;

	usbts_pred_init(&p);
	for (end = t + 6 * per; t < end; t += 520) {
		k = (u32)div64_s64(t + 250, per);
		usbts_pred_add_read(&p, t, t + 500, k & USBTS_PRED_MFINDEX_MASK);
	}
	if (!p.model.valid)
		return false;
	for (t = 11 * TV_NS_PER_S, end = t + 3 * per; t < end; t += 520) {
		k = (u32)div64_s64(t + 250, per);
		usbts_pred_add_read(&p, t, t + 500, k & USBTS_PRED_MFINDEX_MASK);
	}
	*w = p.model.wander;
	return p.model.valid && p.model.gen == 1 && p.count == 2;
}

/* Returns NULL when a single burst's far miss is not taken for wander. */
static const char *tv_single_burst_model(void)
{
	u64 w;

	if (!tv_wander_after_first_burst(&w))
		return "not one model of two bursts";
	/* 1 ppm: 0.125 ns a microframe */
	if (w > ((u64)1 << USBTS_PRED_SHIFT) / 8)
		return "a single burst's model made its own spread pass for wander";
	return NULL;
}

/*
 * A slow sampler (30 us reads) on a counter whose edges fall exactly every
 * 125 us from @late ns: each read samples at a random instant within it
 * (from *@rng).  Reads from @t until @edges edges have passed, or until the
 * first did when @stop_first; returns the time after.
 */
static s64 tv_slow_burst_late(struct usbts_pred *p, u64 *rng, s64 t, u32 edges,
			      bool stop_first, s64 late)
{
	const s64 len = 30000;
	u32 seen = 0, last = ~0u, v;

	while (seen < edges) {
		*rng ^= *rng << 13;
		*rng ^= *rng >> 7;
		*rng ^= *rng << 17;
		v = (u32)div64_s64(t + (s64)(*rng % (u64)len) - late, USBTS_PRED_NOMINAL_NS);
		usbts_pred_add_read(p, t, t + len, v & USBTS_PRED_MFINDEX_MASK);
		if (last != ~0u && v != last) {
			seen++;
			if (stop_first)
				break;
		}
		last = v;
		t += len + 20;
	}
	return t;
}

static s64 tv_slow_burst(struct usbts_pred *p, u64 *rng, s64 t, u32 edges, bool stop_first)
{
	return tv_slow_burst_late(p, rng, t, edges, stop_first, 0);
}

/* @n slow bursts 1.2 s (and a random part of a microframe) apart */
static s64 tv_slow_bursts(struct usbts_pred *p, u64 *rng, s64 t, u32 n)
{
	u32 i;

	for (i = 0; i < n; i++) {
		t += 1200 * 1000000LL + (s64)(*rng % USBTS_PRED_NOMINAL_NS);
		t = tv_slow_burst(p, rng, t, usbts_pred_edges_wanted(p), false);
	}
	return t;
}

/*
 * A slow burst's first edge opens a slot whose estimate is judged once,
 * when the edges the burst was asked for have merged into it: the first
 * edge alone, bracketed to 60 us, must not teach the rate error its own
 * noise.  Returns NULL when so, else what went wrong.
 */
static const char *tv_slot_judged_merged(void)
{
	static struct usbts_pred p;
	u64 rng = 0x9e3779b97f4a7c15ull;
	s64 t, e2, d2;

	usbts_pred_init(&p);
	t = tv_slow_bursts(&p, &rng, 0, 40);
	if (!p.model.valid || usbts_pred_edges_wanted(&p) != USBTS_PRED_BURST_EDGES)
		return "no slow model asking for a burst of edges";
	e2 = p.est.rate_e2;
	d2 = p.est.rate_d2;
	t = tv_slow_burst(&p, &rng, t + 1200 * 1000000LL, 1, true);
	if (!p.test.pending || p.est.rate_e2 != e2 || p.est.rate_d2 != d2)
		return "the burst's first edge was judged alone";
	tv_slow_burst(&p, &rng, t, USBTS_PRED_BURST_EDGES - 1, false);
	if (p.test.pending || p.est.rate_d2 == d2)
		return "the merged slot was not judged";
	return NULL;
}

/*
 * A slot of one roughly bracketed edge, whose estimate its bracket puts
 * 28 us from the truth, is judged when the next slot opens: the rate
 * error, which the merged slots before put at a fraction of that, must not
 * take it in at full weight.  Returns NULL when so, else what went wrong.
 */
static const char *tv_rough_slot_weighed(void)
{
	static struct usbts_pred p;
	u64 rng = 0x2545f4914f6cdd1dull;
	s64 t, e, e2;
	u32 k;

	usbts_pred_init(&p);
	t = tv_slow_bursts(&p, &rng, 0, 60);
	if (!p.model.valid || p.est.rate_n < 32)
		return "no rate error from the slow bursts";
	e2 = p.est.rate_e2;
	/* the edge 2 us into a bracket of 60 us: the reads' midpoints 28 us on */
	k = (u32)div64_s64(t + 1200 * 1000000LL, USBTS_PRED_NOMINAL_NS) + 1;
	e = (s64)k * USBTS_PRED_NOMINAL_NS;
	usbts_pred_add_read(&p, e - 2000, e + 28000, (k - 1) & USBTS_PRED_MFINDEX_MASK);
	usbts_pred_add_read(&p, e + 28020, e + 58020, k & USBTS_PRED_MFINDEX_MASK);
	/* the next burst closes that slot */
	tv_slow_bursts(&p, &rng, e + 58040, 1);
	/*
	 * At full weight, (28 us)^2 less the edge's own variance (about
	 * (12 us)^2) over 32 would add some 20 ms^2 to the running mean.
	 */
	if (p.est.rate_e2 - e2 > 2000000)
		return "a rough single edge held the rate error up";
	return NULL;
}

/*
 * Five minutes of slow bursts 1.2 s apart on a perfect clock: every answer
 * holds, and the window is kept short enough that the widening of its
 * brackets for curvature stays within a few times the newest slot's own
 * spread, rather than growing with the window's span to hundreds of
 * microseconds.  Returns NULL when so, else what went wrong.
 */
static const char *tv_slow_window_slack(void)
{
	static struct usbts_pred p;
	const struct usbts_pred_edge *n;
	u64 rng = 0x853c49e6748fea9bull, acc, sum = 0, q = 0;
	s64 t = 0, tt, x;
	u32 i;

	usbts_pred_init(&p);
	for (i = 0; i < 250; i++) {
		t = tv_slow_bursts(&p, &rng, t, 1);
		if (!p.model.valid)
			continue;
		n = &p.edges[(p.first + p.count - 1) % USBTS_PRED_EDGES];
		if (i >= 40 && (u64)p.slack > 8 * n->w + 64)
			return "the window's curvature widening outgrew its newest slot";
		for (x = p.model.xc; x < p.model.xc + 9600; x += 997) {
			if (!usbts_model_time_of(&p.model, x, &tt, &acc))
				return "no answer from a valid model";
			if (tt - x * USBTS_PRED_NOMINAL_NS > (s64)acc ||
			    x * USBTS_PRED_NOMINAL_NS - tt > (s64)acc)
				return "an answer outside its claim";
			if (i >= 40) {
				sum += acc;
				q++;
			}
		}
	}
	if (!q || sum / q > 100000)
		return "the claims did not stay within 100 us";
	return NULL;
}

/*
 * A slow burst cut short (its time budget spent before the edges it was
 * asked for had passed) is judged when the sampler ends it, not a burst
 * later, and the published wander allowance takes that in at once: a
 * counter found 10 us late raises it.  Returns NULL when so, else what
 * went wrong.
 */
static const char *tv_short_burst_judged(void)
{
	static struct usbts_pred p;
	u64 rng = 0x6a09e667f3bcc909ull, w;
	s64 t, d2;

	usbts_pred_init(&p);
	t = tv_slow_bursts(&p, &rng, 0, 40);
	if (!p.model.valid || usbts_pred_edges_wanted(&p) != USBTS_PRED_BURST_EDGES)
		return "no slow model asking for a burst of edges";
	d2 = p.est.rate_d2;
	tv_slow_burst(&p, &rng, t + 1200 * 1000000LL, USBTS_PRED_BURST_EDGES / 2, false);
	if (!p.test.pending || p.est.rate_d2 != d2)
		return "half a burst's slot was judged before the burst ended";
	usbts_pred_end_burst(&p);
	if (p.test.pending || p.est.rate_d2 == d2)
		return "the end of the burst did not judge its slot";

	/* the same, on a counter 10 us late: what the slot teaches shows */
	usbts_pred_init(&p);
	rng = 0x6a09e667f3bcc909ull;
	t = tv_slow_bursts(&p, &rng, 0, 40);
	tv_slow_burst_late(&p, &rng, t + 1200 * 1000000LL, USBTS_PRED_BURST_EDGES / 2, false,
			   10000);
	w = p.model.wander;
	usbts_pred_end_burst(&p);
	if (p.model.wander <= w)
		return "the end of a late burst did not raise the published wander";
	return NULL;
}

/*
 * A counter at nominal rate up to microframe 480000 (60 s), 2 ppm slow
 * after: where microframe @k starts.
 */
#define TV_STEP_K1	480000LL
/*
 * What a frame before the step may claim: the reach covers the 2 ppm step
 * over the whole distance back (about 5 ms half an hour on), but not the
 * widest reach there is (1.5 s).
 */
#define TV_PAST_CLAIM_MAX	(20 * 1000000LL)
static s64 tv_step_edge(s64 k)
{
	if (k <= TV_STEP_K1)
		return k * USBTS_PRED_NOMINAL_NS;
	return k * USBTS_PRED_NOMINAL_NS + div64_s64((k - TV_STEP_K1) * 125 * 2000, 1000000);
}

/*
 * Half an hour of 500 ns reads once a second across that step: the window
 * fills and loses its oldest quarter again and again after the change,
 * each time on the new rate.  Frames from before the step, far older than
 * the window, must still be answered within their claim: the allowance
 * for the time before the window covers every rate it replaced, not only
 * the newest (without that, 9 of these 12 frames missed by up to 108 us).
 * Returns NULL when so, else what went wrong.
 */
static const char *tv_past_across_step(void)
{
	static struct usbts_pred p;
	s64 t, k, tt, j, s;
	u64 acc;
	u32 answered = 0;

	usbts_pred_init(&p);
	for (t = TV_NS_PER_S / 2; t < 1800 * TV_NS_PER_S; t += TV_NS_PER_S) {
		/* from 3 us before the next edge until the frame changed */
		j = div64_s64(t, USBTS_PRED_NOMINAL_NS) + 1;
		for (s = tv_step_edge(j) - 3000, k = -1;; s += 520) {
			j = div64_s64(s + 250, USBTS_PRED_NOMINAL_NS) + 2;
			while (tv_step_edge(j) > s + 250)
				j--;
			usbts_pred_add_read(&p, s, s + 500, (u32)j & USBTS_PRED_MFINDEX_MASK);
			if (k >= 0 && j != k)
				break;
			k = j;
		}
	}
	if (!p.model.valid || p.model.gen != 1 || p.model.xb < TV_STEP_K1 + 8000)
		return "no model of one generation on the new rate alone";
	for (k = 8000; k < TV_STEP_K1; k += 39999) {
		if (!usbts_model_time_of(&p.model, k, &tt, &acc))
			continue;
		answered++;
		if (tt - tv_step_edge(k) > (s64)acc || tv_step_edge(k) - tt > (s64)acc)
			return "a frame before the step was answered outside its claim";
		if (acc > TV_PAST_CLAIM_MAX)
			return "a frame before the step was claimed wider than the step explains";
	}
	if (!answered)
		return "no frame before the step was answered";
	return NULL;
}

/*
 * The converged sampler's interval (usbts_model_next_interval()): without a
 * need it grows by a quarter a burst to USBTS_MAX_INTERVAL_MS; a need ends
 * it where the claim would pass the need, never sooner than
 * USBTS_NEED_MIN_MS, never beyond the growth.  Returns NULL when so, else
 * what went wrong.
 */
static const char *tv_next_interval(void)
{
	/* claim 1000 ns at the edge, growing by 100 ns a second either way */
	struct usbts_model m = {
		.valid = 1, .gen = 1, .xc = 8000, .tc = TV_NS_PER_S,
		.period = (u64)USBTS_PRED_NOMINAL_NS << USBTS_PRED_SHIFT,
		.below_c = 1000, .above_c = 1000,
		.below_slope = ((u64)1 << USBTS_PRED_SHIFT) * 100 / 8000,
		.above_slope = ((u64)1 << USBTS_PRED_SHIFT) * 100 / 8000,
	};
	const s64 now = m.tc + 2 * TV_NS_PER_S;
	u32 ms = 100, next, i;
	bool limited;

	for (i = 0; i < 40; i++) {
		next = usbts_model_next_interval(&m, ms, 0, now, &limited);
		if (next > ms + ms / 4 || next > USBTS_MAX_INTERVAL_MS ||
		    (next < ms + ms / 4 && !limited))
			return "without a need the interval does not grow by a quarter";
		ms = next;
	}
	/*
	 * The default need, twice the claim at the edge (1001 ns): 2002 ns
	 * lasts 10 s past the edge, 8 s from now, aimed an eighth early
	 */
	if (!limited || ms < 6950 || ms > 7050)
		return "without a need the interval does not end before the claim doubles";
	/* a steady clock (1 ns a second) sleeps the longest */
	m.below_slope = ((u64)1 << USBTS_PRED_SHIFT) / 8000;
	m.above_slope = m.below_slope;
	for (ms = 100, i = 0; i < 40; i++)
		ms = usbts_model_next_interval(&m, ms, 0, now, &limited);
	if (limited || ms != USBTS_MAX_INTERVAL_MS)
		return "without a need a steady clock's interval does not reach its maximum";
	m.below_slope = ((u64)1 << USBTS_PRED_SHIFT) * 100 / 8000;
	m.above_slope = m.below_slope;
	/* no model: the growth alone */
	m.valid = 0;
	ms = usbts_model_next_interval(&m, 1000, 0, now, &limited);
	m.valid = 1;
	if (limited || ms != 1250)
		return "without a need or a model the interval does not grow by a quarter";
	/* 1800 ns lasts 8 s past the edge: 6 s from now, aimed an eighth early */
	ms = usbts_model_next_interval(&m, USBTS_MAX_INTERVAL_MS, 1800, now, &limited);
	if (!limited || ms < 5200 || ms > 5300)
		return "a need does not end the interval an eighth before the claim reaches it";
	/* a model whose newest edge lies a little after now counts from now */
	m.tc = now + 1000;
	ms = usbts_model_next_interval(&m, USBTS_MAX_INTERVAL_MS, 1800, now, &limited);
	m.tc = TV_NS_PER_S;
	if (ms < 6900)
		return "a newest edge just after now made the interval the shortest";
	/* a need looser than the default does not let the sampler sleep longer */
	next = usbts_model_next_interval(&m, USBTS_MAX_INTERVAL_MS, 0, now, &limited);
	ms = usbts_model_next_interval(&m, USBTS_MAX_INTERVAL_MS, 100000, now, &limited);
	if (!limited || ms != next)
		return "a need looser than the default lengthens the interval";
	/* on a steady clock, it sleeps the longest */
	m.below_slope = ((u64)1 << USBTS_PRED_SHIFT) / 8000;
	m.above_slope = m.below_slope;
	ms = usbts_model_next_interval(&m, USBTS_MAX_INTERVAL_MS, 100000, now, &limited);
	m.below_slope = ((u64)1 << USBTS_PRED_SHIFT) * 100 / 8000;
	m.above_slope = m.below_slope;
	if (limited || ms != USBTS_MAX_INTERVAL_MS)
		return "a need beyond the longest interval shortens it";
	ms = usbts_model_next_interval(&m, USBTS_MAX_INTERVAL_MS, 500, now, &limited);
	if (ms != USBTS_NEED_MIN_MS)
		return "a need the model cannot meet is not read once a second";
	ms = usbts_model_next_interval(&m, USBTS_MAX_INTERVAL_MS, 1800, now + 30 * TV_NS_PER_S,
				       &limited);
	if (ms != USBTS_NEED_MIN_MS)
		return "a need the model no longer meets is not read once a second";
	ms = usbts_model_next_interval(&m, 400, 1800, now, &limited);
	if (ms != 500)
		return "a need lengthened the interval beyond its growth";
	m.valid = 0;
	ms = usbts_model_next_interval(&m, USBTS_MAX_INTERVAL_MS, 1800, now, &limited);
	if (ms != USBTS_NEED_MIN_MS)
		return "a need without a model is not read once a second";
	return NULL;
}

#define MS 1000000LL
#define S TV_NS_PER_S

/*
 * Zero fields take defaults (tv_defaults()): first edge at 5 s, reads of
 * 300-900 ns, bursts every 100 ms for 6 s, 2 s of warm-up, one generation.
 */
static const struct tv_case tv_cases[] = {
	{ .name = "wrap: first read just before 16383", .raw0 = 16379,
	  .ppb = 1000, .max_err_ns = 300, .min_within_pm = 990,
	  .check_unwrap = true },
	{ .name = "wrap: first read at 16383", .raw0 = 16383,
	  .max_err_ns = 300, .min_within_pm = 990, .check_unwrap = true },
	{ .name = "wrap: first read at 0", .raw0 = 0,
	  .max_err_ns = 300, .min_within_pm = 990, .check_unwrap = true },
	{ .name = "wrap: first read at 8191/8192", .raw0 = 8191,
	  .max_err_ns = 300, .min_within_pm = 990, .check_unwrap = true },
	{ .name = "wrap: every wrap for 60 s", .raw0 = 12345, .ppb = -20000,
	  .duration = 60 * S, .max_err_ns = 300, .min_within_pm = 990,
	  .check_unwrap = true },
	{ .name = "bursts every 100 ms", .raw0 = 77, .ppb = 37000,
	  .max_err_ns = 300, .min_within_pm = 990, .check_unwrap = true },
	{ .name = "sparse: singles between 5 s bursts", .raw0 = 999,
	  .ppb = -120000, .burst_every = 5 * S, .singles = 4,
	  .duration = 60 * S, .max_err_ns = 3000, .min_within_pm = 990,
	  .check_unwrap = true },
	{ .name = "outliers: 1 read in 20 preempted 100 us", .raw0 = 5,
	  .ppb = 3000, .outlier_every = 20, .max_err_ns = 400,
	  .min_within_pm = 990, .check_unwrap = true },
	{ .name = "qemu-like 25 us reads", .raw0 = 4242, .lat_ns = 25000,
	  .jitter_ns = 5000, .duration = 20 * S, .warmup_ns = 5 * S,
	  .max_err_ns = 5000, .min_within_pm = 990, .check_unwrap = true },
	{ .name = "+500 ppm", .raw0 = 100, .ppb = 500000,
	  .max_err_ns = 300, .min_within_pm = 990, .check_unwrap = true },
	{ .name = "-500 ppm", .raw0 = 100, .ppb = -500000,
	  .max_err_ns = 300, .min_within_pm = 990, .check_unwrap = true },
	{ .name = "step of +3 ppm", .raw0 = 1, .ppb = 10000, .step_ppb = 3000,
	  .step_at = 4 * S, .duration = 10 * S, .max_err_ns = 2000,
	  .min_within_pm = 990, .check_unwrap = true, .far = true },
	{ .name = "step of +0.5 ppm", .raw0 = 11, .ppb = 10000, .step_ppb = 500,
	  .step_at = 4 * S, .duration = 10 * S, .max_err_ns = 2000,
	  .min_within_pm = 990, .check_unwrap = true, .far = true },
	{ .name = "step of -20 ppm", .raw0 = 12, .ppb = 10000, .step_ppb = -20000,
	  .step_at = 4 * S, .duration = 10 * S, .min_within_pm = 990,
	  .check_unwrap = true, .far = true },
	{ .name = "step of +50 ppm", .raw0 = 13, .ppb = -30000, .step_ppb = 50000,
	  .step_at = 4 * S, .duration = 10 * S, .min_within_pm = 990,
	  .check_unwrap = true, .far = true },
	{ .name = "ramp: 1 ppm per minute for 20 s", .raw0 = 14, .ppb = 37000,
	  .ramp_ppb = 17, .ramp_at = 3 * S, .ramp_steps = 20, .duration = 25 * S,
	  .max_err_ns = 1000, .min_within_pm = 990, .check_unwrap = true,
	  .far = true },
	{ .name = "far past and future: +-1 s and +-10 s", .raw0 = 15,
	  .ppb = -250000, .duration = 30 * S, .max_err_ns = 300,
	  .min_within_pm = 990, .check_unwrap = true, .far = true },
	{ .name = "long gaps: bursts 30 s apart", .raw0 = 3000, .ppb = 250000,
	  .burst_every = 30 * S, .duration = 300 * S, .max_err_ns = 2000,
	  .min_within_pm = 990, .check_unwrap = true },
	{ .name = "reset: counter restarts at 0", .raw0 = 9000,
	  .reset_at = 3 * S + 17 * MS, .gens = 2, .max_err_ns = 300,
	  .min_within_pm = 990, .check_unwrap = true },
	{ .name = "stop: frozen 1 s (a generation at stop, one at restart)",
	  .raw0 = 6000,
	  .stop_at = 2 * S + 3 * MS, .stop_ns = S, .duration = 8 * S,
	  .gens = 3, .min_within_pm = 990, .check_unwrap = true },
	/*
	 * Bursts start at t0 + 1 us + k * 100 ms after the first second: the
	 * counter resumes 1 us into the burst at 2.5 s, after its first read
	 * saw the frozen value and before the second sees it move.
	 */
	{ .name = "stop: restart just after a frozen read", .raw0 = 6000,
	  .stop_at = 2 * S + 3 * MS, .stop_ns = 497002000, .duration = 8 * S,
	  .gens = 3, .min_within_pm = 990, .check_unwrap = true },
	{ .name = "ktime near S64_MAX/2", .t0 = S64_MAX / 2, .raw0 = 16000,
	  .max_err_ns = 300, .min_within_pm = 990, .check_unwrap = true },
	{ .name = "extended count past 2^32 microframes", .raw0 = 2,
	  .ppb = 1000, .burst_every = 600 * S, .duration = 560000 * S,
	  .min_within_pm = 990, .check_unwrap = true, .past_2_32 = true },
	/*
	 * After 200 days no model knows which of the 2^14-frame wraps a read
	 * is in: the read must start a generation, not be numbered off by
	 * whole wraps (as it was, with the count going back by thousands).
	 */
	{ .name = "unwrap: one burst 200 days after the first second", .raw0 = 4000,
	  .ppb = 500000, .lat_ns = 25000, .jitter_ns = 5000,
	  .burst_every = 200 * 86400 * S, .duration = 201 * 86400 * S,
	  .gens = 2, .check_unwrap = true },
	{ .name = "honesty: 10 minutes, outliers", .raw0 = 321,
	  .ppb = -333000, .outlier_every = 97, .duration = 600 * S,
	  .max_err_ns = 400, .min_within_pm = 990, .check_unwrap = true },
};

#undef MS
#undef S

#endif /* USBTS_TEST_VECTORS_H */
