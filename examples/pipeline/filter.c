/*
 * filter: a `poll` shard with a core of its own. It busy-polls the raw ring,
 * drops malformed packets, stamps a checksum on the rest and forwards them in
 * bursts. Its loop never enters the kernel: it only touches rings.
 */
#include <vanity_shard.h>

#include "pkt.h"

static uint64_t passed, dropped;

static void forward(const struct pkt *out, uint32_t n)
{
	while (n > 0) {
		uint32_t sent = vn_send_burst(&vn_tx_clean, out, n);

		out += sent;
		n -= sent;
	}
}

/* Filters one burst into out[]; returns false once the end marker is seen. */
static bool filter(const struct pkt *in, uint32_t n, struct pkt *out,
		   uint32_t *n_out)
{
	bool more = true;

	*n_out = 0;
	for (uint32_t i = 0; i < n; i++) {
		if (in[i].kind == PKT_END) {
			more = false;
		} else if (in[i].kind != PKT_DATA || in[i].len > sizeof in[i].payload) {
			dropped++;
			continue;
		} else {
			passed++;
		}
		out[*n_out] = in[i];
		out[*n_out].csum = pkt_checksum(&in[i]);
		(*n_out)++;
	}
	return more;
}

void vn_main(void)
{
	struct pkt in[PKT_BURST], out[PKT_BURST];
	struct pkt_stats st;
	bool more = true;

	while (more) {
		uint32_t n = vn_recv_burst(&vn_rx_raw, in, PKT_BURST), n_out;

		if (n == 0) {
			vn_wait(VN_FOREVER);
			continue;
		}
		more = filter(in, n, out, &n_out);
		vn_trace_burst(n, (uint16_t)(n - n_out),
			       more ? VN_BURST_LAST_MORE : VN_BURST_LAST_END);
		forward(out, n_out);
	}
	st = (struct pkt_stats){.passed = passed, .dropped = dropped};
	while (!vn_send(&vn_tx_stats, &st))
		vn_wait(VN_FOREVER);
	vn_log("passed %llu, dropped %llu", (unsigned long long)passed,
	       (unsigned long long)dropped);
}
