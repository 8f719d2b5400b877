/*
 * timer.c - the EL1 virtual timer: one deadline per CPU, the earliest of
 * its core's wait timeouts and its running shard's watchdog budget. EL0
 * may read the virtual count (vn_now), but not program the timer.
 */
#include "a64.h"
#include "a64_time.h"

void a64_timer_init_cpu(void)
{
	__asm__ volatile("msr cntkctl_el1, %0\n\tmsr cntv_ctl_el0, xzr\n\tisb"
			 :: "r"(2ull) /* EL0VCTEN */);
}

/* VN_NEVER switches the timer off. */
void arch_timer_set(uint64_t deadline_ns)
{
	uint64_t cval;

	if (deadline_ns == VN_NEVER) {
		__asm__ volatile("msr cntv_ctl_el0, xzr\n\tisb");
		return;
	}
	cval = vn_ns_to_ticks(deadline_ns, a64_cntfrq());
	__asm__ volatile("msr cntv_cval_el0, %0\n\tmsr cntv_ctl_el0, %1\n\tisb"
			 :: "r"(cval), "r"(1ull));
}
