/* consumer: expects N messages in order; any gap or damage is an error. */
#include <vanity_shard.h>

#include "msg.h"

#define N 200

void vn_main(void)
{
	struct msg m;

	for (uint32_t i = 0; i < N; i++) {
		while (!vn_recv(&vn_rx_work, &m))
			vn_wait(VN_FOREVER);
		if (!msg_ok(&m, i, 5)) {
			vn_log("message %u damaged (seq %u)", i, m.seq);
			vn_exit(2);
		}
	}
	vn_log("got %d in order", N);
}
