/*
 * emitter: K and 2K trace events, and the same loops with no event, timed
 * with vn_clock() (see trace.yaml). Each measurement is taken REPS times and
 * the smallest kept, so a kernel timer tick that lands in one is dropped.
 */
#include <vanity_shard.h>

#define K 20000u
#define REPS 5

static const uint8_t mac[6] = {0x02, 0x00, 0x5e, 0x10, 0x20, 0x30};

__attribute__((noinline)) static void events(uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		vn_trace_rx_batch(i, (uint8_t)(i & 1), mac);
}

__attribute__((noinline)) static void empty(uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		__asm__ volatile("" ::"r"(i), "r"(mac) : "memory");
}

static uint64_t best(void (*fn)(uint32_t), uint32_t n)
{
	uint64_t min = ~0ull;

	for (int r = 0; r < REPS; r++) {
		uint64_t t0 = vn_clock();

		fn(n);
		t0 = vn_clock() - t0;
		if (t0 < min)
			min = t0;
	}
	return min;
}

void vn_main(void)
{
	uint64_t e1 = best(events, K), e2 = best(events, 2 * K);
	uint64_t z1 = best(empty, K), z2 = best(empty, 2 * K);

	vn_log("trace-icount k=%u events1=%llu events2=%llu empty1=%llu empty2=%llu ticks",
	       K, (unsigned long long)e1, (unsigned long long)e2,
	       (unsigned long long)z1, (unsigned long long)z2);
	vn_halt(0);
}
