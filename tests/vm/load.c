// SPDX-License-Identifier: GPL-2.0
/*
 * usbts-load - concurrent load on /dev/usb-timesync, in the guest
 *
 * Issue 7, scenario 7.  --procs processes (default 4), each with four
 * threads on one shared open file (so 16 threads):
 *   get     GET in a tight loop on a bus handle and a device handle
 *   churn   START (bus or device, with and without
 *           STARTUP_DELAY_TOLERABLE), one GET, STOP
 *   sample  SAMPLE of 1..64 reads on its own bus handle
 *   reopen  open, START, GET, close; and START on an EHCI bus
 * for --duration seconds.  Every operation is counted by role and errno.
 *
 * The workers run at nice 10, the parent at 0, so that the fault comes on
 * time however busy the workers keep the CPUs.
 *
 * Every --every seconds, start to start (at once after a hook that took
 * longer), the parent may run --hook (a shell command that,
 * for instance, unplugs and replugs the device through the host fault
 * agent).  Which errnos are expected, precisely:
 *   EOPNOTSUPP  START on the EHCI bus, always (and nothing else there);
 *   the --hook-errnos (default ENODEV), only for
 *     - a call that began or ended while a hook was running, or
 *     - a call on a handle started before the last hook began, or
 *     - a START naming a device address read before the last hook began;
 *   nothing else, ever: no other errno, and none of these outside those
 *   windows.  After a hook the device is looked up again (by product
 *   string, since replugging gives it a new address).
 * Within one generation current_usb_frame must never go back in a thread's
 * successive GETs, and every answer must be sane.  Exit 1 on any
 * violation, or when a role never succeeded.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/usb/timesync.h>

#define DEV "/dev/usb-timesync"
#define MAX_ERRNO 140
/* the worker processes' nice value; the parent, which runs the hook, keeps 0 */
#define LOAD_NICE 10

enum role { R_GET, R_CHURN, R_SAMPLE, R_REOPEN, R_ROLES };
static const char *const role_names[R_ROLES] = { "get", "churn", "sample", "reopen" };

/* shared by every process */
struct shared {
	unsigned int epoch;		/* odd while a hook runs */
	unsigned int devnum;		/* the device's address, 0 while gone */
	unsigned int stop;
	uint64_t ops[R_ROLES][MAX_ERRNO + 1];	/* [0]: success */
	uint64_t unexpected;
	uint64_t frame_back;
	uint64_t nonsense;
	uint64_t hooks, hook_failures;
};

static struct shared *sh;
static unsigned int bus, ehci_bus;
static const char *product = "QEMU USB Tablet";
static unsigned int hook_errnos[16], n_hook_errnos;

static unsigned int epoch(void)
{
	return __atomic_load_n(&sh->epoch, __ATOMIC_ACQUIRE);
}

static void report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void report(const char *fmt, ...)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	uint64_t n = __atomic_load_n(&sh->unexpected, __ATOMIC_RELAXED) +
		     __atomic_load_n(&sh->frame_back, __ATOMIC_RELAXED) +
		     __atomic_load_n(&sh->nonsense, __ATOMIC_RELAXED);
	va_list ap;

	if (n > 50)
		return;
	pthread_mutex_lock(&lock);
	printf("VIOLATION [pid %d]: ", getpid());
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	pthread_mutex_unlock(&lock);
}

/* glibc names every errno ("EINVAL"); 0 is "ok" */
static const char *errname(int e)
{
	static __thread char buf[16];
	const char *name = e ? strerrorname_np(e) : "ok";

	if (name)
		return name;
	snprintf(buf, sizeof(buf), "errno%d", e);
	return buf;
}

static int errno_by_name(const char *s)
{
	int e;

	for (e = 1; e <= MAX_ERRNO; e++)
		if (!strcmp(errname(e), s))
			return e;
	return 0;
}

