/* Sends 1..COUNT, one every PACE_NS, then 0: the end. */
#include <vanity_shard.h>

#include "msg.h"

static void put(uint64_t seq)
{
	struct msg m = {.seq = seq};

	while (!vn_send(&vn_tx_work, &m))
		vn_wait(VN_FOREVER);
}

void vn_main(void)
{
	for (uint64_t seq = 1; seq <= COUNT; seq++) {
		put(seq);
		vn_sleep(PACE_NS);
	}
	put(0);
	vn_log("sent %u", (unsigned)COUNT);
}
