/* Counts round trips to pong in PHASES phases of PHASE_NS each, taking
 * turns: alone, then while hammer hammers, and so on; then stops both.
 * Logs the count of every phase. Each message carries its phase in its top
 * byte, for pong to time its kernel entries by phase. */
#include <vanity_shard.h>

#define PHASES 6
#define PHASE_NS 300000000ull

static uint64_t round_trips(uint64_t *seq)
{
	uint64_t end = vn_now() + PHASE_NS, n = 0, m;

	while (vn_now() < end) {
		while (!vn_send(&vn_tx_ping_to_pong, seq))
			vn_wait(VN_FOREVER);
		while (!vn_recv(&vn_rx_pong_to_ping, &m))
			vn_wait(VN_FOREVER);
		if (m != *seq)
			vn_log("reply %llu to %llu", (unsigned long long)m,
			       (unsigned long long)*seq);
		++*seq;
		n++;
	}
	return n;
}

/* 1: start hammering, 0: stop, 2: stop for good. */
static void control(uint64_t what)
{
	while (!vn_send(&vn_tx_control, &what))
		vn_yield();
	vn_yield(); /* let it see the message */
}

void vn_main(void)
{
	uint64_t seq = 0, stop = UINT64_MAX, n;

	for (int i = 0; i < PHASES; i++) {
		int hammered = i & 1;

		seq = (uint64_t)i << 56 | (seq & ((UINT64_C(1) << 56) - 1));
		if (hammered)
			control(1);
		n = round_trips(&seq);
		if (hammered)
			control(0);
		vn_log("phase %d: %s, %llu round trips", i, hammered ? "hammered" : "alone",
		       (unsigned long long)n);
	}
	control(2);
	while (!vn_send(&vn_tx_ping_to_pong, &stop))
		vn_wait(VN_FOREVER);
}