static int hook_errno(int e)
{
	unsigned int i;

	for (i = 0; i < n_hook_errnos; i++)
		if ((int)hook_errnos[i] == e)
			return 1;
	return 0;
}

/*
 * Count one operation of @role that returned @err.  @since is the epoch
 * the operation depends on (its handle's START, or when the device address
 * was read); @e0 and @e1 the epochs around the call.
 */
static void count(enum role role, const char *what, int err, unsigned int since,
		  unsigned int e0, unsigned int e1)
{
	__atomic_fetch_add(&sh->ops[role][err > MAX_ERRNO ? MAX_ERRNO : err], 1,
			   __ATOMIC_RELAXED);
	if (!err)
		return;
	if (hook_errno(err) && ((e0 & 1) || (e1 & 1) || e0 != e1 || since != e0))
		return;
	__atomic_fetch_add(&sh->unexpected, 1, __ATOMIC_RELAXED);
	report("%s: %s returned %s (epochs %u/%u/%u)", role_names[role], what, errname(err),
	       since, e0, e1);
}

/* ---- the calls ---------------------------------------------------------- */

static int start(int fd, unsigned int b, unsigned int dev, unsigned int flags, __u32 *h)
{
	struct usb_timesync_start s;

	memset(&s, 0, sizeof(s));
	s.busnum = b;
	s.devnum = dev;
	s.flags = flags;
	if (ioctl(fd, USB_TIMESYNC_IOC_START_TRACKING, &s))
		return errno;
	*h = s.handle;
	return 0;
}

static int stop(int fd, __u32 h)
{
	struct usb_timesync_stop s = { .handle = h };

	return ioctl(fd, USB_TIMESYNC_IOC_STOP_TRACKING, &s) ? errno : 0;
}

/* GET; checks the answer and, per caller, that frames never go back */
struct last { uint64_t gen; uint32_t frame; int valid; };

static int get(int fd, __u32 h, struct last *last)
{
	struct usb_timesync_frame_time g;

	memset(&g, 0, sizeof(g));
	g.handle = h;
	if (ioctl(fd, USB_TIMESYNC_IOC_GET_FRAME_NUMBER_AND_TIME, &g))
		return errno;
	if (g.time_frequency_hz != 1000000000ull || g.current_hw_microframe > 7 ||
	    g.current_hw_frame > 2047 || g.generation == 0 ||
	    ((g.current_usb_frame ^ g.current_hw_frame) & 2047)) {
		__atomic_fetch_add(&sh->nonsense, 1, __ATOMIC_RELAXED);
		report("GET answered nonsense: gen %llu frame %u hw %u.%u",
		       (unsigned long long)g.generation, g.current_usb_frame,
		       g.current_hw_frame, g.current_hw_microframe);
	}
	if (last) {
		if (last->valid && g.generation == last->gen &&
		    (int32_t)(g.current_usb_frame - last->frame) < 0) {
			__atomic_fetch_add(&sh->frame_back, 1, __ATOMIC_RELAXED);
			report("frame went back in generation %llu: %u, then %u",
			       (unsigned long long)g.generation, last->frame,
			       g.current_usb_frame);
		}
		last->valid = 1;
		last->gen = g.generation;
		last->frame = g.current_usb_frame;
	}
	return 0;
}

static int sample(int fd, __u32 h, unsigned int n)
{
	static __thread struct usb_timesync_samples s;
	unsigned int i;

	memset(&s, 0, offsetof(struct usb_timesync_samples, samples));
	s.handle = h;
	s.n_samples = n;
	if (ioctl(fd, USB_TIMESYNC_IOC_SAMPLE, &s))
		return errno;
	for (i = 0; i < n; i++)
		if (s.samples[i].mfindex > 16383 || s.samples[i].pre_ns > s.samples[i].post_ns ||
		    (i && s.samples[i].pre_ns < s.samples[i - 1].pre_ns)) {
			__atomic_fetch_add(&sh->nonsense, 1, __ATOMIC_RELAXED);
			report("SAMPLE %u of %u is nonsense", i, n);
			break;
		}
	return 0;
}

