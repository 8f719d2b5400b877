/*
 * timer.c - the EL1 virtual timer: one deadline per CPU, the earliest of
 * its core's wait timeouts and its running shard's watchdog budget. EL0
 * may read the virtual count (vn_now), but not program the timer.
 */
#include "a64.h"
#include "a64_time.h"

uint64_t a64_tick_ns;

/* Every CPU reads the same CNTFRQ (firmware sets it system-wide). */
void a64_timer_init_cpu(void)
{
	uint64_t f = a64_cntfrq();

	a64_tick_ns = f && VN_NS_PER_S % f == 0 ? VN_NS_PER_S / f : 0;
	__asm__ volatile("msr cntkctl_el1, %0\n\tisb" :: "r"(2ull) /* EL0VCTEN */);
	a64_timer_off();
}

/* Off, whatever is armed: it fired, or the CPU starts. */
void a64_timer_off(void)
{
	bm_kernel.core[arch_cpu()].timer_at = VN_NEVER;
	__asm__ volatile("msr cntv_ctl_el0, xzr\n\tisb");
}

/* Each CPU's armed deadline is kept in its core (vn_core.timer_at, where
 * the kernel's YIELD path reads it). A later one is not set: the
 * watchdog's moves later at every switch, and most traps leave it, so the
 * earlier one stays armed and fires early; the trap finds nothing due,
 * switches the timer off (a64_timer_off) and sets the real deadline.
 * Never late: what is armed is never after what is due. */
void arch_timer_set(uint64_t deadline_ns)
{
	uint32_t cpu = arch_cpu();
	uint64_t cval;

	if (deadline_ns >= bm_kernel.core[cpu].timer_at)
		return;
	bm_kernel.core[cpu].timer_at = deadline_ns;
	cval = vn_ns_to_ticks(deadline_ns, a64_cntfrq());
	__asm__ volatile("msr cntv_cval_el0, %0\n\tmsr cntv_ctl_el0, %1\n\tisb"
			 :: "r"(cval), "r"(1ull));
}
