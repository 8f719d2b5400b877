/*
 * test_ring.c - the channel ring (runtime/include/vanity/ring.h), single
 * threaded: every index path, wraparound, bursts, zero-copy, notify rules,
 * the counters in its header and the transit-time histogram
 * (VN_EP_LATENCY), and a starting shard's taking up of its rings
 * (runtime/lib/attach.c, linked in). run.sh builds it three times: as is, with
 * -DVN_RING_NO_STATS, where the counters must stay 0, and with sequenced
 * slots (-DSEQ=VN_EP_SEQ) of 60-byte messages (72-byte slots: the message
 * padded to 64, then its sequence word).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include <vanity.h>
#include <vanity/config.h>
#include <vanity/ring.h>

#ifndef MSG
#define MSG 24u
#endif
#ifndef SEQ
#define SEQ 0u /* or VN_EP_SEQ: both endpoints' layout */
#endif
#define DEPTH 8u

static unsigned notified;
static uint32_t notified_channel;

/* The port hook the ring calls: here it only counts. */
void vn_notify(uint32_t channel)
{
	notified++;
	notified_channel = channel;
}

struct pair {
	void *mem;
	struct vn_tx tx;
	struct vn_rx rx;
	struct vn_tx_state tx_st;
	struct vn_rx_state rx_st;
};

static struct pair *pair_new(uint32_t msg, uint32_t depth, uint32_t tx_flags,
			     uint32_t rx_flags)
{
	struct pair *p = calloc(1, sizeof(*p));
	size_t bytes = VN_RING_LATENCY_BYTES(msg, depth, SEQ);

	p->mem = aligned_alloc(VN_CACHELINE,
			       (bytes + VN_CACHELINE - 1) & ~(size_t)(VN_CACHELINE - 1));
	memset(p->mem, 0, bytes);
	vn_ring_init(p->mem, msg, depth, SEQ);
	p->tx = (struct vn_tx)VN_TX_INIT(3, p->mem, msg, depth, tx_flags | SEQ, &p->tx_st);
	p->rx = (struct vn_rx)VN_RX_INIT(3, p->mem, msg, depth, rx_flags | SEQ, &p->rx_st);
	notified = 0;
	return p;
}

static int teardown(void **state)
{
	struct pair *p = *state;

	free(p->mem);
	free(p);
	return 0;
}

static int setup(void **state)
{
	*state = pair_new(MSG, DEPTH, 0, 0);
	return 0;
}

static void fill(uint8_t *m, uint32_t seq)
{
	for (uint32_t i = 0; i < MSG; i++)
		m[i] = (uint8_t)(seq * 31u + i);
}

static void check(const uint8_t *m, uint32_t seq)
{
	uint8_t want[MSG];

	fill(want, seq);
	assert_memory_equal(m, want, MSG);
}

static void test_empty(void **state)
{
	struct pair *p = *state;
	uint8_t m[MSG];

	assert_false(vn_rx_recv(&p->rx, m, MSG));
	assert_null(vn_rx_peek(&p->rx));
	assert_int_equal(vn_rx_avail(&p->rx, UINT32_MAX), 0);
	assert_int_equal(vn_tx_space(&p->tx, UINT32_MAX), DEPTH);
	assert_int_equal(vn_rx_recv_burst(&p->rx, m, 1, MSG), 0);
}

static void test_full_at_depth(void **state)
{
	struct pair *p = *state;
	uint8_t m[MSG];

	for (uint32_t i = 0; i < DEPTH; i++) {
		fill(m, i);
		assert_true(vn_tx_send(&p->tx, m, MSG));
	}
	assert_int_equal(p->tx_st.starved, 0);
	assert_false(vn_tx_send(&p->tx, m, MSG));
	assert_int_equal(p->tx_st.starved, 1); /* vn_wait now waits for space */
	assert_null(vn_tx_reserve(&p->tx));
	assert_int_equal(vn_tx_space(&p->tx, 1), 0);
	assert_int_equal(vn_rx_avail(&p->rx, UINT32_MAX), DEPTH);
	/* One slot freed: exactly one more send fits. */
	assert_true(vn_rx_recv(&p->rx, m, MSG));
	check(m, 0);
	fill(m, DEPTH);
	assert_true(vn_tx_send(&p->tx, m, MSG));
	assert_false(vn_tx_send(&p->tx, m, MSG));
}

