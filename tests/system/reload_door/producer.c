/* Sends STREAM_COUNT numbered messages, one a millisecond: the stream
 * runs for seconds, across the reloads a test makes meanwhile. */
#include <vanity_shard.h>

#include "stream.h"

void vn_main(void)
{
	struct item m;

	for (uint64_t i = 0; i < STREAM_COUNT; i++) {
		m.seq = i;
		m.value = i;
		while (!vn_send(&vn_tx_feed, &m))
			vn_wait(VN_FOREVER);
		vn_sleep(1000000);
	}
	vn_log("sent %u", STREAM_COUNT);
}
