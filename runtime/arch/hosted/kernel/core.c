/*
 * core.c - one scheduler thread per used core.
 *
 * The thread is pinned to its core's host CPU, as are the core's shard
 * processes, so handing the core to a shard and taking it back are same-CPU
 * wake-ups. It sleeps in ppoll() on its doorbell (a shard posted a call, or
 * another thread kicked us because a shard of ours became ready: a pipe,
 * whose write end is all a shard holds, so no shard can drain it) and on the
 * pidfds of its shards (one died), until the earliest WAIT deadline or
 * watchdog expiry. Each round, under the kernel lock, it:
 * collects the notification requests posted for this core (hosted.h), serves
 * the running shard's call, picks a shard if the core is free, and checks
 * the watchdog.
 *
 * A notification from another core therefore costs the receiver one
 * cross-CPU wake-up (the sender rings this core's doorbell directly) and
 * one same-CPU hand-over; the sender never waits for any core thread.
 *
 * Handing over: write the result, set the turn word to VN_TURN_SHARD, and
 * futex-wake it. The shard is the only reader; the kernel never blocks on it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "dev.h"
#include "hk.h"
#include "port.h"
#include "vn_sched.h"

uint64_t port_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Ring an eventfd, or a doorbell pipe (8 bytes; a full pipe is readable
 * already, so a ring that finds it full is not needed). */