/* Many laps with a fill level that changes each lap, so every slot and the
 * 32-bit index wrap (started near UINT32_MAX) are crossed. */
static void test_wraparound(void **state)
{
	struct pair *p = *state;
	uint32_t sent = 0, got = 0, start = UINT32_MAX - 50;
	uint8_t m[MSG];

	atomic_store(&p->tx.ring->head, start);
	atomic_store(&p->tx.ring->tail, start);
	p->tx_st.head = p->tx_st.sealed = start;
	p->tx_st.limit = start + DEPTH;
	p->rx_st.tail = p->rx_st.cached_head = start;
	for (uint32_t lap = 0; lap < 1000; lap++) {
		uint32_t n = lap % (DEPTH + 1);

		for (uint32_t i = 0; i < n; i++) {
			fill(m, sent);
			if (!vn_tx_send(&p->tx, m, MSG))
				break;
			sent++;
		}
		while (got < sent && (lap & 1 || sent - got > DEPTH / 2)) {
			assert_true(vn_rx_recv(&p->rx, m, MSG));
			check(m, got++);
		}
	}
	while (vn_rx_recv(&p->rx, m, MSG))
		check(m, got++);
	assert_int_equal(got, sent);
	assert_true(sent > 2000);
}

static void test_burst_across_wrap(void **state)
{
	struct pair *p = *state;
	uint8_t in[DEPTH + 3][MSG], out[DEPTH + 3][MSG];
	uint32_t seq = 0, got = 0;

	for (uint32_t i = 0; i < DEPTH + 3; i++)
		fill(in[i], i);
	/* Move the indices to 5 so an 8-burst wraps after 3 slots. */
	assert_int_equal(vn_tx_send_burst(&p->tx, in, 5, MSG), 5);
	assert_int_equal(vn_rx_recv_burst(&p->rx, out, 5, MSG), 5);
	seq = got = 5;
	for (uint32_t i = 0; i < DEPTH + 3; i++)
		fill(in[i], seq + i);
	/* Partial: only DEPTH fit, and the rest waits for space (vn_wait). */
	assert_int_equal(p->tx_st.starved, 0);
	assert_int_equal(vn_tx_send_burst(&p->tx, in, DEPTH + 3, MSG), DEPTH);
	assert_int_equal(p->tx_st.starved, 1);
	assert_int_equal(vn_tx_send_burst(&p->tx, in, 1, MSG), 0);
	/* Partial receive, then the rest. */
	assert_int_equal(vn_rx_recv_burst(&p->rx, out, 3, MSG), 3);
	assert_int_equal(vn_rx_recv_burst(&p->rx, out[3], DEPTH + 3, MSG), DEPTH - 3);
	for (uint32_t i = 0; i < DEPTH; i++)
		check(out[i], got + i);
	assert_int_equal(vn_rx_recv_burst(&p->rx, out, 4, MSG), 0);
}

static void test_zero_copy(void **state)
{
	struct pair *p = *state;
	uint8_t *slot[DEPTH];
	const uint8_t *r;

	for (uint32_t k = 0; k < 3; k++) {
		slot[k] = vn_tx_reserve(&p->tx);
		assert_non_null(slot[k]);
		fill(slot[k], k);
	}
	/* Reserved is not published. */
	assert_int_equal(vn_rx_avail(&p->rx, UINT32_MAX), 0);
	vn_tx_commit(&p->tx);
	assert_int_equal(vn_rx_avail(&p->rx, UINT32_MAX), 3);
	for (uint32_t k = 0; k < 3; k++) {
		r = vn_rx_peek(&p->rx);
		assert_non_null(r);
		check(r, k);
	}
	assert_null(vn_rx_peek(&p->rx));
	/* Peeked is not released: the producer still sees those slots used. */
	assert_int_equal(vn_tx_space(&p->tx, UINT32_MAX), DEPTH - 3);
	vn_rx_release(&p->rx);
	assert_int_equal(vn_tx_space(&p->tx, UINT32_MAX), DEPTH);
	/* Reserve runs out at exactly depth. */
	for (uint32_t k = 0; k < DEPTH; k++)
		assert_non_null(vn_tx_reserve(&p->tx));
	assert_null(vn_tx_reserve(&p->tx));
}

