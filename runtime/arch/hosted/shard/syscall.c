/*
 * syscall.c - the hosted shard's way into the kernel, and its clock.
 *
 * A call is posted in the control page, the core's doorbell is rung, and the
 * shard sleeps on its turn word until the kernel hands the core back. The
 * kernel thread of our core runs on our host CPU, so the round trip is two
 * same-CPU wake-ups, never a cross-CPU one.
 *
 * A notification is not a call: it is posted in the control page and the
 * doorbell of the peer's core is rung directly; we keep our core (hosted.h).
 * A peer parked in WAIT is woken on its ring's sleeping flag instead, with
 * no kernel on the way (hosted.h, "A parked wait").
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <sched.h>
#include <stdbool.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <vanity.h>
#include <vanity/config.h>
#include <vanity/mmio.h>

#include "hosted.h"
#include "hosted_arch.h"
#include "shard.h"

#define CTL ((struct vn_ctl *)(uintptr_t)vn_self.ctl)

/* Sleep until the kernel gives us the core (or tells us to end). */
void vn_hosted_wait_turn(void)
{
	uint32_t t;

	while ((t = atomic_load_explicit(&CTL->turn, memory_order_acquire)) ==
		       VN_TURN_KERNEL ||
	       t == VN_TURN_TAKEN)
		vn_futex_wait(&CTL->turn, t);
	if (t != VN_TURN_SHARD)
		_exit((int)(CTL->ret & 0xff));
}

/* Whether the host has futex_waitv (Linux 5.16), which a parked wait
 * sleeps in: asked once, before the first WAIT that would let the kernel
 * park us. With no waiters the call fails at once, with EINVAL if it
 * exists. */
static bool can_park(void)
{
	static int have = -1;

	if (have < 0)
		have = syscall(SYS_futex_waitv, NULL, 0, 0, NULL, CLOCK_MONOTONIC) < 0 &&
		       errno == EINVAL;
	return have;
}

/* The sleeping flag of our endpoint with notification bit `bit`, the one
 * we arm; NULL if `bit` is none of our rings' endpoints. */
static _Atomic uint32_t *flag_of(uint32_t bit)
{
	for (uint32_t i = 0; i < vn_self.n_rx; i++)
		if (vn_self.rx_bit[i] == bit)
			return &vn_self.rx[i]->ring->rx_sleeping;
	for (uint32_t i = 0; i < vn_self.n_tx; i++)
		if (vn_self.tx_bit[i] == bit)
			return &vn_self.tx[i]->ring->tx_sleeping;
	return NULL;
}

/* Whether our endpoint with notification bit `bit` has what its flag
 * woken says: a message to take, or space to send into. A peer wakes the
 * flag only after it published (vn_tx_publish, vn_rx_publish), so a woken
 * flag without it was not woken by a notification. */
static bool has_news(uint32_t bit)
{
	for (uint32_t i = 0; i < vn_self.n_rx; i++)
		if (vn_self.rx_bit[i] == bit)
			return vn_rx_avail(vn_self.rx[i], 1) != 0;
	for (uint32_t i = 0; i < vn_self.n_tx; i++)
		if (vn_self.tx_bit[i] == bit)
			return vn_tx_space(vn_self.tx[i], 1) != 0;
	return false;
}

/* Stop listening to flag f, which read `v`, for the rest of this wait
 * (hosted.h: VN_SLEEP_DEAF); false if a peer has set it woken with news
 * meanwhile (a notification: look again). Whatever else it changed to, it
 * is made deaf all the same: a peer that flips it between the values we
 * sleep on, waking it each time, would otherwise wake us for ever, each
 * wake a look and CPU off our core. Not back to armed: the kernel parks a
 * WAIT's flags after its turn word, so a park that comes late would park
 * it again, and a peer's wake would go to a flag we no longer sleep on
 * (park.pml: DEAF_TO_ARMED). */
static bool deafen(_Atomic uint32_t *f, uint32_t v, uint32_t bit)
{
	while (!(v == VN_SLEEP_WOKEN && has_news(bit)))
		if (atomic_compare_exchange_strong(f, &v, VN_SLEEP_DEAF))
			return true;
	return false;
}

