/*
 * vanity/ring.h - the channel ring: a one-way single-producer single-consumer
 * queue of fixed-size message slots in memory shared by exactly two shards.
 *
 * Design:
 *  - The shared part (struct vn_ring) holds only the two published indices and
 *    the two "sleeping" flags, each index on its own cache line, so the
 *    producer and consumer never write the same line.
 *  - Each side keeps a private endpoint (struct vn_tx / struct vn_rx) in its
 *    own memory, with its local index and a cached copy of the other side's
 *    index. The other side's line is only read when the cache says "full"
 *    (producer) or "empty" (consumer). In steady state a send or a receive is
 *    a few plain loads and stores: no syscall, no lock, no fence stronger than
 *    release/acquire.
 *  - Slots of a cache line or more (VN_RING_LINE): a send, single or
 *    burst, also asks for the line of each slot VN_RING_PREFETCH beyond
 *    those it fills, to be written (vn_tx_prefetch), so a send seldom waits
 *    with its stores held up for the line the consumer's CPU read last
 *    time round. The 8-byte hot path is unchanged.
 *  - Bursts copy a compile-time size below a line message by message
 *    (vn_ring_copy), not with one memcpy of the whole run.
 *  - Two slot layouts, chosen per channel (the spec's `slots`; both
 *    endpoints carry it as VN_EP_SEQ or not, a compile-time constant):
 *    packed, the messages back to back; and sequenced, each message
 *    followed by a sequence word (the message padded to 8 bytes, then the
 *    word), which the producer writes once the message is in and the
 *    consumer polls, in the line it reads next anyway, instead of head. A
 *    consumer that keeps up then no longer pulls head's line across for
 *    every message, nor the producer back for its next store: 64-byte
 *    singles run at about 2.5 times the rate. A burst is copied message by
 *    message instead (the slots are a stride apart; each word right after
 *    its message), its receive still by head, once a burst: 64-byte bursts
 *    run at about half the rate. Small messages, several to a line, pay head's
 *    line once for several, and the word would cost them more (bench/RESULTS.md).
 *    The producer still publishes head after the words, for host tools and
 *    bursts; a consumer may then be past the published head for a moment
 *    (by up to a ring's worth), and a producer starting up takes the words
 *    into account (vn_tx_resume). A peer that writes the words wrongly
 *    misleads only the endpoint reading them, within the ring, as it could
 *    with head.
 *  - Indices are free-running 64-bit counters (they do not wrap in centuries
 *    of messages); depth is a power of two, so (head - tail) is the fill
 *    level and index & (depth - 1) the slot.
 *  - Counters for host tools (vanity top) cost nothing on the hot path: the
 *    messages sent and received are the indices themselves; the stalls are
 *    counted where a send or receive already fails, the high-water mark
 *    where the producer re-reads the tail; each on the line its side
 *    already writes. Building
 *    with -DVN_RING_NO_STATS compiles those updates out (VN_RING_STAT), so a
 *    benchmark can measure what they cost.
 *  - Transit-time histograms, per channel (VN_EP_LATENCY, the spec's
 *    `latency: true`; a compile-time constant, so other channels pay
 *    nothing): the producer stamps each message with vn_clock() when it
 *    publishes it, in an array after the slots; the consumer, taking it,
 *    adds (now - stamp) to a histogram (vanity/hist.h) after the stamps,
 *    which it alone writes: one clock read per peek or per burst.
 *  - Notifications: a receiver in `yield` mode sets `rx_sleeping` before it
 *    sleeps. Only when the peer may sleep (VN_EP_NOTIFY, decided by the
 *    generator from the peer's mode) does a commit pay for a full fence and a
 *    check of that flag, and only when the flag is set does it enter the
 *    kernel (vn_notify). Between `poll` shards no fence is ever issued.
 *
 * Everything here is static inline (the hot path always: VN_RING_FN) and
 * portable C11; the one outside call is vn_notify(), supplied by the port's
 * shard library.
 *
 * The protocol (indices, cached copies, sleep flags, the notify rule, and
 * vn_wait's arm/recheck/sleep) is modelled in ring.pml next to this file and
 * checked with spin by tests/model (part of `make test`). Each step of the
 * model names the line of C it stands for, and the test checks those lines:
 * moving or changing the code below means updating the model.
 */
