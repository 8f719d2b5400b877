/* Checks the stream: 1, 2, 3, ... with nothing lost or repeated, and counts
 * the changes of version. */
#include <vanity_shard.h>

#include "msg.h"

void vn_main(void)
{
	uint64_t want = 1, bad = 0;
	uint32_t version = 0, changes = 0;
	struct msg m;

	for (;;) {
		if (!vn_recv(&vn_rx_done, &m)) {
			vn_wait(VN_FOREVER);
			continue;
		}
		if (m.seq == 0)
			break;
		if (m.seq != want && bad++ < 5)
			vn_log("expected %llu, got %llu", (unsigned long long)want,
			       (unsigned long long)m.seq);
		want = m.seq + 1;
		if (m.version != version) {
			if (version)
				vn_log("version %u -> %u at %llu", version, m.version,
				       (unsigned long long)m.seq);
			changes += version != 0;
			version = m.version;
		}
	}
	vn_log("received %llu, %llu out of order, %u version changes, last version %u",
	       (unsigned long long)want - 1, (unsigned long long)bad, changes, version);
	vn_exit(bad ? 1 : 0);
}
