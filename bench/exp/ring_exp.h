/*
 * bench/exp/ring_exp.h - an EXPERIMENTAL copy of runtime/include/vanity/ring.h
 * (prefix vx_ instead of vn_), measured beside it as peer "vanity_x" by a
 * tput built with -DBENCH_EXP (make -C bench exp). Not used by any shard.
 * Changes against ring.h, each behind a switch so one build measures one:
 *   VX_PF_DIST  (default 0 = off) vx_tx_send prefetches for writing the slot
 *               VX_PF_DIST slots ahead, so the producer asks for the line
 *               the consumer's CPU holds before its stores reach it.
 *   VX_LAZY     (default 1 = off) vx_rx_recv publishes its tail only every
 *               VX_LAZY messages, and always before it reads the producer's
 *               head (so a producer waiting for space is never left waiting
 *               for frees the consumer holds back while it waits itself).
 */
/*
 * vanity/ring.h - the channel ring: a one-way single-producer single-consumer
 * queue of fixed-size message slots in memory shared by exactly two shards.
 *
 * Design:
 *  - The shared part (struct vx_ring) holds only the two published indices and
 *    the two "sleeping" flags, each index on its own cache line, so the
 *    producer and consumer never write the same line.
 *  - Each side keeps a private endpoint (struct vx_tx / struct vx_rx) in its
 *    own memory, with its local index and a cached copy of the other side's
 *    index. The other side's line is only read when the cache says "full"
 *    (producer) or "empty" (consumer). In steady state a send or a receive is
 *    a few plain loads and stores: no syscall, no lock, no fence stronger than
 *    release/acquire.
 *  - Indices are free-running 32-bit counters; depth is a power of two, so
 *    (head - tail) is the fill level even across wraparound.
 *  - Notifications: a receiver in `yield` mode sets `rx_sleeping` before it
 *    sleeps. Only when the peer may sleep (VX_EP_NOTIFY, decided by the
 *    generator from the peer's mode) does a commit pay for a full fence and a
 *    check of that flag, and only when the flag is set does it enter the
 *    kernel (vx_notify). Between `poll` shards no fence is ever issued.
 *
 * Everything here is static inline and portable C11; the one outside call is
 * vx_notify(), supplied by the port's shard library.
 *
 * (In ring.h the protocol is modelled in ring.pml and checked by tests/model;
 * this copy is not, and VX_LAZY changes the protocol: see the header above.)
 */
#ifndef BENCH_RING_EXP_H
#define BENCH_RING_EXP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Two 64-byte lines: keeps adjacent-line prefetchers from pairing indices. */
#define VX_CACHELINE 128u

#define VX_RING_MAGIC 0x676e6952u /* "Ring" */

/* Offset of the first slot from the start of the shared region. */
#define VX_RING_SLOTS_OFFSET (3u * VX_CACHELINE)

/* Bytes of shared memory a channel needs (before page rounding). */
#define VX_RING_BYTES(msg_size, depth) \
	(VX_RING_SLOTS_OFFSET + (size_t)(msg_size) * (size_t)(depth))

struct vx_ring {
	/* Written by the producer only: one past the last published slot. */
	_Alignas(VX_CACHELINE) _Atomic uint32_t head;
	/* Written by the consumer only: one past the last released slot. */
	_Alignas(VX_CACHELINE) _Atomic uint32_t tail;
	/* Rarely written: set by a side that is about to sleep on this ring. */
	_Alignas(VX_CACHELINE) _Atomic uint32_t rx_sleeping;
	_Atomic uint32_t tx_sleeping;
	/* Written once when the channel is created; read by host tools. */
	uint32_t magic;
	uint32_t msg_size;
	uint32_t depth;
};

_Static_assert(sizeof(struct vx_ring) == VX_RING_SLOTS_OFFSET,
	       "ring header must be exactly three cache lines");

/* Endpoint flags. */
#define VX_EP_NOTIFY 1u /* the peer may sleep: check its flag on publish */

/*
 * An endpoint is split in two. The description (struct vx_tx / vx_rx) is
 * fixed at build time: the generator emits it as a `static const` object in
 * the shard's header, so after inlining the compiler folds the ring address,
 * mask, size and flags into immediates. Only the indices live in the mutable
 * state (struct vx_tx_state / vx_rx_state), private to the shard. A send is
 * then one load of the local head, a copy into the slot, and two stores.
 */
struct vx_tx_state {
	uint32_t head;        /* next slot to reserve (may run ahead of ring->head) */
	uint32_t cached_tail; /* ring->tail as last seen */
	uint32_t starved;     /* a send or reserve found the ring full: vx_wait
				 waits for space here */
};

struct vx_rx_state {
	uint32_t tail;        /* next slot to peek (may run ahead of ring->tail) */
	uint32_t cached_head; /* ring->head as last seen */
};

