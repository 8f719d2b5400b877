/*
 * semihost.c - semihosting (QEMU runs with it on): one call, and the end of
 * the system, where QEMU exits with our status through SYS_EXIT. Without
 * semihosting the HLT would hang, so PSCI SYSTEM_OFF follows as a fallback
 * (status 0).
 */
#include "a64.h"

#define SYS_EXIT 0x18u
#define ADP_STOPPED_APPLICATION_EXIT 0x20026ull

uint64_t arch_semihost(uint64_t op, uint64_t arg)
{
	register uint64_t x0 __asm__("x0") = op;
	register uint64_t x1 __asm__("x1") = arg;

	__asm__ volatile("hlt #0xf000" : "+r"(x0) : "r"(x1) : "memory");
	return x0;
}

_Noreturn void arch_exit(int status)
{
	uint64_t block[2] = {ADP_STOPPED_APPLICATION_EXIT, (uint64_t)(status & 0xff)};

	arch_semihost(SYS_EXIT, (uint64_t)(uintptr_t)block);
	a64_psci_off();
}
