/*
 * vn_ticks.h - a hardware counter's ticks as nanoseconds and back, for the
 * bare-metal ports' kernels and shards alike (aarch64: the generic timer at
 * CNTFRQ; riscv64: the `time` CSR at the board's timebase).
 */
#ifndef VN_TICKS_H
#define VN_TICKS_H

#include <stdint.h>

#define VN_NS_PER_S 1000000000ull

/* Split so that neither product overflows 64 bits for counts up to years.
 * A rate that divides a second (riscv64's 10 MHz, QEMU aarch64's 62.5 MHz)
 * is a whole number of ns per tick: one multiplication, the same result. */
static inline uint64_t vn_ticks_to_ns(uint64_t t, uint64_t f)
{
	if (VN_NS_PER_S % f == 0)
		return t * (VN_NS_PER_S / f);
	return t / f * VN_NS_PER_S + t % f * VN_NS_PER_S / f;
}

/* Rounded up: a timer set for ns never fires before ns. */
static inline uint64_t vn_ns_to_ticks(uint64_t ns, uint64_t f)
{
	return ns / VN_NS_PER_S * f + (ns % VN_NS_PER_S * f + VN_NS_PER_S - 1) / VN_NS_PER_S;
}

#endif /* VN_TICKS_H */
