/* Runs on past the usurper's attempt, then ends the system with status 4,
 * as its spec (`halt: true`) lets it. */
#include <vanity_shard.h>

void vn_main(void)
{
	uint64_t t0 = vn_now();

	while (vn_now() - t0 < 200000000ull)
		vn_wait(50000000ull);
	vn_log("still running");
	vn_halt(4);
}
