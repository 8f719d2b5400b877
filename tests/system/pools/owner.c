/*
 * owner.c - fills BUFFERS buffers of pool `blocks`, each with its own
 * pattern over the length it sends, hands them to reader by handle and
 * counts them back; then sends N_BAD handles that name no buffer and a
 * stop handle.
 */
#include <vanity_shard.h>

#include "common.h"

static void send(struct vn_buf h)
{
	while (!vn_send(&vn_tx_full, &h))
		vn_wait(VN_FOREVER);
}

void vn_main(void)
{
	static const struct vn_buf bad[N_BAD] = {
		{VN_POOL_BLOCKS_BUFFERS, 0},        /* one past the last */
		{0x7fffffffu, 16},                  /* far beyond */
		{3, VN_POOL_BLOCKS_SIZE + 1},       /* longer than a buffer */
		{UINT32_MAX, UINT32_MAX},
	};
	uint64_t base = vn_pool_blocks.base;
	uint32_t back = 0, wrong = 0;

	vn_send(&vn_tx_where, &base);
	for (uint32_t i = 0; i < BUFFERS; i++) {
		struct vn_buf h = {i, 64 + i * 97};
		unsigned char *p = vn_pool_buf(&vn_pool_blocks, h);

		for (uint32_t j = 0; j < h.len; j++)
			p[j] = pattern(i, j);
		send(h);
	}
	while (back < BUFFERS) {
		struct vn_buf h;

		if (!vn_recv(&vn_rx_back, &h)) {
			vn_wait(VN_FOREVER);
			continue;
		}
		wrong += h.index != back || h.len != 64 + back * 97;
		back++;
	}
	for (uint32_t i = 0; i < N_BAD; i++)
		send(bad[i]);
	send((struct vn_buf){STOP_INDEX, 0});
	vn_log("%u buffers back, %u wrong; pool at %#lx, %u x %u bytes", back, wrong,
	       (unsigned long)vn_pool_blocks.base, VN_POOL_BLOCKS_BUFFERS, VN_POOL_BLOCKS_SIZE);
}
