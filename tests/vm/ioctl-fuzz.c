// SPDX-License-Identifier: GPL-2.0
/*
 * usbts-ioctl-fuzz - seeded ioctl fuzzing of /dev/usb-timesync, in the guest
 *
 * Issue 7, scenario 8.  Makes --calls ioctl calls (default 1,000,000) on a
 * few open files of /dev/usb-timesync:
 *  - our four commands, with random bytes in every field, biased towards
 *    almost-valid arguments so that every check is reached;
 *  - commands near ours: our magic with other numbers, sizes and
 *    directions; other magics with our numbers; random commands;
 *  - handles from other files: live on another open file, file descriptor
 *    numbers of other files, 0, random;
 *  - NULL, unmapped (a guard page), read-only, page-straddling,
 *    misaligned, kernel and non-canonical pointers.
 * Every errno must be one Documentation/userspace-api/usb-timesync.rst
 * documents for that call, and a few precise expectations hold (a bad
 * pointer gives EFAULT and nothing else, a good one never EFAULT; an
 * unknown command ENOTTY; a handle not live on the file ENOENT; a success
 * only with a live handle and valid fields).  Calls are counted by command
 * class and errno.  Exit status 1 on any violation.
 *
 * The sequence of calls is a function of --seed and of the results (which
 * handles are live).  The VFS's own ioctls (FIOCLEX, FIONBIO, FIGETBSZ,
 * FS_IOC_*, ...: magics 0, 'T', 'X', 'f', 'v', 0x15, 0x94) never reach the
 * driver and are not generated.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <stddef.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/usb/timesync.h>

#define DEV "/dev/usb-timesync"
#define NFILES 4
#define NOTHER 3
#define MAX_H USB_TIMESYNC_MAX_HANDLES

static uint64_t rng;

/* splitmix64: small, seedable, good enough */
static uint64_t rnd(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static unsigned int below(unsigned int n)
{
	return (unsigned int)(rnd() % n);
}

static int chance(unsigned int percent)
{
	return below(100) < percent;
}

static void fill_random(void *p, size_t n)
{
	unsigned char *c = p;

	while (n--)
		*c++ = (unsigned char)rnd();
}

/* ---- what is open ----------------------------------------------------- */

struct file {
	int fd;
	unsigned char live[MAX_H + 1];	/* live[h]: handle h is live here */
	unsigned int nlive;
};

static struct file files[NFILES];
static int other_fds[NOTHER];	/* fds of other files, as wrong "handles" */
static unsigned int buses[64], nbuses;
static uint64_t violations;

static void violation(uint64_t call, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void violation(uint64_t call, const char *fmt, ...)
{
	va_list ap;

	if (violations++ < 50) {
		printf("VIOLATION at call %" PRIu64 ": ", call);
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		printf("\n");
		fflush(stdout);
	}
}

static void file_open(struct file *f)
{
	f->fd = open(DEV, chance(50) ? O_RDWR : O_RDONLY);
	if (f->fd < 0) {
		perror(DEV);
		exit(2);
	}
	memset(f->live, 0, sizeof(f->live));
	f->nlive = 0;
}

static uint32_t live_handle(const struct file *f)
{
	unsigned int i, n = below(f->nlive), h;

	for (h = 1, i = 0; h <= MAX_H; h++)
		if (f->live[h] && i++ == n)
			return h;
	return 0;
}

/* A handle to put in a call on @f. */
static uint32_t pick_handle(const struct file *f)
{
	const struct file *o = &files[below(NFILES)];

	switch (below(10)) {
	case 0: case 1: case 2: case 3: case 4:
		if (f->nlive)
			return live_handle(f);
		return 1 + below(MAX_H);
	case 5:		/* live on another file */
		if (o->nlive)
			return live_handle(o);
		return 1 + below(MAX_H);
	case 6:		/* another file's descriptor */
		return (uint32_t)other_fds[below(NOTHER)];
	case 7:
		return 0;
	case 8:
		return 1 + below(MAX_H);
	default:
		return (uint32_t)rnd();
	}
}

static int is_live(const struct file *f, uint32_t h)
{
	return h >= 1 && h <= MAX_H && f->live[h];
}

/* The buses, from sysfs: usbN for every N. */
static void find_buses(void)
{
	DIR *d = opendir("/sys/bus/usb/devices");
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d)) && nbuses < 64)
		if (!strncmp(e->d_name, "usb", 3))
			buses[nbuses++] = (unsigned int)atoi(e->d_name + 3);
	closedir(d);
}

