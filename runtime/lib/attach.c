/*
 * attach.c - a starting shard takes up its channel endpoints.
 *
 * Each private endpoint starts from its ring's published indices, so a
 * restarted shard continues where its predecessor stopped and the messages
 * queued in its channels are kept. The ring's header must describe the
 * channel this shard was built for; otherwise the build and the running
 * system disagree and the shard must not touch the ring.
 *
 * A producer's predecessor may have stopped between writing a message's
 * sequence word (a channel with sequenced slots: vanity/ring.h, VN_EP_SEQ)
 * and publishing head: the consumer may have that message already, so the
 * producer starts after it (vn_tx_resume) and publishes that.
 *
 * A predecessor stopped between publishing an index and reading the peer's
 * sleep flag died owing the peer a notification (ring.pml found it: the
 * peer would sleep for good on a message or on space). So a starting shard
 * notifies a peer whose flag is set when the ring holds what the peer
 * waits for: a message for a consumer, space for a producer. An empty ring
 * at first boot wakes nobody.
 */
#include <vanity.h>
#include <vanity/config.h>

static bool matches(const struct vn_ring *r, uint32_t msg_size, uint32_t mask)
{
	return r->magic == VN_RING_MAGIC && r->msg_size == msg_size && r->depth == mask + 1u;
}

bool vn_attach_endpoints(void)
{
	for (uint32_t i = 0; i < vn_self.n_tx; i++) {
		const struct vn_tx *tx = vn_self.tx[i];

		if (!matches(tx->ring, tx->msg_size, tx->mask))
			return false;
		tx->st->head = vn_tx_resume(tx, atomic_load(&tx->ring->head));
		tx->st->sealed = tx->st->head;
		atomic_store(&tx->ring->head, tx->st->head);
		tx->st->cached_tail = atomic_load(&tx->ring->tail);
		atomic_store(&tx->ring->tx_sleeping, 0);
		if (atomic_load(&tx->ring->rx_sleeping) && tx->st->head != tx->st->cached_tail)
			vn_notify(tx->channel);
	}
	for (uint32_t i = 0; i < vn_self.n_rx; i++) {
		const struct vn_rx *rx = vn_self.rx[i];

		if (!matches(rx->ring, rx->msg_size, rx->mask))
			return false;
		rx->st->tail = atomic_load(&rx->ring->tail);
		rx->st->cached_head = atomic_load(&rx->ring->head);
		atomic_store(&rx->ring->rx_sleeping, 0);
		/* signed: a consumer may be past the published head */
		if (atomic_load(&rx->ring->tx_sleeping) &&
		    (int64_t)(rx->st->cached_head - rx->st->tail) <= (int64_t)rx->mask)
			vn_notify(rx->channel);
	}
	return true;
}
