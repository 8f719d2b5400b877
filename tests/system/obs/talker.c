#include <vanity_shard.h>

static void roundtrip(uint64_t i)
{
	uint64_t m[2] = {i, ~i}, r[2];

	while (!vn_send(&vn_tx_ask, m))
		vn_wait(VN_FOREVER);
	while (!vn_recv(&vn_rx_answer, r))
		vn_wait(VN_FOREVER);
	if (r[0] != i || r[1] != ~i)
		vn_halt(2);
}

void vn_main(void)
{
	uint64_t order, word = 0;

	for (order = 1; order <= 3; order++)
		vn_send(&vn_tx_orders, &order);
	for (uint64_t i = 0; i < 100; i++) {
		roundtrip(i);
		vn_trace_tick(i);
	}
	vn_trace_sample(255, -32768, 4294967295u, INT64_MIN, VN_SAMPLE_KIND_GAMMA,
			(const uint8_t *)"ABCD");
	vn_trace_sample(0, 32767, 0, INT64_MAX, VN_SAMPLE_KIND_ALPHA, (const uint8_t *)"\0\1\2\3");
	vn_trace_sample(7, -1, 123456789u, -42, VN_SAMPLE_KIND_BETA, (const uint8_t *)"wxyz");
	while (!vn_recv(&vn_rx_done, &word))
		vn_wait(VN_FOREVER);
	vn_log("crasher's last word %llu; halting", (unsigned long long)word);
	vn_halt(0);
}