/* Notify only when the endpoint may notify AND the peer's flag is set. */
static void test_notify_rules(void **state)
{
	struct pair *p;
	uint8_t m[MSG] = {0};

	(void)state;
	p = pair_new(MSG, DEPTH, 0, 0);
	atomic_store(&p->tx.ring->rx_sleeping, 1);
	atomic_store(&p->tx.ring->tx_sleeping, 1);
	assert_true(vn_tx_send(&p->tx, m, MSG));
	assert_true(vn_rx_recv(&p->rx, m, MSG));
	assert_int_equal(notified, 0); /* no VN_EP_NOTIFY: never */
	teardown((void **)&p);

	p = pair_new(MSG, DEPTH, VN_EP_NOTIFY, VN_EP_NOTIFY);
	assert_true(vn_tx_send(&p->tx, m, MSG));
	assert_true(vn_rx_recv(&p->rx, m, MSG));
	assert_int_equal(notified, 0); /* nobody asleep */
	atomic_store(&p->tx.ring->rx_sleeping, 1);
	assert_true(vn_tx_send(&p->tx, m, MSG));
	assert_int_equal(notified, 1);
	assert_int_equal(notified_channel, 3);
	assert_true(vn_rx_recv(&p->rx, m, MSG));
	assert_int_equal(notified, 1); /* tx side not asleep */
	atomic_store(&p->tx.ring->tx_sleeping, 1);
	assert_true(vn_rx_recv(&p->rx, m, MSG) == false);
	assert_true(vn_tx_send(&p->tx, m, MSG));
	assert_true(vn_rx_recv(&p->rx, m, MSG));
	assert_int_equal(notified, 3); /* one for the send, one for the release */
	/* A burst notifies once. */
	uint8_t b[4][MSG] = {{0}};
	assert_int_equal(vn_tx_send_burst(&p->tx, b, 4, MSG), 4);
	assert_int_equal(notified, 4);
	teardown((void **)&p);
}

static void test_arm_disarm(void **state)
{
	struct pair *p = *state;
	uint8_t m[MSG] = {0};

	assert_false(vn_rx_arm(&p->rx)); /* empty: go to sleep */
	assert_int_equal(atomic_load(&p->rx.ring->rx_sleeping), 1);
	vn_rx_disarm(&p->rx);
	assert_int_equal(atomic_load(&p->rx.ring->rx_sleeping), 0);
	assert_true(vn_tx_send(&p->tx, m, MSG));
	assert_true(vn_rx_arm(&p->rx)); /* a message: do not sleep */
	vn_rx_disarm(&p->rx);
	assert_true(vn_tx_arm(&p->tx)); /* space: do not sleep */
	vn_tx_disarm(&p->tx);
	for (uint32_t i = 1; i < DEPTH; i++)
		assert_true(vn_tx_send(&p->tx, m, MSG));
	assert_false(vn_tx_arm(&p->tx)); /* full: sleep */
	assert_int_equal(atomic_load(&p->tx.ring->tx_sleeping), 1);
	vn_tx_disarm(&p->tx);
	assert_int_equal(atomic_load(&p->tx.ring->tx_sleeping), 0);
}

#ifdef VN_RING_NO_STATS
#define STAT(v) 0
#else
#define STAT(v) (v)
#endif

