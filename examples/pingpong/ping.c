/*
 * ping: sends ROUNDS stamped messages to pong, checks every reply and prints
 * round-trip statistics. A `yield` shard: it spins briefly on the reply
 * (spin: in the spec), then sleeps until pong's notification wakes it.
 *
 * Restart-safe (the spec says on_fault: restart): a restarted ping starts
 * again from round 0 with its channels as they were, so replies to what its
 * predecessor sent may still be queued or on their way. They carry their
 * send times, all before this generation started, and are skipped and
 * counted; any other reply that is not this round's is corruption.
 */
#include <vanity_shard.h>

#include "msg.h"

_Static_assert(sizeof(struct pp_msg) == VN_MSG_SIZE_PING_TO_PONG, "slot size");

#ifndef ROUNDS
#define ROUNDS 10000u
#endif

static uint64_t *rtt;    /* ROUNDS samples, in the shard's heap */
static uint64_t started; /* vn_now() when this generation started */
static uint64_t stale;   /* replies to a predecessor's messages, skipped */

static void fill(struct pp_msg *m, uint64_t seq)
{
	m->seq = seq;
	for (unsigned i = 0; i < sizeof m->payload; i++)
		m->payload[i] = (uint8_t)(seq * 31u + i);
}

static bool reply_ok(const struct pp_msg *m, uint64_t seq)
{
	if (m->seq != seq)
		return false;
	for (unsigned i = 0; i < sizeof m->payload; i++)
		if (m->payload[i] != (uint8_t)~(seq * 31u + i))
			return false;
	return true;
}

/* Shell sort: small, and needs nothing from a C library. */
static void sort(uint64_t *v, unsigned n)
{
	for (unsigned gap = n / 2; gap > 0; gap /= 2)
		for (unsigned i = gap; i < n; i++)
			for (unsigned j = i; j >= gap && v[j - gap] > v[j]; j -= gap) {
				uint64_t t = v[j];
				v[j] = v[j - gap];
				v[j - gap] = t;
			}
}

static void round_trip(uint64_t seq)
{
	struct pp_msg m;

	fill(&m, seq);
	m.t0 = vn_now();
	while (!vn_send(&vn_tx_ping_to_pong, &m))
		vn_wait(VN_FOREVER);
#ifdef PP_FAULT_AT
	/* Test hook (tests/system/test_hosted.py): a wild write with this
	 * round's message out, once; the next generation skips its reply
	 * first, long before it gets here. */
	if (seq == PP_FAULT_AT && !stale)
		*(volatile uint64_t *)8 = seq;
#endif
	for (;;) {
		while (!vn_recv(&vn_rx_pong_to_ping, &m))
			vn_wait(VN_FOREVER);
		if (m.t0 >= started)
			break;
		stale++; /* the reply to a predecessor's message */
	}
	rtt[seq] = vn_now() - m.t0;
	if (!reply_ok(&m, seq)) {
		vn_log("reply %llu corrupted", (unsigned long long)seq);
		vn_halt(2);
	}
}

void vn_main(void)
{
	struct pp_msg stop = {.seq = PP_STOP};
	size_t heap_size;

	started = vn_now();
	rtt = vn_heap(&heap_size);
	if (heap_size < ROUNDS * sizeof(*rtt)) {
		vn_log("heap too small for %u samples", ROUNDS);
		vn_halt(2);
	}
	for (uint64_t seq = 0; seq < ROUNDS; seq++)
		round_trip(seq);
	while (!vn_send(&vn_tx_ping_to_pong, &stop))
		vn_wait(VN_FOREVER);

	sort(rtt, ROUNDS);
	if (stale)
		vn_log("replies to a previous generation skipped: %llu", (unsigned long long)stale);
	vn_log("%u round trips, every payload verified", ROUNDS);
	vn_log("rtt ns: min=%llu median=%llu p99=%llu max=%llu",
	       (unsigned long long)rtt[0], (unsigned long long)rtt[ROUNDS / 2],
	       (unsigned long long)rtt[ROUNDS * 99 / 100],
	       (unsigned long long)rtt[ROUNDS - 1]);
}
