/*
 * vanity/config.h - the contract between the generator and the runtime.
 *
 * The generator fills these structures from the system spec:
 *  - kernel/tables.c defines vn_system (struct vn_ksystem) for the kernel;
 *  - shards/<name>/config.c defines vn_self (struct vn_shard_config) and the
 *    shard's endpoints for its shard library.
 * All values are fixed at build time; nothing here is allocated at run time.
 */
#ifndef VANITY_CONFIG_H
#define VANITY_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include <vanity/pool.h>
#include <vanity/ring.h>

enum vn_mode {
	VN_MODE_YIELD = 0, /* sleeps in vn_wait until notified */
	VN_MODE_POLL = 1,  /* spins on its rings in vn_wait */
};

enum vn_fault_policy {
	VN_FAULT_RESTART = 0, /* start the shard again; its channels survive */
	VN_FAULT_STOP = 1,    /* leave it stopped; the others run on */
	VN_FAULT_HALT = 2,    /* stop the whole system */
	VN_FAULT_GROUP = 3,   /* as a restart budget's `then`: restart its group once */
};

/* ---- kernel tables ------------------------------------------------------- */

/* on_fault: restart. Up to `budget` restarts within `window_ns`, each one
 * held back by a backoff that starts at floor_ns and doubles for every
 * restart still inside the window, up to ceiling_ns (floor 0: none). One
 * more fault inside the window and `then` applies: VN_FAULT_STOP,
 * VN_FAULT_HALT, or VN_FAULT_GROUP: the n_group shards of `group` (their
 * ids, this one first, all on its core) restart together, once. */
struct vn_krestart {
	uint32_t budget;    /* 1..VN_RESTART_MAX */
	uint32_t then;      /* enum vn_fault_policy: STOP, HALT or GROUP */
	uint64_t window_ns;
	uint64_t floor_ns;
	uint64_t ceiling_ns;
	const uint16_t *group; /* then == VN_FAULT_GROUP: shard ids, this one first */
	uint32_t n_group;
};

/* reload: what a hot reload of the shard may do (docs/reload.md). A reload
 * with a handoff region asks the running version to quiesce first (it gets
 * VN_RELOAD_BIT and answers with QUIESCE) and waits up to quiesce_ns; if it
 * does not answer, `late` says: swap anyway (without its state) or refuse.
 * A fault within rollback_ns of a reload brings the previous image back. */
#define VN_RELOAD_LATE_SWAP 0u
#define VN_RELOAD_LATE_REFUSE 1u

struct vn_kreload {
	uint32_t on;           /* 1: the spec allows it (`reload:`); 0: refused */
	uint64_t quiesce_ns;   /* 0: the shard has no handoff; never asked */
	uint64_t rollback_ns;  /* 0: no rollback */
	uint64_t handoff;      /* address of its handoff region; 0: none */
	uint64_t handoff_size;
	uint32_t late;         /* VN_RELOAD_LATE_* */
	uint32_t n_updates;    /* shards it may reload with vn_reload() */
	const uint16_t *updates; /* their ids */
};

struct vn_kshard {
	const char *name;
	const char *image;  /* hosted: the shard's executable, relative to the build dir */
	uint32_t id;
	uint32_t core;
	uint32_t mode;      /* enum vn_mode */
	uint32_t on_fault;  /* enum vn_fault_policy */
	uint32_t may_halt;  /* 1: spec `halt: true`, it may vn_halt the system */
	struct vn_krestart restart; /* on_fault == VN_FAULT_RESTART */
	uint64_t watchdog_ns; /* 0: no watchdog */
	uint64_t spin_ns;
	uint64_t base;      /* lowest address of the shard's image */
	uint64_t stack;     /* stack bytes */
	uint64_t heap;      /* address of the heap */
	uint64_t memory;    /* heap bytes */
	uint64_t ctl;       /* address of the shard's control page */
	uint64_t ctl_size;  /* the control page and its trace ring after it */
	uint32_t trace_recs; /* records in its trace ring at ctl + 4096; 0: off */
	uint64_t iface;     /* interface hash: what a reload image must carry */
	struct vn_kreload reload;
};

/* A channel, or a signal: a signal (spec `signals:`) is a channel with no
 * ring (depth, msg_size, addr and size 0). Its two endpoints hold bits like
 * a channel's, so NOTIFY, WAIT and peer changes treat both alike; only what
 * creates, maps, restores or dumps a ring skips it (vn_kchannel_ring). */
struct vn_kchannel {
	const char *name;
	uint32_t id;
	uint32_t from;      /* producer shard id */
	uint32_t to;        /* consumer shard id */
	uint32_t from_bit;  /* notification bit of this channel in the producer */
	uint32_t to_bit;    /* notification bit of this channel in the consumer */
	uint32_t msg_size;
	uint32_t depth;     /* 0: a signal, which has no ring */
	uint32_t latency;   /* 1: stamps and a histogram follow the slots
			       (VN_RING_LATENCY_BYTES; vanity/ring.h) */
	uint32_t sequenced; /* 1: each slot has a sequence word (VN_EP_SEQ) */
	uint64_t addr;      /* where both endpoints map the ring */
	uint64_t size;      /* bytes, page-rounded */
};

