/*
 * sbi.c - the timer, kicks, and what the kernel asks OpenSBI for: starting
 * harts (HSM), and the timer (TIME) and kicks (IPI) where the hart has no
 * Sstc or the board no ACLINT SSWI. Each hart's next deadline is one write
 * of stimecmp, or one SBI set_timer; either clears the pending timer
 * interrupt.
 */
#include "rv64.h"
#include "rv64_time.h"

#define SBI_TIME 0x54494d45ul
#define SBI_IPI 0x735049ul
#define SBI_HSM 0x48534dul

static int64_t sbi(uint64_t ext, uint64_t fn, uint64_t a0, uint64_t a1, uint64_t a2)
{
	register uint64_t x10 __asm__("a0") = a0;
	register uint64_t x11 __asm__("a1") = a1;
	register uint64_t x12 __asm__("a2") = a2;
	register uint64_t x16 __asm__("a6") = fn;
	register uint64_t x17 __asm__("a7") = ext;

	__asm__ volatile("ecall" : "+r"(x10), "+r"(x11) : "r"(x12), "r"(x16), "r"(x17)
			 : "memory");
	return (int64_t)x10;
}

/* "Never" is a compare value centuries ahead, not UINT64_MAX: QEMU 7.2
 * turns the distance to a stimecmp into nanoseconds with an overflow
 * (ticks * 100 at 10 MHz), and for UINT64_MAX its timer fires at some
 * arbitrary time, raising STIP for a deadline nobody set. */
#define NEVER_TICKS (UINT64_C(1) << 56)

static void program(uint32_t cpu, uint64_t deadline_ns)
{
	uint64_t ticks = deadline_ns == VN_NEVER ? NEVER_TICKS :
			 vn_ns_to_ticks(deadline_ns, RV64_TIMEBASE);

	bm_kernel.core[cpu].timer_at = deadline_ns;
	if (ticks > NEVER_TICKS)
		ticks = NEVER_TICKS;
	if (rv64_sstc)
		__asm__ volatile("csrw 0x14d, %0" : : "r"(ticks) : "memory"); /* stimecmp */
	else
		sbi(SBI_TIME, 0, ticks, 0, 0);
}

/* Each hart's deadline as last set is kept in its core (vn_core.timer_at,
 * where the kernel's YIELD path reads it). Through the firmware a trip
 * there costs hundreds of instructions (about 280 in OpenSBI) and an MMIO
 * write that QEMU serialises; with Sstc it is one CSR write, which the
 * switch path would still make at every switch. So a deadline is set only
 * when it is earlier than the one armed: a later one (the watchdog's moves
 * later at every switch, and most traps leave it) keeps the earlier, which
 * fires early; the trap finds nothing due, switches the timer off
 * (rv64_timer_fired) and sets the real deadline. One early interrupt per
 * armed deadline, instead of a write per switch. Never late: what is armed
 * is never after what is due. */
void arch_timer_set(uint64_t deadline_ns)
{
	uint32_t cpu = arch_cpu();

	if (deadline_ns < bm_kernel.core[cpu].timer_at)
		program(cpu, deadline_ns);
}

/* The timer fired, or the hart starts: switch it off whatever this hart's
 * cache says, so a pending STIP is always cleared (one left pending would
 * trap at every return to user mode, for ever). */
void rv64_timer_fired(void)
{
	program(arch_cpu(), VN_NEVER);
}

/* The run-queue change that prompted the kick is visible before the IPI.
 * Through the ACLINT SSWI a kick is one store, where SBI's IPI took about
 * 540 instructions in OpenSBI on the sending hart and 280 on the kicked
 * one (its machine-mode software interrupt, turned into SSIP): the kicked
 * hart's SSIP is set by the store itself. */
void arch_kick(uint32_t cpu)
{
	volatile uint32_t *sswi = rv64_sswi;

	if (sswi) {
		__asm__ volatile("fence rw, ow" ::: "memory");
		sswi[rv64_hartid[cpu]] = 1;
		return;
	}
	__asm__ volatile("fence rw, rw" ::: "memory");
	sbi(SBI_IPI, 0, 1, rv64_hartid[cpu], 0);
}

int rv64_hart_start(uint64_t hartid, uint64_t entry, uint64_t opaque)
{
	return sbi(SBI_HSM, 0, hartid, entry, opaque) == 0 ? 0 : -1;
}
