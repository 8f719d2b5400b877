/*
 * rv64.h - private to the riscv64 port's kernel.
 *
 * The kernel runs in S-mode with sstatus.SIE clear, on one stack per hart;
 * shards run in U-mode, each in its own Sv39 address space (satp + ASID).
 * The port is entered only by a trap from U-mode (an ecall, a fault, an
 * interrupt) and leaves only by sret into the shard the kernel core picked.
 * An idle hart waits in WFI inside that same trap and polls sip when it
 * wakes: the kernel itself never takes an interrupt.
 *
 * Everything below that touches kernel state is guarded by rv64_lock, the
 * one kernel lock of port.h.
 */
#ifndef VN_RV64_H
#define VN_RV64_H

#include <stdbool.h>
#include <stdint.h>

#include "abi.h"
#include "kernel.h"

#define RV64_MAX_CPUS 4u
#define RV64_STACK 16384u

enum rv64_trap_kind {
	RV64_TRAP_START = 0, /* a hart enters the scheduler: no shard yet */
	RV64_TRAP_USER = 1,  /* ecall, fault or interrupt from U-mode */
};

/* U-mode state: saved by trap.S, or kept here while a shard does not hold
 * its core. x[0] is unused; x[2] is the shard's sp. */
struct rv64_frame {
	uint64_t x[32];
	uint64_t sepc;
	uint64_t sstatus;
};

_Static_assert(sizeof(struct rv64_frame) == 272, "trap.S FRAME size");

/* Where a shard lives (generated: out/<system>/qemu-virt-riscv64/kernel/layout.c). */
struct rv64_layout {
	const uint8_t *blob;     /* the shard's pristine image (abi.h) */
	const uint8_t *blob_end;
	uint64_t image_lo, image_hi; /* its window for code, data and bss */
	uint64_t ctl;            /* one page */
	uint64_t heap_lo, heap_hi;
	uint64_t stack_lo, stack_hi; /* an unmapped guard page lies below */
};

extern const struct rv64_layout rv64_layout[];

struct rv64_shard {
	struct rv64_frame ctx;         /* valid while the shard is not running */
	uint64_t satp;                 /* its tables, with its ASID */
	uint64_t *root;                /* its level 2 table, for fault reports */
	uint32_t starts;               /* bumped by every (re)start */
	const struct rv64_image *img;  /* header of its blob */
};

extern struct vn_kernel rv64_kernel;
extern struct rv64_shard rv64_shards[VN_MAX_SHARDS];
extern uint64_t rv64_kernel_satp;
extern uint32_t rv64_hartid[RV64_MAX_CPUS]; /* cpu -> hart id */
extern uint8_t rv64_stacks[RV64_MAX_CPUS][RV64_STACK];

static inline struct rv64_shard *rv64_of(const struct vn_shard *s)
{
	return &rv64_shards[s->cfg->id];
}

/* Each hart always runs on its own stack, so the stack says which it is
 * (tp belongs to the shards). */
static inline uint32_t rv64_cpu(void)
{
	uint64_t sp;

	__asm__ volatile("mv %0, sp" : "=r"(sp));
	return (uint32_t)((sp - (uint64_t)(uintptr_t)rv64_stacks - 1) / RV64_STACK);
}

#define csr_read(csr) ({ uint64_t v_; __asm__ volatile("csrr %0, " #csr : "=r"(v_)); v_; })
#define csr_write(csr, v) __asm__ volatile("csrw " #csr ", %0" :: "rK"(v) : "memory")
#define csr_set(csr, v) __asm__ volatile("csrs " #csr ", %0" :: "rK"(v) : "memory")
#define csr_clear(csr, v) __asm__ volatile("csrc " #csr ", %0" :: "rK"(v) : "memory")

#define SIP_SSIP (1ull << 1)
#define SIP_STIP (1ull << 5)
#define SIP_SEIP (1ull << 9)
#define SSTATUS_SPP (1ull << 8)
#define SSTATUS_SPIE (1ull << 5)
#define SSTATUS_SUM (1ull << 18)
#define CAUSE_IRQ (1ull << 63)

/* cpu.c: the kernel lock, the trap and the scheduler loop */
void rv64_lock(void);
void rv64_unlock(void);
void rv64_trap(struct rv64_frame *f, uint32_t kind);
_Noreturn void rv64_panic(struct rv64_frame *f);

/* trap.S */
_Noreturn void rv64_run(uint64_t stack_top);
void rv64_trap_entry(void);
void rv64_secondary_entry(void);

/* main.c */
_Noreturn void rv64_boot(uint64_t hartid);
_Noreturn void rv64_secondary(uint32_t cpu);

/* fault.c: faults in words */
void rv64_fault(struct vn_shard *s, const struct rv64_frame *f, uint64_t scause,
		uint64_t stval);
void rv64_watchdog_fault(struct vn_shard *s, uint64_t now);

/* mmu.c */
int rv64_mmu_init(void);
void rv64_mmu_enable(void);
int rv64_mmu_shard(struct vn_shard *s);
void rv64_set_satp(uint64_t satp);
uint64_t rv64_get_satp(void);
const char *rv64_mmu_why(const uint64_t *root, uint64_t va, uint32_t access, int *level);

/* plic.c */
void rv64_plic_init(void);
void rv64_plic_init_cpu(uint32_t cpu);
uint32_t rv64_plic_claim(uint32_t cpu);
void rv64_plic_complete(uint32_t cpu, uint32_t irq);
void rv64_plic_mask(uint32_t irq);
void rv64_plic_unmask(uint32_t irq);

/* sbi.c */
void rv64_timer_set(uint64_t deadline_ns);
void rv64_ipi(uint32_t cpu);
int rv64_hart_start(uint64_t hartid, uint64_t entry, uint64_t opaque);

/* uart.c (port_console_write, for kconsole.h), exit.c: the end */
_Noreturn void rv64_exit(int status);

#endif /* VN_RV64_H */