/* ---- memory ----------------------------------------------------------- */

/*
 * Four pages: read-write, none (the guard), read-only, none.  A straddling
 * argument starts near the end of the read-write page.
 */
static unsigned char *arena;
static long page;
static size_t straddle_cut;	/* bytes before the guard page, for P_STRADDLE */

enum ptr_kind {
	P_GOOD,		/* aligned, read-write, whole */
	P_MISALIGNED,	/* read-write, whole, odd address */
	P_STRADDLE,	/* starts read-write, runs into the guard page */
	P_STRADDLE_OK,	/* so does SAMPLE's, but not the part it touches */
	P_READONLY,	/* readable, not writable */
	P_NULL,
	P_GUARD,	/* unmapped */
	P_KERNEL,	/* a kernel address */
	P_NONCANON,	/* a non-canonical address */
	P_KINDS
};

static const char *const ptr_names[P_KINDS] = {
	"good", "misaligned", "straddle", "straddle (SAMPLE, touched part good)",
	"read-only", "NULL", "unmapped",
	"kernel", "non-canonical",
};

static enum ptr_kind pick_ptr_kind(void)
{
	unsigned int r = below(100);

	if (r < 62)
		return P_GOOD;
	if (r < 70)
		return P_MISALIGNED;
	if (r < 80)
		return P_STRADDLE;
	if (r < 86)
		return P_READONLY;
	return (enum ptr_kind)(P_NULL + below(4));
}

/* Put @len bytes of @content where @k says; the address to pass to ioctl(). */
static void *place(enum ptr_kind k, const void *content, size_t len)
{
	unsigned char *rw = arena, *ro = arena + 2 * page;
	size_t cut;

	switch (k) {
	case P_GOOD:
		memcpy(rw, content, len);
		return rw;
	case P_MISALIGNED:
		cut = 1 + below(7);
		memcpy(rw + cut, content, len);
		return rw + cut;
	case P_STRADDLE:
		cut = len > 1 ? 1 + below((unsigned int)len - 1) : 1;
		straddle_cut = cut;
		memcpy(rw + page - cut, content, cut);
		return rw + page - cut;
	case P_READONLY:
		mprotect(ro, (size_t)page, PROT_READ | PROT_WRITE);
		memcpy(ro, content, len);
		mprotect(ro, (size_t)page, PROT_READ);
		return ro;
	case P_NULL:
		return NULL;
	case P_GUARD:
		return arena + page + below((unsigned int)page);
	case P_KERNEL:
		return (void *)(uintptr_t)(0xffff888000000000ull + (rnd() & 0xffffffffull));
	default:
		return (void *)(uintptr_t)(0x8000000000000000ull >> below(16) | (rnd() & 0xfff));
	}
}

/* ---- commands --------------------------------------------------------- */

enum cls { C_START, C_STOP, C_GET, C_SAMPLE, C_NEAR, C_MAGIC, C_RANDOM, C_CLASSES };

static const char *const cls_names[C_CLASSES] = {
	"START", "STOP", "GET", "SAMPLE", "near (magic 0xC7)", "other magics",
	"random",
};

static const unsigned int ours[4] = {
	USB_TIMESYNC_IOC_START_TRACKING, USB_TIMESYNC_IOC_STOP_TRACKING,
	USB_TIMESYNC_IOC_GET_FRAME_NUMBER_AND_TIME, USB_TIMESYNC_IOC_SAMPLE,
};

/* errnos the documentation allows, per call (ENOTTY for the rest) */
static const int allowed_start[] = { EFAULT, EINVAL, ENODEV, EOPNOTSUPP, EAGAIN,
				     ETIMEDOUT, EINTR, ENOSPC, ENOMEM, EPERM, EBADF, 0 };
static const int allowed_stop[] = { EFAULT, EINVAL, ENOENT, 0 };
static const int allowed_get[] = { EFAULT, EINVAL, ENOENT, ENODEV, EAGAIN, 0 };
static const int allowed_sample[] = { EFAULT, EINVAL, ENOENT, ENODEV, EAGAIN, ENOMEM, 0 };
static const int *const allowed[4] = { allowed_start, allowed_stop, allowed_get,
				       allowed_sample };

