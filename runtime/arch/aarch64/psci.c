/*
 * psci.c - starting CPUs and powering off, through PSCI over HVC (QEMU
 * virt without EL2/EL3 implements PSCI itself, as the hypervisor call).
 */
#include "a64.h"

#define PSCI_CPU_ON 0xc4000003ull
#define PSCI_SYSTEM_OFF 0x84000008ull

static int64_t psci(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3)
{
	register uint64_t x0 __asm__("x0") = fn;
	register uint64_t x1 __asm__("x1") = a1;
	register uint64_t x2 __asm__("x2") = a2;
	register uint64_t x3 __asm__("x3") = a3;

	__asm__ volatile("hvc #0" : "+r"(x0) : "r"(x1), "r"(x2), "r"(x3) : "memory");
	return (int64_t)x0;
}

/* CPU `cpu` (MPIDR affinity 0 on QEMU virt) starts at entry with x0 = ctx. */
int a64_psci_cpu_on(uint32_t cpu, uint64_t entry, uint64_t ctx)
{
	return psci(PSCI_CPU_ON, cpu, entry, ctx) == 0 ? 0 : -1;
}

_Noreturn void a64_psci_off(void)
{
	psci(PSCI_SYSTEM_OFF, 0, 0, 0);
	for (;;)
		__asm__ volatile("wfi");
}
