/*
 * arch.h - the riscv64 port's side of the shared kernel's hooks (hooks.h):
 * its types, and the hooks cheap enough to inline.
 *
 * The kernel runs in S-mode with sstatus.SIE clear; shards run in U-mode,
 * each in its own Sv39 address space (satp + ASID). trap.S saves U-mode
 * state into a struct arch_frame on the hart's kernel stack and calls
 * bm_trap(). A trap runs on the table of the shard it came from, which
 * maps the kernel's window S-only, and a switch installs the next shard's
 * satp. Other shards' memory, the page tables and the rest of RAM the
 * kernel reaches through its own table (ASID 0), which maps all RAM
 * S-only (arch_load_begin); the trapping shard's own user pages with
 * sstatus.SUM set around the access (arch_user_begin).
 */
#ifndef VN_ARCH_H
#define VN_ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "abi.h"
#include "board.h" /* generated from the board record (generator/boards.py) */
#include "rv64_time.h"

#define ARCH_MAX_CPUS VN_BOARD_CORES
#define ARCH_MMIO_END 0x40000000ull /* devices lie in the first GiB */
#define ARCH_ELF_MACHINE 243u /* EM_RISCV: what a reload image must say */

#define RV64_TRAP_USER 1u /* ecall, fault or interrupt from U-mode */
#define ARCH_TRAP_SYNC RV64_TRAP_USER /* the kind bm_trap_sync enters for */

/* U-mode state: saved by trap.S, or kept in struct bm_shard while a shard
 * does not hold its core. x[0] is the kernel's: trap.S keeps the top of
 * the hart's kernel stack there; x[2] is the shard's sp. sstatus is the
 * kernel's too, which trap.S restores but a trap does not save: 0 but
 * for FS (arch_fp_allow), so SPP and SPIE are clear and SUM off. */
struct arch_frame {
	uint64_t x[32];
	uint64_t sepc;
	uint64_t sstatus;
};

_Static_assert(sizeof(struct arch_frame) == 272, "trap.S FRAME size");

/* f0-f31, fcsr: fp.S fixes the layout. */
struct arch_fp {
	uint64_t f[32];
	uint64_t fcsr;
};

_Static_assert(sizeof(struct arch_fp) == 264, "fp.S layout");

/* sstatus.FS: Off makes every F/D instruction illegal; the hart moves
 * Clean to Dirty when the shard writes an F/D register or fcsr. */
#define SSTATUS_FS (3ull << 13)
#define SSTATUS_FS_CLEAN (2ull << 13)
#define SSTATUS_SUM (1ull << 18)

/* RAM and the kernel's window (image, stacks, tables), from the board
 * record: OpenSBI's 2 MiB open RAM and are never mapped, the kernel's
 * window follows. */
#define ARCH_RAM_BASE VN_BOARD_RAM_BASE
#define ARCH_RAM_END VN_BOARD_RAM_END
#define ARCH_KERNEL_BASE VN_BOARD_KERNEL_BASE
#define ARCH_KERNEL_END VN_BOARD_KERNEL_END

/* Sv39 entries. A and D are set in every leaf, so no access ever faults
 * for them; U marks a shard's page, G the kernel image's. Not the kernel's
 * device window: a shard's space maps some of those pages for its owner,
 * and a global entry must be the same in every address space (the
 * privileged spec, 4.3.1), or a TLB tagged by ASID may serve the kernel's
 * page to the owner. As on aarch64 (nG). */
#define P_V (1ull << 0)
#define P_R (1ull << 1)
#define P_W (1ull << 2)
#define P_X (1ull << 3)
#define P_U (1ull << 4)
#define P_G (1ull << 5)
#define P_A (1ull << 6)
#define P_D (1ull << 7)
#define P_LEAF (P_V | P_A | P_D)

#define ARCH_K_RX (P_LEAF | P_G | P_R | P_X)
#define ARCH_K_RO (P_LEAF | P_G | P_R)
#define ARCH_K_RW (P_LEAF | P_G | P_R | P_W)
#define ARCH_K_RAM (P_LEAF | P_R | P_W)
#define ARCH_K_DEV (P_LEAF | P_R | P_W)
#define ARCH_U_RX (P_LEAF | P_U | P_R | P_X)
#define ARCH_U_RO (P_LEAF | P_U | P_R)
#define ARCH_U_RW (P_LEAF | P_U | P_R | P_W)
#define ARCH_U_DEV ARCH_U_RW
#define SATP_SV39 (8ull << 60)

static inline uint64_t arch_pte_table(const uint64_t *t)
{
	return ((uint64_t)(uintptr_t)t >> 12) << 10 | P_V;
}

/* The same at every level: the level is where it sits. */
static inline uint64_t arch_pte_leaf(uint64_t pa, uint64_t attrs, int level)
{
	(void)level;
	return (pa >> 12) << 10 | attrs;
}

/* The table a non-leaf entry points to, or NULL. */
static inline uint64_t *arch_pte_next(uint64_t e)
{
	if (!(e & P_V) || (e & (P_R | P_W | P_X)))
		return NULL;
	return (uint64_t *)(uintptr_t)((e >> 10) << 12);
}

static inline uint64_t arch_space_token(const uint64_t *root, uint32_t asid)
{
	return SATP_SV39 | ((uint64_t)asid << 44) | ((uint64_t)(uintptr_t)root >> 12);
}

extern uint64_t bm_kernel_token; /* pt.c */

