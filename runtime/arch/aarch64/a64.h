/*
 * a64.h - private to the aarch64 port's kernel (QEMU virt: GICv2, the EL1
 * virtual timer, PSCI over HVC, a PL011, semihosting to exit).
 *
 * The shared kernel (runtime/freestanding/kernel, bm.h) does the rest; its
 * lock guards everything here that touches kernel state.
 */
#ifndef VN_A64_H
#define VN_A64_H

#include "bm.h"

/* start.S / vectors.S */
void a64_secondary_entry(void);
extern char a64_vectors[], a64_vectors_reuse[];
_Noreturn void a64_panic(struct arch_frame *f);
void a64_kfault(struct arch_frame *f, uint64_t kind);

/* trap.c: faults in words */
void a64_fault(struct vn_shard *s, const struct arch_frame *f, uint64_t esr, uint64_t far);

/* mmu.c */
void a64_mmu_enable(void);

/* gic.c */
#define A64_SGI_KICK 0u
#define A64_PPI_VTIMER 27u
#define A64_SPI_FIRST 32u
void a64_gic_init_cpu(void);
uint32_t a64_gic_ack(void);
void a64_gic_eoi(uint32_t iar);
void a64_gic_mask(uint32_t irq);

/* timer.c */
void a64_timer_init_cpu(void);
void a64_timer_off(void);

/* psci.c */
int a64_psci_cpu_on(uint32_t cpu, uint64_t entry, uint64_t ctx);
_Noreturn void a64_psci_off(void);

#endif /* VN_A64_H */
