// SPDX-License-Identifier: GPL-2.0
/*
 * usbts-bench - the guest half of `make bench` (tests/bench/run-bench is the
 * host half).  Each subcommand measures one thing on /dev/usb-timesync and
 * prints "BENCH <key> <value>..." lines for the host to tabulate; progress
 * goes to stderr.  Wakeups, CPU time and memory are counted with the
 * kernel's own tracepoints (tracefs), independently of the module's own
 * bookkeeping, so any version of the module can be measured.
 */
/* How long STOP's deferred frees get before the untracked window. */
#define STOP_SETTLE_S 5

#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <linux/usb/timesync.h>

#define DEV "/dev/usb-timesync"
#define TRACEFS "/sys/kernel/tracing"
#define MODNAME "usb_timesync"

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "usbts-bench: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

static void progress(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "bench: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* p in 0..100 of v[0..n) (sorted in place), nearest rank */
static int64_t pct(int64_t *v, size_t n, double p)
{
	size_t i;

	if (!n)
		return -1;
	qsort(v, n, sizeof(*v), cmp_i64);
	i = (size_t)(p / 100.0 * (double)n + 0.999999);
	if (i < 1)
		i = 1;
	if (i > n)
		i = n;
	return v[i - 1];
}

/* (max - min) / median of the last k of v[0..n) */
static double spread_last(const double *v, size_t n, size_t k)
{
	double s[64], lo, hi;

	if (n < k || k > 64 || !k)
		return 1e9;
	memcpy(s, v + n - k, k * sizeof(*s));
	qsort(s, k, sizeof(*s), cmp_dbl);
	lo = s[0];
	hi = s[k - 1];
	return s[k / 2] > 0 ? (hi - lo) / s[k / 2] : 1e9;
}

static int open_dev(void)
{
	int fd = open(DEV, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		die("open %s: %s", DEV, strerror(errno));
	return fd;
}

/* the accuracy START asks for (usbts-bench power --want), 0: none */
static uint64_t want_ns;

/* START; returns 0 or an errno */
static int ts_start(int fd, unsigned int bus, unsigned int flags, uint32_t *h)
{
	struct usb_timesync_start a = { .busnum = bus, .flags = flags,
					.want_accuracy_ns = want_ns };

	if (ioctl(fd, USB_TIMESYNC_IOC_START_TRACKING, &a))
		return errno;
	*h = a.handle;
	return 0;
}

static int ts_stop(int fd, uint32_t h)
{
	struct usb_timesync_stop a = { .handle = h };

	return ioctl(fd, USB_TIMESYNC_IOC_STOP_TRACKING, &a) ? errno : 0;
}

/* START blocking, retried while the bus is waking (EAGAIN) */
static uint32_t start_or_die(int fd, unsigned int bus, unsigned int flags)
{
	uint32_t h = 0;
	int i, err = EAGAIN;

	for (i = 0; i < 50 && err == EAGAIN; i++) {
		err = ts_start(fd, bus, flags, &h);
		if (err == EAGAIN)
			usleep(100000);
	}
	if (err)
		die("START on bus %u: %s", bus, strerror(err));
	return h;
}

/* ---- tracefs -------------------------------------------------------------- */

static void tf_write(const char *file, const char *val, bool must)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), TRACEFS "/%s", file);
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0 || write(fd, val, strlen(val)) < 0) {
		if (must)
			die("tracefs: %s <- '%s': %s", file, val, strerror(errno));
		progress("tracefs: %s <- '%s': %s (skipped)", file, val, strerror(errno));
	}
	if (fd >= 0)
		close(fd);
}

static void tf_append(const char *file, const char *val)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), TRACEFS "/%s", file);
	fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0 || write(fd, val, strlen(val)) < 0)
		progress("tracefs: %s += '%s': %s (skipped)", file, val, strerror(errno));
	if (fd >= 0)
		close(fd);
}

static int marker_fd = -1;

static void mark(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (marker_fd >= 0 && write(marker_fd, buf, (size_t)n) < 0)
		die("trace_marker: %s", strerror(errno));
}

/* Reset tracing: no events, no probes, empty buffer, raw pointers. */
static void tf_reset(unsigned int buffer_kb)
{
	char b[32];
	struct stat st;

	if (stat(TRACEFS "/trace", &st) &&
	    mount("nodev", TRACEFS, "tracefs", 0, NULL))
		die("mount tracefs: %s", strerror(errno));
	tf_write("tracing_on", "0", true);
	tf_write("set_event", "", true);
	tf_write("kprobe_events", "", false);
	tf_write("trace_options", "nohash-ptr", false);
	tf_write("trace_clock", "mono", false);
	snprintf(b, sizeof(b), "%u", buffer_kb);
	tf_write("buffer_size_kb", b, true);
	tf_write("trace", "", true);
}

static void tf_event(const char *ev, const char *filter)
{
	char p[256];

	if (filter) {
		snprintf(p, sizeof(p), "events/%s/filter", ev);
		tf_write(p, filter, true);
	}
	snprintf(p, sizeof(p), "events/%s/enable", ev);
	tf_write(p, "1", true);
}

/* The module's address range, from /proc/modules. */
static void module_range(uint64_t *lo, uint64_t *hi)
{
	char name[64], line[512];
	unsigned long long size, addr;
	FILE *f = fopen("/proc/modules", "r");

	if (!f)
		die("/proc/modules: %s", strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63s %llu %*s %*s %*s %llx", name, &size, &addr) == 3 &&
		    !strcmp(name, MODNAME)) {
			fclose(f);
			if (!addr)
				die("/proc/modules shows address 0: not root?");
			*lo = addr;
			*hi = addr + size;
			return;
		}
	}
	die("module %s is not loaded", MODNAME);
}

static uint64_t kallsym(const char *sym)
{
	char line[512], name[256], type;
	unsigned long long a;
	FILE *f = fopen("/proc/kallsyms", "r");

	if (!f)
		die("/proc/kallsyms: %s", strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx %c %255s", &a, &type, name) == 3 && !strcmp(name, sym)) {
			fclose(f);
			return a;
		}
	}
	fclose(f);
	return 0;
}

/*
 * A consuming reader of trace_pipe.  Each call hands complete lines to @fn
 * and returns at once when nothing is buffered.
 */
struct pipe_reader {
	int fd;
	char buf[1 << 16];
	size_t len;
};