/* The header's counters, or (VN_RING_NO_STATS) none of them. */
static void test_counters(void **state)
{
	struct pair *p = *state;
	uint8_t m[MSG] = {0};

	assert_false(vn_rx_recv(&p->rx, m, MSG));
	assert_int_equal(p->rx.ring->rx_empty, STAT(1));
	for (uint32_t i = 0; i < DEPTH; i++)
		assert_true(vn_tx_send(&p->tx, m, MSG));
	assert_false(vn_tx_send(&p->tx, m, MSG));
	assert_int_equal(p->tx.ring->tx_full, STAT(1));
	assert_int_equal(p->tx.ring->tx_hwm, STAT(DEPTH));
	/* The indices are the message counts, past 32 bits too. */
	p->tx_st.head = p->rx_st.tail = p->rx_st.cached_head = UINT32_MAX;
	p->tx_st.limit = UINT32_MAX + (uint64_t)DEPTH;
	p->tx_st.sealed = UINT32_MAX;
	atomic_store(&p->tx.ring->head, UINT32_MAX);
	atomic_store(&p->rx.ring->tail, UINT32_MAX);
	assert_true(vn_tx_send(&p->tx, m, MSG));
	assert_true(vn_tx_send(&p->tx, m, MSG));
	assert_int_equal(atomic_load(&p->tx.ring->head), (UINT64_C(1) << 32) + 1);
	assert_true(vn_rx_recv(&p->rx, m, MSG));
	assert_int_equal(atomic_load(&p->rx.ring->tail), UINT64_C(1) << 32);
}

/* The bucket function at every bucket edge, and its relative error. */
static void test_hist_buckets(void **state)
{
	(void)state;
	for (uint64_t v = 0; v < 16; v++)
		assert_int_equal(vn_hist_bucket(v), v);
	for (uint32_t e = 4; e < VN_HIST_BITS; e++)
		for (uint64_t sub = 0; sub < 8; sub++) {
			uint64_t lo = (8 + sub) << (e - 3), width = 1ull << (e - 3);
			uint32_t b = (e - 2) * 8 + (uint32_t)sub;

			assert_int_equal(vn_hist_bucket(lo), b);
			assert_int_equal(vn_hist_bucket(lo + width - 1), b);
			assert_int_equal(vn_hist_bucket(lo - 1), b - 1);
			assert_true(width * 8 <= lo); /* width <= 12.5 % of the edge */
		}
	assert_int_equal(vn_hist_bucket((1ull << VN_HIST_BITS) - 1), VN_HIST_BUCKETS - 2);
	assert_int_equal(vn_hist_bucket(1ull << VN_HIST_BITS), VN_HIST_BUCKETS - 1);
	assert_int_equal(vn_hist_bucket(UINT64_MAX), VN_HIST_BUCKETS - 1);
}

/* Every message taken, by any path, is timed once; none without the flag. */
static void test_latency(void **state)
{
	struct pair *p = pair_new(MSG, DEPTH, VN_EP_LATENCY, VN_EP_LATENCY);
	const struct vn_hist *h = p->rx.hist;
	uint8_t m[MSG] = {0}, b[5][MSG];
	uint32_t sent = 0;

	(void)state;
	assert_ptr_equal((uint8_t *)p->tx.stamps,
			 (uint8_t *)p->mem + VN_RING_STAMPS_OFFSET(MSG, DEPTH, SEQ));
	assert_true((uintptr_t)h % VN_CACHELINE == 0);
	for (uint32_t round = 0; round < 20; round++) {
		/* copy, burst (across the wrap) and zero-copy sends */
		assert_true(vn_tx_send(&p->tx, m, MSG));
		assert_int_equal(vn_tx_send_burst(&p->tx, b, 5, MSG), 5);
		void *slot = vn_tx_reserve(&p->tx);

		assert_non_null(slot);
		assert_non_null(vn_tx_reserve(&p->tx));
		vn_tx_commit(&p->tx);
		sent += 8;
		assert_int_equal(vn_hist_count(h), sent - 8); /* stamped, not yet timed */
		assert_true(vn_rx_recv(&p->rx, m, MSG));
		assert_int_equal(vn_rx_recv_burst(&p->rx, b, 5, MSG), 5);
		assert_non_null(vn_rx_peek(&p->rx));
		assert_non_null(vn_rx_peek(&p->rx));
		vn_rx_release(&p->rx);
		assert_int_equal(vn_hist_count(h), sent);
	}
	assert_true(h->max >= h->sum / sent);
	assert_int_equal(h->reserved0, 0);
	teardown((void **)&p);

	p = pair_new(MSG, DEPTH, 0, 0);
	assert_true(vn_tx_send(&p->tx, m, MSG));
	assert_true(vn_rx_recv(&p->rx, m, MSG));
	assert_int_equal(vn_hist_count((struct vn_hist *)((uint8_t *)p->mem +
							  VN_RING_HIST_OFFSET(MSG, DEPTH, SEQ))),
			 0);
	teardown((void **)&p);
}

