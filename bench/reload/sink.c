/* Counts what arrives, and times each change of the sender's version: the
 * gap from the old version's last message to the new one's first. */
#include <vanity_shard.h>

#include "../../tests/system/reload/msg.h"

#ifdef OTHER
#define IN vn_rx_other
#define WHO "other"
#else
#define IN vn_rx_done
#define WHO "reloaded"
#endif

void vn_main(void)
{
	uint64_t n = 0, last = 0, first = 0, lost = 0, want = 1;
	uint32_t version = 0;
	struct msg m;

	for (;;) {
		uint64_t now;

		if (!vn_recv(&IN, &m)) {
			vn_wait(VN_FOREVER);
			continue;
		}
		if (m.seq == 0)
			break;
		now = vn_now();
		if (!first)
			first = now;
		lost += m.seq != want;
		want = m.seq + 1;
		if (version && m.version != version)
			vn_log("reload-gap %llu ns", (unsigned long long)(now - last));
		version = m.version;
		last = now;
		n++;
	}
	vn_log("%s stream: %llu messages in %llu us, %llu out of order", WHO,
	       (unsigned long long)n, (unsigned long long)((last - first) / 1000),
	       (unsigned long long)lost);
}
