/*
 * notify.c - channel notifications.
 *
 * A notification on channel c from one endpoint sets the other endpoint's
 * bit in its shard's pending set, and wakes that shard if it is blocked in
 * WAIT. The bit stays pending until a WAIT returns it, so a notification is
 * never lost, only merged with others on the same endpoint.
 *
 * Wake path: the peer becomes ready on its own core's queue; only if that
 * core is not the caller's is it kicked (exactly one cross-core wake). The
 * caller's own core is already in the kernel and will look at its queue.
 */
#include "kernel.h"
#include "port.h"
#include "vn_sched.h"

/* Returns 0, or -1 if the caller is not an endpoint of `channel` (which the
 * caller has checked is in range). */
int vn_notify_deliver(struct vn_kernel *k, struct vn_shard *caller, uint32_t channel)
{
	const struct vn_kchannel *ch = &k->sys->channels[channel];
	uint32_t id = caller->cfg->id;
	struct vn_shard *peer;
	uint32_t bit;

	if (id == ch->from) {
		peer = &k->shard[ch->to];
		bit = ch->to_bit;
	} else if (id == ch->to) {
		peer = &k->shard[ch->from];
		bit = ch->from_bit;
	} else {
		return -1;
	}
	peer->pending |= UINT64_C(1) << bit;
	if (vn_sched_wake(k, peer) && peer->cfg->core != caller->cfg->core)
		port_kick_core(peer->cfg->core);
	return 0;
}
