/*
 * wait.c - vn_wait(): spin, then arm, then sleep; and vn_sleep().
 *
 * What a shard waits for: a message on any of its rx endpoints, or space on
 * any tx endpoint that a send or reserve found full, or a burst filled
 * before it was done ("starved"; space on an endpoint that never ran out is
 * not news). Reporting space clears starved.
 * vn_wait_on waits for the endpoints of a mask only: the others are not
 * armed, so their peers do not wake this shard for them, and a bit of one
 * of them that WAIT returns anyway (a notification sent while an earlier
 * wait had it armed, or news of its peer) is kept for a later wait that
 * watches it rather than ending this one.
 * The answer is always recomputed from the rings, so a
 * stale notification costs a spurious wake-up at most, never a lost message.
 *
 *  poll shard:  spin on the rings until something is ready or the timeout;
 *               if it shares its core, yield between checks. A shard that
 *               owns interrupting devices also polls the kernel's pending
 *               bits every 64 rounds (the sleeping path gets them from WAIT).
 *  yield shard: spin for spin_ns, then arm every watched ring (set our
 *               sleeping flag, fence, recheck: see vn_rx_arm) and sleep in
 *               the kernel. The producer that publishes after our arm sees
 *               the flag and notifies; one that published before is seen by
 *               the recheck. So no wake-up is lost.
 */
#include <vanity.h>
#include <vanity/config.h>
#include <vanity/syscall.h>

/* Bits WAIT returned that no wait has returned yet: a vn_sleep's, and
 * those of endpoints a vn_wait_on did not watch. */
static vn_bits_t held;

/* The channel endpoints not in `watch`: their bits do not end the wait.
 * (Interrupts, signals and a reload are not endpoints: they always do.) */
static vn_bits_t unwatched(vn_bits_t watch)
{
	vn_bits_t e = 0;

	if (watch == VN_WAIT_ALL)
		return 0;
	for (uint32_t i = 0; i < vn_self.n_rx; i++)
		e |= UINT64_C(1) << vn_self.rx_bit[i];
	for (uint32_t i = 0; i < vn_self.n_tx; i++)
		e |= UINT64_C(1) << vn_self.tx_bit[i];
	return e & ~watch;
}

/* What of WAIT's answer ends this wait; the rest is held. */
static vn_bits_t keep(vn_bits_t bits, vn_bits_t later)
{
	held |= bits & later;
	return bits & ~later;
}

/* Starved tx endpoints: the ones whose space we wait for. */
static vn_bits_t starved_tx(void)
{
	vn_bits_t w = 0;

	for (uint32_t i = 0; i < vn_self.n_tx; i++)
		if (vn_self.tx[i]->st->starved)
			w |= UINT64_C(1) << vn_self.tx_bit[i];
	return w;
}

/* The watched endpoints that are ready now. */
static vn_bits_t ready(vn_bits_t watch_rx, vn_bits_t watch_tx)
{
	vn_bits_t r = 0;

	for (uint32_t i = 0; i < vn_self.n_rx; i++) {
		vn_bits_t b = UINT64_C(1) << vn_self.rx_bit[i];

		if ((watch_rx & b) && vn_rx_avail(vn_self.rx[i], 1))
			r |= b;
	}
	for (uint32_t i = 0; i < vn_self.n_tx; i++) {
		vn_bits_t b = UINT64_C(1) << vn_self.tx_bit[i];

		if ((watch_tx & b) && vn_tx_space(vn_self.tx[i], 1)) {
			vn_self.tx[i]->st->starved = 0;
			r |= b;
		}
	}
	return r;
}

/* Arm every watched ring; returns the ones already ready, and in *armed
 * the endpoints armed (WAIT's a1: the hosted port parks on their flags). */
static vn_bits_t arm(vn_bits_t watch_rx, vn_bits_t watch_tx, vn_bits_t *armed)
{
	vn_bits_t r = 0, a = 0;

	for (uint32_t i = 0; i < vn_self.n_rx; i++) {
		vn_bits_t b = UINT64_C(1) << vn_self.rx_bit[i];

		if (!(watch_rx & b))
			continue;
		a |= b;
		if (vn_rx_arm(vn_self.rx[i]))
			r |= b;
	}
	for (uint32_t i = 0; i < vn_self.n_tx; i++) {
		vn_bits_t b = UINT64_C(1) << vn_self.tx_bit[i];

		if (!(watch_tx & b))
			continue;
		a |= b;
		if (vn_tx_arm(vn_self.tx[i]))
			r |= b;
	}
	*armed = a;
	return r;
}

static void disarm(vn_bits_t watch_rx, vn_bits_t watch_tx)
{
	for (uint32_t i = 0; i < vn_self.n_rx; i++)
		if (watch_rx & (UINT64_C(1) << vn_self.rx_bit[i]))
			vn_rx_disarm(vn_self.rx[i]);
	for (uint32_t i = 0; i < vn_self.n_tx; i++)
		if (watch_tx & (UINT64_C(1) << vn_self.tx_bit[i]))
			vn_tx_disarm(vn_self.tx[i]);
}

