/*
 * pong: a `poll` shard alone on its core. It busy-polls its input and sends
 * every message back with the payload inverted, until ping says stop.
 */
#include <vanity_shard.h>

#include "msg.h"

_Static_assert(sizeof(struct pp_msg) == VN_MSG_SIZE_PING_TO_PONG, "slot size");

void vn_main(void)
{
	struct pp_msg m;
	uint64_t echoed = 0;

	for (;;) {
		while (!vn_recv(&vn_rx_ping_to_pong, &m))
			vn_wait(VN_FOREVER);
		if (m.seq == PP_STOP)
			break;
		for (unsigned i = 0; i < sizeof m.payload; i++)
			m.payload[i] = (uint8_t)~m.payload[i];
		while (!vn_send(&vn_tx_pong_to_ping, &m))
			vn_wait(VN_FOREVER);
		echoed++;
	}
	vn_log("echoed %llu messages", (unsigned long long)echoed);
}