static int vfs_magic(unsigned int magic)
{
	return magic == 0 || magic == 'T' || magic == 'X' || magic == 'f' ||
	       magic == 'v' || magic == 0x15 || magic == 0x94;
}

static int which_ours(unsigned int cmd)
{
	int i;

	for (i = 0; i < 4; i++)
		if (cmd == ours[i])
			return i;
	return -1;
}

static unsigned int near_cmd(void)
{
	unsigned int dir = below(4), nr, size;
	static const unsigned int sizes[] = {
		sizeof(struct usb_timesync_start), sizeof(struct usb_timesync_stop),
		sizeof(struct usb_timesync_frame_time), sizeof(struct usb_timesync_samples),
	};

	nr = chance(70) ? below(8) : below(256);
	switch (below(4)) {
	case 0:
		size = sizes[below(4)];
		break;
	case 1:
		size = sizes[below(4)] + below(9) - 4;
		break;
	case 2:
		size = 0;
		break;
	default:
		size = below(1u << _IOC_SIZEBITS);
		break;
	}
	return _IOC(dir, USB_TIMESYNC_IOC_MAGIC, nr, size & ((1u << _IOC_SIZEBITS) - 1));
}

static unsigned int magic_cmd(void)
{
	unsigned int cmd = ours[below(4)], magic;

	do
		magic = below(256);
	while (magic == USB_TIMESYNC_IOC_MAGIC || vfs_magic(magic));
	return (cmd & ~(0xffu << _IOC_TYPESHIFT)) | magic << _IOC_TYPESHIFT;
}

static unsigned int random_cmd(void)
{
	unsigned int cmd;

	do
		cmd = (unsigned int)rnd();
	while (vfs_magic(_IOC_TYPE(cmd)));
	return cmd;
}

/* ---- arguments -------------------------------------------------------- */

union arg {
	struct usb_timesync_start start;
	struct usb_timesync_stop stop;
	struct usb_timesync_frame_time get;
	struct usb_timesync_samples sample;
	unsigned char raw[sizeof(struct usb_timesync_samples) + 64];
};

/*
 * Random bytes, then (mostly) each field made valid, so that the checks
 * after the first are reached.  Returns 1 when some field is invalid in a
 * way the driver must refuse with EINVAL.
 */
