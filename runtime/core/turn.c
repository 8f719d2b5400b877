/*
 * turn.c - the decisions every port's scheduler loop makes, made once:
 * when a core must look at the clock again. The others, small enough to
 * inline into every loop, are in vn_sched.h. A port's loop only carries
 * them out (hand the core over, arm a timer, sleep, exit).
 */
#include "kernel.h"
#include "vn_sched.h"

/* vn_core_deadline (vn_sched.h) while a reload or a timed wait is under
 * way on `core`: the earliest of the waits left, the reloads' quiesce
 * deadlines and the watchdog's. */
uint64_t vn_core_deadline_scan(struct vn_kernel *k, uint32_t core, uint64_t now)
{
	uint64_t next = vn_reload_due(k, core, now);
	uint64_t wait = vn_sched_expire(k, core, now);
	uint64_t dog = vn_watchdog_deadline(k, core);

	next = wait < next ? wait : next;
	return dog < next ? dog : next;
}
