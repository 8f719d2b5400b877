/*
 * Queues COUNT numbered messages for the consumer, then lets the crasher go
 * and yields the core to it (they share core 0). It runs again only once the
 * crasher has given the core back, which a faulting or watchdogged crasher
 * does by being stopped.
 */
#include <vanity_shard.h>

#define COUNT 1000u

void vn_main(void)
{
	uint64_t msg[2], go = 1;

	for (uint64_t i = 0; i < COUNT; i++) {
		msg[0] = i;
		msg[1] = ~i;
		while (!vn_send(&vn_tx_data, msg))
			vn_wait(VN_FOREVER);
	}
	while (!vn_send(&vn_tx_poke, &go))
		vn_wait(VN_FOREVER);
	vn_log("queued %u messages", COUNT);
	vn_yield();
	vn_log("ran again after the crasher");
}
