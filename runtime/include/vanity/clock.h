/*
 * vanity/clock.h - the raw clock that trace records and the kernel's run
 * time are stamped with: one counter read, no conversion, no call, and the
 * same counter in the kernel and in every shard of a system.
 *
 *   aarch64 (bare metal and a Linux host): the generic timer's virtual
 *           count (EL0 may read it: the bare-metal kernel sets
 *           CNTKCTL_EL1.EL0VCTEN, Linux does the same);
 *   riscv64: the `time` CSR (the kernel sets scounteren.TM);
 *   x86-64 host: the TSC.
 *
 * Its rate is the port's business (vn_obs.clock_hz): CNTFRQ, the board's
 * timebase, or the TSC rate the hosted kernel measures at start.
 */
#ifndef VANITY_CLOCK_H
#define VANITY_CLOCK_H

#include <stdint.h>

static inline uint64_t vn_clock(void)
{
#if defined(__x86_64__)
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
#elif defined(__aarch64__)
	uint64_t t;

	__asm__ volatile("mrs %0, cntvct_el0" : "=r"(t));
	return t;
#elif defined(__riscv)
	uint64_t t;

	__asm__ volatile("rdtime %0" : "=r"(t));
	return t;
#else
#error "vanity/clock.h: no raw clock for this architecture"
#endif
}

#endif /* VANITY_CLOCK_H */
