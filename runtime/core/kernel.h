/*
 * kernel.h - the kernel core's state and entry points.
 *
 * The kernel knows each shard as a struct vn_shard: its static configuration
 * from the generated tables, its scheduling state, its pending notification
 * bits and its counters. All of it lives in one struct vn_kernel, passed
 * explicitly so the host unit tests can build as many kernels as they like.
 * Nothing is allocated: the sizes are fixed below and checked at boot.
 *
 * Locking: see port.h. Every function here runs under the kernel lock.
 */
#ifndef VN_KERNEL_H
#define VN_KERNEL_H

#include <stdbool.h>
#include <stdint.h>

#include <vanity/clock.h>
#include <vanity/config.h>
#include <vanity/syscall.h>
#include <vanity/trace.h>

#define VN_MAX_SHARDS 256u /* MAX_SHARDS in generator/semantics.py */
_Static_assert(VN_MAX_SHARDS <= 0xffffu, "a shard id is 16 bits (vn_shard.id, trace records)");
#define VN_MAX_CORES 16u
#define VN_NEVER UINT64_MAX

/* The largest restart budget a spec may give (struct vn_krestart). */
#define VN_RESTART_MAX 16u

enum vn_state {
	VN_READY = 0,    /* on its core's run queue */
	VN_RUNNING = 1,  /* holds its core */
	VN_BLOCKED = 2,  /* in WAIT, until notified or its deadline */
	VN_FINISHED = 3, /* returned, exited or was halted: never runs again */
	VN_STOPPED = 4,  /* stopped by a fault: never runs again */
};

struct vn_shard {
	const struct vn_kshard *cfg;
	uint16_t id;             /* cfg->id (its index in vn_kernel.shard), where a
				    switch reads it, as the trace records it */
	uint32_t state;          /* enum vn_state (VN_READY: on the run queue) */
	bool waiting;            /* blocked in WAIT: resumes with pending bits */
	bool held;               /* VN_BLOCKED in its restart backoff: only the
				    deadline wakes it, never a notification */
	bool escalated;          /* its policy restarted its group already */
	struct vn_shard *next;   /* run-queue link */
	uint64_t pending;        /* notification bits not yet returned by WAIT */
	uint64_t deadline;       /* VN_BLOCKED: wake at this time, or VN_NEVER */
	uint64_t ran_since;      /* VN_RUNNING: when it got the core */
	uint64_t ran_ticks;      /* VN_RUNNING: the same, in vn_clock() ticks */
	uint64_t watchdog_span;  /* cfg->watchdog_ns + 1 while its watchdog may
				    fire (vn_shard_watchdog_deadline_since);
				    0 with no watchdog, or once it fired (then
				    the next death is its doing: vn_watchdog_fired) */
	int exit_status;
	uint64_t restart_at[VN_RESTART_MAX]; /* times of its last restarts, a ring */
	uint32_t burst;          /* restarts recorded in it since the budget began */
	/* Hot reload (reload.c): a request in flight, then the new version. */
	uint8_t reload;          /* enum vn_reload_step */
	uint32_t reload_status;  /* the last request's outcome (vanity/reload.h) */
	uint32_t reload_done;    /* requests finished (swapped, refused or rolled back) */
	uint32_t reload_gen;     /* the generation the last request left running */
	uint64_t reload_by;      /* VN_RELOAD_QUIESCE: the old version's deadline */
	uint64_t reloaded_at;    /* when a reload started the running version; 0: none */
	uint32_t handoff_gen;    /* the generation whose state the handoff region holds */
	struct vn_shard_stats *st; /* its counters and state, in vn_kernel.obs */
	struct vn_hist *run_hist;  /* its run-time histogram, in vn_kernel.obs */
	void *port;              /* the port's own per-shard state */
};