#ifndef VANITY_RING_H
#define VANITY_RING_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <vanity/atomic.h>
#include <vanity/clock.h>
#include <vanity/hist.h>

/* The hot path is always inlined: that is what folds an endpoint's
 * description (ring address, mask, size, flags) into immediates, and a
 * compiler left to judge a send by its size (the latency and counter code
 * in it is dead for most endpoints, but counted) may call it instead. */
#define VN_RING_FN static inline __attribute__((always_inline))

/* Two 64-byte lines: keeps adjacent-line prefetchers from pairing indices. */
#define VN_CACHELINE 128u

#define VN_RING_MAGIC 0x676e6952u /* "Ring" */

/* Offset of the first slot from the start of the shared region. */
#define VN_RING_SLOTS_OFFSET (3u * VN_CACHELINE)

/* Bytes from one slot to the next: packed, the message; sequenced (`seq`
 * nonzero), the message padded to 8 bytes, then its sequence word. */
#define VN_RING_STRIDE(msg_size, seq) \
	((seq) ? (((size_t)(msg_size) + 7u) & ~(size_t)7u) + 8u : (size_t)(msg_size))

/* Bytes of shared memory a channel needs (before page rounding). */
#define VN_RING_BYTES(msg_size, depth, seq) \
	(VN_RING_SLOTS_OFFSET + VN_RING_STRIDE(msg_size, seq) * (size_t)(depth))

/* A latency channel's extra parts, each on its own cache lines: the
 * producer's stamps (u64 clock ticks, one per slot), then the consumer's
 * histogram (struct vn_hist). */
#define VN_RING_ALIGN(n) (((n) + VN_CACHELINE - 1u) & ~(size_t)(VN_CACHELINE - 1u))
#define VN_RING_STAMPS_OFFSET(msg_size, depth, seq) \
	VN_RING_ALIGN(VN_RING_BYTES(msg_size, depth, seq))
#define VN_RING_HIST_OFFSET(msg_size, depth, seq) \
	VN_RING_ALIGN(VN_RING_STAMPS_OFFSET(msg_size, depth, seq) + 8u * (size_t)(depth))
#define VN_RING_LATENCY_BYTES(msg_size, depth, seq) \
	(VN_RING_HIST_OFFSET(msg_size, depth, seq) + sizeof(struct vn_hist))

/* The counter updates below: compiled out by -DVN_RING_NO_STATS. */
#ifdef VN_RING_NO_STATS
#define VN_RING_STAT(...) ((void)0)
#else
#define VN_RING_STAT(...) __VA_ARGS__
#endif

struct vn_ring {
	/* Written by the producer only: one past the last published slot. */
	_Alignas(VN_CACHELINE) _Atomic uint64_t head;
	/* The producer's counters, for host tools, on the line it owns (the
	 * messages it sent are head itself): */
	uint64_t tx_full;  /* sends and reserves that found the ring full */
	uint32_t tx_hwm;   /* the highest fill it saw re-reading the tail */
	/* Written by the consumer only: one past the last released slot. */
	_Alignas(VN_CACHELINE) _Atomic uint64_t tail;
	/* The consumer's counter, on its line (received: tail itself): */
	uint64_t rx_empty; /* receives and peeks that found the ring empty */
	/* Rarely written: set by a side that is about to sleep on this ring (a
	 * peer notifies while it is not 0; the hosted port's parked wait uses
	 * values besides 1: hosted.h). */
	_Alignas(VN_CACHELINE) _Atomic uint32_t rx_sleeping;
	_Atomic uint32_t tx_sleeping;
	/* What the channel is: written when the channel is created, and again
	 * before either of its shards (re)starts (vn_ring_describe); read and
	 * checked by host tools. Not by the shards: each can write it. */
	uint32_t magic;
	uint32_t msg_size;
	uint32_t depth;
	uint32_t stride; /* the slot layout: VN_RING_STRIDE(msg_size, seq) */
};

