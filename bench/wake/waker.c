/*
 * waker.c - the timing side of the Vanity wake-up round trip (wake.yaml).
 *
 * Sends sequence number i to echo, waits for it to come back, and times the
 * round trip with vn_now(). While it waits it calls vn_wait(VN_FOREVER), so
 * with `spin: 0us` both shards are asleep whenever they wait and every round
 * trip pays two cross-core notifications (the peer: futex_rtt). After
 * WARMUP untimed round trips it times N, prints
 *   wake-rtt min=... p50=... p99=... ns
 * and stops the system with vn_halt(0) (1 if a message came back wrong).
 */
#include <vanity_shard.h>

_Static_assert(VN_MSG_SIZE_PING == sizeof(uint64_t), "8-byte messages");
_Static_assert(VN_MSG_SIZE_PONG == sizeof(uint64_t), "8-byte messages");

#define WARMUP 100u
#define N 2000u

static uint64_t lat[N];

/* Shell sort: a shard has no libc qsort on every board. */
static void sort_u64(uint64_t *v, uint32_t n)
{
	static const uint32_t gaps[] = {701, 301, 132, 57, 23, 10, 4, 1};

	for (uint32_t g = 0; g < sizeof(gaps) / sizeof(gaps[0]); g++) {
		uint32_t gap = gaps[g];

		for (uint32_t i = gap; i < n; i++) {
			uint64_t x = v[i];
			uint32_t j = i;

			for (; j >= gap && v[j - gap] > x; j -= gap)
				v[j] = v[j - gap];
			v[j] = x;
		}
	}
}

void vn_main(void)
{
	uint32_t bad = 0;

	for (uint64_t i = 0; i < WARMUP + N; i++) {
		uint64_t back, t0 = vn_now();

		while (!vn_send(&vn_tx_ping, &i))
			vn_wait(VN_FOREVER);
		while (!vn_recv(&vn_rx_pong, &back))
			vn_wait(VN_FOREVER);
		if (i >= WARMUP)
			lat[i - WARMUP] = vn_now() - t0;
		bad += back != i;
	}
	sort_u64(lat, N);
	vn_log("wake-rtt min=%llu p50=%llu p99=%llu ns",
	       (unsigned long long)lat[0], (unsigned long long)lat[N / 2],
	       (unsigned long long)lat[N * 99 / 100]);
	if (bad)
		vn_log("wake-rtt: %u messages came back wrong", bad);
	vn_halt(bad != 0);
}