struct vn_core {
	_Alignas(64) struct vn_shard *current; /* the shard holding the core, or NULL */
	struct vn_shard *head;    /* ready queue, round-robin */
	struct vn_shard *tail;
	uint64_t wake_at;         /* no wait of it times out before this (VN_NEVER:
				   * none): lowered by vn_sched_block, set by
				   * vn_sched_expire to the earliest left; early,
				   * never late, once a timed sleeper is woken.
				   * Bare metal: CPU 0's is no later than its next
				   * look at the reload door (run.c: door) */
	uint64_t timer_at;        /* bare metal: the deadline its CPU's timer is
				   * armed for (VN_NEVER: none), kept by the
				   * port (arch_timer_set), here so that the
				   * YIELD path reads it beside wake_at */
	struct vn_trace_ring *ring; /* its kernel event ring, in vn_kernel.obs */
	uint16_t reloads;         /* shards of it with a reload under way */
	uint16_t live;            /* its shards not finished or stopped (set_state) */
	bool timed;               /* a shard of it may be blocked with a deadline:
				   * set by vn_sched_block, cleared by a
				   * vn_sched_expire that found none */
};

/* A line each: a core's address is its index shifted, and no two cores'
 * CPUs write one line (VN_MAX_SHARDS fits reloads and live). */
_Static_assert(sizeof(struct vn_core) == 64, "struct vn_core is 64 bytes");
_Static_assert(VN_MAX_SHARDS <= UINT16_MAX, "a core's shard counts are 16 bits");

/* What every trap reads comes first, at offsets a load can name. */
struct vn_kernel {
	struct vn_core core[VN_MAX_CORES]; /* first: a core's address is K's + an index */
	const struct vn_ksystem *sys;
	struct vn_obs *obs;       /* counters and kernel trace rings (obs.c) */
	uint32_t live;    /* shards not finished or stopped (set_state) */
	bool halted;
	int halt_status;
	bool any_fault;   /* a shard was stopped by a fault */
	int first_error;  /* first non-zero exit status, or 0 */
	struct vn_shard shard[VN_MAX_SHARDS];
};

/* kernel.c: boot and whole-system state */
int vn_kernel_init(struct vn_kernel *k, const struct vn_ksystem *sys, struct vn_obs *obs);
void vn_shard_finish(struct vn_kernel *k, struct vn_shard *s, int status);
void vn_rings_describe(const struct vn_kernel *k, uint32_t shard);
void vn_system_halt(struct vn_kernel *k, int status);
void vn_system_halt_by(struct vn_kernel *k, const struct vn_shard *by, int status);
/* s's watchdog fired in this life of s (watchdog_span 0, fault.c): its
 * death is the watchdog's doing. Until it starts again. */
static inline bool vn_watchdog_fired(const struct vn_shard *s)
{
	return s->cfg->watchdog_ns && !s->watchdog_span;
}

/* s's watchdog may fire again: at (re)start. */
static inline void vn_watchdog_rearm(struct vn_shard *s)
{
	s->watchdog_span = s->cfg->watchdog_ns ? s->cfg->watchdog_ns + 1 : 0;
}

static inline bool vn_shard_live(const struct vn_shard *s)
{
	return s->state != VN_FINISHED && s->state != VN_STOPPED;
}
uint32_t vn_live_shards(const struct vn_kernel *k);
uint32_t vn_core_live_shards(const struct vn_kernel *k, uint32_t core);

/* Both read the live counts set_state keeps (no scan), inline: they run
 * each time a core looks for its next shard or hands one its core. */
static inline bool vn_core_shared(const struct vn_kernel *k, uint32_t core)
{
	return k->core[core].live > 1;
}

static inline bool vn_system_done(const struct vn_kernel *k)
{
	return k->halted || k->live == 0;
}
bool vn_system_stuck(const struct vn_kernel *k);
/* How every port words it: the system, the sleepers ("'a', 'b'"), "s" if one. */
#define VN_STUCK_FMT "system '%s' is stuck: %s wait%s for notifications that nothing left " \
		     "can send (no shard runs, no device can interrupt)"
int vn_system_status(const struct vn_kernel *k);

/* How every port shows a byte of a shard's log: control characters other
 * than newline and tab become '?', everything else (UTF-8 included) is
 * passed on as it is. The byte is taken unsigned, whatever char is. */
static inline char vn_log_char(char c)
{
	unsigned char u = (unsigned char)c;

	return (u < ' ' && u != '\n' && u != '\t') || u == 0x7f ? '?' : c;
}

/* obs.c: counters and kernel events (vanity/trace.h) */
void vn_obs_init(struct vn_kernel *k, struct vn_obs *o);
void vn_obs_publish(struct vn_obs *o);
/* VANITY_STATS=1, at the system's end: the lines every port prints, through
 * its own printer `say` (each ring read where port_channel_ring says). */
