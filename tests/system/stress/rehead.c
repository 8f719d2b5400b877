/* rehead.yaml's vandal (-DVANDAL) and victim. */
#include <vanity_shard.h>

#define MSGS 100u

#ifdef VANDAL
#include "rng.h"

/* What describes a ring in its header (a starting shard used to check it;
 * the host tools do): garbage no channel has. */
static void garble(struct vn_ring *r)
{
	*(volatile uint32_t *)&r->magic = 0xdeadbeefu;
	*(volatile uint32_t *)&r->msg_size = 0xffffffffu;
	*(volatile uint32_t *)&r->depth = 3u;
	*(volatile uint32_t *)&r->stride = 0u;
}

/* Random bytes, or words a field may not expect, all over [p, p + n). */
static void scribble(volatile uint8_t *p, size_t n)
{
	static const uint64_t odd[] = {0, 1, 0x7fffffffu, 0xffffffffu, 1ull << 32,
				       1ull << 63, ~0ull};

	for (size_t at = 0; at + 8 <= n; at += 8)
		if (rng_below(4) == 0)
			*(volatile uint64_t *)(p + at) =
				rng_below(2) ? odd[rng_below(sizeof(odd) / sizeof(odd[0]))]
					     : rng_next();
}

/* Whether r's header describes its channel again (the kernel writes it
 * before a shard starts, for the host tools). */
static bool described(const struct vn_ring *r, uint32_t msg_size, uint32_t depth, uint32_t seq)
{
	return r->magic == VN_RING_MAGIC && r->msg_size == msg_size && r->depth == depth &&
	       r->stride == VN_RING_STRIDE(msg_size, seq);
}

/* A new victim's hello, or false after 10 s. (Not a signal: the kernel
 * sets the bits of a restarted shard's peers, its channels' and signals',
 * before the new one has run.) */
static bool up_within_10s(void)
{
	uint64_t until = vn_now() + 10000000000ull, m;

	while (!vn_recv(&vn_rx_hello, &m)) {
		uint64_t now = vn_now();

		if (now >= until)
			return false;
		vn_wait(until - now);
	}
	return true;
}

void vn_main(void)
{
	uint64_t m = 0, until;
	uint32_t r;

	if (!up_within_10s()) {
		vn_log("victim did not start");
		vn_halt(1);
	}
	garble(vn_tx_there.ring);
	garble(vn_rx_back.ring);
	vn_signal_crash();
	if (!up_within_10s()) {
		vn_log("victim did not come back");
		vn_halt(1);
	}
	for (uint64_t i = 0; i < MSGS; i++)
		while (!vn_send(&vn_tx_there, &i))
			vn_wait(VN_FOREVER);
	until = vn_now() + 10000000000ull;
	while (!vn_recv(&vn_rx_back, &m) && vn_now() < until)
		vn_wait(1000000);
	vn_log("victim came back and received %llu of %u in order", (unsigned long long)m, MSGS);
	vn_log("the kernel described the rings again: %s",
	       described(vn_tx_there.ring, 8, VN_DEPTH_THERE, VN_EP_SEQ) &&
	       described(vn_rx_back.ring, 8, VN_DEPTH_BACK, 0) ? "yes" : "no");

	rng_seed(SEED);
	for (r = 0; r < ROUNDS; r++) {
		scribble((volatile uint8_t *)vn_tx_there.ring,
			 VN_RING_BYTES(vn_tx_there.msg_size, vn_tx_there.mask + 1u,
				       vn_tx_there.flags & VN_EP_SEQ));
		scribble((volatile uint8_t *)vn_rx_back.ring,
			 VN_RING_LATENCY_BYTES(vn_rx_back.msg_size, vn_rx_back.mask + 1u,
					       vn_rx_back.flags & VN_EP_SEQ));
		vn_signal_crash();
		if (!up_within_10s())
			break;
	}
	vn_log("%u rounds of garbage: victim up after %u", (unsigned)ROUNDS, (unsigned)r);
	vn_halt(0);
}
#else
static volatile uintptr_t nowhere = 8; /* mapped in no shard */

/* A wait that ends this incarnation when vandal says so: a fault, which
 * restarts it (on_fault). */
static void wait_or_crash(uint64_t ns)
{
	if (vn_wait(ns) & VN_NOTIFY_CRASH)
		*(volatile uint32_t *)nowhere = 1;
}

void vn_main(void)
{
	static uint64_t in[VN_DEPTH_THERE + 16], out[VN_DEPTH_BACK + 16];
	uint64_t i = 0, good = 0;
	bool answered = false;

	while (!vn_send(&vn_tx_hello, &i)) /* up */
		wait_or_crash(VN_FOREVER);
	for (;;) {
		/* more than a ring at a time: a lying index must not help */
		uint32_t n = vn_recv_burst(&vn_rx_there, in, VN_DEPTH_THERE + 16);

		for (uint32_t k = 0; k < n; k++, i++)
			good += in[k] == i;
		if (i >= MSGS && !answered)
			answered = vn_send(&vn_tx_back, &good);
		if (n == 0 && i >= MSGS)
			(void)vn_send_burst(&vn_tx_back, out, VN_DEPTH_BACK + 16);
		wait_or_crash(n ? 0 : 1000000);
	}
}
#endif