/* Producer endpoint. */
struct vx_tx {
	struct vx_ring *ring;
	uint8_t *slots;
	uint32_t mask;     /* depth - 1 */
	uint32_t msg_size; /* bytes per slot */
	uint32_t flags;    /* VX_EP_* */
	uint32_t channel;  /* system-wide channel id, for vx_notify() */
	struct vx_tx_state *st;
};

/* Consumer endpoint. */
struct vx_rx {
	struct vx_ring *ring;
	uint8_t *slots;
	uint32_t mask;
	uint32_t msg_size;
	uint32_t flags;
	uint32_t channel;
	struct vx_rx_state *st;
};

/*
 * Static initialisers used by generated code: the ring sits at a fixed address
 * in the shard's address space, so endpoints need no setup at run time.
 */
#define VX_TX_INIT(id, addr, size, dep, fl, state)                             \
	{                                                                      \
		.ring = (struct vx_ring *)(addr),                              \
		.slots = (uint8_t *)(addr) + VX_RING_SLOTS_OFFSET,             \
		.mask = (dep) - 1u, .msg_size = (size), .flags = (fl),         \
		.channel = (id), .st = (state),                                \
	}
#define VX_RX_INIT(id, addr, size, dep, fl, state)                             \
	VX_TX_INIT(id, addr, size, dep, fl, state)

/* Port hook: wake the peer sleeping on `channel` (enters the kernel: a trap on
 * bare metal; on hosted, a request posted to the kernel without waiting). */
void vx_notify(uint32_t channel);

/* Create an empty ring in freshly zeroed shared memory (kernel side). */
static inline void vx_ring_init(struct vx_ring *r, uint32_t msg_size,
				uint32_t depth)
{
	atomic_store_explicit(&r->head, 0, memory_order_relaxed);
	atomic_store_explicit(&r->tail, 0, memory_order_relaxed);
	atomic_store_explicit(&r->rx_sleeping, 0, memory_order_relaxed);
	atomic_store_explicit(&r->tx_sleeping, 0, memory_order_relaxed);
	r->magic = VX_RING_MAGIC;
	r->msg_size = msg_size;
	r->depth = depth;
}

/* ---- producer ---------------------------------------------------------- */

/* Free slots, refreshing the cached tail only when it is not enough. */
static inline uint32_t vx_tx_space(const struct vx_tx *tx, uint32_t want)
{
	struct vx_tx_state *st = tx->st;
	uint32_t space = tx->mask + 1u - (st->head - st->cached_tail);

	if (space < want) {
		st->cached_tail = atomic_load_explicit(&tx->ring->tail,
						       memory_order_acquire);
		space = tx->mask + 1u - (st->head - st->cached_tail);
		if (space == 0)
			st->starved = 1;
	}
	return space;
}

/* Zero-copy: the next free slot, or NULL when the ring is full. Slots
 * reserved so far become visible to the consumer at the next commit. */
static inline void *vx_tx_reserve(const struct vx_tx *tx)
{
	if (vx_tx_space(tx, 1) == 0)
		return NULL;
	return tx->slots + (size_t)(tx->st->head++ & tx->mask) * tx->msg_size;
}

/* Make slots up to `head` visible to the consumer; wake it if it sleeps. */
static inline void vx_tx_publish(const struct vx_tx *tx, uint32_t head)
{
	atomic_store_explicit(&tx->ring->head, head, memory_order_release);
	if (tx->flags & VX_EP_NOTIFY) {
		/* Pairs with the fence in vx_rx_arm(): either the consumer sees
		 * the new head, or we see its sleeping flag. */
		atomic_thread_fence(memory_order_seq_cst);
		if (atomic_load_explicit(&tx->ring->rx_sleeping,
					 memory_order_relaxed))
			vx_notify(tx->channel);
	}
}

/* Publish every reserved slot. */
static inline void vx_tx_commit(const struct vx_tx *tx)
{
	vx_tx_publish(tx, tx->st->head);
}

#ifndef VX_PF_DIST
#define VX_PF_DIST 0
#endif
#ifndef VX_LAZY
#define VX_LAZY 1
#endif

static inline bool vx_tx_send(const struct vx_tx *tx, const void *msg, size_t size)
{
	void *slot = vx_tx_reserve(tx);

	if (!slot)
		return false;
	if (VX_PF_DIST)
		__builtin_prefetch(tx->slots + (size_t)((tx->st->head + VX_PF_DIST - 1u) &
							 tx->mask) * size, 1);
	memcpy(slot, msg, size);
	vx_tx_commit(tx);
	return true;
}

/* Copy up to n messages from the array `msgs`; returns how many were sent.
 * One publish (and at most one notification) for the whole burst. */