void vn_stats_report(const struct vn_kernel *k, void (*say)(const char *fmt, ...));
void vn_trace_ring_init(struct vn_trace_ring *r, uint32_t n_recs, uint32_t owner);

/* One record on core's ring: `a` then `b` as its fields (cut at
 * VN_TRACE_DATA bytes, the rest zero), stamped now. Inline, so that at
 * each caller the sizes are constants and the fields are built in
 * registers, stored as four words, then published (out of line, with
 * byte loops, a record cost about 80 instructions). */
static inline void vn_kev_record(struct vn_kernel *k, uint32_t core, uint16_t id,
				 const void *a, uint32_t na, const void *b, uint32_t nb)
{
	struct vn_trace_ring *r = &k->obs->core[core % VN_OBS_MAX_CORES].ring;
	uint64_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
	uint64_t *to = (uint64_t *)(void *)&vn_trace_recs(r)[h % VN_TRACE_CORE_RECS];
	union {
		struct vn_trace_rec rec;
		uint64_t w[4];
	} u;

	u.w[0] = vn_clock(); /* ts */
	u.w[1] = id;         /* id, the low 16 bits (little-endian); data[0..5] 0 */
	u.w[2] = 0;
	u.w[3] = 0;
	na = na < VN_TRACE_DATA ? na : VN_TRACE_DATA;
	nb = nb < VN_TRACE_DATA - na ? nb : VN_TRACE_DATA - na;
	if (na)
		__builtin_memcpy(u.rec.data, a, na);
	if (nb)
		__builtin_memcpy(u.rec.data + na, b, nb);
	to[0] = u.w[0];
	to[1] = u.w[1];
	to[2] = u.w[2];
	to[3] = u.w[3];
	vn_store_release(&r->head, h + 1);
}

static inline void vn_kev(struct vn_kernel *k, uint32_t core, uint16_t id, const void *fields,
			  uint32_t len)
{
	vn_kev_record(k, core, id, fields, len, NULL, 0);
}

/* An event about shard s, with `more` (len bytes; NULL if none) after its
 * id. */
static inline void vn_kev_shard(struct vn_kernel *k, const struct vn_shard *s, uint16_t id,
				const void *more, uint32_t len)
{
	uint16_t sid = (uint16_t)s->cfg->id;

	vn_kev_record(k, s->cfg->core, id, &sid, 2, more, len);
}
#define VN_BY_NONE 0xffffu /* WAKE's waker: a timeout, a device or the kernel (a reload
				  * asking the shard to quiesce); HALT's: the kernel */

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "vn_kev_pair packs fields LE");

/* Two kernel events on a core's ring r (vn_core.ring), each with at most
 * 6 bytes of fields packed little-endian in f1 and f2 (the first byte
 * lowest), both stamped `ts`: the records vn_kev() above writes for
 * them but for the 16 bytes after those 6, which are left as they were
 * (a reader takes an event's own fields only, as it does for a shard's
 * records: vn_trace_put): four stores, one publish and no call (a switch
 * writes SWITCH_OUT then SWITCH_IN). */
static inline void vn_kev_pair(struct vn_trace_ring *r, uint16_t id1, uint64_t f1, uint16_t id2,
			       uint64_t f2, uint64_t ts)
{
	uint64_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
	struct vn_trace_rec *recs = vn_trace_recs(r);
	uint64_t *a = (uint64_t *)(void *)&recs[h % VN_TRACE_CORE_RECS];
	uint64_t *b = (uint64_t *)(void *)&recs[(h + 1) % VN_TRACE_CORE_RECS];

	a[0] = ts;
	a[1] = id1 | (f1 & 0xffffffffffffull) << 16;
	b[0] = ts;
	b[1] = id2 | (f2 & 0xffffffffffffull) << 16;
	vn_store_release(&r->head, h + 2);
}

/* dump.c: the kernel's record as one stream (vanity/trace.h) */
typedef int vn_dump_write_fn(void *ctx, const void *p, uint64_t len);
#define VN_DUMP_NO_PEEK UINT32_MAX
int vn_dump(struct vn_kernel *k, const struct vn_obs *o, vn_dump_write_fn *w, void *ctx,
	    uint32_t peek);
