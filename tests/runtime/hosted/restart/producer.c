/* producer: 20 numbered messages, all fitting in the ring, then done. */
#include <vanity_shard.h>

#include "msg.h"

void vn_main(void)
{
	struct msg m;

	for (uint32_t i = 0; i < 20; i++) {
		msg_fill(&m, i, 7);
		while (!vn_send(&vn_tx_work, &m))
			vn_wait(VN_FOREVER);
	}
	vn_log("sent 20");
}