static int make_arg(int which, struct file *f, union arg *a, uint32_t *handle)
{
	int bad = 0;

	fill_random(a, sizeof(*a));
	switch (which) {
	case 0:
		if (chance(90))
			a->start.busnum = nbuses && chance(90) ? buses[below(nbuses)] : below(70);
		if (chance(85))
			a->start.devnum = chance(60) ? 0 : below(8);
		if (chance(90))
			a->start.flags = (chance(50) ? USB_TIMESYNC_FLAG_STARTUP_DELAY_TOLERABLE : 0) |
					 (chance(20) ? USB_TIMESYNC_FLAG_DEVICE_FD : 0);
		if (chance(90))
			a->start.device_fd = a->start.flags & USB_TIMESYNC_FLAG_DEVICE_FD ?
					     (int)below(16) - 1 : 0;
		if (chance(90))
			a->start.pad = 0;
		/* any accuracy is a valid request: 0 (none), tiny, huge */
		if (chance(60))
			a->start.want_accuracy_ns = chance(50) ? 0 : below(100000);
		bad = (a->start.flags & ~(USB_TIMESYNC_FLAG_STARTUP_DELAY_TOLERABLE |
					  USB_TIMESYNC_FLAG_DEVICE_FD)) ||
		      (!(a->start.flags & USB_TIMESYNC_FLAG_DEVICE_FD) && a->start.device_fd) ||
		      a->start.pad;
		*handle = 0;
		break;
	case 1:
		if (chance(90))
			a->stop.handle = pick_handle(f);
		if (chance(90))
			a->stop.reserved = 0;
		bad = a->stop.reserved != 0;
		*handle = a->stop.handle;
		break;
	case 2:
		if (chance(90))
			a->get.handle = pick_handle(f);
		if (chance(90)) {
			a->get.flags = chance(50) ? USB_TIMESYNC_FRAME_INPUT_VALID : 0;
			a->get.input_microframe = chance(90) ? below(8) : below(16);
			if (!(a->get.flags & USB_TIMESYNC_FRAME_INPUT_VALID) && chance(90))
				a->get.input_frame = a->get.input_microframe = 0;
		}
		if (chance(90))
			a->get.clock = chance(90) ? below(5) : below(8);
		if (chance(90))
			memset(a->get.reserved, 0, sizeof(a->get.reserved));
		bad = (a->get.flags & ~USB_TIMESYNC_FRAME_INPUT_VALID) ||
		      a->get.clock > USB_TIMESYNC_CLOCK_MONOTONIC_RAW ||
		      a->get.input_microframe > 7 ||
		      (!(a->get.flags & USB_TIMESYNC_FRAME_INPUT_VALID) &&
		       (a->get.input_frame || a->get.input_microframe)) ||
		      a->get.reserved[0] || a->get.reserved[1] || a->get.reserved[2];
		*handle = a->get.handle;
		break;
	default:
		if (chance(90))
			a->sample.handle = pick_handle(f);
		if (chance(90))
			a->sample.n_samples = chance(90) ? 1 + below(USB_TIMESYNC_MAX_SAMPLES) :
					      below(200);
		if (chance(90)) {
			a->sample.flags = chance(30) ? USB_TIMESYNC_SAMPLE_FLAG_MONOTONIC_RAW : 0;
			a->sample.reserved = 0;
		}
		bad = a->sample.n_samples < 1 ||
		      a->sample.n_samples > USB_TIMESYNC_MAX_SAMPLES || a->sample.reserved ||
		      (a->sample.flags & ~USB_TIMESYNC_SAMPLE_FLAG_MONOTONIC_RAW) ||
		      ((a->sample.flags & USB_TIMESYNC_SAMPLE_FLAG_MONOTONIC_RAW) &&
		       a->sample.n_samples % 2);
		*handle = a->sample.handle;
		break;
	}
	return bad;
}

/* The bytes of a SAMPLE argument the call may read or write. */
static size_t touched(const struct usb_timesync_samples *s)
{
	size_t n = s->n_samples >= 1 && s->n_samples <= USB_TIMESYNC_MAX_SAMPLES ?
		   s->n_samples : 0;

	return offsetof(struct usb_timesync_samples, samples) + n * sizeof(s->samples[0]);
}

/* ---- counting --------------------------------------------------------- */

#define MAX_ERRNO 200
static uint64_t counts[C_CLASSES][MAX_ERRNO + 1];	/* [0] = success */
static uint64_t ptr_counts[P_KINDS];

/* glibc names every errno ("EINVAL"); 0 is "ok" */
static const char *errname(int e)
{
	static char buf[16];
	const char *name = e ? strerrorname_np(e) : "ok";

	if (name)
		return name;
	snprintf(buf, sizeof(buf), "errno %d", e);
	return buf;
}

static int in_list(const int *l, int e)
{
	for (; *l; l++)
		if (*l == e)
			return 1;
	return 0;
}

/* ---- one call --------------------------------------------------------- */

