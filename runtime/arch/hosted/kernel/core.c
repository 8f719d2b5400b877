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
 * one same-CPU hand-over; the sender never waits for any core thread. To a
 * parked receiver it costs the cross-CPU wake-up alone: the sender wakes
 * it, and the core thread is not on the way ("Parking", below).
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
	uint64_t bits, woke;

	if (!atomic_load_explicit(&ctl->notify_req, memory_order_relaxed) &&
	    !atomic_load_explicit(&ctl->notify_woke, memory_order_relaxed))
		return false;
	bits = atomic_exchange_explicit(&ctl->notify_req, 0, memory_order_acquire);
	woke = atomic_exchange_explicit(&ctl->notify_woke, 0, memory_order_acquire);
	for (uint64_t all = bits | woke; all; all &= all - 1) {
		int bit = __builtin_ctzll(all), ch = h->chan_of_bit[bit];

		if (ch < 0 || (uint32_t)ch >= hk_kernel.sys->n_channels)
			continue;
		if (bits & (UINT64_C(1) << bit))
			(void)vn_notify_deliver_on(&hk_kernel, h->s, (uint32_t)ch, here);
		else
			(void)vn_notify_woke_on(&hk_kernel, h->s, (uint32_t)ch, here);
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

/* h gave its core up: what it runs off its core counts from `now`. */
static void measure_off(uint32_t core, struct hk_shard *h, uint64_t now)
{
	uint64_t w = off_core_budget(h->s);

	if (!cpu_used(h, &h->cpu_off)) {
		h->cpu_off = HK_ON_CORE; /* its process is gone */
		return;
	}
	if (now + w < hk_cores[core].off_check)
		hk_cores[core].off_check = now + w;
}

/* s gave its core up (a call that switches: yield, wait, sleep). A shard
 * process should then sleep on its turn word until the kernel hands the
 * core back; one that posts a call and runs on anyway shares the host CPU
 * with the shard that holds the core now, out of reach of the watchdog,
 * which only watches the holder. So what it runs off its core from here
 * counts against a budget (off_core_budget; check_off_core). Called after
 * the core has gone to the next shard: reading another process's CPU
 * clock is a system call (about 2 us), which the switch need not wait for,
 * and what the leaver runs meanwhile is at most that. A parked shard is
 * measured later, at the first look HK_PARK_LOOK_NS on if it is parked
 * still (check_off_core): most take their core back sooner, and the
 * measurement would delay that. */
static void left_core(uint32_t core, uint64_t now)
{
	struct vn_shard *s = hk_cores[core].leaver;

	if (!s)
		return;
	hk_cores[core].leaver = NULL;
	if (hk_of(s)->cpu_off != HK_LEFT)
		return; /* back on its core already */
	if (hk_cores[core].parked == s) {
		if (now + HK_PARK_LOOK_NS < hk_cores[core].off_check)
			hk_cores[core].off_check = now + HK_PARK_LOOK_NS;
		return;
	}
	measure_off(core, hk_of(s), now);
}

/* Stop, as a fault, each shard of `core` that has run its budget of CPU
 * since it gave its core up; start measuring those not measured yet (a
 * parked shard: left_core). Returns the next look: the soonest any other
 * could (a process runs at most one CPU-nanosecond a nanosecond). */
static uint64_t check_off_core(uint32_t core, uint64_t now)
{
	uint64_t next = VN_NEVER;

	for (uint32_t i = 0; i < hk_kernel.sys->n_shards; i++) {
		struct hk_shard *h = &hk_shards[i];
		uint64_t w = off_core_budget(h->s), used;

		if (h->s->cfg->core != core || h->pid <= 0 || h->cpu_off == HK_ON_CORE ||
		    h->kfault[0] || !cpu_used(h, &used))
			continue;
		if (h->cpu_off == HK_LEFT) {
			h->cpu_off = used;
			used = 0;
		} else {
			used -= h->cpu_off;
		}
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
	/* a parked shard's wake that never came is found within two looks */
	if (hk_cores[core].parked && now + HK_OFF_CORE_NS < next)
		next = now + HK_OFF_CORE_NS;
	return next;
}

/* The control page's core_shared is written each time a shard gets its
 * core (hand_over): beside the futex wake that hands it over, the store
 * costs nothing. */
void port_core_live(uint32_t core)
{
	(void)core;
}

/* ---- Parking (hosted.h, "A parked wait") ---------------------------------
 *
 * A shard whose WAIT armed rings and blocked, served when nothing else can
 * run on its core, is parked: it stays blocked and its core stays free, but
 * its turn word and its armed flags say that a peer may wake it directly.
 * Its core then learns of such a wake at its next look: the turn word reads
 * VN_TURN_CLAIMED, or a new call, and the shard holds its core from the
 * time it wrote, within what its CPU time allows (settle). The core looks
 * at the latest when the shard makes its next call, or HK_PARK_LOOK_NS
 * after the park and then when its off-core budget is due (left_core,
 * check_off_core): a shard that runs claiming to be parked is stopped as
 * any that runs off its core, and one that claimed is watched from its
 * claim. The peer's notification is counted when a core collects it
 * (vn_notify_woke_on: it wakes nobody, the peer did).
 * A park is taken back before the core goes to any shard, the parked one
 * included (dispatch). A shard that dies or starts again is unparked
 * (hk_unpark).
 */

/* Whether h's endpoint `bit` is the receiving end of its channel. */
static bool receives(const struct hk_shard *h, uint32_t bit)
{
	const struct vn_kchannel *c = &hk_kernel.sys->channels[h->chan_of_bit[bit]];

	return c->to == h->s->cfg->id && c->to_bit == bit;
}

/* The sleeping flag of h's endpoint `bit`, in the kernel's mapping of its
 * ring: rx_sleeping if h receives on that channel, tx_sleeping if it
 * sends. */
static _Atomic uint32_t *flag_of(const struct hk_shard *h, uint32_t bit)
{
	struct vn_ring *r = hk_chans[h->chan_of_bit[bit]].ring;

	return receives(h, bit) ? &r->rx_sleeping : &r->tx_sleeping;
}

/* Whether the flag of h's endpoint `bit` is woken with, on its ring, what
 * a notification would have woken it for: a message for h, or space. A
 * peer wakes a flag only after it published, and can write it at will
 * (hosted.h), so a woken flag alone says nothing. */
static bool woken_with_news(const struct hk_shard *h, uint32_t bit)
{
	int ch = h->chan_of_bit[bit];
	struct vn_ring *r = hk_chans[ch].ring;
	uint64_t head, tail;

	if (atomic_load(flag_of(h, bit)) != VN_SLEEP_WOKEN)
		return false;
	head = atomic_load(&r->head);
	tail = atomic_load(&r->tail);
	return receives(h, bit) ? head != tail
				: head - tail < hk_kernel.sys->channels[ch].depth;
}

/* The shard at the other end of h's endpoint `bit`, as a wake-up's waker
 * (trace.h: WAKE's `by`); VN_BY_NONE for no endpoint (bit -1). */
static uint32_t waker_of(const struct hk_shard *h, int bit)
{
	const struct vn_shard *p =
		bit < 0 ? NULL : vn_peer_of(&hk_kernel, h->s, (uint32_t)h->chan_of_bit[bit]);

	return p ? p->cfg->id : VN_BY_NONE;
}

/* Park (`to` VN_SLEEP_PARKED) or unpark (VN_SLEEP_ARMED) the flags of h's
 * endpoints in `armed`; the bit of the first found woken, or -1: a
 * notification that came to the flag and not to the kernel. Parking leaves
 * a woken flag for the shard to see; unparking takes it. A flag in any
 * other state (its shard is untrusted; VN_SLEEP_DEAF, a flag it stopped
 * listening to) stays as it is, and its peer notifies through the kernel. */
static int set_flags(const struct hk_shard *h, uint64_t armed, uint32_t to)
{
	uint32_t from = to == VN_SLEEP_PARKED ? VN_SLEEP_ARMED : VN_SLEEP_PARKED;
	int woke = -1;

	for (uint64_t m = armed; m; m &= m - 1) {
		int b = __builtin_ctzll(m);
		_Atomic uint32_t *f = flag_of(h, (uint32_t)b);
		uint32_t v = from;

		if (atomic_compare_exchange_strong(f, &v, to) || v != VN_SLEEP_WOKEN)
			continue;
		if ((to == VN_SLEEP_PARKED || atomic_exchange(f, to) == VN_SLEEP_WOKEN) && woke < 0)
			woke = b;
	}
	return woke;
}

/* s has just blocked in a WAIT that armed the endpoints of `armed`, and
 * set their flags parked already (syscall.c: a peer may wake it from the
 * moment it asks). Park it if its core is free; if not, its flags go back
 * to armed, and one found woken wakes it. The turn word first: a peer
 * that finds a flag parked then finds the shard parked, and a flag woken
 * before is seen here, and the shard is told to look (it sleeps on the
 * turn word as it was when it asked). */
static void park(uint32_t core, struct vn_shard *s, uint64_t armed, uint64_t now)
{
	struct hk_core *c = &hk_cores[core];
	struct hk_shard *h = hk_of(s);

	armed &= h->rings;
	if (!armed || s->state != VN_BLOCKED)
		return;
	if (hk_kernel.core[core].current) {
		int b = set_flags(h, armed, VN_SLEEP_ARMED);

		if (b >= 0)
			vn_sched_wake_by(&hk_kernel, s, waker_of(h, b));
		return;
	}
	c->parked = s;
	c->parked_at = now;
	c->armed = armed;
	c->unclaimed = false;
	atomic_store_explicit(&h->ctl->turn, VN_TURN_PARK, memory_order_seq_cst);
	if (set_flags(h, armed, VN_SLEEP_PARKED) >= 0)
		vn_futex_wake(&h->ctl->turn);
}

/* Whether a flag the parked shard of `core` sleeps on is woken with news:
 * a peer's wake on its way to the shard, or one whose futex wake never
 * comes (look_parked). */
static bool parked_news(uint32_t core)
{
	const struct hk_core *c = &hk_cores[core];

	for (uint64_t m = c->armed; c->parked && m; m &= m - 1)
		if (woken_with_news(hk_of(c->parked), (uint32_t)__builtin_ctzll(m)))
			return true;
	return false;
}

/* Whether a parked shard was woken by a peer, or took its core back: the
 * kernel still has it blocked, but it runs, or is about to, or the kernel
 * wakes it at its core's next looks (look_parked); for the look at a
 * system that seems stuck (main.c). A flag a peer set woken with nothing
 * sent does not count: the shard sleeps on. */
bool hk_park_woken(void)
{
	for (uint32_t i = 0; i < hk_kernel.sys->n_cores; i++) {
		const struct vn_shard *s = hk_cores[i].parked;

		if (s && (atomic_load(&hk_of(s)->ctl->turn) != VN_TURN_PARK || parked_news(i)))
			return true;
	}
	return false;
}

/* h's process is gone, or starts again with a fresh control page: its
 * flags go back to armed, as a shard's that died asleep in the kernel. */
void hk_unpark(const struct hk_shard *h)
{
	struct hk_core *c = &hk_cores[h->s->cfg->core];

	if (c->parked != h->s)
		return;
	c->parked = NULL;
	(void)set_flags(h, c->armed, VN_SLEEP_ARMED);
}

/* The parked shard of `core`, if any, took its core back: it holds it from
 * when it says it did, but no earlier than its park, and no later than its
 * CPU time since the kernel first measured it parked allows (left_core:
 * what it ran since then, it ran holding its core, so a shard cannot
 * stretch its watchdog by more than that first look's delay). A time it
 * does not give (or gives out of range) is taken as its park's. Its waker
 * is the peer behind the flag it says it found woken (claimed_by), if that
 * is one it was parked on: what it says misleads only its own trace. Or, with
 * `take`, the core is about to go to a shard: take the park back, and
 * measure the shard off its core from now if that is still to come; a flag
 * found woken is a notification the kernel did not see. */
static void settle(uint32_t core, bool take)
{
	struct hk_core *c = &hk_cores[core];
	struct vn_shard *s = c->parked;
	struct hk_shard *h;
	uint32_t park = VN_TURN_PARK, bit;
	uint64_t at, now, used;

	if (!s)
		return;
	h = hk_of(s);
	if (atomic_load_explicit(&h->ctl->turn, memory_order_acquire) == VN_TURN_PARK) {
		if (!take)
			return;
		if (atomic_compare_exchange_strong(&h->ctl->turn, &park, VN_TURN_TAKEN)) {
			int b;

			c->parked = NULL;
			b = set_flags(h, c->armed, VN_SLEEP_ARMED);
			if (b >= 0)
				vn_sched_wake_by(&hk_kernel, s, waker_of(h, b));
			if (h->cpu_off == HK_LEFT)
				measure_off(core, h, port_now());
			return;
		}
	}
	c->parked = NULL;
	now = port_now();
	at = *(volatile uint64_t *)&h->ctl->claimed_at;
	if (at < c->parked_at || at > now)
		at = c->parked_at;
	if (h->cpu_off < HK_LEFT && cpu_used(h, &used) && used >= h->cpu_off &&
	    used - h->cpu_off > now - at) /* it ran longer than it says: from then */
		at = now - (used - h->cpu_off);
	h->cpu_off = HK_ON_CORE;
	h->ctl->core_shared = vn_core_shared(&hk_kernel, core);
	bit = *(volatile uint32_t *)&h->ctl->claimed_by;
	vn_sched_claim(&hk_kernel, s,
		       bit < 64 && (c->armed >> bit & 1) ? waker_of(h, (int)bit) : VN_BY_NONE,
		       at, now);
}

/* A look at the parked shard of `core` (round_of: HK_PARK_LOOK_NS after
 * the park, then at least every HK_OFF_CORE_NS). A peer wakes a parked
 * shard by setting a flag woken and then futex-waking it; a peer that
 * stops between the two and lives on (broken, or lying) leaves the shard
 * asleep with its message, and the system silent: the woken flag counts as
 * a wake on its way (hk_park_woken). A peer that dies there is no such
 * case: the kernel tells a dead shard's peers (vn_peer_changed). A flag
 * found woken with news at two looks in a row, the shard still parked, is
 * such a wake: the kernel takes the park back, which wakes the shard as a
 * notification would (settle). One look is not enough: the peer's futex
 * wake may be a moment away. */
static void look_parked(uint32_t core)
{
	struct hk_core *c = &hk_cores[core];
	bool news = c->parked && atomic_load(&hk_of(c->parked)->ctl->turn) == VN_TURN_PARK &&
		    parked_news(core);

	if (news && c->unclaimed)
		settle(core, true);
	c->unclaimed = news && c->parked;
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
 * is read once from memory the shard owns; the core validates it. Returns
 * the endpoints a WAIT that blocked armed (a1), for park(); else 0. */
static uint64_t serve(uint32_t core)
{
	struct vn_shard *s = hk_kernel.core[core].current;
	struct vn_ctl *ctl;
	struct vn_sysres r;
	uint32_t op, posted = VN_TURN_KERNEL;
	uint64_t a0, a1;

	if (!s)
		return 0;
	ctl = hk_of(s)->ctl;
	if (!atomic_compare_exchange_strong(&ctl->turn, &posted, VN_TURN_TAKEN))
		return 0;
	op = *(volatile uint32_t *)&ctl->op;
	a0 = *(volatile uint64_t *)&ctl->a0;
	a1 = *(volatile uint64_t *)&ctl->a1;
	if (op == VN_SYS_MMIO) {
		serve_mmio(s, core, a0, a1);
		return 0;
	}
	r = vn_syscall_dispatch(&hk_kernel, s, op, a0, a1);
	if (r.action == VN_ACT_CONTINUE)
		hand_over(s, r.value);
	else if (r.action == VN_ACT_EXIT || r.action == VN_ACT_HALT)
		tell_exit(s, r.value);
	else if (r.action == VN_ACT_FAULT)
		refuse(s);
	else if (r.action == VN_ACT_SWITCH) {
		leave(s, core);
		return op == VN_SYS_WAIT ? a1 : 0;
	}
	return 0;
}

/* Give the core to the next shard, if one is ready: the park, if any,
 * taken back first. */
static void dispatch(uint32_t core, uint64_t now)
{
	struct vn_shard *s;

	if (hk_cores[core].parked &&
	    (vn_sched_runnable(&hk_kernel, core) || hk_kernel.core[core].reloads))
		settle(core, true);
	s = vn_sched_pick(&hk_kernel, core, now);
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

/* A system that seems stuck (port_system_event) while a core's round
 * runs is looked at again when the round is done: a WAIT served in it
 * blocks its shard before park() lets a peer's wake count (hk_park_woken),
 * and the look wakes the main thread, which wants the kernel lock. */
static __thread bool in_round, stuck_seen;

bool hk_round_defers_event(void)
{
	if (in_round)
		stuck_seen = true;
	return in_round;
}

/* One round under the lock; returns the deadline to sleep until, in
 * port_now() time (VN_NEVER: none). */
static uint64_t round_of(uint32_t core)
{
	uint64_t now, next, due, armed;

	if (hk_kernel.halted)
		return VN_NEVER;
	collect(core);
	settle(core, false);
	armed = serve(core);
	/* Read after serving: the shard dispatch picks has its core (and its
	 * watchdog's budget) from here, not from before the call just served. */
	now = port_now();
	vn_sched_expire(&hk_kernel, core, now);
	if (now >= hk_cores[core].off_check)
		look_parked(core);
	dispatch(core, now);
	if (armed)
		park(core, hk_cores[core].leaver, armed, now);
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

static uint64_t step(uint32_t core)
{
	uint64_t deadline;

	in_round = true;
	deadline = round_of(core);
	in_round = false;
	if (stuck_seen) {
		stuck_seen = false;
		port_system_event();
	}
	return deadline;
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
		if (vn_kchannel_ring(c)) {
			hk_shards[c->from].rings |= UINT64_C(1) << c->from_bit;
			hk_shards[c->to].rings |= UINT64_C(1) << c->to_bit;
		}
		hk_cores[sys->shards[c->to].core].senders[c->from / 64u] |=
			UINT64_C(1) << c->from % 64u;
		hk_cores[sys->shards[c->from].core].senders[c->to / 64u] |=
			UINT64_C(1) << c->to % 64u;
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