/* ---- the workers -------------------------------------------------------- */

struct worker {
	int fd;
	enum role role;
	unsigned int seed;
};

/* A handle that is restarted after it failed with an expected errno. */
struct tracked {
	__u32 h;
	unsigned int since;	/* epoch of its START */
	unsigned int dev;
	int live;
};

/* START with the current device address (or the bus); counts the call. */
static void track(int fd, enum role role, struct tracked *t, int on_device, unsigned int flags)
{
	unsigned int e0 = epoch(), e1;
	unsigned int dev = on_device ? __atomic_load_n(&sh->devnum, __ATOMIC_ACQUIRE) : 0;
	int err;

	if (on_device && !dev) {	/* gone: wait for the parent to find it */
		usleep(1000);
		return;
	}
	err = start(fd, bus, dev, flags, &t->h);
	e1 = epoch();
	count(role, on_device ? "START (device)" : "START (bus)", err, e0, e0, e1);
	t->live = !err;
	t->since = e0;
	t->dev = dev;
}

static void untrack(int fd, enum role role, struct tracked *t)
{
	unsigned int e0 = epoch();

	count(role, "STOP", stop(fd, t->h), t->since, e0, epoch());
	t->live = 0;
}

static void *get_loop(void *arg)
{
	struct worker *w = arg;
	struct tracked t[2] = { { 0 } };
	struct last last[2] = { { 0 } };
	unsigned int i = 0;

	while (!__atomic_load_n(&sh->stop, __ATOMIC_RELAXED)) {
		struct tracked *x = &t[i & 1];
		unsigned int e0;
		int err;

		if (!x->live) {
			track(w->fd, R_GET, x, i & 1, 0);
			i++;
			continue;
		}
		e0 = epoch();
		err = get(w->fd, x->h, &last[i & 1]);
		count(R_GET, (i & 1) ? "GET (device)" : "GET (bus)", err, x->since, e0, epoch());
		if (err)	/* start again, on the device's new address */
			untrack(w->fd, R_GET, x);
		i++;
	}
	for (i = 0; i < 2; i++)
		if (t[i].live)
			untrack(w->fd, R_GET, &t[i]);
	return NULL;
}

static void *churn_loop(void *arg)
{
	struct worker *w = arg;
	unsigned int i = 0;

	while (!__atomic_load_n(&sh->stop, __ATOMIC_RELAXED)) {
		struct tracked t = { 0 };
		unsigned int e0;

		track(w->fd, R_CHURN, &t, i & 1,
		      (i & 2) ? USB_TIMESYNC_FLAG_STARTUP_DELAY_TOLERABLE : 0);
		if (t.live) {
			e0 = epoch();
			count(R_CHURN, "GET", get(w->fd, t.h, NULL), t.since, e0, epoch());
			untrack(w->fd, R_CHURN, &t);
		}
		i++;
	}
	return NULL;
}

static void *sample_loop(void *arg)
{
	struct worker *w = arg;
	struct tracked t = { 0 };

	while (!__atomic_load_n(&sh->stop, __ATOMIC_RELAXED)) {
		unsigned int e0;
		int err;

		if (!t.live) {
			track(w->fd, R_SAMPLE, &t, 0, 0);
			continue;
		}
		e0 = epoch();
		err = sample(w->fd, t.h, 1 + rand_r(&w->seed) % USB_TIMESYNC_MAX_SAMPLES);
		count(R_SAMPLE, "SAMPLE", err, t.since, e0, epoch());
		if (err)
			untrack(w->fd, R_SAMPLE, &t);
	}
	if (t.live)
		untrack(w->fd, R_SAMPLE, &t);
	return NULL;
}

