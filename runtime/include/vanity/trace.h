/*
 * vanity/trace.h - what a running system records about itself, and the one
 * binary layout every board and every host tool shares.
 *
 * Three kinds of record, each with a single writer, none on a channel's hot
 * cache lines:
 *
 *  - Trace rings of fixed-size binary records (struct vn_trace_rec): one per
 *    shard, in a region the shard owns (its `trace` region: the shard writes
 *    its user events there with plain stores, no call, no lock); and one per
 *    core for the kernel's own events, in struct vn_obs. A ring overwrites its
 *    oldest record: `head` counts every record ever written, the record
 *    written n-th sits in slot n % n_recs, and head - n_recs records (when
 *    positive) were dropped. A reader copies the ring, reads head again, and
 *    discards the slots that were rewritten while it copied.
 *
 *  - Kernel counters (struct vn_obs): per shard, per channel; written by
 *    the kernel under its lock, read by host tools at any time.
 *
 *  - Channel counters kept by the endpoints themselves in the ring header
 *    (vanity/ring.h): messages sent and received are the ring's own indices,
 *    the stalls and the high-water mark sit on the line each side already
 *    owns.
 *
 *  - Histograms (vanity/hist.h): a shard's run time per activation, kept by
 *    the kernel in struct vn_obs; a latency channel's transit time, kept by
 *    its consumer after the channel's slots (vanity/ring.h).
 *
 * Timestamps are the port's raw clock in ticks (vn_obs.clock_hz per second):
 * the generic timer's count on aarch64, the `time` CSR on riscv64, the TSC
 * (x86-64 host) or the virtual count (arm64 host) on hosted. Kernel and
 * shards read the same counter.
 *
 * A dump (the end of a traced run, `vanity run --trace`) and a live snapshot
 * (`vanity top`, `vanity peek`) are the same byte stream: a struct
 * vn_dump_hdr, then chunks (struct vn_dump_chunk, its bytes, zero padding to
 * 8). generator/obs.py reads it; tests hold its offsets equal to these.
 */
#ifndef VANITY_TRACE_H
#define VANITY_TRACE_H

#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include <vanity/atomic.h>
#include <vanity/clock.h>
#include <vanity/hist.h>

#define VN_TRACE_MAGIC 0x72546e56u /* "VnTr" */
#define VN_OBS_MAGIC 0x624f6e56u   /* "VnOb" */
#define VN_OBS_VERSION 3u

/* ---- records and rings -------------------------------------------------- */

#define VN_TRACE_DATA 22u

struct vn_trace_rec {
	uint64_t ts;                   /* port clock ticks */
	uint16_t id;                   /* enum vn_kevent, or a user event id */
	uint8_t data[VN_TRACE_DATA];   /* fields, packed in order, little-endian */
};

_Static_assert(sizeof(struct vn_trace_rec) == 32, "a trace record is 32 bytes");

struct vn_trace_ring {
	uint32_t magic;       /* VN_TRACE_MAGIC */
	uint32_t n_recs;      /* a power of two */
	uint32_t owner;       /* shard id, or VN_TRACE_CORE | core */
	uint32_t rec_size;    /* sizeof(struct vn_trace_rec) */
	_Atomic uint64_t head; /* records ever written */
	uint64_t reserved[5];
	/* n_recs records follow */
};

_Static_assert(sizeof(struct vn_trace_ring) == 64, "a trace ring header is 64 bytes");

static inline struct vn_trace_rec *vn_trace_recs(struct vn_trace_ring *r)
{
	return (struct vn_trace_rec *)(r + 1);
}

#define VN_TRACE_CORE 0x80000000u
/* A shard's ring sits this far into its control region (config.h: ctl). */
#define VN_TRACE_OFFSET 4096u
#define VN_TRACE_CORE_RECS 512u
/* Bytes of a ring of n records. */
#define VN_TRACE_RING_BYTES(n) (64u + 32u * (uint64_t)(n))

/* User event ids start here; below are the kernel's. */
#define VN_EV_USER 64u

/*
 * Record one event in ring r of n records (mask = n - 1, a constant in the
 * generated emitters): a clock read, a few stores and a release store of
 * head. The writer alone owns the ring, so there is no lock and no
 * read-modify-write; it trusts nothing in the ring but head, which only
 * picks a slot under the mask.
 */
static inline void vn_trace_put(struct vn_trace_ring *r, uint32_t mask, uint16_t id,
				const void *fields, uint32_t len)
{
	uint64_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
	struct vn_trace_rec *rec = vn_trace_recs(r) + (h & mask);

	rec->ts = vn_clock();
	rec->id = id;
	memcpy(rec->data, fields, len);
	vn_store_release(&r->head, h + 1);
}

