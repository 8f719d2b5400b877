/* A poll shard: vn_wait spins and collects the kernel's bits now and then,
 * so `tick` reaches it without a ring. Answers each with `tock`. */
#include <vanity_shard.h>

#include "rounds.h"

void vn_main(void)
{
	unsigned ticks = 0;

	while (ticks < ROUNDS) {
		if (vn_wait(VN_FOREVER) & VN_NOTIFY_TICK) {
			ticks++;
			vn_signal_tock();
		}
	}
	vn_log("woken %u times by tick", ticks);
}
