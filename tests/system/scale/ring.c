/*
 * ring: one shard of a token ring (tests/system/scale). Every shard runs
 * this file; its spec cflags name its endpoints (-DTX=, -DRX=) and mark the
 * first shard (-DFIRST=1), which starts the token, counts LAPS laps and
 * then sends the stop token round. Each hop adds one to the token, so the
 * first shard checks that every shard saw every lap.
 */
#include <vanity_shard.h>

#ifndef FIRST
#define FIRST 0
#endif
#define LAPS 20u
#define STOP UINT64_MAX

static uint64_t take(void)
{
	uint64_t t;

	while (!vn_recv(&RX, &t))
		vn_wait(VN_FOREVER);
	return t;
}

static void give(uint64_t t)
{
	while (!vn_send(&TX, &t))
		vn_wait(VN_FOREVER);
}

void vn_main(void)
{
	uint64_t t = 0;

	if (!FIRST) {
		while ((t = take()) != STOP)
			give(t + 1);
		give(STOP);
		return;
	}
	for (uint32_t lap = 0; lap < LAPS; lap++) {
		give(t + 1);
		t = take();
	}
	if (t != (uint64_t)LAPS * N_SHARDS) {
		vn_log("token %llu after %u laps, expected %llu", (unsigned long long)t, LAPS,
		       (unsigned long long)LAPS * N_SHARDS);
		vn_halt(2);
	}
	give(STOP);
	take();
	vn_log("%u laps of %u shards, token %llu", LAPS, N_SHARDS, (unsigned long long)t);
}
