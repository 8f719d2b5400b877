/* Short timed waits whose deadline may pass before the core goes idle:
 * the only wake-up source is the shard's own timeout. WAITS waits of
 * WAIT_NS each, or (with RANDOM) of 0..2 ms each, seeded by SEED. */
#include <vanity_shard.h>

#include "rng.h"

void vn_main(void)
{
	uint64_t t0 = vn_now(), bits = 0;

	rng_seed(SEED);
	for (int i = 0; i < WAITS; i++)
		bits |= vn_wait(RANDOM ? rng_below(2000001) : WAIT_NS);
	vn_log("done %d waits in %llu us, bits %#llx", WAITS,
	       (unsigned long long)((vn_now() - t0) / 1000), (unsigned long long)bits);
}
