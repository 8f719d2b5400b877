/* Sleeps in 2 ms steps: version 1 for up to 20 s (the test replaces it
 * long before), a later one (-DVERSION=2) for half a second. */
#include <vanity_shard.h>

#ifndef VERSION
#define VERSION 1
#endif

void vn_main(void)
{
	uint64_t until = vn_now() + (VERSION == 1 ? 20000000000ull : 500000000ull);
	uint32_t ticks = 0;

	vn_log("version %d starts", VERSION);
	while (vn_now() < until) {
		vn_sleep(2000000);
		ticks++;
	}
	vn_log("version %d ends after %u ticks", VERSION, ticks);
}