static void one_call(uint64_t n)
{
	struct file *f = &files[below(NFILES)];
	static union arg a, back;
	enum ptr_kind pk = P_GOOD;
	unsigned int cmd, r = below(100);
	enum cls cls;
	int which, bad = 0, ret, err;
	uint32_t handle = 0;
	size_t len = 0;
	void *p;

	if (r < 70) {
		which = (int)below(4);
		cmd = ours[which];
	} else if (r < 85) {
		cmd = near_cmd();
	} else if (r < 93) {
		cmd = magic_cmd();
	} else {
		cmd = random_cmd();
	}
	which = which_ours(cmd);
	if (which >= 0) {
		cls = (enum cls)which;
		bad = make_arg(which, f, &a, &handle);
		len = (size_t)_IOC_SIZE(cmd);
	} else {
		cls = r < 85 ? C_NEAR : r < 93 ? C_MAGIC : C_RANDOM;
		fill_random(&a, sizeof(a));
		len = sizeof(a);
	}
	pk = pick_ptr_kind();
	p = place(pk, &a, len);
	/*
	 * SAMPLE touches only its header and n_samples entries: a straddling
	 * argument whose touched part is all before the guard page is good.
	 */
	if (pk == P_STRADDLE && which == 3 &&
	    straddle_cut >= touched(&a.sample))
		pk = P_STRADDLE_OK;
	ptr_counts[pk]++;

	ret = ioctl(f->fd, cmd, p);
	err = ret ? errno : 0;
	if (ret && ret != -1)
		violation(n, "ioctl returned %d", ret);
	counts[cls][err > MAX_ERRNO ? MAX_ERRNO : err]++;

	if (which < 0) {
		if (err != ENOTTY)
			violation(n, "unknown command %#x returned %s, not ENOTTY", cmd,
				  errname(err));
		return;
	}
	if (err && !in_list(allowed[which], err))
		violation(n, "%s returned %s, which the uAPI does not document for it",
			  cls_names[cls], errname(err));
	if (pk >= P_NULL && err != EFAULT)
		violation(n, "%s with a %s pointer returned %s, not EFAULT", cls_names[cls],
			  ptr_names[pk], errname(err));
	if ((pk == P_GOOD || pk == P_MISALIGNED || pk == P_STRADDLE_OK) && err == EFAULT)
		violation(n, "%s with a good pointer returned EFAULT", cls_names[cls]);
	if (pk == P_GOOD || pk == P_MISALIGNED || pk == P_READONLY || pk == P_STRADDLE_OK) {
		/* the whole argument was readable: the fields decide */
		if (bad && err != EINVAL && !(which && !is_live(f, handle) && err == ENOENT))
			violation(n, "%s with an invalid field returned %s, not EINVAL",
				  cls_names[cls], errname(err));
		if (!bad && which && !is_live(f, handle) && err != ENOENT)
			violation(n, "%s with handle %u, not live on this file, returned %s",
				  cls_names[cls], handle, errname(err));
	}
	if (err)
		return;

	/* success: what came back */
	if (pk != P_GOOD && pk != P_MISALIGNED && pk != P_READONLY && pk != P_STRADDLE_OK) {
		violation(n, "%s succeeded with a %s pointer", cls_names[cls], ptr_names[pk]);
		return;
	}
	memcpy(&back, p, pk == P_STRADDLE_OK ? straddle_cut : len);
	switch (which) {
	case 0:
		if (back.start.handle < 1 || back.start.handle > MAX_H ||
		    f->live[back.start.handle]) {
			violation(n, "START gave handle %u", back.start.handle);
		} else {
			f->live[back.start.handle] = 1;
			f->nlive++;
		}
		break;
	case 1:
		if (is_live(f, handle)) {
			f->live[handle] = 0;
			f->nlive--;
		}
		break;
	case 2:
		if (back.get.time_frequency_hz != 1000000000ull || back.get.reserved[0] ||
		    back.get.reserved[1] || back.get.reserved[2] ||
		    back.get.current_hw_microframe > 7 || back.get.current_hw_frame > 2047)
			violation(n, "GET answered nonsense (frequency %" PRIu64 ", hw %u.%u)",
				  (uint64_t)back.get.time_frequency_hz, back.get.current_hw_frame,
				  back.get.current_hw_microframe);
		break;
	default: {
		unsigned int i;

		for (i = 0; i < back.sample.n_samples; i++)
			if (back.sample.samples[i].mfindex > 16383 ||
			    back.sample.samples[i].pre_ns > back.sample.samples[i].post_ns ||
			    (back.sample.samples[i].clock != USB_TIMESYNC_CLOCK_MONOTONIC &&
			     back.sample.samples[i].clock != USB_TIMESYNC_CLOCK_MONOTONIC_RAW))
				violation(n, "SAMPLE %u is nonsense", i);
		break;
	}
	}
}

/* ---- main ------------------------------------------------------------- */

