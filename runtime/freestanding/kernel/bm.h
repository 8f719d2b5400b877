/*
 * bm.h - the shared bare-metal kernel: one kernel for every ISA.
 *
 * The kernel runs in the CPU's privileged mode with interrupts masked, on
 * one stack per CPU; shards run in user mode, each in its own address
 * space. It is entered only by a trap from a shard (a system call, a fault,
 * an interrupt) and leaves only by returning into the shard the core
 * picked. An idle CPU waits for an interrupt inside that same trap, still
 * masked, and polls the interrupt controller when it wakes: the kernel
 * itself never takes an interrupt. Everything touching kernel state holds
 * bm_lock, the one kernel lock of port.h.
 *
 * FP/SIMD: the kernel is built integer-only and never touches those
 * registers but to switch them, lazily. A CPU's registers hold the state of
 * one shard of its core, its FP owner; every other shard runs with FP/SIMD
 * off, and its first FP instruction traps: the kernel saves the owner's
 * registers, loads the shard's, makes it the owner and lets the instruction
 * run again. A core whose shards do not use FP never switches any. A shard
 * with fp: false in its spec (bm_layout.no_fp) is never given them: its
 * first FP instruction is reported and handled as an illegal one.
 *
 * What a port adds, and when it is called, is hooks.h.
 */
#ifndef VN_BM_H
#define VN_BM_H

#include <stdbool.h>
#include <stdint.h>

#include "abi.h"
#include "hooks.h"
#include "kernel.h"

#define BM_STACK 16384u /* the entry code's stacks assume it (1 << 14) */

/* What the trap entry saw: BM_TRAP_START is a CPU entering its loop (no
 * shard yet); other kinds are the port's (arch_trap). */
#define BM_TRAP_START 0u

/* A shard's death by a fault is reported with 128 + the signal a hosted
 * shard would have died of, so a status means the same on every board. */
enum { BM_SIGILL = 4, BM_SIGTRAP = 5, BM_SIGABRT = 6, BM_SIGBUS = 7, BM_SIGFPE = 8,
       BM_SIGKILL = 9, BM_SIGSEGV = 11 };

/* Where a shard lives (generated: out/<system>/<board>/kernel/layout.c). */
struct bm_layout {
	const uint8_t *blob;     /* the shard's pristine image (vn_bare_abi.h) */
	const uint8_t *blob_end;
	uint64_t image_lo, image_hi; /* its window for code, data and bss */
	uint64_t ctl;            /* one page */
	uint64_t heap_lo, heap_hi;
	uint64_t stack_lo, stack_hi; /* an unmapped guard page lies below */
	bool no_fp;              /* fp: false: FP/SIMD is a fault, never switched in */
	uint64_t slot[2];        /* reload: RAM for its staged and previous images; 0: none */
	uint64_t slot_size;
};

extern const struct bm_layout bm_layout[];

/* The door (reload.c): a mailbox page a host tool writes reload requests
 * into, then room for one reload image. bm_door_size 0: the system has
 * none (no shard may be reloaded). Generated in layout.c. */
extern const uint64_t bm_door, bm_door_size;

/* The page-table pool (pt.c): bm_pt_pages tables of 4 KiB at bm_pt_pool,
 * at the top of RAM, sized by the generator to what the system takes. */
extern const uint64_t bm_pt_pool, bm_pt_pages;

/* An address space (pt.c). */
struct bm_space {
	uint64_t token; /* what the MMU is given: its top table, with its ASID */
	uint64_t *top;  /* its top-level table */
	uint64_t *mid;  /* its middle table of RAM */
	uint32_t asid;  /* the ASID in token (space.c: bm_asid_plan) */
};

struct bm_shard {
	struct arch_frame ctx;       /* valid while the shard is not running */
	struct bm_space space;       /* its tables, with its ASID */
	struct vn_ctl_page *ctl;     /* its control page (bm_ctl) */
	struct arch_fp fp;           /* while it is not its CPU's FP owner */
	uint32_t starts;             /* bumped by every (re)start */
	const struct vn_image *img;  /* header of the blob it runs: &head */
	struct vn_image head;        /* copied: a reload slot is mapped only in the
				      * kernel's own space (arch_load_begin) */
	/* The blobs of hot reload (reload.c): the one it runs (at first its
	 * layout's, in the kernel image; then one of its layout's slots), the
	 * previous one (rollback) and a staged one; NULL: none. */
	const uint8_t *blob, *prev, *staged;
	uint64_t blob_len, prev_len, staged_len;
	uint64_t mapped[3];          /* ro_start, data_start, end its space maps now */
	uint64_t image_hash;         /* of blob, once asked (crashdump.c); 0: not yet */
	/* Its last fault, as the port reported it (bm_fault_say), for its
	 * crash dump; the port sets fault_code to its raw cause. */
	char cause[96];
	bool has_addr;
	uint64_t fault_addr, fault_code;
};

extern struct vn_kernel bm_kernel;
extern struct bm_shard bm_shards[VN_MAX_SHARDS];
extern struct bm_shard *bm_fp_owner[ARCH_MAX_CPUS];
extern uint8_t bm_stacks[ARCH_MAX_CPUS][BM_STACK];