int vn_dump_chunk(vn_dump_write_fn *w, void *ctx, uint32_t kind, uint32_t index,
		  const void *p, uint64_t len, uint64_t addr);

/* crash.c: a faulted shard's crash dump (vanity/trace.h), if the port
 * takes one; called by vn_shard_fault() before the policy applies */
void vn_crash_record(struct vn_kernel *k, struct vn_shard *s, int signal);

/* syscall.c: the system call table */
enum vn_sysaction {
	VN_ACT_CONTINUE = 0, /* the caller keeps its core; return value now */
	VN_ACT_SWITCH = 1,   /* the caller gave up its core; pick the next shard */
	VN_ACT_EXIT = 2,     /* the caller is finished */
	VN_ACT_HALT = 3,     /* the system is halted */
	VN_ACT_FAULT = 4,    /* the call is beyond the caller's authority: the
				port stops it as a fault, saying VN_HALT_REFUSED */
};

/* Why a vn_halt() of a shard without `halt: true` is a fault of its own. */
#define VN_HALT_REFUSED "vn_halt without `halt: true` in its spec"


struct vn_sysres {
	uint64_t value;
	uint32_t action; /* enum vn_sysaction */
};

struct vn_sysres vn_syscall_dispatch(struct vn_kernel *k, struct vn_shard *caller,
				     uint32_t op, uint64_t a0, uint64_t a1);

/* What the last call of s returns once s holds its core again: a WAIT
 * returns the bits pending now (0 if it timed out), anything else 0. */
static inline uint64_t vn_shard_resume(struct vn_kernel *k, struct vn_shard *s)
{
	uint64_t bits = 0;

	(void)k;
	if (s->waiting) {
		bits = s->pending;
		s->pending = 0;
		s->waiting = false;
	}
	return bits;
}

/* notify.c: channel notifications */
int vn_notify_deliver(struct vn_kernel *k, struct vn_shard *caller, uint32_t channel);
/* notify.c: peers. The other endpoint of `channel`, NULL if s is not one;
 * s's state as a VN_SYS_PEER_* value; and vn_peer_changed, called when s
 * restarted, stopped or finished: it sets, in every peer of s, the bit of
 * that peer's endpoint of each channel they share, and wakes the peer. */
struct vn_shard *vn_peer_of(struct vn_kernel *k, const struct vn_shard *s,
			    uint32_t channel);
uint32_t vn_peer_state(const struct vn_shard *s);
void vn_peer_changed(struct vn_kernel *k, struct vn_shard *s);
int vn_notify_deliver_on(struct vn_kernel *k, struct vn_shard *caller,
			 uint32_t channel, uint32_t here);
/* A notification the port delivered itself (the hosted port's parked
 * wait: the peer was woken on its ring): counted and recorded as any, but
 * it sets no bit and wakes nobody. */
int vn_notify_woke_on(struct vn_kernel *k, struct vn_shard *caller,
		      uint32_t channel, uint32_t here);

/* irq.c: device interrupts as notifications */
int vn_irq_deliver(struct vn_kernel *k, uint32_t irq, uint32_t here);
uint64_t vn_irq_ack(struct vn_kernel *k, struct vn_shard *caller, uint64_t bits);
void vn_irq_restart(struct vn_kernel *k, struct vn_shard *s);
const struct vn_kdevice *vn_device_at(const struct vn_kernel *k, const struct vn_shard *s,
				      uint64_t addr, uint32_t bytes);

/* reload.c: hot reload (vanity/reload.h, docs/reload.md). A request is
 * checked at once, under the lock, from anywhere; the swap itself happens
 * on the shard's own core at a clean point: while it does not hold the core
 * (vn_reload_due, from vn_core_deadline), or when it quiesces (QUIESCE). */
enum vn_reload_step {
	VN_RELOAD_IDLE = 0,
	VN_RELOAD_ASKED = 1, /* the old version was asked to quiesce, by reload_by */
	VN_RELOAD_DUE = 2,   /* swap at its next clean point */
	VN_RELOAD_CHECKING = 3, /* its image's digest is being computed, unlocked */
};