static void usage(FILE *out)
{
	fprintf(out,
		"usage: usbts-ioctl-fuzz [--calls N] [--seed S] [--progress N]\n"
		"\n"
		"Seeded ioctl fuzzing of " DEV ": our commands with random fields,\n"
		"commands near ours, handles from other files, bad pointers.  Checks\n"
		"that every errno is documented for its call; counts calls by errno.\n"
		"\n"
		"  --calls N      ioctl calls to make (default 1000000)\n"
		"  --seed S       seed (default: from the clock; printed either way)\n"
		"  --progress N   a progress line every N calls (default 100000)\n"
		"  --reopen N     close and reopen a file every N calls (default 20000)\n"
		"  --help         this text\n"
		"\n"
		"Exit status 0 when every call behaved as documented, 1 otherwise,\n"
		"2 on a setup error.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "calls", required_argument, NULL, 'n' },
		{ "seed", required_argument, NULL, 's' },
		{ "progress", required_argument, NULL, 'p' },
		{ "reopen", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t calls = 1000000, seed, progress = 100000, reopen = 20000, n;
	struct timespec t0, t1;
	int c, i, pipefd[2];
	double secs;
	char *end;

	clock_gettime(CLOCK_REALTIME, &t0);
	seed = (uint64_t)t0.tv_sec * 1000000007ull ^ (uint64_t)t0.tv_nsec ^ (uint64_t)getpid();
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		uint64_t v;

		if (c == 'h') {
			usage(stdout);
			return 0;
		}
		if (c == '?') {
			usage(stderr);
			return 2;
		}
		errno = 0;
		v = strtoull(optarg, &end, 0);
		if (errno || *end || !*optarg) {
			fprintf(stderr, "usbts-ioctl-fuzz: bad number '%s'\n", optarg);
			return 2;
		}
		if (c == 'n')
			calls = v;
		else if (c == 's')
			seed = v;
		else if (c == 'p')
			progress = v ? v : 1;
		else
			reopen = v ? v : 1;
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	rng = seed;
	printf("usbts-ioctl-fuzz: seed %" PRIu64 ", %" PRIu64 " calls "
	       "(reproduce: usbts-ioctl-fuzz --seed %" PRIu64 " --calls %" PRIu64 ")\n",
	       seed, calls, seed, calls);
	fflush(stdout);

	page = sysconf(_SC_PAGESIZE);
	arena = mmap(NULL, 4 * (size_t)page, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (arena == MAP_FAILED) {
		perror("mmap");
		return 2;
	}
	if (mprotect(arena + page, (size_t)page, PROT_NONE) ||
	    mprotect(arena + 2 * page, (size_t)page, PROT_READ) ||
	    mprotect(arena + 3 * page, (size_t)page, PROT_NONE)) {
		perror("mprotect");
		return 2;
	}
	find_buses();
	for (i = 0; i < NFILES; i++)
		file_open(&files[i]);
	if (pipe(pipefd)) {
		perror("pipe");
		return 2;
	}
	other_fds[0] = pipefd[0];
	other_fds[1] = pipefd[1];
	other_fds[2] = open("/dev/null", O_RDONLY);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (n = 1; n <= calls; n++) {
		one_call(n);
		if (n % reopen == 0) {
			struct file *f = &files[below(NFILES)];

			close(f->fd);
			file_open(f);
		}
		if (n % progress == 0) {
			clock_gettime(CLOCK_MONOTONIC, &t1);
			secs = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
			printf("usbts-ioctl-fuzz: %" PRIu64 " calls, %.0f/s, %" PRIu64
			       " violations\n", n, n / secs, violations);
			fflush(stdout);
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;

	printf("usbts-ioctl-fuzz: calls by class and result\n");
	for (i = 0; i < C_CLASSES; i++) {
		uint64_t total = 0;
		int e;

		for (e = 0; e <= MAX_ERRNO; e++)
			total += counts[i][e];
		printf("  %-18s %9" PRIu64 ":", cls_names[i], total);
		for (e = 0; e <= MAX_ERRNO; e++)
			if (counts[i][e])
				printf(" %s %" PRIu64, errname(e), counts[i][e]);
		printf("\n");
	}
	printf("usbts-ioctl-fuzz: arguments by pointer:");
	for (i = 0; i < P_KINDS; i++)
		printf(" %s %" PRIu64, ptr_names[i], ptr_counts[i]);
	printf("\nusbts-ioctl-fuzz: %" PRIu64 " calls in %.1f s (%.0f/s), seed %" PRIu64
	       ", %" PRIu64 " violations\n", calls, secs, calls / secs, seed, violations);
	return violations ? 1 : 0;
}
