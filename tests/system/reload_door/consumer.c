/* Takes the stream: in order, nothing lost or seen twice; logs each change
 * of what the worker adds (value - seq), and a summary at the end. */
#include <vanity_shard.h>

#include "stream.h"

void vn_main(void)
{
	struct item m;
	uint64_t next = 0, add = 0, changes = 0;

	for (;;) {
		while (!vn_recv(&vn_rx_sink, &m))
			vn_wait(VN_FOREVER);
		if (m.seq != next) {
			vn_log("expected %llu, got %llu", (unsigned long long)next,
			       (unsigned long long)m.seq);
			vn_exit(2);
		}
		if (m.value - m.seq != add) {
			changes++;
			vn_log("add %llu from seq %llu", (unsigned long long)(m.value - m.seq),
			       (unsigned long long)m.seq);
			add = m.value - m.seq;
		}
		if (++next == STREAM_COUNT)
			break;
	}
	vn_log("got %u in order, %llu changes", STREAM_COUNT, (unsigned long long)changes);
}
