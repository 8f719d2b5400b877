/* Keeps core 0 busy for 3 s (or SPIN_NS), yielding: ticker's swap happens
 * between its activations, at a pick. */
#include <vanity_shard.h>

#ifndef SPIN_NS
#define SPIN_NS 3000000000ull
#endif

void vn_main(void)
{
	uint64_t until = vn_now() + SPIN_NS, turns = 0;

	while (vn_now() < until) {
		vn_yield();
		turns++;
	}
	vn_log("spun %s", turns ? "and yielded" : "without a turn");
}
