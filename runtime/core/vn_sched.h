/*
 * vn_sched.h - the per-core run queue (named so it never shadows <sched.h>).
 *
 * Scheduling is cooperative: a shard keeps its core until it yields, waits,
 * exits or dies. Each core has one FIFO of ready shards and at most one
 * running shard; picking takes the head, yielding appends to the tail, so
 * the shards of a core take turns round-robin. A core's queue only ever
 * holds that core's shards. No priorities, no time slices: a watchdog
 * (fault.c) deals with a shard that never lets go.
 */
#ifndef VN_SCHED_H
#define VN_SCHED_H

#include "kernel.h"

void vn_sched_ready(struct vn_kernel *k, struct vn_shard *s);
void vn_sched_add(struct vn_kernel *k, struct vn_shard *s);
struct vn_shard *vn_sched_pick(struct vn_kernel *k, uint32_t core, uint64_t now);
void vn_sched_claim(struct vn_kernel *k, struct vn_shard *s, uint32_t by, uint64_t since,
		    uint64_t now);
bool vn_sched_runnable(const struct vn_kernel *k, uint32_t core);
void vn_sched_yield(struct vn_kernel *k, struct vn_shard *s);
void vn_sched_block(struct vn_kernel *k, struct vn_shard *s, uint64_t deadline);
void vn_sched_hold(struct vn_kernel *k, struct vn_shard *s, uint64_t at);
bool vn_sched_wake(struct vn_kernel *k, struct vn_shard *s);
bool vn_sched_wake_by(struct vn_kernel *k, struct vn_shard *s, uint32_t by);
void vn_sched_remove(struct vn_kernel *k, struct vn_shard *s, uint32_t state);
uint64_t vn_sched_expire_scan(struct vn_kernel *k, uint32_t core, uint64_t now);

/* Wake the shards of `core` whose wait timed out by `now`. Returns the
 * earliest deadline still pending on the core, or VN_NEVER. No scan of the
 * shard table, and no call, while none can time out: it runs on every
 * trap. */
static inline uint64_t vn_sched_expire(struct vn_kernel *k, uint32_t core, uint64_t now)
{
	if (!k->core[core].timed)
		return VN_NEVER;
	return vn_sched_expire_scan(k, core, now);
}
void vn_sched_end(struct vn_kernel *k);

/* What a port's scheduler loop decides, decided once (and turn.c). */
enum vn_next {
	VN_NEXT_RUN = 0,   /* run the shard picked */
	VN_NEXT_IDLE = 1,  /* nothing ready: sleep until an event */
	VN_NEXT_STUCK = 2, /* nothing ready, and nothing left can wake anyone */
	VN_NEXT_DONE = 3,  /* the system is over: exit with vn_system_status() */
};

/* The first time vn_watchdog() would stop s, whose activation began at
 * `since` (s->ran_since), if it holds its core: one tick past its budget.
 * VN_NEVER if it has no watchdog or it already fired. This is the one
 * watchdog deadline of every port. */
static inline uint64_t vn_shard_watchdog_deadline_since(const struct vn_shard *s,
							uint64_t since)
{
	if (!s->watchdog_span)
		return VN_NEVER;
	return since + s->watchdog_span;
}

/* The same for s, or VN_NEVER if there is no s. */
static inline uint64_t vn_shard_watchdog_deadline(const struct vn_shard *s)
{
	return s ? vn_shard_watchdog_deadline_since(s, s->ran_since) : VN_NEVER;
}

/* The same for the running shard of `core`. */
static inline uint64_t vn_watchdog_deadline(const struct vn_kernel *k, uint32_t core)
{
	return vn_shard_watchdog_deadline(k->core[core].current);
}

/* If the running shard of `core` has held it past its watchdog deadline
 * by `now`, stop it and return it (vn_watchdog_fire, fault.c); NULL, with
 * no call, on every other trap. */
static inline struct vn_shard *vn_watchdog(struct vn_kernel *k, uint32_t core, uint64_t now)
{
	uint64_t at = vn_watchdog_deadline(k, core);

	if (now < at || at == VN_NEVER)
		return NULL;
	return vn_watchdog_fire(k, k->core[core].current, now);
}

/* When `core` must look at the clock again (a wait timing out, its
 * running shard's watchdog, or an old version's time to quiesce), having
 * woken the waits due by `now` and swapped the reloads due (reload.c);
 * VN_NEVER if nothing on it expires. Every trap that returns to a shard
 * on the common path asks: while no reload and no timed wait is under way
 * on the core, it is the watchdog's deadline, with no call. */
uint64_t vn_core_deadline_scan(struct vn_kernel *k, uint32_t core, uint64_t now);

static inline uint64_t vn_core_deadline(struct vn_kernel *k, uint32_t core, uint64_t now)
{
	if (k->core[core].reloads || k->core[core].timed)
		return vn_core_deadline_scan(k, core, now);
	return vn_watchdog_deadline(k, core);
}