/* s's port state: bm_shards[s->cfg->id], which boot gives every shard as
 * s->port (shards_init), so no path indexes the table for it. */
static inline struct bm_shard *bm_of(const struct vn_shard *s)
{
	return s->port;
}

static inline struct vn_ctl_page *bm_ctl(const struct vn_shard *s)
{
	return (struct vn_ctl_page *)(uintptr_t)bm_layout[s->cfg->id].ctl;
}

static inline uint64_t bm_page_up(uint64_t a)
{
	return (a + VN_PAGE - 1) & ~(uint64_t)(VN_PAGE - 1);
}

/* boot.c */
bool bm_image_ok(const struct bm_layout *l, const struct vn_image *img, uint64_t n);
_Noreturn void bm_boot(uint64_t arg0, uint64_t arg1);
_Noreturn void bm_secondary(uint32_t cpu);
_Noreturn void bm_boot_fail(const char *why, const char *name);

/* run.c: the lock, and what arch_trap() hands back; bm_trap_reuse is the
 * trap entry while the shards share an ASID (bm_asid_reuse) */
void bm_lock(void);
void bm_unlock(void);
struct arch_frame *bm_trap(struct arch_frame *f, uint32_t kind);
struct arch_frame *bm_trap_sync(struct arch_frame *f);
struct arch_frame *bm_trap_reuse(struct arch_frame *f, uint32_t kind);
void bm_syscall(struct arch_frame *f, struct vn_shard *s, uint64_t op, uint64_t a0,
		uint64_t a1);
void bm_fault_say(const struct vn_shard *s, const char *what, const char *detail,
		  bool has_addr, uint64_t addr, uint64_t pc);
void bm_fault(struct vn_shard *s, int signal);
bool bm_fp_claim(struct arch_frame *f, struct vn_shard *s, uint32_t cpu);
void bm_core_live_all(void); /* port_core_live for every core: at boot */

/* obs.c: the counters and kernel trace (vn_obs, read by host tools), and
 * the trace dump at the end */
extern struct vn_obs vn_obs;
void bm_obs_init(void);
void bm_obs_end(void);
const char *bm_cmdline_arg(const char *key, uint32_t *len);
/* Semihosting files on the host: open `path` (NUL-terminated, n bytes) for
 * writing, UINT64_MAX if it cannot be; write to handle *(uint64_t *)ctx
 * (a vn_dump_write_fn); close. */
uint64_t bm_sh_create(const char *path, uint32_t n);
int bm_sh_write(void *ctx, const void *p, uint64_t len);
void bm_sh_close(uint64_t fd);

/* reload.c: the door, polled by CPU 0 in its traps, at most once every
 * BM_DOOR_POLL_NS / 10, and at least once every BM_DOOR_POLL_NS, its timer
 * set for that while it idles or runs a shard that makes no call */
#define BM_DOOR_POLL_NS 10000000ull
extern uint64_t bm_door_next; /* the next look; VN_NEVER: no door */
void bm_door_open(void);
void bm_door_poll(void);

/* fdt.c: the firmware's device tree */
uint32_t bm_fdt_check_cpus(const void *fdt);
uint64_t bm_fdt_find(const void *fdt, const char *compatible);

/* space.c: ASIDs. The kernel's space has ASID 0; a shard's has its id + 1
 * while the MMU's ASIDs (bm_asid_bits, probed at boot) hold every one of
 * them. Otherwise every shard's space has ASID bm_asid_shard (1, or 0 with
 * no ASID bits at all) and bm_asid_reuse is set: each CPU's traps then
 * enter bm_trap_reuse, never the YIELD path, and the port's *_reuse hooks
 * drop the shared ASID's TLB entries whenever they install a space other
 * than the one that left them (bm_asid_held). */
extern uint32_t bm_asid_bits, bm_asid_shard;
extern bool bm_asid_reuse;
extern uint64_t bm_asid_held[ARCH_MAX_CPUS];
void bm_asid_plan(void);
void bm_asid_check(uint32_t cpu);

/* Shared ASIDs: the port installed `token` on cpu under the shared ASID.
 * True if the TLB may hold another space's entries under it: the port
 * drops them. */
static inline bool bm_asid_stale(uint32_t cpu, uint64_t token)
{
	if (bm_asid_held[cpu] == token)
		return false;
	bm_asid_held[cpu] = token;
	return true;
}

/* space.c: what a shard's space holds; pt.c: the tables that hold it */
int bm_space_build(struct vn_shard *s);
int bm_space_image(struct vn_shard *s);
int bm_pt_kernel(void);
extern uint64_t bm_kernel_token;
int bm_pt_space(struct bm_space *sp);
int bm_pt_map(struct bm_space *sp, uint64_t lo, uint64_t hi, uint64_t attrs);
void bm_pt_unmap(struct bm_space *sp, uint64_t lo, uint64_t hi);
int bm_pt_device(struct bm_space *sp, uint64_t lo, uint64_t hi);

#endif /* VN_BM_H */