/* Wait for the turn after a WAIT that armed the rings of `armed`, on the
 * turn word and on those rings' sleeping flags at once, so that once the
 * kernel has parked us a peer can wake us directly (hosted.h). A flag's
 * wake we cannot vouch for takes that flag out of the wait. Returns true
 * when the kernel gave the turn back (ret is WAIT's answer), false when a
 * peer's wake let us take our park back (the answer is 0: the caller
 * looks at its rings). */
static bool wait_parked(uint64_t armed)
{
	/* Not on the stack: 1.8 KB, a shard's whole stack may be 4 KiB, and
	 * the process runs one thread, whose signal handlers never wait. */
	static struct futex_waitv w[1 + 64];
	static uint32_t bit[1 + 64];
	uint32_t t;

	while ((t = atomic_load_explicit(&CTL->turn, memory_order_acquire)) ==
		       VN_TURN_KERNEL ||
	       t == VN_TURN_TAKEN || t == VN_TURN_PARK) {
		uint32_t n = 0, park = VN_TURN_PARK, posted = VN_TURN_KERNEL;
		uint32_t woke = 64; /* the first endpoint found woken; 64: none */
		bool changed = false;
		long r;

		w[n++] = (struct futex_waitv){.val = t, .uaddr = (uintptr_t)&CTL->turn,
					      .flags = FUTEX_32};
		for (uint64_t m = armed; m; m &= m - 1) {
			uint32_t b = (uint32_t)__builtin_ctzll(m);
			_Atomic uint32_t *f = flag_of(b);
			uint32_t v = atomic_load_explicit(f, memory_order_acquire);

			if (v == VN_SLEEP_WOKEN ? !has_news(b)
						: v != VN_SLEEP_PARKED && v != VN_SLEEP_ARMED) {
				/* no notification woke it: not listened to */
				if (deafen(f, v, b))
					armed &= ~(UINT64_C(1) << b);
				else
					changed = true;
				continue;
			}
			if (v == VN_SLEEP_WOKEN && woke == 64)
				woke = b;
			bit[n] = b;
			w[n++] = (struct futex_waitv){.val = v, .uaddr = (uintptr_t)f,
						      .flags = FUTEX_32};
		}
		if (changed)
			continue;
		if (t == VN_TURN_PARK && woke < 64) {
			/* the time and the waker's endpoint first: the kernel
			 * reads them once it sees the claim */
			CTL->claimed_at = vn_now();
			CTL->claimed_by = woke;
			if (atomic_compare_exchange_strong(&CTL->turn, &park, VN_TURN_CLAIMED))
				return false;
		}
		/* Woken before the kernel took the call: withdraw it. We never
		 * left our core. */
		if (t == VN_TURN_KERNEL && woke < 64 &&
		    atomic_compare_exchange_strong(&CTL->turn, &posted, VN_TURN_SHARD))
			return false;
		if (woke < 64 && t != VN_TURN_TAKEN)
			continue;
		r = syscall(SYS_futex_waitv, w, n, 0, NULL, CLOCK_MONOTONIC);
		/* A flag's futex woken with the flag as it was (parked or
		 * armed: a woken one is news we wait to act on): a peer's late
		 * wake, or a false one. */
		if (r > 0 && r < (long)n && w[r].val != VN_SLEEP_WOKEN &&
		    deafen((_Atomic uint32_t *)(uintptr_t)w[r].uaddr, (uint32_t)w[r].val, bit[r]))
			armed &= ~(UINT64_C(1) << bit[r]);
		else if (r < 0 && errno != EAGAIN && errno != EINTR)
			sched_yield(); /* not seen: can_park() asked */
	}
	if (t != VN_TURN_SHARD)
		_exit((int)(CTL->ret & 0xff));
	return true;
}

/* The endpoints of `a1` a WAIT may be parked on: rings of ours. */
static uint64_t parkable(uint64_t a1)
{
	uint64_t m = 0;

	for (uint64_t b = a1; b; b &= b - 1)
		if (flag_of((uint32_t)__builtin_ctzll(b)))
			m |= b & -b;
	return m;
}

