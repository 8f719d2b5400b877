#include <vanity_shard.h>

#define N 100u

static uint64_t next;

static void check(const uint64_t *m)
{
	if (m[0] != next || m[1] != ~next)
		vn_halt(3);
	next++;
}

void vn_main(void)
{
	uint64_t m[2], b[4][2];

	while (next < N) {
		while (!vn_recv(&vn_rx_timed, m))
			vn_wait(VN_FOREVER);
		check(m);
	}
	while (next < 2 * N) {
		uint32_t n = vn_recv_burst(&vn_rx_timed, b, 2 * N - next < 4 ? 2 * N - next : 4);

		if (n == 0)
			vn_wait(VN_FOREVER);
		for (uint32_t k = 0; k < n; k++)
			check(b[k]);
	}
	while (next < 3 * N) {
		const uint64_t *slot = vn_peek(&vn_rx_timed);

		if (!slot) {
			vn_wait(VN_FOREVER);
			continue;
		}
		check(slot);
		vn_release(&vn_rx_timed);
	}
	while (!vn_send(&vn_tx_done, &next))
		vn_wait(VN_FOREVER);
}
