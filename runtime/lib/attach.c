/*
 * attach.c - a starting shard takes up its channel endpoints.
 *
 * Each private endpoint starts from its ring's published indices, so a
 * restarted shard continues where its predecessor stopped and the messages
 * queued in its channels are kept.
 *
 * What the ring's header says of the channel (magic, message size, depth,
 * slot stride) is not checked here: the peer can write it, and at any
 * time (the kernel tells it when this shard restarts, so it knows when),
 * so a check would let a hostile peer keep this shard from ever starting
 * (tests/system/stress/rehead.yaml). The endpoints' own descriptions are
 * compiled in, and that they are the running system's channels is the
 * kernel's to ensure, from memory no shard writes: the interface hash of
 * the image it starts (a reload's, and on hosted each start's). The kernel
 * writes the header's description again before the shard starts
 * (vn_rings_describe), for host tools.
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

void vn_attach_endpoints(void)
{
	for (uint32_t i = 0; i < vn_self.n_tx; i++) {
		const struct vn_tx *tx = vn_self.tx[i];

		tx->st->head = vn_tx_resume(tx, atomic_load(&tx->ring->head));
		tx->st->sealed = tx->st->head;
		atomic_store(&tx->ring->head, tx->st->head);
		tx->st->limit = atomic_load(&tx->ring->tail) + tx->mask + 1u;
		atomic_store(&tx->ring->tx_sleeping, 0);
		if (atomic_load(&tx->ring->rx_sleeping) &&
		    tx->st->limit - tx->st->head != tx->mask + 1u) /* not empty */
			vn_notify(tx->channel);
	}
	for (uint32_t i = 0; i < vn_self.n_rx; i++) {
		const struct vn_rx *rx = vn_self.rx[i];

		rx->st->tail = atomic_load(&rx->ring->tail);
		rx->st->cached_head = atomic_load(&rx->ring->head);
		atomic_store(&rx->ring->rx_sleeping, 0);
		/* signed: a consumer may be past the published head */
		if (atomic_load(&rx->ring->tx_sleeping) &&
		    (int64_t)(rx->st->cached_head - rx->st->tail) <= (int64_t)rx->mask)
			vn_notify(rx->channel);
	}
}