/* A ring's slots, one to the next (VN_RING_STRIDE). */
static inline uint64_t vn_kchannel_stride(const struct vn_kchannel *c)
{
	return VN_RING_STRIDE(c->msg_size, c->sequenced);
}

/* The bytes a ring needs: slots, and a latency channel's stamps and
 * histogram (before page rounding). */
static inline uint64_t vn_kchannel_bytes(const struct vn_kchannel *c)
{
	return c->latency ? VN_RING_LATENCY_BYTES(c->msg_size, c->depth, c->sequenced)
			  : VN_RING_BYTES(c->msg_size, c->depth, c->sequenced);
}

static inline bool vn_kchannel_ring(const struct vn_kchannel *c)
{
	return c->depth != 0;
}

/* A device granted to one shard: its MMIO window is mapped into that shard
 * alone (or, mediated, into none), and its interrupt sets `bit` in that
 * shard's pending set. */
#define VN_NO_IRQ UINT32_MAX

struct vn_kdevice {
	const char *name;
	const char *compatible; /* what it is (device-tree compatible), or NULL */
	uint32_t shard;     /* owner shard id */
	uint32_t bit;       /* notification bit in the owner, after its endpoints */
	uint32_t irq;       /* interrupt id (GIC: SPI n is 32 + n), or VN_NO_IRQ */
	uint64_t base;      /* MMIO window; size 0: not placed on this board */
	uint64_t size;
	uint32_t mediated;  /* bare metal: its page holds another shard's device,
			       so it is mapped nowhere and the kernel makes its
			       owner's accesses (VN_SYS_MMIO) */
};

/* A buffer pool (vanity/pool.h): `buffers` buffers of buf_size bytes at
 * addr, mapped into exactly the shards of `maps`, each read-write or
 * read-only; size is the region's, page-rounded. */
#define VN_MAX_POOLS 64
#define VN_MAX_SHARD_POOLS 16 /* pools one shard maps */

struct vn_kpool_map {
	uint32_t shard;
	uint32_t writable;
};

struct vn_kpool {
	const char *name;
	uint32_t id;
	uint32_t buffers;
	uint32_t buf_size;
	uint32_t n_maps;
	const struct vn_kpool_map *maps; /* by shard id */
	uint64_t addr;
	uint64_t size;
};

/* How shard `id` maps pool p: 1 read-write, 0 read-only, -1 not at all. */
static inline int vn_kpool_access(const struct vn_kpool *p, uint32_t id)
{
	for (uint32_t i = 0; i < p->n_maps; i++)
		if (p->maps[i].shard == id)
			return p->maps[i].writable ? 1 : 0;
	return -1;
}

struct vn_ksystem {
	const char *name;
	const char *board;
	uint32_t n_cores;   /* cores used by the spec: 1 + highest core */
	uint32_t n_shards;
	uint32_t n_channels;
	const struct vn_kshard *shards;
	const struct vn_kchannel *channels;
	uint32_t n_devices;
	const struct vn_kdevice *devices;
	uint64_t schema_hash; /* of the spec's names and events: a trace's key */
	uint64_t board_hash;  /* FNV-1a 64 of `board`: what a reload image must carry */
	uint32_t n_pools;
	const struct vn_kpool *pools;
};

extern const struct vn_ksystem vn_system;

/* ---- the shard's own view ------------------------------------------------ */

struct vn_shard_config {
	const char *name;
	uint32_t id;
	uint32_t mode;
	uint64_t spin_ns;
	uint64_t ctl;       /* address of the control page shared with the kernel */
	uint64_t ctl_size;  /* bytes mapped there: the page and the trace ring */
	uint64_t stack_lo;  /* stack region [stack_lo, stack_hi) */
	uint64_t stack_hi;
	uint64_t heap_lo;   /* heap region [heap_lo, heap_hi) */
	uint64_t heap_hi;
	uint32_t n_tx;
	uint32_t n_rx;
	const struct vn_tx *const *tx; /* the shard's endpoints, in spec order */
	const struct vn_rx *const *rx;
	const uint32_t *tx_bit;  /* notification bit of each tx endpoint */
	const uint32_t *rx_bit;
	uint32_t n_sig;
	const uint32_t *sig;     /* its signal endpoints (sent or received): channel ids */
	const uint32_t *sig_bit; /* notification bit of each */
	uint64_t kernel_bits;    /* bits only the kernel sets, which no ring shows: its
				    interrupting devices and the signals it receives */
	uint64_t handoff;        /* its reload's handoff region, 0: none */
	uint64_t handoff_size;
	uint32_t n_pools;        /* the pools it maps, in spec order (hosted: at */
	const struct vn_pool *const *pools; /* descriptors VN_FD_POOL0 + k) */
};

extern const struct vn_shard_config vn_self;

/* For each port's shard start-up, once the rings are mapped: take up every
 * endpoint from its ring's indices. (runtime/lib/attach.c) */
void vn_attach_endpoints(void);

#endif /* VANITY_CONFIG_H */
