/*
 * a64_time.h - the generic timer's virtual count as nanoseconds, for the
 * kernel and the shards alike (EL0 may read CNTVCT_EL0 and CNTFRQ_EL0:
 * the kernel sets CNTKCTL_EL1.EL0VCTEN). Both sides read the same counter,
 * so vn_now() and the kernel's deadlines agree.
 */
#ifndef VN_A64_TIME_H
#define VN_A64_TIME_H

#include <stdint.h>

#include <vn_ticks.h>

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

#endif /* VN_A64_TIME_H */
