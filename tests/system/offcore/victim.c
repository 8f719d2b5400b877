/* Holds the core for 1.5 s in turns, then says it ran. */
#include <vanity_shard.h>

void vn_main(void)
{
	uint64_t t0 = vn_now(), turns = 0;

	while (vn_now() - t0 < 1500000000ull) {
		vn_yield();
		turns++;
	}
	vn_log("ran 1.5 s, %s", turns ? "taking turns" : "never yielded");
}
