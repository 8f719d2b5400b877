/* A 50 ms wait that times out, then halts the system with 7. */
#include <vanity_shard.h>

void vn_main(void)
{
	uint64_t t0 = vn_now();
	vn_bits_t bits = vn_wait(50000000);

	vn_log("wait(50 ms) returned %#llx after %llu us", (unsigned long long)bits,
	       (unsigned long long)((vn_now() - t0) / 1000));
	vn_halt(7);
}
