/* Runs on past the probers' attempts, then ends the system with status 3. */
#include <vanity_shard.h>

void vn_main(void)
{
	uint64_t t0 = vn_now();

	while (vn_now() - t0 < 200000000ull)
		vn_wait(50000000ull);
	vn_log("still running");
	vn_halt(3);
}