_Static_assert(sizeof(struct vn_ring) == VN_RING_SLOTS_OFFSET,
	       "ring header must be exactly three cache lines");

/* Endpoint flags. */
#define VN_EP_NOTIFY 1u  /* the peer may sleep: check its flag on publish */
#define VN_EP_LATENCY 2u /* stamp on publish (tx), histogram on take (rx) */
#define VN_EP_SEQ 4u     /* sequenced slots (both endpoints): see the top */

/*
 * An endpoint is split in two. The description (struct vn_tx / vn_rx) is
 * fixed at build time: the generator emits it as a `static const` object in
 * the shard's header, so after inlining the compiler folds the ring address,
 * mask, size and flags into immediates. Only the indices live in the mutable
 * state (struct vn_tx_state / vn_rx_state), private to the shard. A send is
 * then one load of the local head, a copy into the slot, and two stores.
 */
struct vn_tx_state {
	uint64_t head;        /* next slot to reserve (may run ahead of ring->head) */
	uint64_t limit;       /* ring->tail as last seen, plus the depth */
	uint64_t sealed;      /* VN_EP_SEQ: the positions below have their
				 sequence words (may run ahead of ring->head) */
	uint32_t starved;     /* a send or reserve found the ring full: vn_wait
				 waits for space here */
};

struct vn_rx_state {
	uint64_t tail;        /* next slot to peek (may run ahead of ring->tail) */
	uint64_t cached_head; /* ring->head as last seen */
};

/* Producer endpoint. */
struct vn_tx {
	struct vn_ring *ring;
	uint8_t *slots;
	uint32_t mask;     /* depth - 1 */
	uint32_t msg_size; /* bytes per message (a slot's: VN_RING_STRIDE) */
	uint32_t flags;    /* VN_EP_* */
	uint32_t channel;  /* system-wide channel id, for vn_notify() */
	struct vn_tx_state *st;
	uint64_t *stamps;      /* VN_EP_LATENCY: publish times, one per slot */
	struct vn_hist *hist;  /* VN_EP_LATENCY: the consumer's histogram */
};

/* Consumer endpoint. */
struct vn_rx {
	struct vn_ring *ring;
	uint8_t *slots;
	uint32_t mask;
	uint32_t msg_size;
	uint32_t flags;
	uint32_t channel;
	struct vn_rx_state *st;
	uint64_t *stamps;
	struct vn_hist *hist;
};

/*
 * Static initialisers used by generated code: the ring sits at a fixed address
 * in the shard's address space, so endpoints need no setup at run time.
 */
#define VN_TX_INIT(id, addr, size, dep, fl, state)                             \
	{                                                                      \
		.ring = (struct vn_ring *)(addr),                              \
		.slots = (uint8_t *)(addr) + VN_RING_SLOTS_OFFSET,             \
		.mask = (dep) - 1u, .msg_size = (size), .flags = (fl),         \
		.channel = (id), .st = (state),                                \
		.stamps = (uint64_t *)((uint8_t *)(addr) +                     \
				       VN_RING_STAMPS_OFFSET(size, dep,        \
							     (fl) & VN_EP_SEQ)), \
		.hist = (struct vn_hist *)((uint8_t *)(addr) +                 \
					   VN_RING_HIST_OFFSET(size, dep,      \
							       (fl) & VN_EP_SEQ)), \
	}
#define VN_RX_INIT(id, addr, size, dep, fl, state)                             \
	VN_TX_INIT(id, addr, size, dep, fl, state)

/* Port hook: wake the peer sleeping on `channel` (enters the kernel: a trap on
 * bare metal; on hosted, a request posted to the kernel without waiting). */
void vn_notify(uint32_t channel);

/* Write what describes the channel into its ring's header (kernel side):
 * when the ring is created, and again before either of its shards
 * (re)starts, since both can write the header and the host tools check
 * it (a starting shard does not: vn_attach_endpoints). `seq`: sequenced
 * slots (VN_EP_SEQ, or any nonzero value). Relaxed atomic stores: the
 * peer and host tools may be reading them meanwhile. */