static void *reopen_loop(void *arg)
{
	unsigned int i = 0;

	(void)arg;	/* opens its own files */

	while (!__atomic_load_n(&sh->stop, __ATOMIC_RELAXED)) {
		struct tracked t = { 0 };
		int fd = open(DEV, O_RDWR), err;
		unsigned int e0;
		__u32 h;

		if (fd < 0) {
			count(R_REOPEN, "open", errno, epoch(), epoch(), epoch());
			continue;
		}
		if (ehci_bus && i % 8 == 7) {
			/* EOPNOTSUPP is the one right answer on EHCI */
			err = start(fd, ehci_bus, 0, 0, &h);
			__atomic_fetch_add(&sh->ops[R_REOPEN][err > MAX_ERRNO ? MAX_ERRNO : err],
					   1, __ATOMIC_RELAXED);
			if (err != EOPNOTSUPP) {
				__atomic_fetch_add(&sh->unexpected, 1, __ATOMIC_RELAXED);
				report("reopen: START on EHCI bus %u returned %s, not EOPNOTSUPP",
				       ehci_bus, errname(err));
			}
		} else {
			track(fd, R_REOPEN, &t, i & 1, (i & 2) ?
			      USB_TIMESYNC_FLAG_STARTUP_DELAY_TOLERABLE : 0);
			if (t.live) {
				e0 = epoch();
				count(R_REOPEN, "GET", get(fd, t.h, NULL), t.since, e0, epoch());
			}
		}
		close(fd);	/* stops the handle */
		i++;
	}
	return NULL;
}

static void child(unsigned int n)
{
	void *(*const fns[R_ROLES])(void *) = { get_loop, churn_loop, sample_loop, reopen_loop };
	struct worker w[R_ROLES];
	pthread_t th[R_ROLES];
	int fd = open(DEV, O_RDWR), i;

	if (fd < 0) {
		perror(DEV);
		_exit(2);
	}
	/*
	 * Below the parent: its hook (the fault) must not wait behind the
	 * load.  On the debug kernel, at equal priority, 16 busy threads held
	 * an unplug/replug hook back for over a minute.  The threads inherit
	 * it.
	 */
	if (setpriority(PRIO_PROCESS, 0, LOAD_NICE))
		perror("setpriority");
	for (i = 0; i < R_ROLES; i++) {
		w[i].fd = fd;
		w[i].role = (enum role)i;
		w[i].seed = n * 16 + (unsigned int)i;
		if (pthread_create(&th[i], NULL, fns[i], &w[i])) {
			perror("pthread_create");
			_exit(2);
		}
	}
	for (i = 0; i < R_ROLES; i++)
		pthread_join(th[i], NULL);
	close(fd);
	_exit(0);
}

/* ---- discovery ---------------------------------------------------------- */

