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
struct vn_shard *vn_sched_pick(struct vn_kernel *k, uint32_t core, uint64_t now);
bool vn_sched_runnable(const struct vn_kernel *k, uint32_t core);
void vn_sched_yield(struct vn_kernel *k, struct vn_shard *s);
void vn_sched_block(struct vn_kernel *k, struct vn_shard *s, uint64_t deadline);
void vn_sched_hold(struct vn_kernel *k, struct vn_shard *s, uint64_t at);
bool vn_sched_wake(struct vn_kernel *k, struct vn_shard *s);
bool vn_sched_wake_by(struct vn_kernel *k, struct vn_shard *s, uint32_t by);
void vn_sched_remove(struct vn_kernel *k, struct vn_shard *s, uint32_t state);
uint64_t vn_sched_expire(struct vn_kernel *k, uint32_t core, uint64_t now);
void vn_sched_end(struct vn_kernel *k);

/* What a port's scheduler loop decides, decided once (and turn.c). */
enum vn_next {
	VN_NEXT_RUN = 0,   /* run the shard picked */
	VN_NEXT_IDLE = 1,  /* nothing ready: sleep until an event */
	VN_NEXT_STUCK = 2, /* nothing ready, and nothing left can wake anyone */
	VN_NEXT_DONE = 3,  /* the system is over: exit with vn_system_status() */
};

uint64_t vn_core_deadline(struct vn_kernel *k, uint32_t core, uint64_t now);

/* The first time vn_watchdog() would stop the running shard of `core`:
 * one tick past its budget. VN_NEVER if it has no watchdog or it already
 * fired. This is the one watchdog deadline of every port. */
static inline uint64_t vn_watchdog_deadline(const struct vn_kernel *k, uint32_t core)
{
	const struct vn_shard *s = k->core[core].current;

	if (!s || s->cfg->watchdog_ns == 0 || s->watchdog_fired)
		return VN_NEVER;
	return s->ran_since + s->cfg->watchdog_ns + 1;
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

#endif /* VN_SCHED_H */
