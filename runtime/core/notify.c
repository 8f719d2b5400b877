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
 * caller has checked is in range). `here` is the core doing the delivery;
 * `port` whether the port delivered it already (kernel.h:
 * vn_notify_woke_on): then it is only counted and recorded. */
static int deliver(struct vn_kernel *k, struct vn_shard *caller, uint32_t channel,
		   uint32_t here, bool port)
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
	if (port)
		return 0;
	peer->pending |= UINT64_C(1) << bit;
	if (vn_sched_wake_by(k, peer, id) && peer->cfg->core != here)
		port_kick_core(peer->cfg->core);
	return 0;
}

int vn_notify_deliver_on(struct vn_kernel *k, struct vn_shard *caller,
			 uint32_t channel, uint32_t here)
{
	return deliver(k, caller, channel, here, false);
}

int vn_notify_woke_on(struct vn_kernel *k, struct vn_shard *caller,
		      uint32_t channel, uint32_t here)
{
	return deliver(k, caller, channel, here, true);
}

/* NOTIFY as a system call: delivered on the caller's own core. */
int vn_notify_deliver(struct vn_kernel *k, struct vn_shard *caller, uint32_t channel)
{
	return deliver(k, caller, channel, caller->cfg->core, false);
}

/* ---- peers -----------------------------------------------------------------
 * A shard learns that the other endpoint of one of its channels restarted,
 * stopped or exited through that endpoint's own notification bit: the same
 * bit a message sets, so vn_wait returns it and nothing on the ring's hot
 * path changes. The ring itself is untouched (queued messages stay). The
 * shard then asks PEER for the state and generation. */
struct vn_shard *vn_peer_of(struct vn_kernel *k, const struct vn_shard *s,
			    uint32_t channel)
{
	const struct vn_kchannel *ch = &k->sys->channels[channel];

	if (s->cfg->id == ch->from)
		return &k->shard[ch->to];
	if (s->cfg->id == ch->to)
		return &k->shard[ch->from];
	return NULL;
}

uint32_t vn_peer_state(const struct vn_shard *s)
{
	if (s->state == VN_STOPPED)
		return VN_SYS_PEER_STOPPED;
	if (s->state == VN_FINISHED)
		return VN_SYS_PEER_EXITED;
	return VN_SYS_PEER_LIVE;
}

void vn_peer_changed(struct vn_kernel *k, struct vn_shard *s)
{
	uint32_t id = s->cfg->id;

	for (uint32_t c = 0; c < k->sys->n_channels; c++) {
		const struct vn_kchannel *ch = &k->sys->channels[c];
		struct vn_shard *peer;
		uint32_t bit;

		if (ch->from == id && ch->to != id) {
			peer = &k->shard[ch->to];
			bit = ch->to_bit;
		} else if (ch->to == id && ch->from != id) {
			peer = &k->shard[ch->from];
			bit = ch->from_bit;
		} else {
			continue;
		}
		if (!vn_shard_live(peer))
			continue;
		peer->pending |= UINT64_C(1) << bit;
		if (vn_sched_wake_by(k, peer, id))
			port_kick_core(peer->cfg->core);
	}
}
