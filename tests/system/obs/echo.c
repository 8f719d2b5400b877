#include <vanity_shard.h>

void vn_main(void)
{
	uint64_t m[2];

	for (;;) {
		while (!vn_recv(&vn_rx_ask, m))
			vn_wait(VN_FOREVER);
		while (!vn_send(&vn_tx_answer, m))
			vn_wait(VN_FOREVER);
	}
}
