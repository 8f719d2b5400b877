/*
 * arch.h - the aarch64 port's side of the shared kernel's hooks (hooks.h):
 * its types, and the hooks cheap enough to inline.
 *
 * The kernel runs at EL1 with IRQs masked; shards run at EL0, each in its
 * own address space (TTBR0 + ASID). The vectors save EL0 state into a
 * struct arch_frame on the CPU's kernel stack and call bm_trap().
 */
#ifndef VN_ARCH_H
#define VN_ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "a64_time.h"
#include "abi.h"
#include "board.h" /* generated from the board record (generator/boards.py) */

#define ARCH_MAX_CPUS VN_BOARD_CORES
#define ARCH_MMIO_END 0x40000000ull /* devices lie below RAM */
#define ARCH_ELF_MACHINE 183u /* EM_AARCH64: what a reload image must say */

/* What vectors.S saw (0 is BM_TRAP_START). */
enum a64_trap_kind {
	A64_TRAP_SYNC = 1,  /* svc, or a fault, from EL0 */
	A64_TRAP_IRQ = 2,   /* an interrupt while EL0 ran */
	A64_TRAP_SERROR = 3,
};
#define ARCH_TRAP_SYNC A64_TRAP_SYNC /* the kind bm_trap_sync enters for */

/* EL0 state: saved by vectors.S on a trap, or kept in struct bm_shard
 * while a shard does not hold its core. TPIDR_EL0 too: EL0 may write it
 * (it is the C library's thread pointer), so a shard's value must neither
 * reach the next shard on the CPU nor outlive a restart. */
struct arch_frame {
	uint64_t x[31];
	uint64_t sp; /* SP_EL0 */
	uint64_t elr;
	uint64_t spsr;
	uint64_t tpidr; /* TPIDR_EL0 */
	uint64_t pad;   /* the frame stays a multiple of 16 bytes (SP_EL1) */
};

_Static_assert(sizeof(struct arch_frame) == 288, "vectors.S FRAME size");

/* V0-V31, FPCR, FPSR: fp.S fixes the layout. */
struct arch_fp {
	uint64_t v[64];
	uint64_t fpcr;
	uint64_t fpsr;
} __attribute__((aligned(16)));

_Static_assert(sizeof(struct arch_fp) == 528, "fp.S layout");

/* CPACR_EL1.FPEN: EL0 traps (EC 0x07), EL1 does not; or neither traps. */
#define CPACR_FP_EL1 (1ull << 20)
#define CPACR_FP_ALL (3ull << 20)

/* RAM and the kernel's window (image, stacks, tables), from the board
 * record. The kernel's RAM starts at RAM's start, below its image: QEMU
 * puts the device tree there, and the kernel reads it at boot. */
#define ARCH_RAM_BASE VN_BOARD_RAM_BASE
#define ARCH_RAM_END VN_BOARD_RAM_END
#define ARCH_KERNEL_BASE ARCH_RAM_BASE
#define ARCH_KERNEL_END VN_BOARD_KERNEL_END

/* Translation table entries: 4 KiB granule, 39-bit VA, walks from level 1
 * (mmu.c sets up MAIR, TCR and SCTLR to match). */
#define D_VALID (1ull << 0)
#define D_TABLE (1ull << 1)     /* table (L1/L2) or page (L3) descriptor */
#define D_DEVICE (0ull << 2)    /* MAIR index 0: Device-nGnRnE */
#define D_NORMAL (1ull << 2)    /* MAIR index 1: Normal write-back */
#define D_DEVICE_E (2ull << 2)  /* MAIR index 2: Device-nGnRE */
#define D_EL1 (0ull << 6)       /* AP: EL1 RW, EL0 none */
#define D_EL0_RW (1ull << 6)    /* AP: EL1 and EL0 RW */
#define D_EL1_RO (2ull << 6)    /* AP: EL1 RO, EL0 none */
#define D_EL0_RO (3ull << 6)    /* AP: EL1 and EL0 RO */
#define D_INNER (3ull << 8)
#define D_AF (1ull << 10)
#define D_NG (1ull << 11)       /* under an ASID: everything but the kernel's */
#define D_PXN (1ull << 53)
#define D_UXN (1ull << 54)
#define D_MEM (D_NORMAL | D_INNER | D_AF)

