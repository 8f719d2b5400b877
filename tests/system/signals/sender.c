/* Signals `go` and `tick` ROUNDS times each, one at a time: each waits for
 * its answer (`ack`, `tock`) before the next, so every signal is one
 * wake-up of its receiver. */
#include <vanity_shard.h>

#include "rounds.h"

static void await(vn_bits_t bit)
{
	while (!(vn_wait(VN_FOREVER) & bit))
		;
}

void vn_main(void)
{
	for (int i = 0; i < ROUNDS; i++) {
		vn_signal_go();
		await(VN_NOTIFY_ACK);
		vn_signal_tick();
		await(VN_NOTIFY_TOCK);
	}
	vn_log("sent %d go and %d tick", ROUNDS, ROUNDS);
}
