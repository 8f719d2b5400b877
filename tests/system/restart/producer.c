/* Sends STREAM_COUNT numbered messages; the ring is much shorter, so it
 * waits for space most of the time, across the consumer's restart too. */
#include <vanity_shard.h>

#include "stream.h"

void vn_main(void)
{
	struct item m;

	for (uint64_t i = 0; i < STREAM_COUNT; i++) {
		m.seq = i;
		m.check = ~i;
		while (!vn_send(&vn_tx_work, &m))
			vn_wait(VN_FOREVER);
	}
	vn_log("sent %u", STREAM_COUNT);
}