uint64_t vn_syscall(uint32_t op, uint64_t a0, uint64_t a1)
{
	static const uint64_t one = 1;
	struct vn_ctl *ctl = CTL;
	uint64_t armed = 0;

	if (op == VN_SYS_WAIT && a1) {
		/* a1: the endpoints vn_wait armed, our rings' only, and none
		 * where we cannot sleep on their flags. Each flag is set parked
		 * now: a peer may wake us directly from here on, and the
		 * kernel, serving the call, parks us or takes that back. One
		 * found parked is too: the kernel, parking our last WAIT, came
		 * to it after we armed it. A flag in any other state is left
		 * out (deaf: its peer notifies through the kernel); found woken
		 * by a peer's notification, with news, it ends the wait before
		 * it is posted. */
		armed = can_park() ? parkable(a1) : 0;
		for (uint64_t m = armed; m; m &= m - 1) {
			uint32_t b = (uint32_t)__builtin_ctzll(m), v = VN_SLEEP_ARMED;
			_Atomic uint32_t *f = flag_of(b);

			if (atomic_compare_exchange_strong(f, &v, VN_SLEEP_PARKED) ||
			    v == VN_SLEEP_PARKED)
				continue;
			armed &= ~(m & -m);
			if (atomic_exchange(f, VN_SLEEP_DEAF) == VN_SLEEP_WOKEN && has_news(b))
				return 0;
		}
		a1 = armed;
	}
	ctl->op = op;
	ctl->a0 = a0;
	ctl->a1 = a1;
	atomic_store_explicit(&ctl->turn, VN_TURN_KERNEL, memory_order_release);
	while (write(VN_FD_DOORBELL, &one, sizeof(one)) < 0 && errno == EINTR)
		;
	if (!armed) {
		vn_hosted_wait_turn();
		return ctl->ret;
	}
	return wait_parked(armed) ? ctl->ret : 0;
}

static void ring_bell(int fd)
{
	static const uint64_t one = 1;

	while (write(fd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
}

/* Called by vn_tx_commit/vn_rx_release only when the peer sleeps, and by
 * every vn_signal_<name>(). The request is visible before the doorbell
 * rings (the OR is a full barrier), and the peer's core drains its
 * doorbell before it takes the requests. */
void vn_notify(uint32_t channel)
{
	_Atomic uint32_t *flag = NULL;
	uint32_t parked = VN_SLEEP_PARKED;
	int bit = -1;

	/* Our endpoint of `channel`: its bit, and the flag its peer sleeps on
	 * (none for a signal). */
	for (uint32_t i = 0; i < vn_self.n_tx && bit < 0; i++)
		if (vn_self.tx[i]->channel == channel) {
			bit = (int)vn_self.tx_bit[i];
			flag = &vn_self.tx[i]->ring->rx_sleeping;
		}
	for (uint32_t i = 0; i < vn_self.n_rx && bit < 0; i++)
		if (vn_self.rx[i]->channel == channel) {
			bit = (int)vn_self.rx_bit[i];
			flag = &vn_self.rx[i]->ring->tx_sleeping;
		}
	for (uint32_t i = 0; i < vn_self.n_sig && bit < 0; i++)
		if (vn_self.sig[i] == channel)
			bit = (int)vn_self.sig_bit[i];
	if (bit < 0) {
		/* Not one of ours: the kernel refuses it. */
		vn_syscall(VN_SYS_NOTIFY, channel, 0);
		return;
	}
	if (flag && atomic_compare_exchange_strong(flag, &parked, VN_SLEEP_WOKEN)) {
		/* The peer is parked: wake it here. The kernel counts the
		 * notification when it next looks (no doorbell for that). */
		vn_futex_wake(flag);
		atomic_fetch_or_explicit(&CTL->notify_woke, UINT64_C(1) << bit,
					 memory_order_release);
		return;
	}
	atomic_fetch_or_explicit(&CTL->notify_req, UINT64_C(1) << bit,
				 memory_order_seq_cst);
	ring_bell(VN_FD_BELL0 + bit);
}

uint64_t vn_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

char *vn_port_log_buf(void)
{
	return CTL->log;
}

bool vn_port_core_shared(void)
{
	return *(volatile uint32_t *)&CTL->core_shared != 0;
}

void vn_port_relax(void)
{
	vn_cpu_relax();
}