/* The clock is read only where an answer needs it: a wait for ever, the
 * data plane's, reads it never, and a spin only once its looks have found
 * nothing (spin()). On hosted a read is a vDSO call of tens of ns: on the
 * path of a poll round trip, as much as the ring itself. */
static uint64_t deadline_of(uint64_t timeout_ns)
{
	uint64_t now;

	if (timeout_ns == VN_FOREVER)
		return UINT64_MAX;
	now = vn_now();
	return timeout_ns > UINT64_MAX - now ? UINT64_MAX : now + timeout_ns;
}

/* The time left until `deadline`: VN_FOREVER for none (no clock read), 0
 * once it has passed. */
static uint64_t left(uint64_t deadline)
{
	uint64_t now;

	if (deadline == UINT64_MAX)
		return VN_FOREVER;
	now = vn_now();
	return deadline > now ? deadline - now : 0;
}

/* Device interrupts and received signals are bits in the kernel, not in a
 * ring: a spinning shard that has such bits collects them with a
 * zero-timeout WAIT now and then, and so does one with a reload handoff:
 * the request to quiesce is a kernel bit too (never any other shard). */
static vn_bits_t kernel_bits(uint32_t n, vn_bits_t later)
{
	if (!(vn_self.kernel_bits || vn_self.handoff) || (n & 63) != 1)
		return 0;
	return keep(vn_syscall(VN_SYS_WAIT, 0, 0), later);
}

/* Spin until something is ready, for budget_ns (VN_FOREVER: no budget)
 * and no later than `deadline`; when `share`, yield between checks while
 * another shard lives on our core. The budget starts at the first look
 * that finds nothing; in a wait with no deadline, at the 65th: a message
 * that comes within those rounds (a ping-pong's, a data plane's next
 * burst) is never kept waiting while the clock is read, and the spin runs
 * those rounds, microseconds, past its budget. */
static vn_bits_t spin(vn_bits_t watch_rx, vn_bits_t watch_tx, vn_bits_t later,
		      uint64_t budget_ns, uint64_t deadline, bool share)
{
	uint32_t first = deadline == UINT64_MAX && budget_ns ? 65 : 1;
	uint64_t until = deadline;
	vn_bits_t r;

	for (uint32_t n = 1;; n++) {
		r = ready(watch_rx, watch_tx) | kernel_bits(n, later);
		if (r)
			return r;
		if (n == first && budget_ns != VN_FOREVER) {
			uint64_t now;

			if (!budget_ns || (now = vn_now()) >= deadline)
				return 0;
			if (budget_ns < deadline - now)
				until = now + budget_ns;
		} else if (((n & 63) == 1 || share) && !left(until)) {
			return 0;
		}
		if (share && vn_port_core_shared())
			vn_yield();
		else
			vn_port_relax();
	}
}

/* Arm, and sleep in the kernel unless something is ready already. Returns
 * the ready set, OR'd with the kernel's pending bits but those held for
 * `later`. */
static vn_bits_t sleep_once(vn_bits_t watch_rx, vn_bits_t watch_tx, vn_bits_t later,
			    uint64_t deadline)
{
	vn_bits_t armed, r = arm(watch_rx, watch_tx, &armed);
	uint64_t t = r ? 0 : left(deadline);

	if (t)
		r = keep(vn_syscall(VN_SYS_WAIT, t, armed), later);
	disarm(watch_rx, watch_tx);
	return r | ready(watch_rx, watch_tx);
}

vn_bits_t vn_wait_on(vn_bits_t watch, uint64_t timeout_ns)
{
	vn_bits_t watch_tx = starved_tx() & watch, later = unwatched(watch);
	uint64_t deadline = deadline_of(timeout_ns);
	vn_bits_t r = held & ~later;

	held &= later;
	if (r)
		return r | ready(watch, watch_tx);
	if (vn_self.mode == VN_MODE_POLL)
		return spin(watch, watch_tx, later, VN_FOREVER, deadline, true);
	r = spin(watch, watch_tx, later, vn_self.spin_ns, deadline, false);
	while (!r && left(deadline))
		r = sleep_once(watch, watch_tx, later, deadline);
	return r;
}

vn_bits_t vn_wait(uint64_t timeout_ns)
{
	return vn_wait_on(VN_WAIT_ALL, timeout_ns);
}

/* WAIT until the deadline, whatever is pending: each early return hands
 * over bits, which are kept for the next vn_wait. */
void vn_sleep(uint64_t ns)
{
	uint64_t deadline = deadline_of(ns);

	for (uint64_t now = vn_now(); now < deadline; now = vn_now())
		held |= vn_syscall(VN_SYS_WAIT, deadline - now, 0);
}

/* A reload waits for this shard to quiesce: a zero-timeout WAIT, its bits
 * kept for the next vn_wait. For a loop that may not wait for a long time
 * under load; one system call, so not on every message. */
bool vn_reload_pending(void)
{
	if (!vn_self.handoff)
		return false;
	held |= vn_syscall(VN_SYS_WAIT, 0, 0);
	return held & VN_RELOAD;
}