static inline void vn_ring_describe(struct vn_ring *r, uint32_t msg_size, uint32_t depth,
				    uint32_t seq)
{
	__atomic_store_n(&r->magic, VN_RING_MAGIC, __ATOMIC_RELAXED);
	__atomic_store_n(&r->msg_size, msg_size, __ATOMIC_RELAXED);
	__atomic_store_n(&r->depth, depth, __ATOMIC_RELAXED);
	__atomic_store_n(&r->stride, (uint32_t)VN_RING_STRIDE(msg_size, seq), __ATOMIC_RELAXED);
}

/* Create an empty ring in freshly zeroed shared memory (kernel side). */
static inline void vn_ring_init(struct vn_ring *r, uint32_t msg_size, uint32_t depth,
				uint32_t seq)
{
	atomic_store_explicit(&r->head, 0, memory_order_relaxed);
	atomic_store_explicit(&r->tail, 0, memory_order_relaxed);
	atomic_store_explicit(&r->rx_sleeping, 0, memory_order_relaxed);
	atomic_store_explicit(&r->tx_sleeping, 0, memory_order_relaxed);
	vn_ring_describe(r, msg_size, depth, seq);
}

/* The slot of position `pos`, `stride` bytes apart (VN_RING_STRIDE), and
 * its sequence word (VN_EP_SEQ), which holds pos + 1 once the message at
 * pos is in it: never 0, a fresh ring's, and never what it held a lap
 * before. */
VN_RING_FN uint8_t *vn_ring_slot(uint8_t *slots, uint32_t mask, size_t stride, uint64_t pos)
{
	return slots + (size_t)(pos & mask) * stride;
}

VN_RING_FN _Atomic uint64_t *vn_ring_seq(uint8_t *slots, uint32_t mask, size_t stride,
					 uint64_t pos)
{
	return (_Atomic uint64_t *)(void *)(vn_ring_slot(slots, mask, stride, pos) + stride - 8u);
}

/* An endpoint's stride: a constant, where the endpoint is one. */
#define VN_EP_STRIDE(ep) VN_RING_STRIDE((ep)->msg_size, (ep)->flags & VN_EP_SEQ)

/* ---- producer ---------------------------------------------------------- */

/* Free slots from `head` (the producer's private index, passed in: read
 * before the acquire load below, it need not be read again after it),
 * refreshing the cached tail (kept as the limit it sets) only when it is
 * not enough. A consumer that keeps up has emptied the ring by then: the
 * whole depth is free, the fill (0) cannot raise the high-water mark, and
 * the refresh returns at once. */
VN_RING_FN uint32_t vn_tx_space_at(const struct vn_tx *tx, uint64_t head, uint32_t want)
{
	struct vn_tx_state *st = tx->st;
	uint32_t space = (uint32_t)(st->limit - head);

	if (space < want) {
		uint64_t tail = vn_load_acquire(&tx->ring->tail);

		st->limit = tail + tx->mask + 1u;
		if (tail == head)
			return tx->mask + 1u;
		space = (uint32_t)(st->limit - head);
		VN_RING_STAT(if (tx->mask + 1u - space > tx->ring->tx_hwm)
				     tx->ring->tx_hwm = tx->mask + 1u - space;);
		if (space == 0)
			st->starved = 1;
	}
	return space;
}

/* Free slots, refreshing the cached tail only when it is not enough. */
VN_RING_FN uint32_t vn_tx_space(const struct vn_tx *tx, uint32_t want)
{
	return vn_tx_space_at(tx, tx->st->head, want);
}

/* A cache line, as the slots see it: slots this size and up are
 * prefetched (vn_tx_reserve), bursts of smaller ones copied message by
 * message (vn_ring_copy). */
#define VN_RING_LINE 64u
/* How far ahead of the slot it fills the producer asks for a slot's line,
 * in slots: half the ring, at most VN_RING_PREFETCH. */
#define VN_RING_PREFETCH 32u