/* `core` has no running shard: what now. VN_NEXT_RUN hands it *next (now
 * its running shard); otherwise *next is NULL and the core exits the
 * system (VN_NEXT_DONE) or sleeps until something happens (VN_NEXT_IDLE,
 * or VN_NEXT_STUCK when nothing ever can: the port reports that once). */
static inline enum vn_next vn_core_next(struct vn_kernel *k, uint32_t core, uint64_t now,
					struct vn_shard **next)
{
	*next = NULL;
	if (vn_system_done(k))
		return VN_NEXT_DONE;
	*next = vn_sched_pick(k, core, now);
	if (*next)
		return VN_NEXT_RUN;
	return vn_system_stuck(k) ? VN_NEXT_STUCK : VN_NEXT_IDLE;
}

/* The YIELD paths' shared steps. vn_yield_out: the call's counters, the
 * end of s's activation (account: run time, histogram sample) at `ticks`,
 * and the state host tools read (st->state): READY, as the call leaves it.
 * vn_yield_in: n's activation on c from `now` (vn_sched_pick: its times,
 * the state host tools read and the count), the SWITCH_OUT "yield" record
 * of the shard `id` and the SWITCH_IN of n, both stamped `ticks`; returns
 * what n's last call returns (vn_shard_resume). */
static inline void vn_yield_out(struct vn_shard *s, uint64_t ticks)
{
	struct vn_shard_stats *st = s->st;
	uint64_t ran = ticks - s->ran_ticks;

	st->syscalls++;
	st->yields++;
	st->run_ticks += ran;
	st->state = VN_READY;
	vn_hist_sample(s->run_hist, ran); /* its sum: run_ticks */
}

static inline uint64_t vn_yield_in(struct vn_kernel *k, struct vn_core *c, struct vn_shard *n,
				   uint32_t id, uint64_t now, uint64_t ticks)
{
	struct vn_shard_stats *st = n->st; /* both read before any store */
	uint32_t nid = n->id;

	n->ran_since = now;
	n->ran_ticks = ticks;
	st->state = VN_RUNNING;
	st->activations++;
	vn_kev_pair(c->ring, VN_KEV_SWITCH_OUT, id | (uint64_t)VN_SW_YIELD << 16,
		    VN_KEV_SWITCH_IN, nid, ticks);
	return vn_shard_resume(k, n);
}

/* The YIELD of s, the running shard of core c, when another shard is
 * ready there: s goes to the back of the queue and the head takes the
 * core, in one step. The same as vn_syscall_dispatch's YIELD
 * (vn_sched_yield) then vn_sched_pick, effect for effect: the call's
 * counters; s's run time, histogram sample and SWITCH_OUT "yield" record;
 * the states, the queue; the new activation, its count and SWITCH_IN
 * record. One clock read (`ticks`, vn_clock(); `now`, the port's time)
 * ends one activation where the next begins and stamps both records.
 * The caller checks first that vn_sched_pick would do nothing else: no
 * reload under way on the core (c->reloads), and that the rest of the
 * trap would find nothing due (the system not halted, no wait timed out
 * by `now`: c->wake_at). Returns the shard that now holds the core;
 * *value is what its last call returns (vn_shard_resume). Inline: it is
 * the whole of the bare-metal kernel's YIELD path (run.c: yield_fast;
 * yield_alone when nobody else is ready).
 * Written for few live values rather than few loads: each part reads what
 * it needs where it needs it, so no part keeps registers for another. */
static inline struct vn_shard *vn_sched_yield_fast(struct vn_kernel *k, struct vn_core *c,
						   uint64_t now, uint64_t ticks, uint64_t *value)
{
	struct vn_shard *s = c->current, *n = c->head;
	uint32_t id = s->id;

	vn_yield_out(s, ticks);
	/* s to the back of the queue, n off its front (enqueue, set_state):
	 * n's next is then the new head, s itself if n was alone there (the
	 * tail, whose next was just set), with no test. n's next is cleared
	 * below. Neither is held (set_state clears it, and only a blocked
	 * shard is held), and s, on no queue, has no next already. */
	c->tail->next = s;
	c->head = n->next;
	c->tail = s;
	s->state = VN_READY;
	/* n's activation (vn_sched_pick) */
	c->current = n;
	n->next = NULL;
	n->state = VN_RUNNING;
	*value = vn_yield_in(k, c, n, id, now, ticks);
	return n;
}

/* The YIELD of s, the running shard of core c, when no other shard is
 * ready there: the call then the pick would take s off its core and give
 * it back, so this does what they would, effect for effect, and no more:
 * the call's counters, the end of one activation and the start of the
 * next (run time, histogram sample, the count, both records, ran_since:
 * the watchdog's budget starts again). A running shard is on no queue
 * and not held, and it ends RUNNING as it began. The caller checks as for
 * vn_sched_yield_fast. Returns what s's YIELD returns. */
static inline uint64_t vn_sched_yield_alone(struct vn_kernel *k, struct vn_core *c,
					    uint64_t now, uint64_t ticks)
{
	struct vn_shard *s = c->current;

	vn_yield_out(s, ticks);
	return vn_yield_in(k, c, s, s->id, now, ticks);
}

#endif /* VN_SCHED_H */
