/*
 * ring: one shard of a token ring with a hub (tests/system/scale). Every
 * shard runs this file; its spec cflags name its endpoints (-DTX=, -DRX=)
 * and mark the first shard (-DFIRST=1), which starts the token, counts LAPS
 * laps and then sends the stop token round. Each hop adds one to the token,
 * so the first shard checks that every shard saw every lap.
 *
 * Then the first shard is a hub: it fans ROUNDS rounds of work out to its
 * workers (-DFANS=F(1)F(2)..., one fan-out and one fan-in channel each) and
 * checks every answer; a worker (-DFAN=k, -DFAN_TX=, -DFAN_RX=) answers
 * each item with item * 3 + k until the stop item.
 *
 * The first shard also logs the clock ticks the laps took ("ring-ticks"):
 * under QEMU's -icount shift=0, instructions per hop, for a shard count
 * (bench/scale_wake.py).
 */
#include <vanity/clock.h>
#include <vanity_shard.h>

#ifndef FIRST
#define FIRST 0
#endif
#define LAPS 20u
#define ROUNDS 8u
#define STOP UINT64_MAX

static uint64_t take_from(const struct vn_rx *rx)
{
	uint64_t t;

	while (!vn_recv(rx, &t))
		vn_wait(VN_FOREVER);
	return t;
}

static void give_to(const struct vn_tx *tx, uint64_t t)
{
	while (!vn_send(tx, &t))
		vn_wait(VN_FOREVER);
}

#define take() take_from(&RX)
#define give(t) give_to(&TX, (t))

#if FIRST
#define F(k) &vn_tx_o##k,
static const struct vn_tx *const outs[] = {FANS};
#undef F
#define F(k) &vn_rx_f##k,
static const struct vn_rx *const ins[] = {FANS};
#undef F
#define N_FAN (sizeof(outs) / sizeof(outs[0]))

/* Every round: one item to each worker, then every answer, in any order. */
static void hub(void)
{
	for (uint32_t round = 0; round < ROUNDS; round++) {
		uint32_t left = N_FAN;
		bool got[N_FAN];

		for (uint32_t k = 0; k < N_FAN; k++) {
			got[k] = false;
			give_to(outs[k], round * 1000u + k);
		}
		while (left) {
			bool any = false;

			for (uint32_t k = 0; k < N_FAN; k++) {
				uint64_t a, want = (round * 1000u + k) * 3u + k + 1u;

				if (got[k] || !vn_recv(ins[k], &a))
					continue;
				if (a != want) {
					vn_log("worker %u answered %llu, expected %llu", k + 1,
					       (unsigned long long)a, (unsigned long long)want);
					vn_halt(3);
				}
				got[k] = any = true;
				left--;
			}
			if (!any)
				vn_wait(VN_FOREVER);
		}
	}
	for (uint32_t k = 0; k < N_FAN; k++)
		give_to(outs[k], STOP);
}
#endif

void vn_main(void)
{
	uint64_t t = 0;

	if (!FIRST) {
		while ((t = take()) != STOP)
			give(t + 1);
		give(STOP);
#ifdef FAN
		while ((t = take_from(&FAN_RX)) != STOP)
			give_to(&FAN_TX, t * 3u + FAN);
#endif
		return;
	}
#if FIRST
	uint64_t t0 = vn_clock();

	for (uint32_t lap = 0; lap < LAPS; lap++) {
		give(t + 1);
		t = take();
	}
	t0 = vn_clock() - t0;
	if (t != (uint64_t)LAPS * N_SHARDS) {
		vn_log("token %llu after %u laps, expected %llu", (unsigned long long)t, LAPS,
		       (unsigned long long)LAPS * N_SHARDS);
		vn_halt(2);
	}
	vn_log("ring-ticks hops=%u ticks=%llu", LAPS * N_SHARDS, (unsigned long long)t0);
	give(STOP);
	take();
	hub();
	vn_log("%u laps of %u shards, token %llu; %u rounds through %u workers", LAPS, N_SHARDS,
	       (unsigned long long)t, ROUNDS, (unsigned)N_FAN);
#endif
}