static int read_sysfs(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	if (!fgets(buf, (int)len, f)) {
		fclose(f);
		return -1;
	}
	fclose(f);
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

/* The USB 2 bus of the first controller driven by @driver. */
static unsigned int find_bus(const char *driver)
{
	char path[PATH_MAX], link[PATH_MAX], buf[64];
	unsigned int b;

	for (b = 1; b < 64; b++) {
		ssize_t n;

		snprintf(path, sizeof(path), "/sys/bus/usb/devices/usb%u/../driver", b);
		n = readlink(path, link, sizeof(link) - 1);
		if (n < 0)
			continue;
		link[n] = 0;
		if (strcmp(strrchr(link, '/') + 1, driver))
			continue;
		snprintf(path, sizeof(path), "/sys/bus/usb/devices/usb%u/speed", b);
		if (!read_sysfs(path, buf, sizeof(buf)) && !strcmp(buf, "480"))
			return b;
	}
	return 0;
}

/* devnum of the device on bus whose product string is @product, or 0 */
static unsigned int find_dev(void)
{
	char path[PATH_MAX], buf[128];
	DIR *dir = opendir("/sys/bus/usb/devices");
	struct dirent *d;
	unsigned int devnum = 0;

	if (!dir)
		return 0;
	while ((d = readdir(dir))) {
		if ((unsigned int)atoi(d->d_name) != bus || !strchr(d->d_name, '-') ||
		    strchr(d->d_name, ':'))
			continue;
		snprintf(path, sizeof(path), "/sys/bus/usb/devices/%s/product", d->d_name);
		if (read_sysfs(path, buf, sizeof(buf)) || strcmp(buf, product))
			continue;
		snprintf(path, sizeof(path), "/sys/bus/usb/devices/%s/devnum", d->d_name);
		if (!read_sysfs(path, buf, sizeof(buf)))
			devnum = (unsigned int)atoi(buf);
		break;
	}
	closedir(dir);
	return devnum;
}

/* ---- main --------------------------------------------------------------- */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: usbts-load [--duration S] [--procs N] [--bus N] [--device PRODUCT]\n"
		"                  [--every S --hook CMD [--hook-errnos LIST]]\n"
		"\n"
		"Concurrent load on " DEV ": per process, threads for GET, START/STOP\n"
		"churn, SAMPLE and close/reopen, on one xHCI bus and one device on it.\n"
		"Counts operations by errno and fails on any unexpected one.\n"
		"\n"
		"  --duration S      seconds of load (default 60)\n"
		"  --procs N         processes, four threads each (default 4)\n"
		"  --bus N           the xHCI bus (default: the first xhci_hcd USB 2 bus)\n"
		"  --device PRODUCT  the device, by product string (default \"QEMU USB Tablet\")\n"
		"  --every S         start the hook every S seconds (default 5), or as soon\n"
		"                    as the last one has finished if it took longer\n"
		"  --hook CMD        sh -c CMD: a fault, e.g. unplug and replug the device\n"
		"  --hook-errnos L   comma-separated errnos a hook may cause (default ENODEV)\n"
		"  --help            this text\n"
		"\n"
		"Without --hook no errno is expected but EOPNOTSUPP on the EHCI bus.\n"
		"Exit status 0 when all went as documented, 1 otherwise, 2 on setup errors.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "duration", required_argument, NULL, 'd' },
		{ "procs", required_argument, NULL, 'p' },
		{ "bus", required_argument, NULL, 'b' },
		{ "device", required_argument, NULL, 'D' },
		{ "every", required_argument, NULL, 'e' },
		{ "hook", required_argument, NULL, 'H' },
		{ "hook-errnos", required_argument, NULL, 'E' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	double duration = 60, every = 5, t0, next_hook, next_progress;
	unsigned int procs = 4, i, r, e;
	const char *hook = NULL;
	char *list = NULL, *tok, *save;
	pid_t pids[64];
	int c, bad = 0, status;
	uint64_t total = 0;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': duration = atof(optarg); break;
		case 'p': procs = (unsigned int)atoi(optarg); break;
		case 'b': bus = (unsigned int)atoi(optarg); break;
		case 'D': product = optarg; break;
		case 'e': every = atof(optarg); break;
		case 'H': hook = optarg; break;
		case 'E': list = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc || duration <= 0 || every <= 0 || !procs || procs > 64) {
		usage(stderr);
		return 2;
	}
	list = strdup(list ? list : "ENODEV");
	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int en = errno_by_name(tok);

		if (!en || n_hook_errnos == 16) {
			fprintf(stderr, "usbts-load: unknown errno '%s'\n", tok);
			return 2;
		}
		hook_errnos[n_hook_errnos++] = (unsigned int)en;
	}
	if (!hook)
		n_hook_errnos = 0;	/* nothing is expected without a fault */

	if (!bus)
		bus = find_bus("xhci_hcd");
	ehci_bus = find_bus("ehci-pci");
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (!bus || sh == MAP_FAILED) {
		fprintf(stderr, "usbts-load: no xHCI bus, or no shared memory\n");
		return 2;
	}
	sh->devnum = find_dev();
	if (!sh->devnum) {
		fprintf(stderr, "usbts-load: no device '%s' on bus %u\n", product, bus);
		return 2;
	}
	printf("usbts-load: %u processes x 4 threads for %.0f s on bus %u, device %u (%s), "
	       "EHCI bus %u; hook %s every %.0f s\n", procs, duration, bus, sh->devnum,
	       product, ehci_bus, hook ? hook : "(none)", every);
	fflush(stdout);

	for (i = 0; i < procs; i++) {
		pids[i] = fork();
		if (pids[i] < 0) {
			perror("fork");
			return 2;
		}
		if (!pids[i])
			child(i);
	}

	t0 = now_s();
	next_hook = t0 + every;
	next_progress = t0 + 5;
	while (now_s() - t0 < duration) {
		usleep(50000);
		if (hook && now_s() >= next_hook) {
			int rc;
			unsigned int dev = 0, tries;

			__atomic_fetch_add(&sh->epoch, 1, __ATOMIC_ACQ_REL);	/* odd */
			__atomic_store_n(&sh->devnum, 0, __ATOMIC_RELEASE);
			rc = system(hook);
			sh->hooks++;
			if (rc) {
				sh->hook_failures++;
				printf("usbts-load: hook exited with %d\n", rc);
			}
			/* the device comes back with a new address */
			for (tries = 0; tries < 200 && !(dev = find_dev()); tries++)
				usleep(50000);
			__atomic_store_n(&sh->devnum, dev, __ATOMIC_RELEASE);
			__atomic_fetch_add(&sh->epoch, 1, __ATOMIC_ACQ_REL);	/* even */
			if (!dev) {
				sh->hook_failures++;
				printf("usbts-load: device '%s' did not come back\n", product);
			}
			/*
			 * Start to start: the next fault comes --every seconds
			 * after this one began, at once if this one (with the
			 * device's return) took longer.
			 */
			next_hook += every;
			if (next_hook < now_s())
				next_hook = now_s();
		}
		if (now_s() >= next_progress) {
			uint64_t n = 0;

			for (r = 0; r < R_ROLES; r++)
				for (e = 0; e <= MAX_ERRNO; e++)
					n += sh->ops[r][e];
			printf("usbts-load: %.0f s, %" PRIu64 " operations, %" PRIu64
			       " unexpected\n", now_s() - t0, n, sh->unexpected);
			fflush(stdout);
			next_progress += 5;
		}
	}
	__atomic_store_n(&sh->stop, 1, __ATOMIC_RELEASE);
	for (i = 0; i < procs; i++) {
		if (waitpid(pids[i], &status, 0) < 0 || !WIFEXITED(status) ||
		    WEXITSTATUS(status)) {
			printf("usbts-load: process %u failed (status %#x)\n", i, status);
			bad = 1;
		}
	}

	printf("usbts-load: operations by role and result\n");
	for (r = 0; r < R_ROLES; r++) {
		uint64_t n = 0;

		for (e = 0; e <= MAX_ERRNO; e++)
			n += sh->ops[r][e];
		total += n;
		printf("  %-7s %9" PRIu64 ":", role_names[r], n);
		for (e = 0; e <= MAX_ERRNO; e++)
			if (sh->ops[r][e])
				printf(" %s %" PRIu64, errname((int)e), sh->ops[r][e]);
		printf("\n");
		if (!sh->ops[r][0]) {
			printf("usbts-load: role %s never succeeded\n", role_names[r]);
			bad = 1;
		}
	}
	printf("usbts-load: %" PRIu64 " operations in %.0f s (%.0f/s), %" PRIu64
	       " faults injected (%" PRIu64 " failed), %" PRIu64 " unexpected errnos, %" PRIu64
	       " frames gone back, %" PRIu64 " nonsense answers\n", total, duration,
	       total / duration, sh->hooks, sh->hook_failures, sh->unexpected,
	       sh->frame_back, sh->nonsense);
	if (sh->unexpected || sh->frame_back || sh->nonsense || sh->hook_failures)
		bad = 1;
	free(list);
	return bad;
}
