/*
 * waker.c - the timing side of the Vanity wake-up round trip (wake.yaml).
 *
 * Sends sequence number i to echo, waits for it to come back, and times the
 * round trip with the raw clock (vn_clock(): the TSC on an x86 host, as
 * futex_rtt's), in ticks turned into ns at the rate the clock ran against
 * vn_now() over the whole run: a vn_now() is a call into the vDSO, tens of
 * ns on a VM, as much as a round trip when both sides spin. While it waits
 * it calls vn_wait(VN_FOREVER), so with `spin: 0us` both shards are asleep
 * whenever they wait and every round trip pays two cross-core
 * notifications (the peer: futex_rtt). After WARMUP untimed round trips it
 * times N, prints
 *   wake-rtt min=... p50=... p99=... ns
 * and stops the system with vn_halt(0) (1 if a message came back wrong).
 */
#include <vanity_shard.h>

_Static_assert(VN_MSG_SIZE_PING == sizeof(uint64_t), "8-byte messages");
_Static_assert(VN_MSG_SIZE_PONG == sizeof(uint64_t), "8-byte messages");

#define WARMUP 100u
#define N 2000u
#define RATE_NS 50000000u /* the rate's interval, at least: 50 ms */

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

/* The raw clock once what came before has: on x86, after an lfence, as
 * futex_rtt reads the TSC (bench/src/common.h: tsc_now). */
static inline uint64_t clock_after(void)
{
#if defined(__x86_64__)
	__builtin_ia32_lfence();
#endif
	return vn_clock();
}

/* ticks in ns, at `ns` per `ticks` */
static unsigned long long in_ns(uint64_t v, uint64_t ns, uint64_t ticks)
{
	return (unsigned long long)((unsigned __int128)v * ns / ticks);
}

void vn_main(void)
{
	uint32_t bad = 0;
	uint64_t ns0 = vn_now(), c0 = vn_clock(), ns1, c1;

	for (uint64_t i = 0; i < WARMUP + N; i++) {
		uint64_t back, t0 = clock_after();

		while (!vn_send(&vn_tx_ping, &i))
			vn_wait(VN_FOREVER);
		while (!vn_recv(&vn_rx_pong, &back))
			vn_wait(VN_FOREVER);
		if (i >= WARMUP)
			lat[i - WARMUP] = clock_after() - t0;
		bad += back != i;
	}
	while (vn_now() - ns0 < RATE_NS)
		;
	ns1 = vn_now();
	c1 = vn_clock();
	sort_u64(lat, N);
	vn_log("wake-rtt min=%llu p50=%llu p99=%llu ns", in_ns(lat[0], ns1 - ns0, c1 - c0),
	       in_ns(lat[N / 2], ns1 - ns0, c1 - c0), in_ns(lat[N * 99 / 100], ns1 - ns0, c1 - c0));
	if (bad)
		vn_log("wake-rtt: %u messages came back wrong", bad);
	vn_halt(bad != 0);
}