/* Ask for the line at p, to be written (the consumer's CPU holds it, read). */
VN_RING_FN void vn_ring_prefetch_w(const void *p)
{
#if defined(__x86_64__)
	/* PREFETCHW: GCC emits it only for -mprfchw, which the build does not
	 * assume, and turns __builtin_prefetch(p, 1) into a read prefetch */
	__asm__("prefetchw %0" : : "m"(*(const uint8_t *)p));
#else
	__builtin_prefetch(p, 1);
#endif
}

/* Copy n messages of `size` bytes between a burst's array and the slots.
 * A size the compiler knows, below VN_RING_LINE, is copied message
 * by message, each copy the few loads and stores it picks for that size;
 * otherwise one memcpy, a call that chooses its method by the length (which
 * cost 8-byte bursts a fifth of their rate, bench/RESULTS.md). Not in a
 * freestanding build (the bare-metal shards): there memcpy is no builtin,
 * and each message's copy would be a call. */
VN_RING_FN void vn_ring_copy(void *d, const void *s, uint32_t n, size_t size)
{
	if (__STDC_HOSTED__ && __builtin_constant_p(size) && size < VN_RING_LINE) {
		for (uint32_t i = 0; i < n; i++)
			memcpy((uint8_t *)d + (size_t)i * size,
			       (const uint8_t *)s + (size_t)i * size, size);
		return;
	}
	memcpy(d, s, (size_t)n * size);
}

/* A send is about to fill the n slots from `head`, with `space` free.
 * Slots of a cache line or more are then written with their
 * line already the producer's more often than not: for each slot a send
 * fills, it asks for the line of the slot VN_RING_PREFETCH ahead (at most
 * half the ring), when the ring is known to have room that far (so never
 * one the consumer has still to read), while the consumer's CPU, which
 * read it last time round, still holds it. Without it every such send
 * waited for its lines with its stores held up behind (64-byte singles
 * +40 %, bursts of 32 about +10 %: bench/RESULTS.md). */
VN_RING_FN void vn_tx_prefetch(const struct vn_tx *tx, uint64_t head, uint32_t n,
			       uint32_t space)
{
	uint32_t half = (tx->mask + 1u) / 2u;
	uint32_t ahead = half < VN_RING_PREFETCH ? half : VN_RING_PREFETCH;

	if (VN_EP_STRIDE(tx) < VN_RING_LINE || space < ahead + n)
		return;
	for (uint32_t i = 0; i < n; i++)
		vn_ring_prefetch_w(vn_ring_slot(tx->slots, tx->mask, VN_EP_STRIDE(tx),
						head + ahead + i));
}

/* Zero-copy: the next free slot, or NULL when the ring is full. Slots
 * reserved so far become visible to the consumer at the next commit. */
VN_RING_FN void *vn_tx_reserve(const struct vn_tx *tx)
{
	uint64_t head = tx->st->head;
	uint32_t space = vn_tx_space_at(tx, head, 1);

	if (space == 0) {
		VN_RING_STAT(tx->ring->tx_full++);
		return NULL;
	}
	vn_tx_prefetch(tx, head, 1, space);
	tx->st->head = head + 1; /* tx->st->head++ */
	return vn_ring_slot(tx->slots, tx->mask, VN_EP_STRIDE(tx), head);
}

/* VN_EP_LATENCY: stamp the slots from the published head up to `head`: a
 * ring's worth at most, whatever the consumer wrote over the published one. */
static inline void vn_tx_stamp(const struct vn_tx *tx, uint64_t head)
{
	uint64_t h = atomic_load_explicit(&tx->ring->head, memory_order_relaxed);
	uint64_t now = vn_clock(), n = head - h <= tx->mask + 1u ? head - h : tx->mask + 1u;

	for (h = head - n; h != head; h++)
		tx->stamps[h & tx->mask] = now;
}

/* VN_EP_SEQ: write the sequence words of the slots from the last sealed
 * up to `head`, each after its message (release), in order: a message is
 * the consumer's once its word is written. */
