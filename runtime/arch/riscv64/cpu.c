/*
 * cpu.c - the riscv64 port's harts and traps: bringing a hart up, starting
 * the others through SBI HSM, and what a trap from U-mode asks of the
 * shared kernel (bm_trap calls arch_trap). The kernel's own devices are
 * sifive_test, the ACLINT and the PLIC (kernel_devices in the board record);
 * the console UART is not among them: a shard may own it (a console
 * driver), and the kernel goes on writing its own lines to the transmit
 * register.
 */
#include "rv64.h"
#include "kconsole.h"

#define CAUSE_ILLEGAL 2u

uint32_t rv64_hartid[ARCH_MAX_CPUS];
const uint32_t rv64_n_cpus = ARCH_MAX_CPUS; /* start.S: how many rv64_hartid lists */
volatile uint32_t *rv64_sswi;
bool rv64_sstc;

/* Whether this hart may write its own timer compare register: Sstc, which
 * the firmware enables for S-mode (menvcfg.STCE; OpenSBI does where the
 * hart has it). Tried: a read of stimecmp traps where it may not, and the
 * trap lands just past it (stvec is the probe's own, and interrupts are
 * off at boot), with `ok` still 0. */
static bool sstc_usable(void)
{
	uint64_t ok = 0, vec;

	__asm__ volatile("la t0, 1f\n\t"
			 "csrrw %1, stvec, t0\n\t"
			 "csrr t0, 0x14d\n\t" /* stimecmp */
			 "li %0, 1\n\t"
			 ".balign 4\n"
			 "1:\tcsrw stvec, %1"
			 : "+r"(ok), "=&r"(vec) : : "t0", "memory");
	return ok != 0;
}

/* OpenSBI's a0 is the boot hart, a1 the device tree. The boot hart is
 * CPU 0 and the others take CPUs 1.. in hart order; the tree must number
 * them 0..n-1 and count time as this kernel does (RV64_TIMEBASE), or the
 * kernel refuses to boot rather than run on wrong time. Kicks go through
 * the ACLINT SSWI where the tree has one at RV64_SSWI, a page the board
 * keeps for the kernel; elsewhere (QEMU run without aclint=on) through SBI.
 * Deadlines go to stimecmp where Sstc is enabled (the harts alike), else
 * to SBI (sbi.c). */
void arch_boot(uint64_t boot_hart, uint64_t dtb)
{
	uint32_t cpu = 1, hz = bm_fdt_check_cpus((const void *)(uintptr_t)dtb);

	if (hz != RV64_TIMEBASE) {
		vn_kmsg("cannot boot: the timebase is %u Hz; this kernel counts %llu Hz", hz,
			(unsigned long long)RV64_TIMEBASE);
		arch_exit(1);
	}
	if (bm_fdt_find((const void *)(uintptr_t)dtb, "riscv,aclint-sswi") == RV64_SSWI)
		rv64_sswi = (volatile uint32_t *)(uintptr_t)RV64_SSWI;
	rv64_sstc = sstc_usable();
	rv64_hartid[0] = (uint32_t)boot_hart;
	for (uint64_t h = 0; cpu < ARCH_MAX_CPUS; h++)
		if (h != boot_hart)
			rv64_hartid[cpu++] = (uint32_t)h;
}

void arch_cpu_init(uint32_t cpu)
{
	csr_write(stvec, (uint64_t)(uintptr_t)rv64_trap_entry);
	csr_write(sscratch, 0);
	csr_write(scounteren, 2); /* U-mode may read `time` (vn_now) */
	rv64_mmu_enable();
	__asm__ volatile("fence.i" ::: "memory");
	rv64_plic_init_cpu(cpu);
	rv64_timer_fired(); /* off, and `armed` says so */
	csr_write(sie, SIP_SSIP | SIP_STIP | SIP_SEIP);
}

/* Start CPU cpu at rv64_secondary_entry. VN_TEST_SECONDARY_AT_START (a
 * build-time test hook) starts it at the boot entry instead, as OpenSBI
 * may (start.S), to show that it finds its way from there. */
const char *arch_cpu_start(uint32_t cpu)
{
#ifdef VN_TEST_SECONDARY_AT_START
	extern char _start[];
	uint64_t entry = (uint64_t)(uintptr_t)_start;
#else
	uint64_t entry = (uint64_t)(uintptr_t)rv64_secondary_entry;
#endif

	if (rv64_hart_start(rv64_hartid[cpu], entry, cpu) != 0)
		return "SBI could not start a hart (run QEMU with -smp = cores used)";
	return NULL;
}

/* Take every pending interrupt. A kick (SSIP) only makes us look at the
 * run queue again; the timer is switched off here and re-armed for the
 * next deadline before we leave; a device interrupt (PLIC) is masked, then
 * becomes its owner's notification. */
void arch_irq_poll(uint32_t cpu)
{
	uint64_t sip = csr_read(sip);
	uint32_t irq;

	if (sip & SIP_SSIP)
		csr_clear(sip, SIP_SSIP);
	if (sip & SIP_STIP)
		rv64_timer_fired();
	while ((irq = rv64_plic_claim(cpu)) != 0) {
		rv64_plic_mask(irq);
		vn_irq_deliver(&bm_kernel, irq, cpu);
		rv64_plic_complete(cpu, irq);
	}
}

void arch_trap(struct arch_frame *f, struct vn_shard *s, uint32_t cpu, uint32_t kind)
{
	uint64_t scause = csr_read(scause), stval = csr_read(stval);

	(void)kind;
	if (scause & CAUSE_IRQ) {
		arch_irq_poll(cpu);
	} else if (s && scause == RV64_CAUSE_ECALL_U) {
		arch_call_done(f); /* past the ecall, whatever happens next */
		bm_syscall(f, s, f->x[17], f->x[10], f->x[11]);
	} else if (s && scause == CAUSE_ILLEGAL && !(f->sstatus & SSTATUS_FS) &&
		   bm_fp_claim(f, s, cpu)) {
		/* F/D on: if it was no F/D instruction, it traps again */
	} else if (s) {
		/* with fp: false, an F/D instruction is an illegal one */
		rv64_fault(s, f, scause, stval);
	}
}