/* The slot layout, and a producer stopped between a message's sequence
 * word and its head (sequenced slots; packed: only that the layout is the
 * plain one and a resuming producer starts at head). */
static void test_sequence_words(void **state)
{
	struct pair *p = *state;
	uint8_t m[MSG] = {0}, *slot;
	uint64_t head;

	if (!SEQ) {
		assert_int_equal(VN_RING_STRIDE(MSG, SEQ), MSG);
		assert_true(vn_tx_send(&p->tx, m, MSG));
		assert_int_equal(vn_tx_resume(&p->tx, 0), 0);
		return;
	}
	assert_int_equal(VN_RING_STRIDE(MSG, SEQ), (MSG + 7u) / 8u * 8u + 8u);
	assert_int_equal(VN_RING_BYTES(MSG, DEPTH, SEQ),
			 VN_RING_SLOTS_OFFSET + DEPTH * VN_RING_STRIDE(MSG, SEQ));
	/* Written but not sealed: not there. Sealed: there, before head is. */
	slot = vn_tx_reserve(&p->tx);
	assert_ptr_equal(slot, (uint8_t *)p->mem + VN_RING_SLOTS_OFFSET);
	fill(slot, 0);
	assert_int_equal(vn_rx_avail(&p->rx, UINT32_MAX), 0);
	vn_tx_seal(&p->tx, p->tx_st.head);
	assert_int_equal(atomic_load(vn_ring_seq(p->tx.slots, p->tx.mask, VN_EP_STRIDE(&p->tx), 0)),
			 1);
	assert_int_equal(atomic_load(&p->tx.ring->head), 0);
	assert_int_equal(vn_rx_avail(&p->rx, UINT32_MAX), 1);
	/* The producer stops here; the consumer takes the message, one past the
	 * published head. */
	assert_true(vn_rx_recv(&p->rx, m, MSG));
	check(m, 0);
	assert_int_equal(atomic_load(&p->rx.ring->tail), 1);
	/* Its successor starts after the message, not on it (attach.c). */
	memset(&p->tx_st, 0, sizeof(p->tx_st));
	head = vn_tx_resume(&p->tx, atomic_load(&p->tx.ring->head));
	assert_int_equal(head, 1);
	p->tx_st.head = p->tx_st.sealed = head;
	p->tx_st.limit = atomic_load(&p->tx.ring->tail) + DEPTH;
	for (uint32_t i = 1; i <= DEPTH; i++) {
		fill(m, i);
		assert_true(vn_tx_send(&p->tx, m, MSG));
	}
	assert_false(vn_tx_send(&p->tx, m, MSG));
	/* Each word guards its own lap: a ring's worth in order, then none. */
	for (uint32_t i = 1; i <= DEPTH; i++) {
		assert_true(vn_rx_recv(&p->rx, m, MSG));
		check(m, i);
	}
	assert_false(vn_rx_recv(&p->rx, m, MSG));
	assert_int_equal(vn_rx_avail(&p->rx, UINT32_MAX), 0);
	/* A resume with nothing sealed past head stays at head. */
	assert_int_equal(vn_tx_resume(&p->tx, atomic_load(&p->tx.ring->head)), DEPTH + 1);
	/* A burst receive sees what the words say when head lags them. */
	slot = vn_tx_reserve(&p->tx);
	fill(slot, DEPTH + 1);
	vn_tx_seal(&p->tx, p->tx_st.head);
	assert_int_equal(vn_rx_recv_burst(&p->rx, m, 1, MSG), 1);
	check(m, DEPTH + 1);
	vn_tx_commit(&p->tx);
	/* A reserved slot is sealed by the next publish, a burst's too. */
	uint8_t b[2][MSG];

	slot = vn_tx_reserve(&p->tx);
	fill(slot, DEPTH + 2);
	fill(b[0], DEPTH + 3);
	fill(b[1], DEPTH + 4);
	assert_int_equal(vn_tx_send_burst(&p->tx, b, 2, MSG), 2);
	for (uint32_t i = DEPTH + 2; i <= DEPTH + 4; i++) {
		assert_true(vn_rx_recv(&p->rx, m, MSG));
		check(m, i);
	}
	assert_false(vn_rx_recv(&p->rx, m, MSG));
}