VN_RING_FN void vn_tx_seal(const struct vn_tx *tx, uint64_t head)
{
	for (uint64_t p = tx->st->sealed; p != head; p++)
		vn_store_release(vn_ring_seq(tx->slots, tx->mask, VN_EP_STRIDE(tx), p), p + 1);
	tx->st->sealed = head;
}

/* A producer taking up the ring at the published head: VN_EP_SEQ, the
 * position after the messages a predecessor sealed but did not publish
 * (it stopped between the two), which are the consumer's already; else
 * `head`. */
static inline uint64_t vn_tx_resume(const struct vn_tx *tx, uint64_t head)
{
	uint64_t h = head;

	if (tx->flags & VN_EP_SEQ)
		while (h - head <= tx->mask &&
		       vn_load_acquire(vn_ring_seq(tx->slots, tx->mask, VN_EP_STRIDE(tx), h)) ==
			       h + 1)
			h++;
	return h;
}

/* Make slots up to `head` visible to the consumer; wake it if it sleeps. */
VN_RING_FN void vn_tx_publish(const struct vn_tx *tx, uint64_t head)
{
	if (tx->flags & VN_EP_LATENCY)
		vn_tx_stamp(tx, head);
	if (tx->flags & VN_EP_SEQ)
		vn_tx_seal(tx, head);
	vn_store_release(&tx->ring->head, head);
	if (tx->flags & VN_EP_NOTIFY) {
		/* Pairs with the fence in vn_rx_arm(): either the consumer sees
		 * the new head (or sequence word), or we see its sleeping flag. */
		atomic_thread_fence(memory_order_seq_cst);
		if (atomic_load_explicit(&tx->ring->rx_sleeping,
					 memory_order_relaxed))
			vn_notify(tx->channel);
	}
}

/* Publish every reserved slot. */
VN_RING_FN void vn_tx_commit(const struct vn_tx *tx)
{
	vn_tx_publish(tx, tx->st->head);
}

VN_RING_FN bool vn_tx_send(const struct vn_tx *tx, const void *msg, size_t size)
{
	void *slot = vn_tx_reserve(tx);

	if (!slot)
		return false;
	memcpy(slot, msg, size);
	vn_tx_commit(tx);
	return true;
}

/* Copy up to n messages from the array `msgs`; returns how many were sent.
 * One publish (and at most one notification) for the whole burst. */
VN_RING_FN uint32_t vn_tx_send_burst(const struct vn_tx *tx, const void *msgs,
				    uint32_t n, size_t size)
{
	uint64_t head = tx->st->head;
	uint32_t space = vn_tx_space_at(tx, head, n);
	uint32_t idx, first;

	/* A ring's worth at most, whatever the peer wrote into tail: the copy
	 * below wraps once at most. */
	if (space > tx->mask + 1u)
		space = tx->mask + 1u;
	/* Cut short, the send leaves the ring full: vn_wait is then to wait for
	 * space for the rest, as after a send that placed nothing. */
	if (n > space) {
		n = space;
		tx->st->starved = 1;
	}
	if (n == 0) {
		VN_RING_STAT(tx->ring->tx_full++);
		return 0;
	}
	vn_tx_prefetch(tx, head, n, space);
	if (tx->flags & VN_EP_SEQ) {
		/* One by one, each word right after its message while its lines
		 * are the producer's, in order after any reserved slot's; a latency
		 * channel's at the publish instead, after its stamps. */
		bool seal = !(tx->flags & VN_EP_LATENCY);

		if (seal)
			vn_tx_seal(tx, head);
		for (uint32_t i = 0; i < n; i++) {
			memcpy(vn_ring_slot(tx->slots, tx->mask, VN_EP_STRIDE(tx), head + i),
			       (const uint8_t *)msgs + (size_t)i * size, size);
			if (seal)
				vn_store_release(vn_ring_seq(tx->slots, tx->mask,
							     VN_EP_STRIDE(tx), head + i),
						 head + i + 1);
		}
		if (seal)
			tx->st->sealed = head + n;
	} else {
		idx = (uint32_t)(head & tx->mask);
		first = tx->mask + 1u - idx;
		if (first > n)
			first = n;
		vn_ring_copy(tx->slots + (size_t)idx * size, msgs, first, size);
		if (first < n)
			vn_ring_copy(tx->slots, (const uint8_t *)msgs + (size_t)first * size,
				     n - first, size);
	}
	tx->st->head = head + n; /* tx->st->head += n */
	vn_tx_publish(tx, head + n);
	return n;
}

