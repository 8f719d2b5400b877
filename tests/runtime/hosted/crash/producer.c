/* producer: N numbered messages into `work`, then done. */
#include <vanity_shard.h>

#include "msg.h"

#define N 200

void vn_main(void)
{
	struct msg m;

	for (uint32_t i = 0; i < N; i++) {
		msg_fill(&m, i, 5);
		while (!vn_send(&vn_tx_work, &m))
			vn_wait(VN_FOREVER);
	}
	vn_log("sent %d", N);
}