/* A peer that writes a tail ahead of head, or a head far ahead of tail:
 * a burst of more than the ring still touches nothing past the slots (the
 * stamps after them stay as they were, all zero here). */
static void test_hostile_indices(void **state)
{
	struct pair *p = *state;
	uint8_t in[DEPTH * 3][MSG] = {{0}}, out[DEPTH * 3][MSG];
	const uint8_t *after = (uint8_t *)p->mem + VN_RING_STAMPS_OFFSET(MSG, DEPTH, SEQ);
	uint8_t zero[8 * DEPTH] = {0};

	atomic_store(&p->rx.ring->tail, 1000); /* the consumer lies */
	p->tx_st.head = p->tx_st.sealed = p->tx_st.limit = 5; /* full: read the tail */
	assert_true(vn_tx_send_burst(&p->tx, in, DEPTH * 3, MSG) <= DEPTH);
	assert_memory_equal(after, zero, sizeof(zero));
	atomic_store(&p->tx.ring->head, UINT64_C(1) << 20); /* the producer lies */
	p->rx_st.tail = p->rx_st.cached_head = 3;
	assert_true(vn_rx_recv_burst(&p->rx, out, DEPTH * 3, MSG) <= DEPTH);
	assert_memory_equal(after, zero, sizeof(zero));
	/* the counts a shard may size an array by stay within the depth */
	atomic_store(&p->tx.ring->head, p->rx_st.tail + (UINT64_C(1) << 31) + 3);
	assert_true(vn_pending(&p->rx) <= DEPTH);
	atomic_store(&p->rx.ring->tail, p->tx_st.head + (UINT64_C(1) << 20));
	p->tx_st.limit = p->tx_st.head; /* full: read the tail */
	assert_int_equal(vn_space(&p->tx), DEPTH);
}

/* The consumer's cached head. A receive that finds just the message it
 * takes leaves the cache as it was, behind tail (sequenced slots: single
 * receives never use it), and the next reads head again; one that finds
 * more caches them and takes the rest without reading head; a head the
 * producer wrote behind tail is nothing. */
static void test_cached_head(void **state)
{
	struct pair *p = *state;
	uint8_t m[MSG], b[3][MSG];
	uint32_t seq = 0, got = 0;

	for (uint32_t i = 0; i < 3 * DEPTH; i++) {
		fill(m, seq++);
		assert_true(vn_tx_send(&p->tx, m, MSG));
		assert_true(vn_rx_recv(&p->rx, m, MSG));
		check(m, got++);
		assert_int_equal(p->rx_st.cached_head, 0);
	}
	assert_false(vn_rx_recv(&p->rx, m, MSG));
	if (SEQ)
		return;
	assert_int_equal(p->rx_st.cached_head, 3 * DEPTH); /* the empty look's */
	for (uint32_t i = 0; i < 3; i++) {
		fill(m, seq++);
		assert_true(vn_tx_send(&p->tx, m, MSG));
	}
	assert_true(vn_rx_recv(&p->rx, m, MSG));
	check(m, got++);
	assert_int_equal(p->rx_st.cached_head, seq);
	atomic_store(&p->tx.ring->head, 0); /* not read while the cache lasts */
	for (uint32_t i = 0; i < 2; i++) {
		assert_true(vn_rx_recv(&p->rx, m, MSG));
		check(m, got++);
	}
	assert_false(vn_rx_recv(&p->rx, m, MSG)); /* head behind tail: nothing */
	assert_int_equal(p->rx_st.cached_head, 0);
	fill(m, seq++);
	assert_true(vn_tx_send(&p->tx, m, MSG));
	assert_true(vn_rx_recv(&p->rx, m, MSG));
	check(m, got++);
	assert_int_equal(p->rx_st.cached_head, 0); /* just the one: left behind tail */
	/* a cache behind tail reads as empty: a burst reads head and takes all three */
	for (uint32_t i = 0; i < 3; i++) {
		fill(b[i], seq++);
		assert_true(vn_tx_send(&p->tx, b[i], MSG));
	}
	assert_int_equal(vn_rx_recv_burst(&p->rx, b, 3, MSG), 3);
	for (uint32_t i = 0; i < 3; i++)
		check(b[i], got++);
	/* a head far ahead: messages (of whatever the slots hold) until tail
	 * reaches it, in the ring, as from a producer that sent them */
	atomic_store(&p->tx.ring->head, p->rx_st.tail + (UINT64_C(1) << 32));
	for (uint32_t i = 0; i < 2 * DEPTH; i++)
		assert_true(vn_rx_recv(&p->rx, m, MSG));
	assert_int_equal(p->rx_st.cached_head, atomic_load(&p->tx.ring->head));
}