#define ARCH_K_RX (D_MEM | D_UXN | D_EL1_RO)
#define ARCH_K_RO (D_MEM | D_PXN | D_UXN | D_EL1_RO)
#define ARCH_K_RW (D_MEM | D_PXN | D_UXN | D_EL1)
#define ARCH_K_RAM (D_MEM | D_NG | D_EL1 | D_PXN | D_UXN)
#define ARCH_K_DEV (D_DEVICE | D_AF | D_NG | D_EL1 | D_PXN | D_UXN)
#define ARCH_U_RX (D_MEM | D_NG | D_PXN | D_EL0_RO)
#define ARCH_U_RO (D_MEM | D_NG | D_PXN | D_UXN | D_EL0_RO)
#define ARCH_U_RW (D_MEM | D_NG | D_PXN | D_UXN | D_EL0_RW)
#define ARCH_U_DEV (D_DEVICE_E | D_AF | D_NG | D_EL0_RW | D_PXN | D_UXN)

static inline uint64_t arch_pte_table(const uint64_t *t)
{
	return (uint64_t)(uintptr_t)t | D_VALID | D_TABLE;
}

/* A block at level 1 or 2, a page at level 3. */
static inline uint64_t arch_pte_leaf(uint64_t pa, uint64_t attrs, int level)
{
	return pa | D_VALID | (level == 3 ? D_TABLE : 0) | attrs;
}

/* The table a level 1 or 2 entry points to, or NULL. */
static inline uint64_t *arch_pte_next(uint64_t e)
{
	if ((e & (D_VALID | D_TABLE)) != (D_VALID | D_TABLE))
		return NULL;
	return (uint64_t *)(uintptr_t)(e & 0xfffffffff000ull);
}

static inline uint64_t arch_space_token(const uint64_t *l1, uint32_t asid)
{
	return (uint64_t)(uintptr_t)l1 | ((uint64_t)asid << 48);
}

extern uint64_t bm_kernel_token; /* pt.c */

/* TPIDR_EL1 holds the CPU number (arch_cpu_init). Telling the compiler
 * the range makes the register the index as it is: no zero extension
 * wherever the number is used. */
static inline uint32_t arch_cpu(void)
{
	uint64_t id;

	__asm__ volatile("mrs %0, tpidr_el1" : "=r"(id));
	if (id >= ARCH_MAX_CPUS)
		__builtin_unreachable();
	return (uint32_t)id;
}

static inline void arch_relax(void)
{
	__asm__ volatile("yield");
}

static inline uint64_t arch_ticks(void)
{
	return a64_cntvct();
}

static inline uint64_t arch_tick_hz(void)
{
	return a64_cntfrq();
}

/* timer.c: ns per tick when CNTFRQ divides a second (QEMU's 62.5 MHz:
 * 16), set by the boot CPU before any trap; 0 for a rate that does not. */
extern uint64_t a64_tick_ns;

/* vn_ticks_to_ns at CNTFRQ, without dividing by it at every trap. */
static inline uint64_t arch_ticks_ns(uint64_t t)
{
	if (a64_tick_ns)
		return t * a64_tick_ns;
	return vn_ticks_to_ns(t, a64_cntfrq());
}

/* WFI wakes for a pending interrupt even with IRQs masked. */
static inline void arch_wait(void)
{
	__asm__ volatile("dsb sy\n\twfi" ::: "memory");
}

static inline void a64_set_ttbr(uint64_t ttbr)
{
	__asm__ volatile("msr ttbr0_el1, %0\n\tisb" :: "r"(ttbr) : "memory");
}

