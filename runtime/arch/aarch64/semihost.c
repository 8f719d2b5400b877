/*
 * semihost.c - the end of the system: QEMU exits with our status through
 * semihosting SYS_EXIT (run with -semihosting). Without semihosting the
 * HLT would hang, so PSCI SYSTEM_OFF follows as a fallback (status 0).
 */
#include "a64.h"

#define SYS_EXIT 0x18u
#define ADP_STOPPED_APPLICATION_EXIT 0x20026ull

_Noreturn void arch_exit(int status)
{
	uint64_t block[2] = {ADP_STOPPED_APPLICATION_EXIT, (uint64_t)(status & 0xff)};
	register uint64_t x0 __asm__("x0") = SYS_EXIT;
	register uint64_t x1 __asm__("x1") = (uint64_t)(uintptr_t)block;

	__asm__ volatile("hlt #0xf000" : "+r"(x0) : "r"(x1) : "memory");
	a64_psci_off();
}
