/*
 * main.c - the hosted kernel: boot, wait for the end, report.
 *
 *   kernel [--quiet] [--net DEVICE=IFNAME]...
 *
 * Boot creates every channel and control page, starts every shard process,
 * then one scheduler thread per core. The main thread then only waits: for
 * the system to be done (every shard finished or stopped, or a halt) or for
 * SIGINT/SIGTERM, reporting on the way if it gets stuck (every live shard
 * asleep for good, nothing left to wake one). At the end it takes the
 * kernel lock for good, so no core thread acts again, stops what still runs
 * and exits.
 */
#define _GNU_SOURCE
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "dev.h"
#include "hk.h"
#include "port.h"
#include "vn_sched.h"

struct vn_kernel hk_kernel;
pthread_mutex_t hk_lock = PTHREAD_MUTEX_INITIALIZER;
struct hk_shard hk_shards[VN_MAX_SHARDS];
struct hk_core hk_cores[VN_MAX_CORES];
struct hk_chan hk_chans[HK_MAX_CHANNELS];
struct hk_pool hk_pools[VN_MAX_POOLS];
char hk_dir[PATH_MAX];
int hk_done_fd = -1;
bool hk_quiet;

static int find_dir(void)
{
	ssize_t n = readlink("/proc/self/exe", hk_dir, sizeof(hk_dir) - 1);
	char *d;

	if (n <= 0)
		return -1;
	hk_dir[n] = '\0';
	d = dirname(hk_dir);
	memmove(hk_dir, d, strlen(d) + 1);
	return 0;
}

/* The kernel keeps a descriptor for every channel and several per shard:
 * a large system needs more than the usual soft limit of 1024. */
static void raise_limit(int which)
{
	struct rlimit r;

	if (getrlimit(which, &r) == 0 && r.rlim_cur < r.rlim_max) {
		r.rlim_cur = r.rlim_max;
		setrlimit(which, &r);
	}
}

/* The same for processes: one per shard, counted against the user's
 * limit with every other process the user runs (proc.c says so if a
 * start fails on it). */
static void raise_limits(void)
{
	raise_limit(RLIMIT_NOFILE);
	raise_limit(RLIMIT_NPROC);
}

static int boot(void)
{
	const struct vn_ksystem *sys = &vn_system;

	raise_limits();
	if (vn_kernel_init(&hk_kernel, sys, &hk_obs) != 0 || sys->n_channels > HK_MAX_CHANNELS)
		return hk_msg("system tables are inconsistent"), -1;
	if (hk_cores_prepare() != 0 || hk_channels_create() != 0 ||
	    hk_pools_create() != 0)
		return hk_msg("cannot create channels or pools: %m"), -1;
	for (uint32_t i = 0; i < sys->n_shards; i++) {
		hk_shards[i].s = &hk_kernel.shard[i];
		hk_kernel.shard[i].port = &hk_shards[i];
		if (hk_ctl_create(&hk_shards[i]) != 0)
			return hk_msg("cannot create control pages: %m"), -1;
		if (hk_relay_create(&hk_shards[i]) != 0)
			return hk_msg("cannot create the console pipe of shard '%s': %m",
				      sys->shards[i].name), -1;
	}
	if (hk_relay_start() != 0)
		return hk_msg("cannot start the console's relay: %m"), -1;
	if (hk_devices_prepare() != 0)
		return -1;
	for (uint32_t i = 0; i < sys->n_shards; i++)
		if (hk_spawn(&hk_shards[i]) != 0)
			return hk_msg("cannot start shard '%s'", sys->shards[i].name), -1;
	hk_obs_start(); /* the socket: once what it reads exists */
	hk_info("system '%s' (%s): %u shard%s on %u core%s", sys->name, sys->board,
		sys->n_shards, sys->n_shards == 1 ? "" : "s", sys->n_cores,
		sys->n_cores == 1 ? "" : "s");
	if (hk_devices_start() != 0)
		return -1;
	return hk_cores_start() == 0 ? 0 : -1;
}

