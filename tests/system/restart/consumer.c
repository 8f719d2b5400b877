/*
 * Takes the stream in order. Each life logs the first sequence number it
 * sees. The first life (the one that starts at 0) takes STREAM_CRASH off the
 * ring, waits until the ring is full behind it, and dies of a wild write.
 * The restarted consumer must start at STREAM_CRASH + 1: nothing lost,
 * nothing seen twice.
 */
#include <vanity_shard.h>

#include "stream.h"

static int *volatile wild = (int *)8;

static void die_with_full_ring(void)
{
	uint64_t until = vn_now() + 2000000000ull;

	while (vn_pending(&vn_rx_work) < VN_DEPTH_WORK && vn_now() < until)
		vn_yield();
	vn_log("crashing after %u with %u queued", STREAM_CRASH, vn_pending(&vn_rx_work));
	*wild = 1;
	vn_log("survived the crash: should not happen");
}

void vn_main(void)
{
	struct item m;
	uint64_t first = UINT64_MAX, next = 0;

	for (;;) {
		while (!vn_recv(&vn_rx_work, &m))
			vn_wait(VN_FOREVER);
		if (first == UINT64_MAX) {
			first = next = m.seq;
			vn_log("life starts at %llu", (unsigned long long)first);
		}
		if (m.seq != next || m.check != ~next) {
			vn_log("expected %llu, got %llu", (unsigned long long)next,
			       (unsigned long long)m.seq);
			vn_exit(2);
		}
		if (first == 0 && m.seq == STREAM_CRASH)
			die_with_full_ring();
		if (m.seq == STREAM_COUNT - 1)
			break;
		next++;
	}
	vn_log("got %llu..%u in order", (unsigned long long)first, STREAM_COUNT - 1);
}
