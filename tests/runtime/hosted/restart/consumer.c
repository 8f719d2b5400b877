/* consumer: crashes on message 5, after taking it off the ring. The
 * restarted consumer must find 6..19 still queued, in order. */
#include <vanity_shard.h>

#include "msg.h"

static int *volatile bad = (int *)8;

void vn_main(void)
{
	struct msg m;
	uint32_t first = UINT32_MAX, next = 0;

	for (;;) {
		while (!vn_recv(&vn_rx_work, &m))
			vn_wait(VN_FOREVER);
		if (first == UINT32_MAX) {
			first = next = m.seq;
			vn_log("life starts at %u", first);
		}
		if (!msg_ok(&m, next, 7)) {
			vn_log("expected %u, got %u", next, m.seq);
			vn_exit(2);
		}
		if (m.seq == 5)
			*bad = 0;
		if (m.seq == 19)
			break;
		next++;
	}
	vn_log("got %u..19 in order", first);
}