void hk_eventfd_ring(int fd)
{
	static const uint64_t one = 1;

	while (write(fd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
}

void port_kick_core(uint32_t core)
{
	hk_eventfd_ring(hk_cores[core].bell);
}

void port_unlock(void)
{
	pthread_mutex_unlock(&hk_lock);
}

void port_lock(void)
{
	pthread_mutex_lock(&hk_lock);
}

/* Take the notification requests h's shard posted and deliver them from
 * core `here`; whether there were any. Each bit is mapped to a channel by
 * the kernel's own table; the core checks the shard is an endpoint of it.
 * The page is untrusted: a bit with no channel is dropped. */
bool hk_collect(struct hk_shard *h, uint32_t here)
{
	struct vn_ctl *ctl = h->ctl;
	uint64_t bits;

	if (!atomic_load_explicit(&ctl->notify_req, memory_order_relaxed))
		return false;
	bits = atomic_exchange_explicit(&ctl->notify_req, 0, memory_order_acquire);
	while (bits) {
		int bit = __builtin_ctzll(bits), ch = h->chan_of_bit[bit];

		bits &= bits - 1;
		if (ch >= 0 && (uint32_t)ch < hk_kernel.sys->n_channels)
			(void)vn_notify_deliver_on(&hk_kernel, h->s, (uint32_t)ch, here);
	}
	return true;
}

/* Every request posted for shards of `core`. The doorbell was drained
 * before this, so a request posted after the look rings it again. A
 * delivery that woke nobody may leave the system stuck, which
 * port_system_event did not report while the request was in flight. */
static void collect(uint32_t core)
{
	bool took = false;

	for (uint32_t w = 0; w < VN_MAX_SHARDS / 64u; w++) {
		uint64_t m = hk_cores[core].senders[w];

		while (m) {
			int i = __builtin_ctzll(m);

			m &= m - 1;
			took |= hk_collect(&hk_shards[w * 64u + (uint32_t)i], core);
		}
	}
	if (took && vn_system_stuck(&hk_kernel))
		port_system_event();
}

/* The nanoseconds of CPU h's process has used, in *ns; false if its clock
 * cannot be read (the process is gone). */
static bool cpu_used(const struct hk_shard *h, uint64_t *ns)
{
	struct timespec ts;

	if (h->cpu_clock == HK_NO_CLOCK || clock_gettime(h->cpu_clock, &ts) != 0)
		return false;
	*ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	return true;
}

/* What s may run off its core, in CPU nanoseconds, before it is stopped:
 * its watchdog's budget, or HK_OFF_CORE_NS for a shard without one. */
static uint64_t off_core_budget(const struct vn_shard *s)
{
	return s->cfg->watchdog_ns ? s->cfg->watchdog_ns : HK_OFF_CORE_NS;
}

/* s gave its core up (a call that switches: yield, wait, sleep). A shard
 * process should then sleep on its turn word until the kernel hands the
 * core back; one that posts a call and runs on anyway shares the host CPU
 * with the shard that holds the core now, out of reach of the watchdog,
 * which only watches the holder. So what it runs off its core from here
 * counts against a budget (off_core_budget; check_off_core). Called after
 * the core has gone to the next shard: reading another process's CPU
 * clock is a system call (about 2 us), which the switch need not wait for,
 * and what the leaver runs meanwhile is at most that. */
static void left_core(uint32_t core, uint64_t now)
{
	struct vn_shard *s = hk_cores[core].leaver;
	struct hk_shard *h;
	uint64_t w;

	if (!s)
		return;
	hk_cores[core].leaver = NULL;
	h = hk_of(s);
	w = off_core_budget(s);
	if (h->cpu_off != HK_LEFT)
		return; /* back on its core already */
	if (!cpu_used(h, &h->cpu_off)) {
		h->cpu_off = HK_ON_CORE; /* its process is gone */
		return;
	}
	if (now + w < hk_cores[core].off_check)
		hk_cores[core].off_check = now + w;
}

/* Stop, as a fault, each shard of `core` that has run its budget of CPU
 * since it gave its core up. Returns the next look: the soonest any other
 * could (a process runs at most one CPU-nanosecond a nanosecond). */
static uint64_t check_off_core(uint32_t core, uint64_t now)
{
	uint64_t next = VN_NEVER;

	for (uint32_t i = 0; i < hk_kernel.sys->n_shards; i++) {
		struct hk_shard *h = &hk_shards[i];
		uint64_t w = off_core_budget(h->s), used;

		if (h->s->cfg->core != core || h->pid <= 0 || h->cpu_off >= HK_LEFT ||
		    h->kfault[0] || !cpu_used(h, &used))
			continue;
		used -= h->cpu_off;
		if (used > w) {
			snprintf(h->kfault, sizeof(h->kfault),
				 "ran %llu ms of CPU after giving its core up (%s %llu ms)",
				 (unsigned long long)(used / 1000000),
				 h->s->cfg->watchdog_ns ? "watchdog" : "no watchdog: limit",
				 (unsigned long long)(w / 1000000));
			h->cpu_off = HK_ON_CORE;
			hk_kill(h);
			continue;
		}
		if (now + (w - used) < next)
			next = now + (w - used);
	}
	return next;
}

/* The control page's core_shared is written each time a shard gets its
 * core (hand_over): beside the futex wake that hands it over, the store
 * costs nothing. */
void port_core_live(uint32_t core)
{
	(void)core;
}

/* Give s its core back with `value` as the result of its last call. */
static void hand_over(struct vn_shard *s, uint64_t value)
{
	struct vn_ctl *ctl = hk_of(s)->ctl;

	hk_of(s)->cpu_off = HK_ON_CORE;
	ctl->ret = value;
	ctl->pending = s->pending;
	ctl->core_shared = vn_core_shared(&hk_kernel, s->cfg->core);
	atomic_store_explicit(&ctl->turn, VN_TURN_SHARD, memory_order_release);
	vn_futex_wake(&ctl->turn);
}

static void tell_exit(struct vn_shard *s, uint64_t status)
{
	struct vn_ctl *ctl = hk_of(s)->ctl;

	ctl->ret = status;
	atomic_store_explicit(&ctl->turn, VN_TURN_EXIT, memory_order_release);
	vn_futex_wake(&ctl->turn);
}

/* MMIO, the hosted port's own call: a device model answers it, or the
 * caller touched what is not its own and is stopped as a fault would stop
 * it (fault.c reports why once the process is gone). */
static void serve_mmio(struct vn_shard *s, uint32_t core, uint64_t a0, uint64_t a1)
{
	struct hk_shard *h = hk_of(s);
	uint64_t value;

	s->st->syscalls++;
	if (hk_mmio(s, core, a0, a1, &value, h->kfault, sizeof(h->kfault)) == 0) {
		hand_over(s, value);
		return;
	}
	hk_kill(h);
}

/* A call beyond s's authority: s is stopped as a fault (fault.c reports
 * why once the process is gone). */
static void refuse(struct vn_shard *s)
{
	struct hk_shard *h = hk_of(s);

	snprintf(h->kfault, sizeof(h->kfault), "%s", VN_HALT_REFUSED);
	hk_kill(h);
}

/* s gave its core up: what it runs off it is measured once the next shard
 * has the core (left_core). */
static void leave(struct vn_shard *s, uint32_t core)
{
	hk_of(s)->cpu_off = HK_LEFT;
	hk_cores[core].leaver = s;
}

/* Serve the call the running shard posted, if it posted one. The request
 * is read once from memory the shard owns; the core validates it. */
static void serve(uint32_t core)
{
	struct vn_shard *s = hk_kernel.core[core].current;
	struct vn_ctl *ctl;
	struct vn_sysres r;
	uint32_t op;
	uint64_t a0, a1;

	if (!s)
		return;
	ctl = hk_of(s)->ctl;
	if (atomic_load_explicit(&ctl->turn, memory_order_acquire) != VN_TURN_KERNEL)
		return;
	op = *(volatile uint32_t *)&ctl->op;
	a0 = *(volatile uint64_t *)&ctl->a0;
	a1 = *(volatile uint64_t *)&ctl->a1;
	if (op == VN_SYS_MMIO) {
		serve_mmio(s, core, a0, a1);
		return;
	}
	r = vn_syscall_dispatch(&hk_kernel, s, op, a0, a1);
	if (r.action == VN_ACT_CONTINUE)
		hand_over(s, r.value);
	else if (r.action == VN_ACT_EXIT || r.action == VN_ACT_HALT)
		tell_exit(s, r.value);
	else if (r.action == VN_ACT_FAULT)
		refuse(s);
	else if (r.action == VN_ACT_SWITCH)
		leave(s, core);
}

static void dispatch(uint32_t core, uint64_t now)
{
	struct vn_shard *s = vn_sched_pick(&hk_kernel, core, now);

	if (s)
		hand_over(s, vn_shard_resume(&hk_kernel, s));
}

static void watchdog(uint32_t core, uint64_t now)
{
	struct vn_shard *s = vn_watchdog(&hk_kernel, core, now);

	if (s)
		hk_msg("shard '%s' watchdog: ran %llu ms without yielding",
		       s->cfg->name, (unsigned long long)((now - s->ran_since) / 1000000));
}

/* One round under the lock; returns the deadline to sleep until, in
 * port_now() time (VN_NEVER: none). */
static uint64_t step(uint32_t core)
{
	uint64_t now, next, due;

	if (hk_kernel.halted)
		return VN_NEVER;
	collect(core);
	serve(core);
	/* Read after serving: the shard dispatch picks has its core (and its
	 * watchdog's budget) from here, not from before the call just served. */
	now = port_now();
	vn_sched_expire(&hk_kernel, core, now);
	dispatch(core, now);
	left_core(core, now);
	watchdog(core, now);
	due = hk_kill_due(core, now); /* fault.c: the watchdog's SIGKILL, if still due */
	if (now >= hk_cores[core].off_check)
		hk_cores[core].off_check = check_off_core(core, now);
	if (hk_cores[core].off_check < due)
		due = hk_cores[core].off_check;
	/* After serve and dispatch: a WAIT just served has a deadline to
	 * count, and the shard now running a watchdog. */
	next = vn_core_deadline(&hk_kernel, core, now);
	return due < next ? due : next;
}

/* ppoll's timeout for `deadline`, to the nanosecond: a watchdog or a
 * timed wait is late by the host's wake-up latency only, never by a
 * rounding (docs/observability.md, "How late a watchdog fires"). NULL:
 * no deadline. */
static struct timespec *timeout_for(uint64_t deadline, struct timespec *ts)
{
	uint64_t now = port_now(), d = deadline > now ? deadline - now : 0;

	if (deadline == VN_NEVER)
		return NULL;
	ts->tv_sec = (time_t)(d / 1000000000u);
	ts->tv_nsec = (long)(d % 1000000000u);
	return ts;
}

/* The poll set: the doorbell, then the pidfd of each live process. */
static int poll_set(uint32_t core, struct pollfd *fds, struct hk_shard **who)
{
	int n = 1;

	fds[0] = (struct pollfd){.fd = hk_cores[core].doorbell, .events = POLLIN};
	for (uint32_t i = 0; i < hk_kernel.sys->n_shards; i++) {
		struct hk_shard *h = &hk_shards[i];

		if (h->s->cfg->core != core || h->pidfd < 0)
			continue;
		who[n] = h;
		fds[n++] = (struct pollfd){.fd = h->pidfd, .events = POLLIN};
	}
	return n;
}

static void *core_main(void *arg)
{
	struct hk_core *c = arg;
	struct pollfd fds[VN_MAX_SHARDS + 1];
	struct hk_shard *who[VN_MAX_SHARDS + 1];
	cpu_set_t set;
	char junk[512];

	CPU_ZERO(&set);
	CPU_SET(c->cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
	pthread_mutex_lock(&hk_lock);
	for (;;) {
		uint64_t deadline = step(c->id), held = hk_devices_settle(c->id);
		int n = poll_set(c->id, fds, who), woke;
		struct timespec ts;

		pthread_mutex_unlock(&hk_lock);
		woke = ppoll(fds, (nfds_t)n, timeout_for(held < deadline ? held : deadline, &ts),
			     NULL);
		if (woke > 0 && (fds[0].revents & POLLIN))
			while (read(c->doorbell, junk, sizeof(junk)) == (ssize_t)sizeof(junk))
				;
		hk_devices_serve(c->id, woke > 0);
		pthread_mutex_lock(&hk_lock);
		for (int i = 1; i < n; i++)
			if (fds[i].revents)
				hk_reap(who[i]);
	}
	return NULL;
}

/* The host CPU for a core: the core number modulo the CPUs we may use. */
static int host_cpu(uint32_t core)
{
	cpu_set_t set;
	int n, k = 0;

	if (sched_getaffinity(0, sizeof(set), &set) != 0 || (n = CPU_COUNT(&set)) == 0)
		return 0;
	k = (int)(core % (uint32_t)n);
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, &set) && k-- == 0)
			return cpu;
	return 0;
}

/* Who may post notifications for which core, and what each bit means. */
static void notify_tables(void)
{
	const struct vn_ksystem *sys = hk_kernel.sys;

	for (uint32_t i = 0; i < sys->n_shards; i++)
		for (int b = 0; b < 64; b++)
			hk_shards[i].chan_of_bit[b] = -1;
	for (uint32_t i = 0; i < sys->n_channels; i++) {
		const struct vn_kchannel *c = &sys->channels[i];

		hk_shards[c->from].chan_of_bit[c->from_bit] = (int16_t)i;
		hk_shards[c->to].chan_of_bit[c->to_bit] = (int16_t)i;
		hk_cores[sys->shards[c->to].core].senders[c->from / 64u] |= UINT64_C(1) << c->from % 64u;
		hk_cores[sys->shards[c->from].core].senders[c->to / 64u] |= UINT64_C(1) << c->to % 64u;
	}
}

/* Doorbells and CPUs first (the spawner needs them), threads later. */
int hk_cores_prepare(void)
{
	for (uint32_t i = 0; i < hk_kernel.sys->n_cores; i++) {
		int bell[2];

		hk_cores[i].id = i;
		hk_cores[i].cpu = host_cpu(i);
		if (pipe2(bell, O_CLOEXEC | O_NONBLOCK) != 0)
			return -1;
		hk_cores[i].doorbell = bell[0];
		hk_cores[i].bell = bell[1];
	}
	notify_tables();
	return 0;
}

int hk_cores_start(void)
{
	for (uint32_t i = 0; i < hk_kernel.sys->n_cores; i++)
		if (pthread_create(&hk_cores[i].thread, NULL, core_main, &hk_cores[i]) != 0)
			return -1;
	return 0;
}