static inline uint32_t vx_tx_send_burst(const struct vx_tx *tx, const void *msgs,
					uint32_t n, size_t size)
{
	uint32_t space = vx_tx_space(tx, n);
	uint32_t idx, first;

	if (n > space)
		n = space;
	if (n == 0)
		return 0;
	idx = tx->st->head & tx->mask;
	first = tx->mask + 1u - idx;
	if (first > n)
		first = n;
	memcpy(tx->slots + (size_t)idx * size, msgs, (size_t)first * size);
	if (first < n)
		memcpy(tx->slots, (const uint8_t *)msgs + (size_t)first * size,
		       (size_t)(n - first) * size);
	tx->st->head += n;
	vx_tx_publish(tx, tx->st->head);
	return n;
}

/* ---- consumer ---------------------------------------------------------- */

/* Messages available, refreshing the cached head only when it is not enough. */
static inline uint32_t vx_rx_avail(const struct vx_rx *rx, uint32_t want)
{
	struct vx_rx_state *st = rx->st;
	uint32_t avail = st->cached_head - st->tail;

	if (avail < want) {
		if (VX_LAZY > 1)
			atomic_store_explicit(&rx->ring->tail, st->tail,
					      memory_order_release);
		st->cached_head = atomic_load_explicit(&rx->ring->head,
						       memory_order_acquire);
		avail = st->cached_head - st->tail;
	}
	return avail;
}

/* Zero-copy: the oldest message not yet peeked, or NULL when there is none.
 * The slot stays valid until vx_rx_release(). */
static inline const void *vx_rx_peek(const struct vx_rx *rx)
{
	if (vx_rx_avail(rx, 1) == 0)
		return NULL;
	return rx->slots + (size_t)(rx->st->tail++ & rx->mask) * rx->msg_size;
}

/* Hand slots up to `tail` back to the producer; wake it if it sleeps. */
static inline void vx_rx_publish(const struct vx_rx *rx, uint32_t tail)
{
	atomic_store_explicit(&rx->ring->tail, tail, memory_order_release);
	if (rx->flags & VX_EP_NOTIFY) {
		atomic_thread_fence(memory_order_seq_cst);
		if (atomic_load_explicit(&rx->ring->tx_sleeping,
					 memory_order_relaxed))
			vx_notify(rx->channel);
	}
}

/* Hand every peeked slot back. */
static inline void vx_rx_release(const struct vx_rx *rx)
{
	vx_rx_publish(rx, rx->st->tail);
}

static inline bool vx_rx_recv(const struct vx_rx *rx, void *msg, size_t size)
{
	const void *slot = vx_rx_peek(rx);

	if (!slot)
		return false;
	memcpy(msg, slot, size);
	if (VX_LAZY <= 1 || (rx->st->tail & (VX_LAZY - 1)) == 0)
		vx_rx_release(rx);
	return true;
}

static inline uint32_t vx_rx_recv_burst(const struct vx_rx *rx, void *msgs,
					uint32_t n, size_t size)
{
	uint32_t avail = vx_rx_avail(rx, n);
	uint32_t idx, first;

	if (n > avail)
		n = avail;
	if (n == 0)
		return 0;
	idx = rx->st->tail & rx->mask;
	first = rx->mask + 1u - idx;
	if (first > n)
		first = n;
	memcpy(msgs, rx->slots + (size_t)idx * size, (size_t)first * size);
	if (first < n)
		memcpy((uint8_t *)msgs + (size_t)first * size, rx->slots,
		       (size_t)(n - first) * size);
	rx->st->tail += n;
	vx_rx_publish(rx, rx->st->tail);
	return n;
}

/* ---- sleeping ---------------------------------------------------------- */

/*
 * Before a shard sleeps it arms each ring it waits on, then rechecks it.
 * Returns true when the ring already has work (do not sleep). The seq_cst
 * fence pairs with the one in commit/release (Dekker): a message published
 * concurrently is either seen here or its producer sees the flag and
 * notifies.
 */
static inline bool vx_rx_arm(const struct vx_rx *rx)
{
	atomic_store_explicit(&rx->ring->rx_sleeping, 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_seq_cst);
	return vx_rx_avail(rx, 1) != 0;
}

static inline void vx_rx_disarm(const struct vx_rx *rx)
{
	atomic_store_explicit(&rx->ring->rx_sleeping, 0, memory_order_relaxed);
}

/* For a producer waiting for space: true when there is space already. */
static inline bool vx_tx_arm(const struct vx_tx *tx)
{
	atomic_store_explicit(&tx->ring->tx_sleeping, 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_seq_cst);
	return vx_tx_space(tx, 1) != 0;
}

static inline void vx_tx_disarm(const struct vx_tx *tx)
{
	atomic_store_explicit(&tx->ring->tx_sleeping, 0, memory_order_relaxed);
}

#endif /* BENCH_RING_EXP_H */
