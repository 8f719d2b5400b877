/* pong: echo every message back with tag 2 until the stop message. */
#include <vanity_shard.h>

#include "msg.h"

void vn_main(void)
{
	struct msg m;
	uint32_t n = 0;

	for (;;) {
		while (!vn_recv(&vn_rx_ping_to_pong, &m))
			vn_wait(VN_FOREVER);
		if (m.tag == 99)
			break;
		msg_fill(&m, m.seq, 2);
		while (!vn_send(&vn_tx_pong_to_ping, &m))
			vn_wait(VN_FOREVER);
		n++;
	}
	vn_log("echoed %u messages", n);
}
