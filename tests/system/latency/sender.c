#include <vanity_shard.h>

#define N 100u

static void put(uint64_t i)
{
	uint64_t m[2] = {i, ~i};

	while (!vn_send(&vn_tx_timed, m))
		vn_wait(VN_FOREVER);
}

void vn_main(void)
{
	uint64_t i = 0, word = 0;

	for (; i < N; i++)
		put(i);
	while (i < 2 * N) {
		uint64_t b[4][2];
		uint32_t n;

		for (uint32_t k = 0; k < 4; k++) {
			b[k][0] = i + k;
			b[k][1] = ~(i + k);
		}
		n = vn_send_burst(&vn_tx_timed, b, 4);
		if (n == 0)
			vn_wait(VN_FOREVER);
		for (uint32_t k = n; k < 4; k++)
			put(i + k);
		i += 4;
	}
	for (; i < 3 * N; i++) {
		uint64_t *slot;

		while (!(slot = vn_reserve(&vn_tx_timed)))
			vn_wait(VN_FOREVER);
		slot[0] = i;
		slot[1] = ~i;
		vn_commit(&vn_tx_timed);
	}
	while (!vn_recv(&vn_rx_done, &word))
		vn_wait(VN_FOREVER);
	vn_log("receiver took %llu messages; halting", (unsigned long long)word);
	vn_halt(word == 3 * N ? 0 : 1);
}
