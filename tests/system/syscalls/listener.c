/* Receives the caller's messages in order, then passes one word on. */
#include <vanity_shard.h>

#define MSGS 50u

void vn_main(void)
{
	uint64_t v, bad = 0, done = MSGS;

	for (uint64_t i = 0; i < MSGS; i++) {
		while (!vn_recv(&vn_rx_mine, &v))
			vn_wait(VN_FOREVER);
		bad += v != i;
	}
	vn_log("received %u, %llu out of order", MSGS, (unsigned long long)bad);
	while (!vn_send(&vn_tx_other, &done))
		vn_wait(VN_FOREVER);
}