#define csr_read(csr) ({ uint64_t v_; __asm__ volatile("csrr %0, " #csr : "=r"(v_)); v_; })
#define csr_write(csr, v) __asm__ volatile("csrw " #csr ", %0" :: "rK"(v) : "memory")
#define csr_set(csr, v) __asm__ volatile("csrs " #csr ", %0" :: "rK"(v) : "memory")
#define csr_clear(csr, v) __asm__ volatile("csrc " #csr ", %0" :: "rK"(v) : "memory")

/* In S-mode tp holds the CPU number: set at entry (start.S), and loaded
 * at each trap from U-mode, once the shard's own tp is in its frame, from
 * the word at the top of the kernel stack (trap.S: arch_run). The compiler
 * never allocates tp. Telling it the range makes the register the index
 * as it is: no sign or zero extension wherever the number is used. */
static inline uint32_t arch_cpu(void)
{
	uint64_t id;

	__asm__("mv %0, tp" : "=r"(id));
	if (id >= ARCH_MAX_CPUS)
		__builtin_unreachable();
	return (uint32_t)id;
}

static inline void arch_relax(void)
{
	__asm__ volatile(".insn i 0x0f, 0, x0, x0, 0x010"); /* pause */
}

static inline uint64_t arch_ticks(void)
{
	return rv64_rdtime();
}

static inline uint64_t arch_tick_hz(void)
{
	return RV64_TIMEBASE;
}

/* A constant rate: one multiplication. */
static inline uint64_t arch_ticks_ns(uint64_t t)
{
	return vn_ticks_to_ns(t, RV64_TIMEBASE);
}

/* WFI wakes for an interrupt enabled in sie even with sstatus.SIE clear. */
static inline void arch_wait(void)
{
	__asm__ volatile("fence\n\twfi" ::: "memory");
}

/* Each space has its own ASID, so a switch needs no TLB flush; tables
 * change after boot only for a reload (arch_tlb_drop_asid). */
static inline void rv64_set_satp(uint64_t satp)
{
	__asm__ volatile("csrw satp, %0" :: "r"(satp) : "memory");
}

/* A trap keeps the shard's table, which maps no other shard's memory, no
 * page table and no other RAM: reach them through the kernel's own table,
 * then go back to the one the hart had. */
static inline uint64_t arch_load_begin(void)
{
	uint64_t satp = csr_read(satp);

	rv64_set_satp(bm_kernel_token);
	return satp;
}

static inline void arch_load_end(uint64_t satp)
{
	rv64_set_satp(satp);
}

/* The trapping shard's own pages and devices, user-only in the space the
 * hart is in: sstatus.SUM, on only around the access. A frame's sstatus
 * never has it (struct arch_frame), so SUM never reaches U-mode or
 * outlives the trap. */
static inline uint64_t arch_user_begin(void)
{
	uint64_t old;

	__asm__ volatile("csrrs %0, sstatus, %1" : "=r"(old) : "r"(SSTATUS_SUM) : "memory");
	return old & SSTATUS_SUM;
}

static inline void arch_user_end(uint64_t was)
{
	if (!was)
		__asm__ volatile("csrc sstatus, %0" :: "r"(SSTATUS_SUM) : "memory");
}

/* New code at [lo, hi): a restart happens in the shard's own trap, on the
 * hart that will run it, so a local fence.i suffices; the other harts
 * execute one before their first shard (arch_cpu_init). */
static inline void arch_sync_icache(uint64_t lo, uint64_t hi)
{
	(void)lo;
	(void)hi;
	__asm__ volatile("fence.i" ::: "memory");
}

/* The leaf entries of space `asid` changed (a reload's new image). The
 * swap happens on the shard's own hart, the only one that runs that space,
 * so this hart's sfence.vma suffices: it orders the table stores before
 * later walks and drops the ASID's non-global entries. */
static inline void arch_tlb_drop_asid(uint32_t asid)
{
	__asm__ volatile("sfence.vma zero, %0" :: "r"((uint64_t)asid) : "memory");
}

static inline void arch_frame_start(struct arch_frame *f, uint64_t entry, uint64_t sp)
{
	*f = (struct arch_frame){.sepc = entry, .sstatus = 0};
	f->x[2] = sp;
}

static inline void arch_frame_ret(struct arch_frame *f, uint64_t value)
{
	f->x[10] = value;
}

static inline uint64_t arch_frame_pc(const struct arch_frame *f)
{
	return f->sepc;
}

#define RV64_CAUSE_ECALL_U 8u

/* The system call this trap makes (a7), or UINT64_MAX if it is none. */
static inline uint64_t arch_trap_call(const struct arch_frame *f, uint32_t kind)
{
	(void)kind;
	return csr_read(scause) == RV64_CAUSE_ECALL_U ? f->x[17] : UINT64_MAX;
}

/* Return past the ecall. */
static inline void arch_call_done(struct arch_frame *f)
{
	f->sepc += 4;
}

/* Another shard holds the hart: its table, under its own ASID. */
static inline void arch_switch(uint64_t satp)
{
	rv64_set_satp(satp);
}

/* FS lives in the shard's own sstatus, which trap.S restores, and only
 * the frame of the shard whose registers the hart holds has it on (Clean:
 * the hart's Dirty is not saved, and nothing here asks for it; the
 * registers are saved whenever another shard takes them): the others'
 * went off when it took them (arch_fp_disown), or were never on. So a
 * switch changes nothing. */
static inline void arch_fp_allow(struct arch_frame *f)
{
	if (!(f->sstatus & SSTATUS_FS))
		f->sstatus |= SSTATUS_FS_CLEAN;
}

static inline void arch_fp_disown(struct arch_frame *f)
{
	f->sstatus &= ~SSTATUS_FS;
}

static inline void arch_fp_switch(struct arch_frame *f, bool owner)
{
	(void)f;
	(void)owner;
}

#endif /* VN_ARCH_H */
