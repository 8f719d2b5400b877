/* halter: a 50 ms wait that times out, then halts the system with 7. */
#include <vanity_shard.h>

void vn_main(void)
{
	uint64_t t0 = vn_now();
	vn_bits_t bits = vn_wait(50000000);
	uint64_t ms = (vn_now() - t0) / 1000000;

	vn_log("wait returned %llu after %s50 ms", (unsigned long long)bits,
	       ms >= 50 ? ">=" : "<");
	vn_halt(7);
}
