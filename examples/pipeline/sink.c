/*
 * sink: receives the filtered stream in bursts, checks order and checksums,
 * and prints the pipeline's throughput. A `yield` shard sharing core 0 with
 * the source: it sleeps whenever its input ring is empty.
 */
#include <vanity_shard.h>

#include "pkt.h"

static uint64_t received, bad, wakeups;
static uint32_t last_seq;

static bool check(const struct pkt *p)
{
	bool ok = p->csum == pkt_checksum(p) && (received == 0 || p->seq > last_seq);

	last_seq = p->seq;
	return ok;
}

void vn_main(void)
{
	struct pkt in[PKT_BURST];
	uint64_t t0 = 0, t1;

	for (;;) {
		uint32_t n = vn_recv_burst(&vn_rx_clean, in, PKT_BURST);

		if (n == 0) {
			vn_wait(VN_FOREVER);
			wakeups++;
			continue;
		}
		if (t0 == 0)
			t0 = vn_now();
		for (uint32_t i = 0; i < n; i++) {
			if (in[i].kind == PKT_END)
				goto done;
			if (!check(&in[i]))
				bad++;
			received++;
		}
	}
done:
	t1 = vn_now();
	vn_log("received %llu packets, %llu bad, %llu wake-ups",
	       (unsigned long long)received, (unsigned long long)bad,
	       (unsigned long long)wakeups);
	vn_log("throughput %llu kpkt/s over %llu us",
	       (unsigned long long)(received * 1000u / ((t1 - t0) / 1000u + 1)),
	       (unsigned long long)((t1 - t0) / 1000u));
	if (bad)
		vn_exit(1);
}
