/*
 * a64_time.h - the generic timer's virtual count as nanoseconds, for the
 * kernel and the shards alike (EL0 may read CNTVCT_EL0 and CNTFRQ_EL0:
 * the kernel sets CNTKCTL_EL1.EL0VCTEN). Both sides read the same counter,
 * so vn_now() and the kernel's deadlines agree.
 */
#ifndef VN_A64_TIME_H
#define VN_A64_TIME_H

#include <stdint.h>

#define A64_NS 1000000000ull

static inline uint64_t a64_cntfrq(void)
{
	uint64_t f;

	__asm__ volatile("mrs %0, cntfrq_el0" : "=r"(f));
	return f;
}

static inline uint64_t a64_cntvct(void)
{
	uint64_t t;

	__asm__ volatile("isb\n\tmrs %0, cntvct_el0" : "=r"(t) :: "memory");
	return t;
}

/* Split so that neither product overflows 64 bits for counts up to years. */
static inline uint64_t a64_ticks_to_ns(uint64_t t, uint64_t f)
{
	return t / f * A64_NS + t % f * A64_NS / f;
}

/* Rounded up: a timer set for ns never fires before ns. */
static inline uint64_t a64_ns_to_ticks(uint64_t ns, uint64_t f)
{
	return ns / A64_NS * f + (ns % A64_NS * f + A64_NS - 1) / A64_NS;
}

#endif /* VN_A64_TIME_H */