/* ---- consumer ---------------------------------------------------------- */

/* VN_EP_SEQ: messages available from `tail`, up to `want` (and a ring's
 * worth): the sealed slots in a row from there. Each word read is in the
 * line of the message it guards, which the consumer reads next; acquire,
 * so the message read after it is the one it guards. */
VN_RING_FN uint32_t vn_rx_sealed(const struct vn_rx *rx, uint64_t tail, uint32_t want)
{
	uint32_t n = 0, most = want < rx->mask + 1u ? want : rx->mask + 1u;

	while (n < most &&
	       vn_load_acquire(vn_ring_seq(rx->slots, rx->mask, VN_EP_STRIDE(rx), tail + n)) ==
		       tail + n + 1)
		n++;
	return n;
}

/* Messages available from `tail` (the consumer's private index, passed in
 * as vn_tx_space_at's head is), refreshing the cached head only when it is
 * not enough; sequenced (VN_EP_SEQ), at most `want`, read from the slots;
 * for `want` 1, 1 or 0. The cache may be behind tail (below): the two are
 * compared as values, as 64-bit counters that do not wrap allow. */
VN_RING_FN uint32_t vn_rx_avail_at(const struct vn_rx *rx, uint64_t tail, uint32_t want)
{
	struct vn_rx_state *st = rx->st;
	uint64_t cached = st->cached_head, head;

	if (rx->flags & VN_EP_SEQ)
		return vn_rx_sealed(rx, tail, want);
	if (cached > tail && (want == 1 || cached - tail >= want))
		return want == 1 ? 1 : (uint32_t)(cached - tail);
	head = vn_load_acquire(&rx->ring->head);
	/* Just the message a single receive asks for: not cached, as taking
	 * it would use the cache up (which then stays behind tail). A consumer
	 * that keeps up, finding one message at a time, stores once fewer. */
	if (want == 1 && head == tail + 1)
		return 1;
	st->cached_head = head;
	if (head <= tail) /* or a head the peer wrote behind tail */
		return 0;
	return want == 1 ? 1 : (uint32_t)(head - tail);
}

/* Messages available, refreshing the cached head only when it is not enough. */
VN_RING_FN uint32_t vn_rx_avail(const struct vn_rx *rx, uint32_t want)
{
	return vn_rx_avail_at(rx, rx->st->tail, want);
}

/* VN_EP_LATENCY: add the transit times of slots t .. t + n - 1, taken at
 * `now`, to the histogram (before they are released: the stamps too are
 * the producer's again after that). A stamp after now (clocks of two CPUs
 * a few ticks apart) counts as 0. */
static inline void vn_rx_time(const struct vn_rx *rx, uint64_t t, uint32_t n, uint64_t now)
{
	for (uint32_t i = 0; i < n; i++) {
		uint64_t d = now - rx->stamps[(t + i) & rx->mask];

		vn_hist_add(rx->hist, (int64_t)d < 0 ? 0 : d);
	}
}

/* Zero-copy: the oldest message not yet peeked, or NULL when there is none.
 * The slot stays valid until vn_rx_release(). */
VN_RING_FN const void *vn_rx_peek(const struct vn_rx *rx)
{
	uint64_t t = rx->st->tail;

	if (vn_rx_avail_at(rx, t, 1) == 0) {
		VN_RING_STAT(rx->ring->rx_empty++);
		return NULL;
	}
	rx->st->tail = t + 1; /* rx->st->tail++ */

	if (rx->flags & VN_EP_LATENCY)
		vn_rx_time(rx, t, 1, vn_clock());
	return vn_ring_slot(rx->slots, rx->mask, VN_EP_STRIDE(rx), t);
}

