/*
 * rv64.h - private to the riscv64 port's kernel (QEMU virt: PLIC, the
 * ACLINT's supervisor software interrupts for IPIs, Sstc's stimecmp for the
 * timer, SBI for harts (and for IPIs and the timer where those are
 * missing), an NS16550A, sifive_test to exit).
 *
 * The shared kernel (runtime/freestanding/kernel, bm.h) does the rest; its
 * lock guards everything here that touches kernel state.
 */
#ifndef VN_RV64_H
#define VN_RV64_H

#include "bm.h"

#define SIP_SSIP (1ull << 1)
#define SIP_STIP (1ull << 5)
#define SIP_SEIP (1ull << 9)
#define CAUSE_IRQ (1ull << 63)

/* QEMU virt's ACLINT SSWI (-M virt,aclint=on; kernel_devices in the board
 * record): a 32-bit SETSSIP register per hart, from hart 0; writing 1 sets
 * that hart's SSIP, with no trip through the firmware. */
#define RV64_SSWI 0x02f00000ull

extern uint32_t rv64_hartid[ARCH_MAX_CPUS]; /* cpu -> hart id */
/* RV64_SSWI when the firmware's tree has it there, else 0 (SBI IPIs) */
extern volatile uint32_t *rv64_sswi;
/* Sstc is enabled for S-mode: the kernel writes stimecmp itself */
extern bool rv64_sstc;
extern const uint32_t rv64_n_cpus;          /* its length, for start.S */

/* trap.S */
void rv64_trap_entry(void);
void rv64_trap_entry_reuse(void);
void rv64_secondary_entry(void);
_Noreturn void rv64_panic(struct arch_frame *f);
void rv64_kfault(struct arch_frame *f);

/* fault.c: faults in words */
void rv64_fault(struct vn_shard *s, const struct arch_frame *f, uint64_t scause,
		uint64_t stval);

/* mmu.c */
void rv64_timer_fired(void);
void rv64_mmu_enable(void);
const char *rv64_mmu_why(const uint64_t *root, uint64_t va, uint32_t access, int *level);

/* plic.c */
void rv64_plic_init_cpu(uint32_t cpu);
uint32_t rv64_plic_claim(uint32_t cpu);
void rv64_plic_complete(uint32_t cpu, uint32_t irq);
void rv64_plic_mask(uint32_t irq);

/* sbi.c */
int rv64_hart_start(uint64_t hartid, uint64_t entry, uint64_t opaque);

#endif /* VN_RV64_H */
