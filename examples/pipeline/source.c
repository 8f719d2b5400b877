/*
 * source: generates PKT_COUNT packets in bursts, one in sixteen malformed,
 * then an end marker, and prints the filter's final counts. A `yield`
 * shard: when its output ring is full it sleeps until the filter frees
 * slots, which lets the sink (on the same core) run.
 */
#include <vanity_shard.h>

#include "pkt.h"

_Static_assert(sizeof(struct pkt) == VN_MSG_SIZE_RAW, "slot size");
_Static_assert(sizeof(struct pkt_stats) == VN_MSG_SIZE_STATS, "slot size");

static void make(struct pkt *p, uint32_t seq)
{
	p->seq = seq;
	p->kind = (seq % 16u == 15u) ? PKT_BAD : PKT_DATA;
	p->len = (uint16_t)(16u + seq % 33u);
	p->csum = 0;
	for (unsigned i = 0; i < sizeof p->payload; i++)
		p->payload[i] = (uint8_t)(seq + i);
}

static void send_all(const struct pkt *burst, uint32_t n)
{
	while (n > 0) {
		uint32_t sent = vn_send_burst(&vn_tx_raw, burst, n);

		burst += sent;
		n -= sent;
		if (n > 0)
			vn_wait(VN_FOREVER);
	}
}

void vn_main(void)
{
	struct pkt burst[PKT_BURST];
	struct pkt_stats st;
	uint64_t t0 = vn_now();

	for (uint32_t seq = 0; seq < PKT_COUNT; seq += PKT_BURST) {
		uint32_t n = PKT_COUNT - seq < PKT_BURST ? PKT_COUNT - seq : PKT_BURST;

		for (uint32_t i = 0; i < n; i++)
			make(&burst[i], seq + i);
		send_all(burst, n);
	}
	burst[0] = (struct pkt){.seq = PKT_COUNT, .kind = PKT_END};
	send_all(burst, 1);
	vn_log("sent %u packets in %llu us", PKT_COUNT,
	       (unsigned long long)((vn_now() - t0) / 1000u));

	while (!vn_recv(&vn_rx_stats, &st))
		vn_wait(VN_FOREVER);
	vn_log("filter reports %llu passed, %llu dropped",
	       (unsigned long long)st.passed, (unsigned long long)st.dropped);
}
