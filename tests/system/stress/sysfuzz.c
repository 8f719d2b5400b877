/*
 * Random system calls: CALLS calls with operations and arguments drawn,
 * from SEED, out of a pool of valid, boundary and nonsense values, each
 * result checked against what vanity/syscall.h documents. Calls that
 * would end the run (EXIT, HALT) are never made, LOG is made only with
 * lengths it must refuse, and MMIO only where it is ENOSYS (bare metal).
 * Logs one line of counts; "unexpected 0" is the verdict.
 */
#include <vanity_shard.h>
#include <vanity/syscall.h>

#include "rng.h"

#define N_CHANNELS 2u /* sysfuzz.yaml */

#ifdef VN_PORT_HOSTED
#define MMIO_IS_ENOSYS 0 /* hosted: a stray MMIO address faults the caller */
#else
#define MMIO_IS_ENOSYS 1
#endif

static const uint64_t pool[] = {
	0, 1, 2, 3, 4, 7, 8, 63, 64, 65, 1023, 1024, 1025, 4096, 0x7fffffff, 0x80000000u,
	0xffffffffu, 0x100000000ull, 0x100000001ull, 0x7fffffffffffffffull,
	0x8000000000000000ull, 0xfffffffffffff000ull, 0xffffffffffffffffull,
	0x40000000ull, 0x40100000ull, 0x80200000ull, 0x09000000ull, 0x10000000ull,
};

/* A random argument: from the pool, or any 64 bits, or a small number. */
static uint64_t arg(void)
{
	switch (rng_below(3)) {
	case 0:
		return pool[rng_below(sizeof(pool) / sizeof(pool[0]))];
	case 1:
		return rng_next();
	default:
		return rng_below(16);
	}
}

/* A random operation; EXIT and HALT become YIELD. */
static uint32_t op(void)
{
	uint32_t o = rng_below(4) ? (uint32_t)rng_below(VN_SYS_COUNT + 4) : (uint32_t)rng_next();

	if (o == VN_SYS_EXIT || o == VN_SYS_HALT || (o == VN_SYS_MMIO && !MMIO_IS_ENOSYS))
		return VN_SYS_YIELD;
	return o;
}

static uint64_t mine(void)
{
	return vn_tx_fuzz_sink.channel;
}

/* The result vanity/syscall.h promises for (o, a0), or `any` when only
 * "not an error" is promised (WAIT's bits). */
#define ANY UINT64_C(0x1234)
static uint64_t expected(uint32_t o, uint64_t *a0)
{
	switch (o) {
	case VN_SYS_YIELD:
		return 0;
	case VN_SYS_WAIT:
		*a0 %= 50000; /* at most 50 us: a long sleep only slows the run */
		return ANY;
	case VN_SYS_NOTIFY:
		if (*a0 >= N_CHANNELS)
			return VN_ERR(VN_EINVAL);
		return *a0 == mine() ? 0 : VN_ERR(VN_EPERM);
	case VN_SYS_LOG:
		if (*a0 <= VN_LOG_MAX)
			*a0 += VN_LOG_MAX + 1;
		if (*a0 <= VN_LOG_MAX) /* wrapped */
			*a0 = UINT64_MAX;
		return VN_ERR(VN_EINVAL);
	case VN_SYS_IRQ_ACK: /* fuzz owns no device */
		return *a0 ? VN_ERR(VN_EPERM) : VN_ERR(VN_EINVAL);
	default: /* no such call, and MMIO on bare metal */
		return VN_ERR(VN_ENOSYS);
	}
}

void vn_main(void)
{
	uint64_t counts[VN_SYS_COUNT + 1] = {0}, unexpected = 0;

	rng_seed(SEED);
	for (uint32_t i = 0; i < CALLS; i++) {
		uint32_t o = op();
		uint64_t a0 = arg(), a1 = arg(), want = expected(o, &a0);
		uint64_t got = vn_syscall(o, a0, a1);

		counts[o < VN_SYS_COUNT ? o : VN_SYS_COUNT]++;
		if (want == ANY ? VN_IS_ERR(got) : got != want) {
			if (unexpected++ < 10)
				vn_log("call %u: op %u (%#llx, %#llx) returned %#llx, not %#llx", i, o,
				       (unsigned long long)a0, (unsigned long long)a1,
				       (unsigned long long)got, (unsigned long long)want);
		}
	}
	vn_log("seed %d: %u calls (yield %llu, wait %llu, notify %llu, log %llu, irq_ack %llu, "
	       "mmio %llu, bad op %llu), unexpected %llu",
	       SEED, CALLS, (unsigned long long)counts[VN_SYS_YIELD],
	       (unsigned long long)counts[VN_SYS_WAIT], (unsigned long long)counts[VN_SYS_NOTIFY],
	       (unsigned long long)counts[VN_SYS_LOG], (unsigned long long)counts[VN_SYS_IRQ_ACK],
	       (unsigned long long)counts[VN_SYS_MMIO], (unsigned long long)counts[VN_SYS_COUNT],
	       (unsigned long long)unexpected);
	while (!vn_send(&vn_tx_fuzz_sink, &unexpected))
		vn_wait(VN_FOREVER);
}
