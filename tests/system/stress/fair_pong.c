/* Echoes ping's messages until the stop message, entering the kernel once
 * for each (a yield: no other shard shares this core, so it returns). */
#include <vanity_shard.h>

void vn_main(void)
{
	uint64_t m;

	for (;;) {
		while (!vn_recv(&vn_rx_ping_to_pong, &m))
			vn_wait(VN_FOREVER);
		if (m == UINT64_MAX)
			return;
		vn_yield();
		while (!vn_send(&vn_tx_pong_to_ping, &m))
			vn_wait(VN_FOREVER);
	}
}