/* Hand slots up to `tail` back to the producer; wake it if it sleeps. */
VN_RING_FN void vn_rx_publish(const struct vn_rx *rx, uint64_t tail)
{
	vn_store_release(&rx->ring->tail, tail);
	if (rx->flags & VN_EP_NOTIFY) {
		atomic_thread_fence(memory_order_seq_cst);
		if (atomic_load_explicit(&rx->ring->tx_sleeping,
					 memory_order_relaxed))
			vn_notify(rx->channel);
	}
}

/* Hand every peeked slot back. */
VN_RING_FN void vn_rx_release(const struct vn_rx *rx)
{
	vn_rx_publish(rx, rx->st->tail);
}

VN_RING_FN bool vn_rx_recv(const struct vn_rx *rx, void *msg, size_t size)
{
	const void *slot = vn_rx_peek(rx);

	if (!slot)
		return false;
	memcpy(msg, slot, size);
	vn_rx_release(rx);
	return true;
}

VN_RING_FN uint32_t vn_rx_recv_burst(const struct vn_rx *rx, void *msgs,
				    uint32_t n, size_t size)
{
	uint64_t tail = rx->st->tail;
	uint32_t avail, idx, first;

	if (rx->flags & VN_EP_SEQ) { /* whole bursts by head */
		avail = (uint32_t)(rx->st->cached_head - tail);
		if ((int64_t)(rx->st->cached_head - tail) < (int64_t)n) {
			rx->st->cached_head = vn_load_acquire(&rx->ring->head);
			avail = (int64_t)(rx->st->cached_head - tail) > 0
					? (uint32_t)(rx->st->cached_head - tail) : 0;
		}
		/* Head behind the words (a producer stopped between the two, or
		 * a consumer ahead of it by single receives): what vn_wait sees. */
		if (avail == 0)
			avail = vn_rx_sealed(rx, tail, n);
	} else {
		avail = vn_rx_avail_at(rx, tail, n);
	}
	if (avail > rx->mask + 1u) /* whatever the peer wrote into head */
		avail = rx->mask + 1u;
	if (n > avail)
		n = avail;
	if (rx->flags & VN_EP_SEQ) { /* slots apart by a stride: one by one */
		for (uint32_t i = 0; i < n; i++)
			memcpy((uint8_t *)msgs + (size_t)i * size,
			       vn_ring_slot(rx->slots, rx->mask, VN_EP_STRIDE(rx), tail + i),
			       size);
	} else {
		idx = (uint32_t)(tail & rx->mask);
		first = rx->mask + 1u - idx;
		if (first > n)
			first = n;
		vn_ring_copy(msgs, rx->slots + (size_t)idx * size, first, size);
		if (first < n)
			vn_ring_copy((uint8_t *)msgs + (size_t)first * size, rx->slots,
				     n - first, size);
	}
	if (n == 0) {
		VN_RING_STAT(rx->ring->rx_empty++);
		return 0;
	}
	if (rx->flags & VN_EP_LATENCY)
		vn_rx_time(rx, tail, n, vn_clock());
	rx->st->tail = tail + n; /* rx->st->tail += n */
	vn_rx_publish(rx, tail + n);
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
static inline bool vn_rx_arm(const struct vn_rx *rx)
{
	vn_store_relaxed32(&rx->ring->rx_sleeping, 1);
	atomic_thread_fence(memory_order_seq_cst);
	return vn_rx_avail(rx, 1) != 0;
}

static inline void vn_rx_disarm(const struct vn_rx *rx)
{
	vn_store_relaxed32(&rx->ring->rx_sleeping, 0);
}

/* For a producer waiting for space: true when there is space already. */
static inline bool vn_tx_arm(const struct vn_tx *tx)
{
	vn_store_relaxed32(&tx->ring->tx_sleeping, 1);
	atomic_thread_fence(memory_order_seq_cst);
	return vn_tx_space(tx, 1) != 0;
}

static inline void vn_tx_disarm(const struct vn_tx *tx)
{
	vn_store_relaxed32(&tx->ring->tx_sleeping, 0);
}

#endif /* VANITY_RING_H */
