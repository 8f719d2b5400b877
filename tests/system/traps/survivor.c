/*
 * Shares the crasher's core. It sleeps with a timeout (nothing will wake it
 * but the timer), then reports that it ran on after the crasher's fault.
 */
#include <vanity_shard.h>

void vn_main(void)
{
	uint64_t t0 = vn_now(), bits = vn_wait(20000000ull); /* 20 ms */
	uint64_t ms = (vn_now() - t0) / 1000000u;

	vn_log("woke with %llu after %s20 ms", (unsigned long long)bits,
	       ms >= 20 ? ">= " : "< ");
	vn_log("ran on after the crasher");
}