static void pipe_open(struct pipe_reader *r)
{
	r->fd = open(TRACEFS "/trace_pipe", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (r->fd < 0)
		die("trace_pipe: %s", strerror(errno));
	r->len = 0;
}

static void pipe_drain(struct pipe_reader *r, void (*fn)(const char *line, void *arg), void *arg)
{
	for (;;) {
		ssize_t n = read(r->fd, r->buf + r->len, sizeof(r->buf) - 1 - r->len);
		char *s, *nl;

		if (n <= 0)
			return;
		r->len += (size_t)n;
		r->buf[r->len] = 0;
		s = r->buf;
		while ((nl = strchr(s, '\n'))) {
			*nl = 0;
			fn(s, arg);
			s = nl + 1;
		}
		r->len -= (size_t)(s - r->buf);
		memmove(r->buf, s, r->len);
	}
}

/* Parse "... [cpu] flags TS: event: rest"; returns the event name's start. */
static const char *parse_event(const char *line, double *ts, const char **rest)
{
	const char *p = strstr(line, "]");
	const char *colon;

	if (!p)
		return NULL;
	/* timestamp: the first token ending in ':' after the flags */
	colon = strstr(p, ": ");
	if (!colon)
		return NULL;
	{
		const char *t = colon;

		while (t > p && t[-1] != ' ')
			t--;
		*ts = strtod(t, NULL);
	}
	*rest = strstr(colon + 2, ": ");
	if (!*rest)
		return NULL;
	*rest += 2;
	return colon + 2;
}

static uint64_t field_hex(const char *s, const char *key)
{
	const char *p = strstr(s, key);

	return p ? strtoull(p + strlen(key), NULL, 16) : 0;
}

static uint64_t field_dec(const char *s, const char *key)
{
	const char *p = strstr(s, key);

	return p ? strtoull(p + strlen(key), NULL, 10) : 0;
}

/* ---- get: GET against the same ioctl failing with ENOENT ------------------- */

enum { OP_GET, OP_GET_IN, OP_ENOENT, OP_SAMPLE, OP_SYSCALL, OP_CLOCK, N_OPS };
static const char *const op_name[N_OPS] = {
	"get", "get_input", "enoent", "sample1", "getppid", "clock"
};

static struct usb_timesync_samples sample_arg;

static void do_op(int op, int fd, uint32_t h, uint32_t frame)
{
	struct usb_timesync_frame_time a;
	int r = 0;

	switch (op) {
	case OP_GET:
	case OP_GET_IN:
	case OP_ENOENT:
		memset(&a, 0, sizeof(a));
		a.handle = op == OP_ENOENT ? USB_TIMESYNC_MAX_HANDLES : h;
		if (op == OP_GET_IN) {
			a.flags = USB_TIMESYNC_FRAME_INPUT_VALID;
			a.input_frame = frame;
			a.input_microframe = 3;
		}
		r = ioctl(fd, USB_TIMESYNC_IOC_GET_FRAME_NUMBER_AND_TIME, &a);
		if (op == OP_ENOENT ? (r != -1 || errno != ENOENT) : r)
			die("GET (%s): %d %s", op_name[op], r, strerror(errno));
		break;
	case OP_SAMPLE:
		sample_arg.handle = h;
		sample_arg.n_samples = 1;
		if (ioctl(fd, USB_TIMESYNC_IOC_SAMPLE, &sample_arg))
			die("SAMPLE: %s", strerror(errno));
		break;
	case OP_SYSCALL:
		r = getppid();
		(void)r;
		break;
	case OP_CLOCK:
		break;
	}
}

static int cmd_get(int argc, char **argv)
{
	unsigned int bus = 1, calls = 2000, batch = 8, min_rounds = 5, max_rounds = 30;
	unsigned int settle_ms = 1500;
	double max_spread = 0.05;
	double ratio[2][256];
	int64_t *t[N_OPS];
	unsigned int r, i, k, j;
	struct usb_timesync_frame_time a = { 0 };
	uint32_t h;
	int fd, opt;
	static const struct option lo[] = {
		{ "bus", 1, 0, 'b' }, { "calls", 1, 0, 'c' }, { "batch", 1, 0, 'k' },
		{ "min-rounds", 1, 0, 'm' }, { "max-rounds", 1, 0, 'M' },
		{ "spread", 1, 0, 's' }, { "settle-ms", 1, 0, 'S' }, { "help", 0, 0, 'h' }, { 0 }
	};

	while ((opt = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (opt) {
		case 'S': settle_ms = atoi(optarg); break;
		case 'b': bus = atoi(optarg); break;
		case 'c': calls = atoi(optarg); break;
		case 'k': batch = atoi(optarg); break;
		case 'm': min_rounds = atoi(optarg); break;
		case 'M': max_rounds = atoi(optarg); break;
		case 's': max_spread = atof(optarg); break;
		default:
			printf("usage: usbts-bench get [--bus N] [--calls N] [--batch N]\n"
			       "       [--min-rounds N] [--max-rounds N] [--spread F] [--settle-ms MS]\n"
			       "After START, waits SETTLE-MS (default 1500) for the sampler's fast\n"
			       "start to end.  Per round, CALLS batches of BATCH calls of each of GET, GET with an\n"
			       "input frame, GET failing with ENOENT, SAMPLE n=1, getppid() and an\n"
			       "empty timed section, interleaved in rotating order on one file;\n"
			       "prints each round's p50 per call.  Rounds stop once the last\n"
			       "MIN-ROUNDS GET/ENOENT ratios spread (max-min)/median <= F.\n");
			return opt == 'h' ? 0 : 64;
		}
	}
	if (max_rounds > 256 || !calls || !batch)
		die("get: bad arguments");
	for (i = 0; i < N_OPS; i++)
		t[i] = calloc(calls, sizeof(int64_t));
	fd = open_dev();
	h = start_or_die(fd, bus, 0);
	usleep(settle_ms * 1000);
	a.handle = h;
	if (ioctl(fd, USB_TIMESYNC_IOC_GET_FRAME_NUMBER_AND_TIME, &a))
		die("GET: %s", strerror(errno));
	for (r = 0; r < max_rounds; r++) {
		int64_t p50[N_OPS];

		for (i = 0; i < calls; i++) {
			for (j = 0; j < N_OPS; j++) {
				int op = (int)((i + j) % N_OPS);
				int64_t t0 = now_ns();

				for (k = 0; k < batch; k++)
					do_op(op, fd, h, a.current_usb_frame + 100);
				t[op][i] = (now_ns() - t0) / batch;
			}
		}
		for (j = 0; j < N_OPS; j++)
			p50[j] = pct(t[j], calls, 50);
		printf("BENCH get.round %u", r);
		for (j = 0; j < N_OPS; j++)
			printf(" %s=%" PRId64, op_name[j], p50[j]);
		printf("\n");
		fflush(stdout);
		ratio[0][r] = (double)p50[OP_GET] / (double)p50[OP_ENOENT];
		ratio[1][r] = (double)p50[OP_GET_IN] / (double)p50[OP_ENOENT];
		if (r + 1 >= min_rounds && spread_last(ratio[0], r + 1, min_rounds) <= max_spread &&
		    spread_last(ratio[1], r + 1, min_rounds) <= max_spread)
			break;
	}
	printf("BENCH get.rounds %u stable=%d\n", r < max_rounds ? r + 1 : r, r < max_rounds);
	ts_stop(fd, h);
	close(fd);
	return 0;
}

/* ---- scale: GET throughput, one thread against two ------------------------ */

struct worker {
	pthread_t tid;
	int cpu, fd, spin;
	uint32_t h;
	uint64_t count;
	pthread_barrier_t *bar;
	atomic_bool *stop;
} __attribute__((aligned(64)));

static void *worker_fn(void *p)
{
	struct worker *w = p;
	struct usb_timesync_frame_time a;
	cpu_set_t set;
	uint64_t n = 0;

	CPU_ZERO(&set);
	CPU_SET(w->cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("sched_setaffinity cpu %d: %s", w->cpu, strerror(errno));
	pthread_barrier_wait(w->bar);
	/* the control: pure computation, no system call, nothing shared */
	while (w->spin && !atomic_load_explicit(w->stop, memory_order_relaxed)) {
		volatile uint64_t x = n;
		int i;

		for (i = 0; i < 64; i++)
			x = x * 6364136223846793005ull + 1442695040888963407ull;
		n++;
	}
	while (!w->spin && !atomic_load_explicit(w->stop, memory_order_relaxed)) {
		memset(&a, 0, sizeof(a));
		a.handle = w->h;
		if (ioctl(w->fd, USB_TIMESYNC_IOC_GET_FRAME_NUMBER_AND_TIME, &a))
			die("GET: %s", strerror(errno));
		n++;
	}
	w->count = n;
	return NULL;
}

/*
 * GET/s over @threads threads; thread i uses fd[i]/h[i] (the same file for
 * both, or one each: in a multi-threaded process fdget() takes a reference
 * on the file, a shared cache line, on every ioctl).
 */
static uint64_t gets_per_s(const int *fd, const uint32_t *h, int threads, unsigned int ms,
			   int spin)
{
	struct worker w[2];
	pthread_barrier_t bar;
	atomic_bool stop = false;
	struct timespec d = { ms / 1000, (long)(ms % 1000) * 1000000 };
	int64_t t0;
	uint64_t total = 0;
	int i;

	pthread_barrier_init(&bar, NULL, (unsigned int)threads + 1);
	for (i = 0; i < threads; i++) {
		w[i] = (struct worker){ .cpu = i, .fd = fd[i], .h = h[i], .bar = &bar, .stop = &stop,
					.spin = spin };
		pthread_create(&w[i].tid, NULL, worker_fn, &w[i]);
	}
	pthread_barrier_wait(&bar);
	t0 = now_ns();
	nanosleep(&d, NULL);
	atomic_store(&stop, true);
	for (i = 0; i < threads; i++) {
		pthread_join(w[i].tid, NULL);
		total += w[i].count;
	}
	pthread_barrier_destroy(&bar);
	return total * 1000000000ull / (uint64_t)(now_ns() - t0);
}

static int cmd_scale(int argc, char **argv)
{
	unsigned int bus = 1, ms = 500, min_rounds = 5, max_rounds = 30, r, settle_ms = 1500;
	double max_spread = 0.05, ratio[256];
	uint32_t h, h2;
	int fd, fd2, opt;
	static const struct option lo[] = {
		{ "bus", 1, 0, 'b' }, { "ms", 1, 0, 't' }, { "min-rounds", 1, 0, 'm' },
		{ "max-rounds", 1, 0, 'M' }, { "spread", 1, 0, 's' }, { "settle-ms", 1, 0, 'S' },
		{ "help", 0, 0, 'h' }, { 0 }
	};

	while ((opt = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (opt) {
		case 'S': settle_ms = atoi(optarg); break;
		case 'b': bus = atoi(optarg); break;
		case 't': ms = atoi(optarg); break;
		case 'm': min_rounds = atoi(optarg); break;
		case 'M': max_rounds = atoi(optarg); break;
		case 's': max_spread = atof(optarg); break;
		default:
			printf("usage: usbts-bench scale [--bus N] [--ms MS] [--min-rounds N]\n"
			       "       [--max-rounds N] [--spread F] [--settle-ms MS]\n"
			       "After START, waits SETTLE-MS (default 1500) for the sampler's fast\n"
			       "start to end.  Each round runs GET in a loop for MS ms on one thread (CPU 0) and\n"
			       "on two (CPUs 0 and 1), same file and handle, and on two with a file\n"
			       "each, in alternating order, and prints the throughputs.  A control does the same with a\n"
			       "system-call-free computation loop: the parallelism the host really\n"
			       "gives the two vCPUs, which bounds any GET scaling.\n");
			return opt == 'h' ? 0 : 64;
		}
	}
	if (max_rounds > 256)
		die("scale: at most 256 rounds");
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		die("scale: needs 2 CPUs, the guest has %ld", sysconf(_SC_NPROCESSORS_ONLN));
	fd = open_dev();
	h = start_or_die(fd, bus, 0);
	fd2 = open_dev();
	h2 = start_or_die(fd2, bus, 0);
	usleep(settle_ms * 1000);
	for (r = 0; r < max_rounds; r++) {
		uint64_t one, two, sep, s1, s2;
		const int same_fd[2] = { fd, fd }, sep_fd[2] = { fd, fd2 };
		const uint32_t same_h[2] = { h, h }, sep_h[2] = { h, h2 };

		if (r & 1) {
			two = gets_per_s(same_fd, same_h, 2, ms, 0);
			sep = gets_per_s(sep_fd, sep_h, 2, ms, 0);
			s2 = gets_per_s(same_fd, same_h, 2, ms, 1);
			one = gets_per_s(same_fd, same_h, 1, ms, 0);
			s1 = gets_per_s(same_fd, same_h, 1, ms, 1);
		} else {
			one = gets_per_s(same_fd, same_h, 1, ms, 0);
			s1 = gets_per_s(same_fd, same_h, 1, ms, 1);
			two = gets_per_s(same_fd, same_h, 2, ms, 0);
			sep = gets_per_s(sep_fd, sep_h, 2, ms, 0);
			s2 = gets_per_s(same_fd, same_h, 2, ms, 1);
		}
		printf("BENCH scale.round %u one=%" PRIu64 " two=%" PRIu64 " two_sep=%" PRIu64
		       " spin_one=%" PRIu64 " spin_two=%" PRIu64 "\n", r, one, two, sep, s1, s2);
		fflush(stdout);
		ratio[r] = (double)two / (double)one;
		if (r + 1 >= min_rounds && spread_last(ratio, r + 1, min_rounds) <= max_spread)
			break;
	}
	printf("BENCH scale.rounds %u stable=%d\n", r < max_rounds ? r + 1 : r, r < max_rounds);
	ts_stop(fd, h);
	close(fd);
	close(fd2);
	return 0;
}

/* ---- start: START on a bus nobody tracks ----------------------------------- */

static int64_t start_tolerable_known(int fd, unsigned int bus, uint32_t *h, unsigned int *gets)
{
	struct usb_timesync_frame_time a;
	int64_t t0 = now_ns(), end = t0 + 5000000000ll;
	int err;

	*h = 0;
	err = ts_start(fd, bus, USB_TIMESYNC_FLAG_STARTUP_DELAY_TOLERABLE, h);
	if (err) {
		*h = 0;
		return -err;
	}
	if (marker_fd >= 0)
		mark("R start-tol returned");
	*gets = 0;
	do {
		memset(&a, 0, sizeof(a));
		a.handle = *h;
		(*gets)++;
		if (ioctl(fd, USB_TIMESYNC_IOC_GET_FRAME_NUMBER_AND_TIME, &a) && errno != EAGAIN)
			return -errno;
		if (a.accuracy_ns != USB_TIMESYNC_ACCURACY_UNKNOWN && a.accuracy_ns)
			return now_ns() - t0;
	} while (now_ns() < end);
	return -ETIMEDOUT;
}

static void report_lat(const char *key, unsigned int run, int64_t *v, size_t n, unsigned int fails)
{
	int64_t p50 = pct(v, n, 50), p99 = pct(v, n, 99), mx = n ? v[n - 1] : -1;

	printf("BENCH %s %u n=%zu fails=%u p50=%" PRId64 " p99=%" PRId64 " max=%" PRId64 "\n",
	       key, run, n, fails, p50, p99, mx);
}

static int cmd_start(int argc, char **argv)
{
	unsigned int bus = 1, cycles = 200, runs = 3, gap_us = 2000, r, c, gets;
	int64_t *blk, *tol, *stp;
	size_t nb, nt, ns;
	unsigned int fb, ft;
	int fd, opt, err;
	uint32_t h;
	static const struct option lo[] = {
		{ "bus", 1, 0, 'b' }, { "cycles", 1, 0, 'c' }, { "runs", 1, 0, 'r' },
		{ "gap-us", 1, 0, 'g' }, { "help", 0, 0, 'h' }, { 0 }
	};

	while ((opt = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (opt) {
		case 'b': bus = atoi(optarg); break;
		case 'c': cycles = atoi(optarg); break;
		case 'r': runs = atoi(optarg); break;
		case 'g': gap_us = atoi(optarg); break;
		default:
			printf("usage: usbts-bench start [--bus N] [--cycles N] [--runs N] [--gap-us US]\n"
			       "Each run: CYCLES times a blocking START then STOP, and a tolerable\n"
			       "START timed until GET first reports a known accuracy, then STOP,\n"
			       "interleaved, with nothing else tracking the bus.  Prints p50, p99\n"
			       "and max in ns per run.\n");
			return opt == 'h' ? 0 : 64;
		}
	}
	blk = calloc(cycles, sizeof(*blk));
	tol = calloc(cycles, sizeof(*tol));
	stp = calloc(cycles, sizeof(*stp));
	for (r = 0; r < runs; r++) {
		fd = open_dev();
		nb = nt = ns = 0;
		fb = ft = 0;
		for (c = 0; c < cycles; c++) {
			int64_t t0 = now_ns(), t1;

			err = ts_start(fd, bus, 0, &h);
			t1 = now_ns();
			if (err) {
				fb++;
				progress("start: blocking START: %s", strerror(err));
			} else {
				blk[nb++] = t1 - t0;
				t0 = now_ns();
				ts_stop(fd, h);
				stp[ns++] = now_ns() - t0;
			}
			usleep(gap_us);
			t1 = start_tolerable_known(fd, bus, &h, &gets);
			if (t1 < 0) {
				ft++;
				progress("start: tolerable START: %s", strerror((int)-t1));
			} else {
				tol[nt++] = t1;
			}
			if (h)
				ts_stop(fd, h);
			usleep(gap_us);
		}
		close(fd);
		report_lat("start.block", r, blk, nb, fb);
		report_lat("start.tolerable", r, tol, nt, ft);
		report_lat("start.stop", r, stp, ns, 0);
		fflush(stdout);
		progress("start: run %u of %u done", r + 1, runs);
	}
	return 0;
}

/* ---- power: sampler wakeups counted by the kernel's tracepoints ------------ */

#define MAX_WORKS 8

struct power {
	double exec_ts[4096];		/* execute_start times */
	size_t n_exec;
	uint64_t works[MAX_WORKS];	/* the module's work items seen */
	char fn[MAX_WORKS][64];
	size_t n_works;
	double open_ts[MAX_WORKS];	/* running execution per work item, or -1 */
	double cpu_s;			/* summed execution time */
	double timer_ts[4096];		/* expiries of the module's work timers */
	size_t n_timer;
	double last_ts;
	uint64_t unknown_timers;
};

static int work_index(struct power *p, uint64_t w)
{
	size_t i;

	for (i = 0; i < p->n_works; i++)
		if (p->works[i] == w)
			return (int)i;
	return -1;
}

static void power_line(const char *line, void *arg)
{
	struct power *p = arg;
	const char *rest, *ev;
	double ts;
	int i;

	ev = parse_event(line, &ts, &rest);
	if (!ev)
		return;
	p->last_ts = ts;
	if (!strncmp(ev, "workqueue_execute_start:", 24)) {
		uint64_t w = field_hex(rest, "work struct ");
		const char *f = strstr(rest, "function ");

		i = work_index(p, w);
		if (i < 0 && p->n_works < MAX_WORKS) {
			i = (int)p->n_works++;
			p->works[i] = w;
			snprintf(p->fn[i], sizeof(p->fn[i]), "%s", f ? f + 9 : "?");
			p->open_ts[i] = -1;
		}
		if (i >= 0)
			p->open_ts[i] = ts;
		if (p->n_exec < 4096)
			p->exec_ts[p->n_exec++] = ts;
	} else if (!strncmp(ev, "workqueue_execute_end:", 22)) {
		i = work_index(p, field_hex(rest, "work struct "));
		if (i >= 0 && p->open_ts[i] >= 0) {
			p->cpu_s += ts - p->open_ts[i];
			p->open_ts[i] = -1;
		}
	} else if (!strncmp(ev, "timer_expire_entry:", 19)) {
		uint64_t t = field_hex(rest, "timer=");
		size_t k;

		/* struct delayed_work: the work, then its timer */
		for (k = 0; k < p->n_works; k++)
			if (t > p->works[k] && t - p->works[k] < 128)
				break;
		if (k == p->n_works) {
			p->unknown_timers++;
		} else if (p->n_timer < 4096) {
			p->timer_ts[p->n_timer++] = ts;
		}
	}
}

static size_t count_since(const double *v, size_t n, double t)
{
	size_t k = 0, i;

	for (i = 0; i < n; i++)
		k += v[i] >= t;
	return k;
}

/* Trace clock "mono" is CLOCK_MONOTONIC, in seconds. */
static double mono_s(void)
{
	return (double)now_ns() / 1e9;
}

static void power_trace_setup(void)
{
	uint64_t lo, hi, timer_fn;
	char f[256];

	tf_reset(4096);
	module_range(&lo, &hi);
	snprintf(f, sizeof(f), "function >= 0x%" PRIx64 " && function < 0x%" PRIx64, lo, hi);
	tf_event("workqueue/workqueue_execute_start", f);
	tf_event("workqueue/workqueue_execute_end", f);
	timer_fn = kallsym("delayed_work_timer_fn");
	if (!timer_fn)
		die("no delayed_work_timer_fn in /proc/kallsyms");
	snprintf(f, sizeof(f), "function == 0x%" PRIx64, timer_fn);
	tf_event("timer/timer_expire_entry", f);
	tf_write("tracing_on", "1", true);
}

static int cmd_power(int argc, char **argv)
{
	unsigned int bus = 1, warmup_max = 360, window = 180, idle = 60, every = 15;
	static struct power pw;
	struct pipe_reader rd;
	double t_start, t_conv = -1, t_win, t_end, next_progress;
	size_t seen = 0, e, t;
	uint32_t h;
	int fd, opt, converged = 0;
	static const struct option lo[] = {
		{ "bus", 1, 0, 'b' }, { "warmup-max", 1, 0, 'w' }, { "window", 1, 0, 'W' },
		{ "idle", 1, 0, 'i' }, { "progress", 1, 0, 'p' }, { "want", 1, 0, 'n' },
		{ "help", 0, 0, 'h' }, { 0 }
	};
	int64_t acc[4096];
	size_t n_acc = 0;

	while ((opt = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (opt) {
		case 'b': bus = atoi(optarg); break;
		case 'w': warmup_max = atoi(optarg); break;
		case 'W': window = atoi(optarg); break;
		case 'i': idle = atoi(optarg); break;
		case 'p': every = atoi(optarg); break;
		case 'n': want_ns = strtoull(optarg, NULL, 0); break;
		default:
			printf("usage: usbts-bench power [--bus N] [--warmup-max S] [--window S]\n"
			       "       [--idle S] [--progress S] [--want NS]\n"
			       "Tracks BUS with one handle and counts the module's work-item runs\n"
			       "(workqueue_execute_start/end, filtered to the module's text) and\n"
			       "their timers' expiries (timer_expire_entry) from tracefs.  Waits\n"
			       "until the interval between runs stops growing (4 intervals within\n"
			       "10%%, spanning >= 30 s; at most WARMUP-MAX s), counts over WINDOW s,\n"
			       "then stops\n"
			       "tracking and counts over IDLE s with nothing tracked (0: not).\n"
			       "--want NS: the handle asks for that accuracy (want_accuracy_ns);\n"
			       "the claimed accuracy of a GET once a second in the window is\n"
			       "reported too.\n");
			return opt == 'h' ? 0 : 64;
		}
	}
	power_trace_setup();
	pipe_open(&rd);
	fd = open_dev();
	t_start = mono_s();
	h = start_or_die(fd, bus, 0);
	next_progress = t_start + every;
	while (mono_s() - t_start < warmup_max) {
		usleep(200000);
		pipe_drain(&rd, power_line, &pw);
		if (pw.n_exec >= 6 && pw.n_exec != seen) {
			double iv[4], m = 0;
			int k, ok = 1;

			/*
			 * Converged: the last 4 intervals agree within 10% and
			 * span at least 30 s.  (Rounding to whole seconds holds a
			 * growing schedule at 2 s for a few runs: the span rule
			 * keeps that from passing for convergence.)
			 */
			seen = pw.n_exec;
			e = pw.n_exec;
			for (k = 0; k < 4; k++) {
				iv[k] = pw.exec_ts[e - 1 - k] - pw.exec_ts[e - 2 - k];
				m += iv[k] / 4;
			}
			for (k = 0; k < 4; k++)
				ok &= iv[k] > 0.9 * m && iv[k] < 1.1 * m;
			/*
			 * A need may hold the interval short: no span needed,
			 * but the first second's 10 ms bursts are not it.
			 */
			if (ok && (4 * m >= 30 || (want_ns && m >= 0.9))) {
				converged = 1;
				t_conv = pw.exec_ts[e - 1];
				break;
			}
		}
		if (mono_s() >= next_progress) {
			next_progress += every;
			progress("power: warming up, %.0f s of at most %u, %zu sampler runs, last interval %.2f s",
				 mono_s() - t_start, warmup_max, pw.n_exec,
				 pw.n_exec > 1 ? pw.exec_ts[pw.n_exec - 1] - pw.exec_ts[pw.n_exec - 2] : 0.0);
		}
	}
	printf("BENCH power.warmup converged=%d seconds=%.1f runs=%zu last_interval=%.3f\n",
	       converged, (converged ? t_conv : mono_s()) - t_start, pw.n_exec,
	       pw.n_exec > 1 ? pw.exec_ts[pw.n_exec - 1] - pw.exec_ts[pw.n_exec - 2] : 0.0);
	fflush(stdout);

	/* the window starts now: count runs, expiries and CPU time in it */
	t_win = mono_s();
	e = pw.n_exec;
	t = pw.n_timer;
	pw.cpu_s = 0;
	next_progress = t_win + every;
	while (mono_s() - t_win < window) {
		struct usb_timesync_frame_time g = { .handle = h };

		usleep(200000);
		pipe_drain(&rd, power_line, &pw);
		/* what the handle is told, once a second (a GET wakes no sampler) */
		if (n_acc < sizeof(acc) / sizeof(acc[0]) && mono_s() - t_win >= n_acc &&
		    !ioctl(fd, USB_TIMESYNC_IOC_GET_FRAME_NUMBER_AND_TIME, &g) &&
		    g.accuracy_ns != USB_TIMESYNC_ACCURACY_UNKNOWN)
			acc[n_acc++] = (int64_t)g.accuracy_ns;
		if (mono_s() >= next_progress) {
			next_progress += every;
			progress("power: tracked window, %.0f of %u s, %zu sampler runs so far",
				 mono_s() - t_win, window, count_since(pw.exec_ts, pw.n_exec, t_win));
		}
	}
	t_end = mono_s();
	usleep(100000);
	pipe_drain(&rd, power_line, &pw);
	if (want_ns) {
		/* a setting of its own: no untracked window after it */
		printf("BENCH power.want ns=%" PRIu64 " converged=%d window=%.1f runs=%zu cpu_us=%.0f "
		       "claim_p50=%" PRId64 " claim_p99=%" PRId64 "\n", want_ns, converged,
		       t_end - t_win, count_since(pw.exec_ts, pw.n_exec, t_win) -
		       count_since(pw.exec_ts, pw.n_exec, t_end), pw.cpu_s * 1e6,
		       pct(acc, n_acc, 50), pct(acc, n_acc, 99));
		ts_stop(fd, h);
		close(fd);
		tf_write("tracing_on", "0", true);
		tf_write("set_event", "", true);
		close(rd.fd);
		return 0;
	}
	printf("BENCH power.claim p50=%" PRId64 " p99=%" PRId64 "\n", pct(acc, n_acc, 50),
	       pct(acc, n_acc, 99));
	printf("BENCH power.tracked window=%.1f runs=%zu timers=%zu cpu_us=%.0f functions=",
	       t_end - t_win, count_since(pw.exec_ts, pw.n_exec, t_win) -
	       count_since(pw.exec_ts, pw.n_exec, t_end),
	       count_since(pw.timer_ts, pw.n_timer, t_win) - count_since(pw.timer_ts, pw.n_timer, t_end),
	       pw.cpu_s * 1e6);
	for (e = 0; e < pw.n_works; e++)
		printf("%s%s", e ? "," : "", pw.fn[e]);
	printf("\n");
	fflush(stdout);
	(void)t;

	/*
	 * Nothing tracked: STOP, close, then count everything of the module.
	 * STOP frees the handle from a work item after an RCU grace period:
	 * one run, once, which is counted apart, before the window.
	 */
	ts_stop(fd, h);
	close(fd);
	t_win = mono_s();
	while (mono_s() - t_win < STOP_SETTLE_S) {
		usleep(200000);
		pipe_drain(&rd, power_line, &pw);
	}
	printf("BENCH power.stop_settle seconds=%d runs=%zu timers=%zu\n", STOP_SETTLE_S,
	       count_since(pw.exec_ts, pw.n_exec, t_win),
	       count_since(pw.timer_ts, pw.n_timer, t_win));
	fflush(stdout);
	t_win = mono_s();
	next_progress = t_win + every;
	while (mono_s() - t_win < idle) {
		usleep(200000);
		pipe_drain(&rd, power_line, &pw);
		if (mono_s() >= next_progress) {
			next_progress += every;
			progress("power: untracked window, %.0f of %u s", mono_s() - t_win, idle);
		}
	}
	t_end = mono_s();
	pipe_drain(&rd, power_line, &pw);
	printf("BENCH power.idle window=%.1f runs=%zu timers=%zu\n", t_end - t_win,
	       count_since(pw.exec_ts, pw.n_exec, t_win),
	       count_since(pw.timer_ts, pw.n_timer, t_win));
	tf_write("tracing_on", "0", true);
	tf_write("set_event", "", true);
	close(rd.fd);
	return 0;
}

/* ---- mem: bytes per controller, handle and file; leaks ------------------- */

#define LIVE_MAX (1 << 17)

struct live {
	uint64_t ptr[LIVE_MAX];
	uint32_t bytes[LIVE_MAX];
	int64_t total;
	uint64_t allocs, frees, untracked_frees;
};

static void live_add(struct live *l, uint64_t ptr, uint32_t b)
{
	size_t i = (ptr >> 4) & (LIVE_MAX - 1);

	while (l->ptr[i])
		i = (i + 1) & (LIVE_MAX - 1);
	l->ptr[i] = ptr;
	l->bytes[i] = b;
	l->total += b;
	l->allocs++;
}

static void live_del(struct live *l, uint64_t ptr)
{
	size_t i = (ptr >> 4) & (LIVE_MAX - 1), j, k;

	while (l->ptr[i] && l->ptr[i] != ptr)
		i = (i + 1) & (LIVE_MAX - 1);
	if (!l->ptr[i]) {
		l->untracked_frees++;
		return;
	}
	l->total -= l->bytes[i];
	l->frees++;
	/* backward-shift deletion keeps the probe chains intact */
	l->ptr[i] = 0;
	for (j = (i + 1) & (LIVE_MAX - 1); l->ptr[j]; j = (j + 1) & (LIVE_MAX - 1)) {
		k = (l->ptr[j] >> 4) & (LIVE_MAX - 1);
		if ((j > i && (k <= i || k > j)) || (j < i && k <= i && k > j)) {
			l->ptr[i] = l->ptr[j];
			l->bytes[i] = l->bytes[j];
			l->ptr[j] = 0;
			i = j;
		}
	}
}

static void mem_line(const char *line, void *arg)
{
	struct live *l = arg;
	const char *rest, *ev;
	double ts;

	ev = parse_event(line, &ts, &rest);
	if (!ev)
		return;
	if (!strncmp(ev, "kmalloc:", 8) || !strncmp(ev, "kmem_cache_alloc:", 17) ||
	    !strncmp(ev, "kmalloc_node:", 13) || !strncmp(ev, "kmem_cache_alloc_node:", 22)) {
		uint64_t p = field_hex(rest, "ptr=");

		if (p)
			live_add(l, p, (uint32_t)field_dec(rest, "bytes_alloc="));
	} else if (!strncmp(ev, "kfree:", 6) || !strncmp(ev, "kmem_cache_free:", 16)) {
		uint64_t p = field_hex(rest, "ptr=");

		if (p)
			live_del(l, p);
	}
}

/* slabinfo: bytes in use over all caches, and per cache */
#define MAX_CACHES 512
struct slab {
	char name[MAX_CACHES][48];
	int64_t bytes[MAX_CACHES];
	int64_t slack[MAX_CACHES];	/* one slab per CPU: what a shrink leaves cached */
	size_t n;
	int64_t total;
};

/*
 * SLUB counts the objects of per-CPU slabs as in use: flush them to the
 * node lists first (kmem_cache_shrink through sysfs), so that slabinfo
 * counts what is allocated, not what a CPU happens to cache.
 */
static void slab_shrink_all(void)
{
	FILE *ls = popen("ls /sys/kernel/slab 2>/dev/null", "r");
	char name[256], path[512];

	while (ls && fgets(name, sizeof(name), ls)) {
		int fd;

		name[strcspn(name, "\n")] = 0;
		snprintf(path, sizeof(path), "/sys/kernel/slab/%s/shrink", name);
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd >= 0) {
			if (write(fd, "1", 1) < 0)
				progress("mem: shrink %s: %s", name, strerror(errno));
			close(fd);
		}
	}
	if (ls)
		pclose(ls);
}

static void slab_read(struct slab *s)
{
	char line[512];
	long active, num, size, per;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	FILE *f;

	slab_shrink_all();
	f = fopen("/proc/slabinfo", "r");
	if (!f)
		die("/proc/slabinfo: %s", strerror(errno));
	s->n = 0;
	s->total = 0;
	while (fgets(line, sizeof(line), f) && s->n < MAX_CACHES) {
		if (line[0] == '#' || !strncmp(line, "slabinfo", 8))
			continue;
		if (sscanf(line, "%47s %ld %ld %ld %ld", s->name[s->n], &active, &num, &size, &per) != 5)
			continue;
		s->bytes[s->n] = (int64_t)active * size;
		s->slack[s->n] = (int64_t)ncpu * per * size;
		s->total += s->bytes[s->n];
		s->n++;
	}
	fclose(f);
}

static int64_t slab_of(const struct slab *s, const char *name, int64_t *slack)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		if (!strcmp(s->name[i], name)) {
			if (slack)
				*slack = s->slack[i];
			return s->bytes[i];
		}
	}
	return 0;
}

static void settle(void)
{
	/* files, handles and xarray nodes are freed after RCU grace periods */
	sync();
	usleep(1000000);
	sync();
	usleep(1000000);
}

static void mem_trace_setup(void)
{
	uint64_t lo, hi;
	char f[256];
	static const char *const ev[] = {
		"kmem/kmalloc", "kmem/kfree", "kmem/kmem_cache_alloc", "kmem/kmem_cache_free",
		"kmem/kmalloc_node", "kmem/kmem_cache_alloc_node"
	};
	size_t i;

	tf_reset(16384);
	module_range(&lo, &hi);
	snprintf(f, sizeof(f), "call_site >= 0x%" PRIx64 " && call_site < 0x%" PRIx64, lo, hi);
	for (i = 0; i < sizeof(ev) / sizeof(ev[0]); i++) {
		char p[128];
		struct stat st;

		snprintf(p, sizeof(p), TRACEFS "/events/%s", ev[i]);
		/*
		 * Allocations by the module's call sites; frees from anywhere,
		 * matched by pointer: a kfree() in tail position (STOP's
		 * deferred free) reports its caller's caller as call_site.
		 */
		if (!stat(p, &st))
			tf_event(ev[i], strstr(ev[i], "free") ? "ptr != 0" : f);
	}
	tf_write("tracing_on", "1", true);
}

static int cmd_mem(int argc, char **argv)
{
	unsigned int bus = 1, bus2 = 3, handles = 10000, extra = 8, i, j;
	static struct live l;
	static struct slab s0, s1, s2;
	struct pipe_reader rd;
	int64_t l0, l1, l2, l3, l4, l5, per_handle, slack = 0, leak = 0, d;
	int fd, opt, nfiles, *fds;
	uint32_t h;
	static const struct option lo[] = {
		{ "bus", 1, 0, 'b' }, { "bus2", 1, 0, 'B' }, { "handles", 1, 0, 'n' },
		{ "help", 0, 0, 'h' }, { 0 }
	};

	while ((opt = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (opt) {
		case 'b': bus = atoi(optarg); break;
		case 'B': bus2 = atoi(optarg); break;
		case 'n': handles = atoi(optarg); break;
		default:
			printf("usage: usbts-bench mem [--bus N] [--bus2 N] [--handles N]\n"
			       "Bytes the module holds per open file, per tracked controller and\n"
			       "per handle, from kmem tracepoints filtered to the module's call\n"
			       "sites (live = allocated - freed).  Then opens and closes HANDLES\n"
			       "handles across files (64 a file; half stopped with STOP, half by\n"
			       "close) and compares /proc/slabinfo before and after, each read\n"
			       "after flushing SLUB's per-CPU slabs (/sys/kernel/slab/*/shrink).  BUS and BUS2\n"
			       "must be on different xHCI controllers.\n");
			return opt == 'h' ? 0 : 64;
		}
	}
	mem_trace_setup();
	pipe_open(&rd);
#define LIVE() (usleep(100000), pipe_drain(&rd, mem_line, &l), l.total)
	l0 = LIVE();
	fd = open_dev();
	l1 = LIVE();
	start_or_die(fd, bus, 0);
	l2 = LIVE();
	for (i = 0; i < extra; i++)
		start_or_die(fd, bus, 0);
	l3 = LIVE();
	start_or_die(fd, bus2, 0);
	l4 = LIVE();
	close(fd);
	settle();
	l5 = LIVE();
	per_handle = (l3 - l2) / extra;
	printf("BENCH mem.module per_file=%" PRId64 " per_handle=%" PRId64
	       " per_ctrl=%" PRId64 " per_ctrl2=%" PRId64 " after_close=%" PRId64 "\n",
	       l1 - l0, per_handle, l2 - l1 - per_handle, l4 - l3 - per_handle, l5 - l0);
	fflush(stdout);

	/* many handles across files: slab counters before, at peak, after */
	nfiles = (int)((handles + USB_TIMESYNC_MAX_HANDLES - 1) / USB_TIMESYNC_MAX_HANDLES);
	fds = calloc((size_t)nfiles, sizeof(*fds));
	/* one tracker keeps the controller's object out of the counts */
	fd = open_dev();
	start_or_die(fd, bus, 0);
	settle();
	l1 = LIVE();
	slab_read(&s0);
	for (i = 0, j = 0; j < (unsigned int)nfiles; j++) {
		fds[j] = open_dev();
		for (; i < handles && i < (j + 1) * USB_TIMESYNC_MAX_HANDLES; i++)
			start_or_die(fds[j], bus, USB_TIMESYNC_FLAG_STARTUP_DELAY_TOLERABLE);
		if (j % 16 == 15) {
			pipe_drain(&rd, mem_line, &l);
			progress("mem: %u handles open", i);
		}
	}
	settle();
	l2 = LIVE();
	slab_read(&s1);
	for (j = 0; j < (unsigned int)nfiles; j++) {
		/* half by STOP, the rest by close */
		for (h = 1; h <= USB_TIMESYNC_MAX_HANDLES; h += 2)
			ts_stop(fds[j], h);
		close(fds[j]);
		if (j % 16 == 15)
			pipe_drain(&rd, mem_line, &l);
	}
	settle();
	/*
	 * STOP frees its handles after RCU grace periods, from a work item:
	 * wait until the module's live bytes stop falling, up to 30 s.
	 */
	l3 = LIVE();
	for (i = 0, j = 0; i < 30 && j < 3 && l3 != l1; i++) {
		int64_t was = l3;

		sleep(1);
		l3 = LIVE();
		j = l3 == was ? j + 1 : 0;
		progress("mem: waiting for deferred frees, %u s, %" PRId64 " B live", i + 1, l3 - l1);
	}
	slab_read(&s2);
	for (i = 0; i < s0.n; i++) {
		int64_t sl = 0;

		d = slab_of(&s2, s0.name[i], &sl) - s0.bytes[i];
		if (slab_of(&s1, s0.name[i], NULL) - s0.bytes[i] > 0) {
			/* only caches the handles used: the rest move with the system */
			leak += d;
			slack += sl;
			if (d)
				printf("BENCH mem.slab_cache %s before=%" PRId64 " peak=%" PRId64
				       " after=%" PRId64 "\n", s0.name[i], s0.bytes[i],
				       slab_of(&s1, s0.name[i], NULL), slab_of(&s2, s0.name[i], NULL));
		}
	}
	printf("BENCH mem.handles n=%u files=%d module_per_handle=%.1f slab_per_handle=%.1f"
	       " module_leak=%" PRId64 " slab_leak=%" PRId64 " slab_slack=%" PRId64
	       " allocs=%" PRIu64 " frees=%" PRIu64 " lost_events=%" PRIu64 "\n",
	       handles, nfiles, (double)(l2 - l1) / handles, (double)(s1.total - s0.total) / handles,
	       l3 - l1, leak, slack, l.allocs, l.frees, l.untracked_frees);
	close(fd);
	tf_write("tracing_on", "0", true);
	tf_write("set_event", "", true);
	close(rd.fd);
	return 0;
}

/* ---- trace-start: where START's and STOP's time goes ---------------------- */

static void add_probe(const char *name, const char *target, bool ret)
{
	char def[256], p[256];

	snprintf(def, sizeof(def), "%s:usbts/%s%s %s\n", ret ? "r" : "p", name,
		 ret ? "_ret" : "", target);
	tf_append("kprobe_events", def);
	snprintf(p, sizeof(p), TRACEFS "/events/usbts/%s%s/enable", name, ret ? "_ret" : "");
	if (!access(p, W_OK))
		tf_write(p + strlen(TRACEFS "/"), "1", false);
}

static bool module_has(const char *sym)
{
	char line[512], name[256], mod[128];
	bool found = false;
	FILE *f = fopen("/proc/kallsyms", "r");

	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*x %*c %255s [%127[^]]]", name, mod) == 2 &&
		    !strcmp(mod, MODNAME) && !strcmp(name, sym)) {
			found = true;
			break;
		}
	}
	if (f)
		fclose(f);
	return found;
}

static int cmd_trace_start(int argc, char **argv)
{
	unsigned int bus = 1, cycles = 50, c, gets;
	uint64_t lo, hi;
	char f[256], line[4096];
	uint32_t h;
	int fd, opt, err;
	FILE *tr;
	size_t i;
	/* functions timed entry to return, where the module has them */
	static const char *const mod_fns[] = {
		"usbts_start", "usbts_stop", "usbts_xhci_lookup", "xhci_hold", "xhci_release",
		"usbts_track", "usbts_untrack", "usbts_wait_precise", "handle_free", "sampler",
		"burst", "publish",
	};
	static const char *const kern_fns[] = {
		"synchronize_rcu", "cancel_delayed_work_sync", "__pm_runtime_resume",
		"__pm_runtime_idle",
	};
	static const struct option lo_[] = {
		{ "bus", 1, 0, 'b' }, { "cycles", 1, 0, 'c' }, { "help", 0, 0, 'h' }, { 0 }
	};

	while ((opt = getopt_long(argc, argv, "h", lo_, NULL)) != -1) {
		switch (opt) {
		case 'b': bus = atoi(optarg); break;
		case 'c': cycles = atoi(optarg); break;
		default:
			printf("usage: usbts-bench trace-start [--bus N] [--cycles N]\n"
			       "Blocking START/STOP and tolerable START cycles under tracefs:\n"
			       "kprobes on the module's and the kernel's functions on the path\n"
			       "(where they exist), workqueue, wakeup and switch events, and\n"
			       "trace_marker lines 'B|E <what> <cycle>' around each call.  The\n"
			       "trace is printed between '=== trace begin' and '=== trace end'\n"
			       "for tests/bench/run-bench to break down.\n");
			return opt == 'h' ? 0 : 64;
		}
	}
	tf_reset(8192);
	module_range(&lo, &hi);
	for (i = 0; i < sizeof(mod_fns) / sizeof(mod_fns[0]); i++) {
		char t[128];

		if (!module_has(mod_fns[i]))
			continue;
		snprintf(t, sizeof(t), "%s:%s", MODNAME, mod_fns[i]);
		add_probe(mod_fns[i], t, false);
		add_probe(mod_fns[i], t, true);
	}
	/* MMIO reads: entry only, to count them */
	if (module_has("xhci_read")) {
		snprintf(f, sizeof(f), "%s:xhci_read", MODNAME);
		add_probe("xhci_read", f, false);
	}
	for (i = 0; i < sizeof(kern_fns) / sizeof(kern_fns[0]); i++) {
		add_probe(kern_fns[i], kern_fns[i], false);
		add_probe(kern_fns[i], kern_fns[i], true);
	}
	snprintf(f, sizeof(f), "function >= 0x%" PRIx64 " && function < 0x%" PRIx64, lo, hi);
	tf_event("workqueue/workqueue_queue_work", f);
	tf_event("workqueue/workqueue_activate_work", NULL);
	tf_event("workqueue/workqueue_execute_start", f);
	tf_event("workqueue/workqueue_execute_end", f);
	snprintf(f, sizeof(f), "pid == %d", getpid());
	tf_event("sched/sched_wakeup", f);
	snprintf(f, sizeof(f), "next_pid == %d || prev_pid == %d", getpid(), getpid());
	tf_event("sched/sched_switch", f);
	marker_fd = open(TRACEFS "/trace_marker", O_WRONLY | O_CLOEXEC);
	if (marker_fd < 0)
		die("trace_marker: %s", strerror(errno));
	tf_write("tracing_on", "1", true);

	fd = open_dev();
	for (c = 0; c < cycles; c++) {
		mark("B start-block %u", c);
		err = ts_start(fd, bus, 0, &h);
		mark("E start-block %u %d", c, err);
		usleep(1000);
		if (!err) {
			mark("B stop %u", c);
			ts_stop(fd, h);
			mark("E stop %u", c);
		}
		usleep(2000);
		mark("B start-tol %u", c);
		err = (int)start_tolerable_known(fd, bus, &h, &gets);
		mark("E start-tol %u %d gets=%u", c, err < 0 ? err : 0, gets);
		if (h)
			ts_stop(fd, h);
		usleep(2000);
	}
	close(fd);
	tf_write("tracing_on", "0", true);
	printf("=== trace begin pid=%d\n", getpid());
	tr = fopen(TRACEFS "/trace", "r");
	while (tr && fgets(line, sizeof(line), tr))
		if (line[0] != '#')
			fputs(line, stdout);
	if (tr)
		fclose(tr);
	printf("=== trace end\n");
	tf_write("set_event", "", true);
	tf_write("kprobe_events", "", false);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: usbts-bench COMMAND [OPTIONS]   (COMMAND --help for its options)\n"
		"The guest half of `make bench`; prints 'BENCH <key> <values>' lines.\n"
		"  get          GET (with and without an input frame) against the same\n"
		"               ioctl failing with ENOENT; SAMPLE n=1 beside them\n"
		"  scale        GET throughput, one thread against two\n"
		"  start        blocking and tolerable START latency, STOP latency\n"
		"  power        sampler wakeups and CPU time, from tracepoints\n"
		"  mem          bytes per file, controller and handle; slab leak check\n"
		"  trace-start  a trace of START/STOP cycles for the breakdown\n"
		"Needs root, /dev/usb-timesync and tracefs (mounted if needed).\n");
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(cmd, "get"))
		return cmd_get(argc - 1, argv + 1);
	if (!strcmp(cmd, "scale"))
		return cmd_scale(argc - 1, argv + 1);
	if (!strcmp(cmd, "start"))
		return cmd_start(argc - 1, argv + 1);
	if (!strcmp(cmd, "power"))
		return cmd_power(argc - 1, argv + 1);
	if (!strcmp(cmd, "mem"))
		return cmd_mem(argc - 1, argv + 1);
	if (!strcmp(cmd, "trace-start"))
		return cmd_trace_start(argc - 1, argv + 1);
	usage(stderr);
	return 64;
}