/* A shard's code pages are read-only in its own space: load through the
 * kernel's table, then switch back. */
static inline uint64_t arch_load_begin(void)
{
	uint64_t ttbr;

	__asm__ volatile("mrs %0, ttbr0_el1" : "=r"(ttbr));
	a64_set_ttbr(bm_kernel_token);
	return ttbr;
}

static inline void arch_load_end(uint64_t ttbr)
{
	a64_set_ttbr(ttbr);
}

/* EL1 reaches the running shard's EL0 pages as they are (PAN is off). */
static inline uint64_t arch_user_begin(void)
{
	return 0;
}

static inline void arch_user_end(uint64_t was)
{
	(void)was;
}

/* New code at [lo, hi): clean it to the point of unification, a line at a
 * time (the smallest data cache line, CTR_EL0.DminLine: log2 of words),
 * then drop stale instructions on every CPU. */
static inline void arch_sync_icache(uint64_t lo, uint64_t hi)
{
	uint64_t ctr, line;

	__asm__ volatile("mrs %0, ctr_el0" : "=r"(ctr));
	line = 4ull << ((ctr >> 16) & 0xf);
	for (uint64_t a = lo & ~(line - 1); a < hi; a += line)
		__asm__ volatile("dc cvau, %0" :: "r"(a) : "memory");
	__asm__ volatile("dsb ish\n\tic ialluis\n\tdsb ish\n\tisb" ::: "memory");
}

/* The leaf entries of space `asid` changed (a reload's new image): drop
 * what every CPU's TLB holds under that ASID, once the stores are seen. */
static inline void arch_tlb_drop_asid(uint32_t asid)
{
	__asm__ volatile("dsb ishst\n\ttlbi aside1is, %0\n\tdsb ish\n\tisb"
			 :: "r"((uint64_t)asid << 48) : "memory");
}

static inline void arch_frame_start(struct arch_frame *f, uint64_t entry, uint64_t sp)
{
	*f = (struct arch_frame){.elr = entry, .sp = sp, .spsr = 0};
}

static inline void arch_frame_ret(struct arch_frame *f, uint64_t value)
{
	f->x[0] = value;
}

static inline uint64_t arch_frame_pc(const struct arch_frame *f)
{
	return f->elr;
}

#define A64_ESR_EC_SVC64 0x15u

/* The system call this trap makes (x8), or UINT64_MAX if it is none. */
static inline uint64_t arch_trap_call(const struct arch_frame *f, uint32_t kind)
{
	uint64_t esr;

	if (kind != A64_TRAP_SYNC)
		return UINT64_MAX;
	__asm__ volatile("mrs %0, esr_el1" : "=r"(esr));
	return (esr >> 26) == A64_ESR_EC_SVC64 ? f->x[8] : UINT64_MAX;
}

/* ELR is past the svc already. */
static inline void arch_call_done(struct arch_frame *f)
{
	(void)f;
}

/* The kernel is mapped in every space, so a trap keeps the shard's table
 * until another shard gets the core: its table, under its own ASID. */
static inline void arch_switch(uint64_t ttbr)
{
	a64_set_ttbr(ttbr);
}

/* CPACR is the CPU's, not the frame's: each switch sets it for the shard
 * that gets the CPU, and it holds until the next. No ISB: EL1 may use
 * FP/SIMD under either setting (the kernel does only in fp.S), and the
 * ERET to the shard is the context synchronization that makes it EL0's
 * (SCTLR_EL1.EOS, bit 11, is set: mmu.c). */
static inline void arch_fp_switch(struct arch_frame *f, bool owner)
{
	(void)f;
	__asm__ volatile("msr cpacr_el1, %0" :: "r"(owner ? CPACR_FP_ALL : CPACR_FP_EL1));
}

static inline void arch_fp_allow(struct arch_frame *f)
{
	arch_fp_switch(f, true);
}

static inline void arch_fp_disown(struct arch_frame *f)
{
	(void)f;
}

#endif /* VN_ARCH_H */
