/*
 * cpu.c - the aarch64 port's CPUs and traps: bringing a CPU up, starting
 * the others through PSCI, and what an exception from EL0 asks of the
 * shared kernel (bm_trap calls arch_trap). The kernel's own devices are
 * the GIC's distributor and CPU interface; the console UART is not among
 * them: a shard may own it (a console driver), and the kernel goes on
 * writing its own lines to the data register.
 */
#include "a64.h"

#define ESR_EC_FP 0x07u
#define ESR_EC_SERROR 0x2fu

/* QEMU puts the device tree at the start of RAM for an ELF linked above
 * it. PSCI is asked to start CPU c as MPIDR c: the tree must agree. */
void arch_boot(uint64_t arg0, uint64_t arg1)
{
	(void)arg0;
	(void)arg1;
	bm_fdt_check_cpus((const void *)(uintptr_t)ARCH_RAM_BASE);
}

void arch_cpu_init(uint32_t cpu)
{
	(void)cpu;
	__asm__ volatile("msr vbar_el1, %0\n\tmsr cpacr_el1, %1\n\tisb"
			 :: "r"(a64_vectors), "r"(CPACR_FP_EL1));
	a64_mmu_enable();
	a64_gic_init_cpu();
	a64_timer_init_cpu();
}

const char *arch_cpu_start(uint32_t cpu)
{
	if (a64_psci_cpu_on(cpu, (uint64_t)(uintptr_t)a64_secondary_entry, cpu) != 0)
		return "PSCI could not start a CPU (run QEMU with -smp = cores used)";
	return NULL;
}

/* Acknowledge every pending interrupt. A kick (SGI) only makes us look at
 * the run queue again, which the caller does anyway; the timer is switched
 * off here and re-armed for the next deadline before we leave. A device
 * interrupt (SPI) is masked, then becomes its owner's notification. */
void arch_irq_poll(uint32_t cpu)
{
	for (;;) {
		uint32_t iar = a64_gic_ack(), id = iar & 0x3ffu;

		if (id >= 1020)
			return;
		if (id == A64_PPI_VTIMER)
			a64_timer_off();
		if (id >= A64_SPI_FIRST) {
			a64_gic_mask(id);
			vn_irq_deliver(&bm_kernel, id, cpu);
		}
		a64_gic_eoi(iar);
	}
}

static void sync(struct arch_frame *f, struct vn_shard *s, uint32_t cpu)
{
	uint64_t esr, far;

	__asm__ volatile("mrs %0, esr_el1" : "=r"(esr));
	__asm__ volatile("mrs %0, far_el1" : "=r"(far));
	if (!s)
		return;
	if ((esr >> 26) == A64_ESR_EC_SVC64)
		bm_syscall(f, s, f->x[8], f->x[0], f->x[1]);
	else if ((esr >> 26) != ESR_EC_FP || !bm_fp_claim(f, s, cpu))
		a64_fault(s, f, esr, far); /* FP/SIMD too, with fp: false */
}

void arch_trap(struct arch_frame *f, struct vn_shard *s, uint32_t cpu, uint32_t kind)
{
	if (kind == A64_TRAP_SYNC)
		sync(f, s, cpu);
	else if (kind == A64_TRAP_SERROR && s)
		a64_fault(s, f, (uint64_t)ESR_EC_SERROR << 26, 0);
	else if (kind == A64_TRAP_IRQ)
		arch_irq_poll(cpu);
}