/* A shard of one producer and one consumer, of the same ring, for
 * vn_attach_endpoints. */
static _Alignas(VN_CACHELINE) uint8_t at_mem[VN_RING_BYTES(MSG, DEPTH, SEQ)];
static struct vn_tx_state at_tx_st;
static struct vn_rx_state at_rx_st;
static const struct vn_tx at_tx = VN_TX_INIT(1, at_mem, MSG, DEPTH, SEQ, &at_tx_st);
static const struct vn_rx at_rx = VN_RX_INIT(1, at_mem, MSG, DEPTH, SEQ, &at_rx_st);
static const struct vn_tx *const at_txs[] = {&at_tx};
static const struct vn_rx *const at_rxs[] = {&at_rx};
const struct vn_shard_config vn_self = {
	.name = "attach", .n_tx = 1, .n_rx = 1, .tx = at_txs, .rx = at_rxs,
};

/* A starting shard takes up its rings from their indices whatever the
 * rest of the header says: its peer can write that (and knows when the
 * shard restarts), so a check there would let the peer keep it from
 * starting (tests/system/stress/rehead.yaml); that the shard's build is
 * the system's is the kernel's to ensure. The kernel writes the
 * description again (vn_ring_describe), for host tools. */
static void test_attach_whatever_the_header_says(void **state)
{
	struct vn_ring *r = (struct vn_ring *)at_mem;
	uint32_t *field[] = {&r->magic, &r->msg_size, &r->depth, &r->stride};
	uint32_t other[] = {VN_RING_MAGIC ^ 1u, MSG + 1u, DEPTH * 2u,
			    (uint32_t)VN_RING_STRIDE(MSG, !SEQ)};

	(void)state;
	vn_ring_init(r, MSG, DEPTH, SEQ);
	assert_int_equal(r->stride, VN_RING_STRIDE(MSG, SEQ));
	for (unsigned i = 0; i < 4; i++) {
		uint32_t was = *field[i];

		*field[i] = other[i];
		atomic_store(&r->head, 5u + i);
		atomic_store(&r->tail, 3u + i);
		vn_attach_endpoints();
		assert_int_equal(at_tx_st.head, 5u + i);
		assert_int_equal(at_tx_st.limit, 3u + i + DEPTH);
		assert_int_equal(at_rx_st.tail, 3u + i);
		assert_int_equal(at_rx_st.cached_head, 5u + i);
		vn_ring_describe(r, MSG, DEPTH, SEQ);
		assert_int_equal(*field[i], was);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_at_depth, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wraparound, setup, teardown),
		cmocka_unit_test_setup_teardown(test_burst_across_wrap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_zero_copy, setup, teardown),
		cmocka_unit_test(test_notify_rules),
		cmocka_unit_test_setup_teardown(test_arm_disarm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_counters, setup, teardown),
		cmocka_unit_test(test_hist_buckets),
		cmocka_unit_test(test_latency),
		cmocka_unit_test_setup_teardown(test_sequence_words, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_indices, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cached_head, setup, teardown),
		cmocka_unit_test(test_attach_whatever_the_header_says),
	};

	return cmocka_run_group_tests_name("ring", tests, NULL, NULL);
}