/*
 * Kernel events. Their fields (in data[], packed little-endian):
 *   SWITCH_IN   u16 shard
 *   SWITCH_OUT  u16 shard, u8 reason (enum vn_switch_reason)
 *   WAKE        u16 shard, u16 by (a shard id, or 0xffff: a timeout or device)
 *   NOTIFY      u16 from shard, u16 to shard, u32 channel
 *   IRQ         u16 owner shard, u32 irq
 *   IRQ_ACK     u16 shard, u64 bits
 *   FAULT       u16 shard, u8 signal
 *   WATCHDOG    u16 shard, u64 budget ns, u64 late ns (past the budget when
 *               the kernel saw it: at least 1, see fault.c)
 *   RESTART     u16 shard, u32 generation
 *   HALT        u16 shard (0xffff: the kernel), i32 status
 *   EXIT        u16 shard, i32 status
 *   RELOAD      u16 shard, u32 generation, u8 outcome, u8 reason: the
 *               generation running now, an enum vn_reload_outcome, and an
 *               enum vn_reload_status (vanity/reload.h: why it was refused)
 */
enum vn_kevent {
	VN_KEV_SWITCH_IN = 0,
	VN_KEV_SWITCH_OUT = 1,
	VN_KEV_WAKE = 2,
	VN_KEV_NOTIFY = 3,
	VN_KEV_IRQ = 4,
	VN_KEV_IRQ_ACK = 5,
	VN_KEV_FAULT = 6,
	VN_KEV_WATCHDOG = 7,
	VN_KEV_RESTART = 8,
	VN_KEV_HALT = 9,
	VN_KEV_EXIT = 10,
	VN_KEV_RELOAD = 11,
	VN_KEV_COUNT
};

enum vn_reload_outcome {
	VN_RL_SWAPPED = 0,     /* the new image runs */
	VN_RL_ROLLED_BACK = 1, /* it faulted within its window: the old one runs */
	VN_RL_REFUSED = 2,     /* checked and refused, or given up: nothing changed */
};

enum vn_switch_reason {
	VN_SW_YIELD = 0, /* vn_yield */
	VN_SW_WAIT = 1,  /* vn_wait with nothing ready */
	VN_SW_EXIT = 2,  /* returned, vn_exit, vn_halt */
	VN_SW_FAULT = 3, /* faulted, or killed by its watchdog */
	VN_SW_STOP = 4,  /* stopped by the kernel (halt of the system) */
};

/* ---- kernel counters ---------------------------------------------------- */

/* One shard, as the kernel sees it. 96 bytes. */
struct vn_shard_stats {
	uint32_t state;       /* enum vn_state (core/kernel.h) */
	uint32_t generation;  /* starts, the first included: 1 once running */
	uint64_t activations; /* times it was given its core */
	uint64_t run_ticks;   /* time it held its core, in clock ticks */
	uint64_t syscalls;
	uint64_t yields;
	uint64_t waits;       /* vn_wait calls that slept */
	uint64_t wakes;       /* times it was made ready from sleep */
	uint64_t notifies;    /* notifications it sent through the kernel */
	uint64_t irqs;        /* device interrupts delivered to it */
	uint64_t faults;
	uint64_t restarts;
};

_Static_assert(sizeof(struct vn_shard_stats) == 88, "shard stats layout");

struct vn_core_trace {
	struct vn_trace_ring ring;
	struct vn_trace_rec rec[VN_TRACE_CORE_RECS];
};

/* Everything the kernel keeps for host tools, in one object (vn_obs_*
 * below). Sized for the kernel's limits; n_* say how much is in use. */
#define VN_OBS_MAX_SHARDS 256u
#define VN_OBS_MAX_CHANNELS 4096u
#define VN_OBS_MAX_CORES 16u

struct vn_obs {
	uint32_t magic;       /* VN_OBS_MAGIC */
	uint32_t version;     /* VN_OBS_VERSION */
	uint64_t schema_hash; /* the spec's, from the generated tables */
	uint64_t clock_hz;
	uint32_t n_shards, n_channels, n_cores, halted;
	struct vn_shard_stats shard[VN_OBS_MAX_SHARDS];
	uint64_t chan_notifies[VN_OBS_MAX_CHANNELS]; /* delivered, per channel */
	/* Per shard: ticks it held its core, one sample per activation (added
	 * when it leaves the core). Their sum is the shard's run_ticks, kept
	 * there alone: these sums stay 0 (vn_hist_sample). */
	struct vn_hist run_hist[VN_OBS_MAX_SHARDS];
	struct vn_core_trace core[VN_OBS_MAX_CORES];
};

/* ---- dumps and snapshots ------------------------------------------------ */

#define VN_DUMP_MAGIC 0x31574152444e5600ull /* "\0VNDRAW1" little-endian */

