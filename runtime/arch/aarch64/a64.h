/*
 * a64.h - private to the aarch64 port's kernel.
 *
 * The kernel runs at EL1 with IRQs masked, on one stack per CPU; shards run
 * at EL0, each in its own address space (TTBR0 + ASID). The port is entered
 * only by an exception from EL0 (a system call, a fault, an interrupt) and
 * leaves only by returning to EL0, into the shard the kernel core picked.
 * An idle CPU waits in WFI inside that same trap, IRQs still masked, and
 * polls the GIC when it wakes: the kernel itself never takes an interrupt.
 *
 * Everything below that touches kernel state is guarded by a64_lock, the
 * one kernel lock of port.h.
 */
#ifndef VN_A64_H
#define VN_A64_H

#include <stdbool.h>
#include <stdint.h>

#include "abi.h"
#include "kernel.h"

#define A64_MAX_CPUS 4u
#define A64_STACK 16384u

/* What vectors.S saw; the frame layout is fixed there. */
enum a64_trap_kind {
	A64_TRAP_START = 0, /* a CPU enters the scheduler: no shard yet */
	A64_TRAP_SYNC = 1,  /* svc, or a fault, from EL0 */
	A64_TRAP_IRQ = 2,   /* an interrupt while EL0 ran */
	A64_TRAP_SERROR = 3,
};

/* EL0 state: saved by vectors.S on a trap, or kept here while a shard
 * does not hold its core. */
struct a64_frame {
	uint64_t x[31];
	uint64_t sp; /* SP_EL0 */
	uint64_t elr;
	uint64_t spsr;
};

_Static_assert(sizeof(struct a64_frame) == 272, "vectors.S FRAME size");

/* Where a shard lives (generated: out/<system>/qemu-virt-aarch64/kernel/layout.c). */
struct a64_layout {
	const uint8_t *blob;     /* the shard's pristine image (abi.h) */
	const uint8_t *blob_end;
	uint64_t image_lo, image_hi; /* its window for code, data and bss */
	uint64_t ctl;            /* one page */
	uint64_t heap_lo, heap_hi;
	uint64_t stack_lo, stack_hi; /* an unmapped guard page lies below */
};

extern const struct a64_layout a64_layout[];

struct a64_shard {
	struct a64_frame ctx;          /* valid while the shard is not running */
	uint64_t ttbr;                 /* its tables, with its ASID */
	uint32_t starts;               /* bumped by every (re)start */
	const struct a64_image *img;   /* header of its blob */
};

extern struct vn_kernel a64_kernel;
extern struct a64_shard a64_shards[VN_MAX_SHARDS];
extern uint64_t a64_kernel_ttbr;

static inline struct a64_shard *a64_of(const struct vn_shard *s)
{
	return &a64_shards[s->cfg->id];
}

static inline uint32_t a64_cpu(void)
{
	uint64_t id;

	__asm__ volatile("mrs %0, tpidr_el1" : "=r"(id));
	return (uint32_t)id;
}

/* cpu.c: the kernel lock */
void a64_lock(void);
void a64_unlock(void);

/* start.S / vectors.S */
_Noreturn void a64_run(uint64_t stack_top);
void a64_secondary_entry(void);
extern uint8_t a64_stacks[A64_MAX_CPUS][A64_STACK];

/* main.c */
_Noreturn void a64_boot(void);
_Noreturn void a64_secondary(uint32_t cpu);

/* cpu.c: the trap and the scheduler loop */
void a64_trap(struct a64_frame *f, uint32_t kind);
_Noreturn void a64_panic(struct a64_frame *f);

/* trap.c: faults in words */
void a64_fault(struct vn_shard *s, const struct a64_frame *f, uint64_t esr, uint64_t far);
void a64_watchdog_fault(struct vn_shard *s, uint64_t now);
const char *a64_ec_name(uint32_t ec);

/* mmu.c */
int a64_mmu_init(void);
void a64_mmu_enable(void);
int a64_mmu_shard(struct vn_shard *s);
void a64_set_ttbr(uint64_t ttbr);
uint64_t a64_get_ttbr(void);
void a64_sync_icache(uint64_t lo, uint64_t hi);

/* gic.c */
#define A64_SGI_KICK 0u
#define A64_PPI_VTIMER 27u
void a64_gic_init(void);
void a64_gic_init_cpu(void);
void a64_gic_sgi(uint32_t cpu);
uint32_t a64_gic_ack(void);
void a64_gic_eoi(uint32_t iar);
void a64_gic_mask(uint32_t irq);
void a64_gic_unmask(uint32_t irq);
#define A64_SPI_FIRST 32u

/* timer.c */
void a64_timer_init_cpu(void);
void a64_timer_set(uint64_t deadline_ns);

/* psci.c */
int a64_psci_cpu_on(uint32_t cpu, uint64_t entry, uint64_t ctx);
_Noreturn void a64_psci_off(void);

/* uart.c (port_console_write, for kconsole.h), semihost.c: the end */
_Noreturn void a64_exit(int status);

#endif /* VN_A64_H */