uint32_t vn_reload_request(struct vn_kernel *k, struct vn_shard *s, const void *image,
			   uint64_t len, uint64_t now);
uint64_t vn_reload_scan(struct vn_kernel *k, uint32_t core, uint64_t now);

/* The reloads of `core` that are due by `now` and at a clean point: swap
 * them, or give up on an old version that did not quiesce. Returns the
 * earliest quiesce deadline still ahead, or VN_NEVER. No scan, and no
 * call, while none is under way: it runs on every trap. */
static inline uint64_t vn_reload_due(struct vn_kernel *k, uint32_t core, uint64_t now)
{
	if (!k->core[core].reloads)
		return VN_NEVER;
	return vn_reload_scan(k, core, now);
}
uint64_t vn_reload_quiesce(struct vn_kernel *k, struct vn_shard *s, uint64_t now);
bool vn_reload_rollback(struct vn_kernel *k, struct vn_shard *s, uint64_t now);
void vn_reload_cancel(struct vn_kernel *k, struct vn_shard *s, uint32_t why);
bool vn_reload_may(const struct vn_shard *by, uint32_t target);
int vn_shard_start_again(struct vn_kernel *k, struct vn_shard *s, uint64_t now, uint64_t at,
			 bool keep);
int vn_shard_try_start(struct vn_kernel *k, struct vn_shard *s, uint64_t now, uint64_t at,
		       bool keep);
typedef void vn_say_fn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The report line of a finished request (outcome: enum vn_reload_outcome),
 * as every port words it, through the port's console `say`. */
void vn_reload_say(const struct vn_shard *s, uint32_t outcome, uint32_t status,
		   vn_say_fn *say);

/* sha256.c */
void vn_sha256(const void *p, uint64_t len, uint8_t out[32]);

/* fault.c: fault policy and watchdog */
enum vn_fault_outcome {
	VN_FAULT_STOPPED = 0,   /* policy stop */
	VN_FAULT_RESTARTED = 1, /* policy restart, within budget */
	VN_FAULT_GAVE_UP = 2,   /* policy restart, budget spent: stopped */
	VN_FAULT_START_FAILED = 3, /* policy restart, the port could not: stopped */
	VN_FAULT_HALTED = 4,    /* policy halt */
	VN_FAULT_IGNORED = 5,   /* already finished or stopped, or the system halted */
	VN_FAULT_GAVE_UP_HALT = 6, /* policy restart, budget spent, then halt */
	VN_FAULT_GROUP_RESTARTED = 7, /* policy restart, budget spent: its group restarted */
	VN_FAULT_ROLLED_BACK = 8, /* within its rollback window: the old image restarted */
};

enum vn_fault_outcome vn_shard_fault(struct vn_kernel *k, struct vn_shard *s,
				     uint64_t now, int halt_status);
struct vn_shard *vn_watchdog_fire(struct vn_kernel *k, struct vn_shard *s, uint64_t now);
/* The report line of what s's policy did (outcome o), as every port words
 * it, through the port's printf-like console `say` (fault.c). */
void vn_fault_say(const struct vn_kernel *k, const struct vn_shard *s,
		  enum vn_fault_outcome o, vn_say_fn *say);
/* How every port words a spent budget: "restarted 5 times within 1 s". */
#define VN_BUDGET_FMT "restarted %u times within %llu %s"
#define VN_BUDGET_ARGS(s) (s)->cfg->restart.budget, \
	(unsigned long long)vn_span_count((s)->cfg->restart.window_ns), \
	vn_span_unit((s)->cfg->restart.window_ns)

/* A span in its largest whole unit: 1 s, 250 ms, 1500 us. */
static inline uint64_t vn_span_count(uint64_t ns)
{
	return ns % 1000000000u == 0 ? ns / 1000000000u :
	       ns % 1000000u == 0 ? ns / 1000000u : ns / 1000u;
}

static inline const char *vn_span_unit(uint64_t ns)
{
	return ns % 1000000000u == 0 ? "s" : ns % 1000000u == 0 ? "ms" : "us";
}
uint32_t vn_restart_recent(const struct vn_shard *s, uint64_t now);
uint64_t vn_restart_delay(const struct vn_krestart *p, uint32_t recent);

#endif /* VN_KERNEL_H */