enum vn_dump_kind {
	VN_DUMP_OBS = 1,        /* struct vn_obs, up to and without core[] */
	VN_DUMP_CORE_TRACE = 2, /* index: core; struct vn_core_trace */
	VN_DUMP_SHARD_TRACE = 3, /* index: shard; its trace region */
	VN_DUMP_RING = 4,       /* index: channel; its ring header (384 bytes) */
	VN_DUMP_SLOTS = 5,      /* index: channel; its message slots */
	VN_DUMP_HIST = 6,       /* index: channel; a latency channel's struct vn_hist */
	/* A crash dump's own (below) */
	VN_DUMP_CRASH = 7,      /* index: shard; struct vn_crash_rec */
	VN_DUMP_REGS = 8,       /* index: ELF e_machine; the registers as an ELF core's
				   NT_PRSTATUS pr_reg (x86-64: user_regs_struct; aarch64:
				   x0-x30, sp, pc, pstate; riscv64: pc, x1-x31) */
	VN_DUMP_FPREGS = 9,     /* index: e_machine; as the core's NT_FPREGSET (x86-64:
				   FXSAVE, 512 B; aarch64: v0-v31, fpsr, fpcr; riscv64:
				   f0-f31, fcsr) */
	VN_DUMP_MEM = 10,       /* index: VN_CRASH_MEM_*; the shard's memory at addr */
	VN_DUMP_STATS = 11,     /* index: shard; its struct vn_shard_stats */
};

struct vn_dump_hdr {
	uint64_t magic;       /* VN_DUMP_MAGIC */
	uint64_t schema_hash;
	uint64_t clock_hz;
	uint64_t now;         /* clock ticks when it was taken */
};

struct vn_dump_chunk {
	uint32_t kind;        /* enum vn_dump_kind */
	uint32_t index;
	uint64_t addr;        /* where the bytes were, in the writer's view */
	uint64_t len;         /* bytes that follow, before padding to 8 */
};

/*
 * A crash dump (runtime/core/crash.c), one file per fault of a shard:
 * `<shard>.<generation>.vdump`, written when a shard faults or its watchdog
 * fires, before its policy applies. The same stream as a dump, under its own
 * magic, with these chunks in this order:
 *
 *   VN_DUMP_CRASH        what happened (struct vn_crash_rec)
 *   VN_DUMP_REGS         its registers, if the port could see them
 *   VN_DUMP_FPREGS       its FP/SIMD registers, where the port keeps them
 *   VN_DUMP_MEM          VN_CRASH_MEM_STACK: the stack around sp, at most
 *                        VN_CRASH_BELOW_SP bytes below and VN_CRASH_ABOVE_SP
 *                        above (less on hosted: what the shard's fault
 *                        handler can keep in its control page);
 *                        VN_CRASH_MEM_FAULT: around the faulting address (or
 *                        the pc, when there is no address), if it is the
 *                        shard's own memory and readable
 *   VN_DUMP_STATS        its counters
 *   VN_DUMP_SHARD_TRACE  its trace ring, if it has one
 *   VN_DUMP_CORE_TRACE   the trace ring of its core's kernel events
 *
 * A reader takes the last records of each ring. `vanity dump` prints it and
 * writes an ELF core file from it (generator/crash.py, docs/postmortem.md).
 */
#define VN_CRASH_MAGIC 0x31485352434e5600ull /* "\0VNCRSH1" little-endian */

enum { VN_CRASH_MEM_STACK = 0, VN_CRASH_MEM_FAULT = 1 };
#define VN_CRASH_BELOW_SP 256u
#define VN_CRASH_ABOVE_SP 4096u
#define VN_CRASH_AROUND 128u   /* bytes each side of the faulting address */

#define VN_CRASH_HAS_REGS 1u   /* a VN_DUMP_REGS chunk follows; pc and sp are valid */
#define VN_CRASH_HAS_ADDR 2u   /* addr is the faulting address */
#define VN_CRASH_WATCHDOG 4u   /* its watchdog stopped it */

struct vn_crash_rec {
	uint32_t shard;       /* id */
	uint32_t generation;  /* the life that died: 1 for the first */
	int32_t signal;       /* the signal a hosted shard dies of (SIGSEGV, SIGILL...) */
	uint32_t flags;       /* VN_CRASH_* */
	uint64_t addr;        /* the faulting address (VN_CRASH_HAS_ADDR) */
	uint64_t pc, sp;
	uint64_t code;        /* the port's raw cause: si_code, ESR_EL1, scause */
	uint64_t image_hash;  /* FNV-1a 64 of the shard's image as built: hosted,
				 its executable; QEMU boards, its .bin blob */
	uint32_t machine;     /* ELF e_machine of the registers: 62, 183, 243 */
	uint32_t core;
	char shard_name[32];
	char cause[96];       /* the port's words: "data abort (translation fault...)" */
};

_Static_assert(sizeof(struct vn_crash_rec) == 192, "crash record layout");

#endif /* VANITY_TRACE_H */
