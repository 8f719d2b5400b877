/*
 * notify.c - channel notifications.
 *
 * A notification on channel c from one endpoint sets the other endpoint's
 * bit in its shard's pending set, and wakes that shard if it is blocked in
 * WAIT. The bit stays pending until a WAIT returns it, so a notification is
 * never lost, only merged with others on the same endpoint.
 *
 * Wake path: the peer becomes ready on its own core's queue; only if that
 * core is not the one delivering is it kicked (at most one cross-core wake).
 * The delivering core is already in the kernel and will look at its queue.
 *
 * A port may deliver on the caller's core (NOTIFY as a system call) or on
 * another core: the hosted port lets a shard post notification requests
 * asynchronously and the core of the receiver collects them
 * (vn_notify_deliver_on with here = that core). Either way the core checks
 * that the caller is an endpoint of the channel.
 */
#include <string.h>

#include "kernel.h"
#include "port.h"
#include "vn_sched.h"

/* Returns 0, or -1 if the caller is not an endpoint of `channel` (which the
 * caller has checked is in range). `here` is the core doing the delivery. */
int vn_notify_deliver_on(struct vn_kernel *k, struct vn_shard *caller,
			 uint32_t channel, uint32_t here)
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
	{
		uint8_t f[6];
		uint16_t to = (uint16_t)peer->cfg->id;

		memcpy(f, &to, 2);
		memcpy(f + 2, &channel, 4);
		vn_kev_shard(k, caller, VN_KEV_NOTIFY, f, sizeof(f));
	}
	caller->st->notifies++;
	k->obs->chan_notifies[channel]++;
	peer->pending |= UINT64_C(1) << bit;
	if (vn_sched_wake_by(k, peer, id) && peer->cfg->core != here)
		port_kick_core(peer->cfg->core);
	return 0;
}

/* NOTIFY as a system call: delivered on the caller's own core. */
int vn_notify_deliver(struct vn_kernel *k, struct vn_shard *caller, uint32_t channel)
{
	return vn_notify_deliver_on(k, caller, channel, caller->cfg->core);
}
