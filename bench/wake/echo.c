/*
 * echo.c - the far side of the Vanity wake-up round trip (wake.yaml): sends
 * every message on `ping` straight back on `pong`, sleeping in vn_wait()
 * whenever there is nothing to do. Runs until waker halts the system.
 */
#include <vanity_shard.h>

_Static_assert(VN_MSG_SIZE_PING == sizeof(uint64_t), "8-byte messages");
_Static_assert(VN_MSG_SIZE_PONG == sizeof(uint64_t), "8-byte messages");

void vn_main(void)
{
	uint64_t m;

	for (;;) {
		while (!vn_recv(&vn_rx_ping, &m))
			vn_wait(VN_FOREVER);
		while (!vn_send(&vn_tx_pong, &m))
			vn_wait(VN_FOREVER);
	}
}