/* Called with hk_lock held, never released: the system is over. */
static _Noreturn void finish(int status, const char *why)
{
	for (uint32_t i = 0; i < hk_kernel.sys->n_shards; i++)
		hk_kill(&hk_shards[i]);
	hk_devices_end();
	hk_relay_drain(NULL);
	hk_console_flush(); /* room for the last lines: none of them is dropped */
	vn_sched_end(&hk_kernel);
	hk_obs_end();
	if (getenv("VANITY_STATS") && strcmp(getenv("VANITY_STATS"), "0") != 0)
		hk_stats();
	if (why)
		hk_msg("system '%s' %s, exited with status %d", hk_kernel.sys->name, why, status);
	else
		hk_info("system '%s' exited with status %d", hk_kernel.sys->name, status);
	hk_console_flush();
	fflush(NULL);
	_exit(status);
}

static int signals_fd(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	signal(SIGPIPE, SIG_IGN);
	/* Blocked in every thread (they inherit the mask); read via signalfd. */
	if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0)
		return -1;
	return signalfd(-1, &set, SFD_CLOEXEC);
}

/* Notifications are posted without the kernel (hosted.h): one posted by a
 * shard that then went to sleep may not be delivered yet, and one to a
 * parked shard is not the kernel's to deliver (core.c, "Parking"). */
bool hk_notifications_in_flight(void)
{
	for (uint32_t i = 0; i < hk_kernel.sys->n_shards; i++)
		if (atomic_load(&hk_shards[i].ctl->notify_req))
			return true;
	return hk_park_woken();
}

static _Noreturn void wait_for_end(int sig_fd)
{
	struct pollfd fds[2] = {{.fd = hk_done_fd, .events = POLLIN},
				{.fd = sig_fd, .events = POLLIN}};
	struct signalfd_siginfo si;
	uint64_t junk;

	for (;;) {
		if (poll(fds, 2, -1) <= 0)
			continue;
		/* Drain before looking, so an event after the look is not lost. */
		(void)!read(hk_done_fd, &junk, sizeof(junk));
		pthread_mutex_lock(&hk_lock);
		if (fds[1].revents && read(sig_fd, &si, sizeof(si)) == sizeof(si))
			finish(128 + (int)si.ssi_signo, si.ssi_signo == SIGINT ?
			       "interrupted by SIGINT" : "terminated by SIGTERM");
		if (vn_system_done(&hk_kernel))
			finish(vn_system_status(&hk_kernel), NULL);
		if (vn_system_stuck(&hk_kernel) && !hk_notifications_in_flight())
			hk_report_stuck();
		pthread_mutex_unlock(&hk_lock);
	}
}

int main(int argc, char **argv)
{
	int sig_fd;

	/* Nobody without CAP_SYS_PTRACE may read or write our memory. */
	prctl(PR_SET_DUMPABLE, 0);

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--quiet") == 0) {
			hk_quiet = true;
		} else if (strcmp(argv[i], "--net") == 0 && i + 1 < argc &&
			   hk_dev_set_option(argv[i + 1]) == 0) {
			i++;
		} else {
			fprintf(stderr, "usage: %s [--quiet] [--net DEVICE=IFNAME[,OPTION]...]...\n"
				"  --net DEVICE=IFNAME  back virtio-net device DEVICE of the "
				"spec with host interface IFNAME\n"
				"    ,backend=af_xdp|af_packet  only this backend (default: "
				"AF_XDP where it can run, else AF_PACKET)\n", argv[0]);
			return 2;
		}
	}
	sig_fd = signals_fd();
	hk_done_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (sig_fd < 0 || hk_done_fd < 0 || find_dir() != 0)
		return hk_msg("cannot set up the kernel: %m"), 1;
	pthread_mutex_lock(&hk_lock);
	if (boot() != 0) {
		hk_devices_end();
		for (uint32_t i = 0; i < VN_MAX_SHARDS; i++)
			if (hk_shards[i].s)
				hk_kill(&hk_shards[i]);
		hk_console_flush();
		return 1;
	}
	pthread_mutex_unlock(&hk_lock);
	wait_for_end(sig_fd);
}
