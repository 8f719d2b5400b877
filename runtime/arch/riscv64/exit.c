/*
 * exit.c - the end of the system: QEMU exits with our status through the
 * sifive_test device of QEMU virt (0x5555: status 0; 0x3333 | status << 16
 * otherwise). And semihosting (QEMU runs with it on), for the trace dump.
 */
#include "rv64.h"

/* One semihosting call: the three uncompressed instructions QEMU
 * recognises, which must not straddle a page (hence the alignment). */
uint64_t arch_semihost(uint64_t op, uint64_t arg)
{
	register uint64_t a0 __asm__("a0") = op;
	register uint64_t a1 __asm__("a1") = arg;

	__asm__ volatile(".option push\n\t.option norvc\n\t.balign 16\n\t"
			 "slli x0, x0, 0x1f\n\tebreak\n\tsrai x0, x0, 7\n\t.option pop"
			 : "+r"(a0) : "r"(a1) : "memory");
	return a0;
}

#define SIFIVE_TEST 0x100000ul

_Noreturn void arch_exit(int status)
{
	uint32_t code = (uint32_t)status & 0xff;

	*(volatile uint32_t *)(uintptr_t)SIFIVE_TEST = code ? 0x3333u | code << 16 : 0x5555u;
	for (;;)
		__asm__ volatile("wfi");
}
