/* Sets the thread pointer register to MINE and checks that it stays so
 * over 100 turns on a core shared with a shard that sets another value. */
#include <vanity_shard.h>

static inline uint64_t tp_get(void)
{
	uint64_t v;

#if defined(__aarch64__)
	__asm__ volatile("mrs %0, tpidr_el0" : "=r"(v));
#else
	__asm__ volatile("mv %0, tp" : "=r"(v));
#endif
	return v;
}

static inline void tp_set(uint64_t v)
{
#if defined(__aarch64__)
	__asm__ volatile("msr tpidr_el0, %0" :: "r"(v));
#else
	__asm__ volatile("mv tp, %0" :: "r"(v));
#endif
}

void vn_main(void)
{
	uint64_t first = tp_get(), seen = MINE;
	unsigned turns;

	tp_set(MINE);
	for (turns = 0; turns < 100 && seen == MINE; turns++) {
		vn_yield();
		seen = tp_get();
	}
	vn_log("started with %#llx; after %u turns %#llx", (unsigned long long)first, turns,
	       (unsigned long long)seen);
}
