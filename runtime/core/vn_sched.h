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
bool vn_sched_wake(struct vn_kernel *k, struct vn_shard *s);
void vn_sched_remove(struct vn_kernel *k, struct vn_shard *s, uint32_t state);
uint64_t vn_sched_expire(struct vn_kernel *k, uint32_t core, uint64_t now);

#endif /* VN_SCHED_H */
