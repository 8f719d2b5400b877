/* Holds core 0 for SPIN_NS (default 8 s) without a single call into the
 * kernel (vn_now reads the counter in user mode), as a `poll` loop over
 * its rings does: no trap of its own takes CPU 0 to the door. */
#include <vanity_shard.h>

#ifndef SPIN_NS
#define SPIN_NS 8000000000ull
#endif

void vn_main(void)
{
	uint64_t until = vn_now() + SPIN_NS;

	while (vn_now() < until)
		;
	vn_log("held core 0 without a call");
}
