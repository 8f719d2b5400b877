/*
 * peer_ck.c - Concurrency Kit ck_ring, single-producer single-consumer.
 *
 * ck_ring_enqueue_spsc() stores pointers only, so to move real 8- and 64-byte
 * payloads by value we use ck_ring's own typed interface, CK_RING_PROTOTYPE,
 * which copies sizeof(struct type) bytes into the slot (a constant).
 * ck_ring has no SPSC burst operation; a burst is a loop of single enqueues
 * (dequeues) that stops at the first failure, which is what a ck_ring user
 * writes. Note: a 1024-slot ck_ring holds 1023 messages.
 */
#include <ck_ring.h>

#include "common.h"
#include "peer.h"

CK_RING_PROTOTYPE(msg8, msg8)
CK_RING_PROTOTYPE(msg64, msg64)

/* Shared layout: the ring header, then the slots on their own lines. */
#define CK_SLOTS_OFFSET 256u
_Static_assert(sizeof(struct ck_ring) <= CK_SLOTS_OFFSET, "ck_ring header");

/* Each side's handle: the shared header and slot array. */
struct ck_handle {
	struct ck_ring *ring;
	void *slots;
};

static inline uint32_t ck8_sendn(struct ck_handle *h, struct msg8 *m, uint32_t n)
{
	uint32_t i = 0;

	while (i < n && ck_ring_enqueue_spsc_msg8(h->ring, (struct msg8 *)h->slots, m + i))
		i++;
	return i;
}

static inline uint32_t ck8_recvn(struct ck_handle *h, struct msg8 *m, uint32_t n)
{
	uint32_t i = 0;

	while (i < n && ck_ring_dequeue_spsc_msg8(h->ring, (struct msg8 *)h->slots, m + i))
		i++;
	return i;
}

static inline uint32_t ck64_sendn(struct ck_handle *h, struct msg64 *m, uint32_t n)
{
	uint32_t i = 0;

	while (i < n && ck_ring_enqueue_spsc_msg64(h->ring, (struct msg64 *)h->slots, m + i))
		i++;
	return i;
}

static inline uint32_t ck64_recvn(struct ck_handle *h, struct msg64 *m, uint32_t n)
{
	uint32_t i = 0;

	while (i < n && ck_ring_dequeue_spsc_msg64(h->ring, (struct msg64 *)h->slots, m + i))
		i++;
	return i;
}

#define LOOP_TX struct ck_handle
#define LOOP_RX struct ck_handle

#define LOOP_NAME(x) ck8_##x
#define LOOP_MSG struct msg8
#define LOOP_SEND1(h, m) ck_ring_enqueue_spsc_msg8((h)->ring, (struct msg8 *)(h)->slots, (m))
#define LOOP_RECV1(h, m) ck_ring_dequeue_spsc_msg8((h)->ring, (struct msg8 *)(h)->slots, (m))
#define LOOP_SENDN(h, m, n) ck8_sendn((h), (m), (n))
#define LOOP_RECVN(h, m, n) ck8_recvn((h), (m), (n))
#include "loops.inc.h"
#undef LOOP_SEND1
#undef LOOP_RECV1
#undef LOOP_SENDN
#undef LOOP_RECVN

#define LOOP_NAME(x) ck64_##x
#define LOOP_MSG struct msg64
#define LOOP_SEND1(h, m) ck_ring_enqueue_spsc_msg64((h)->ring, (struct msg64 *)(h)->slots, (m))
#define LOOP_RECV1(h, m) ck_ring_dequeue_spsc_msg64((h)->ring, (struct msg64 *)(h)->slots, (m))
#define LOOP_SENDN(h, m, n) ck64_sendn((h), (m), (n))
#define LOOP_RECVN(h, m, n) ck64_recvn((h), (m), (n))
#include "loops.inc.h"

static size_t msg_size(enum bench_case c)
{
	return c == CASE_8_SINGLE || c == CASE_8_BURST ? 8u : 64u;
}

static size_t ck_shm_bytes(enum bench_case c)
{
	return CK_SLOTS_OFFSET + msg_size(c) * BENCH_DEPTH;
}

static void ck_init(void *mem, enum bench_case c)
{
	ck_ring_init((struct ck_ring *)mem, BENCH_DEPTH);
	(void)c;
}

static struct ck_handle ck_handle_of(void *mem)
{
	struct ck_handle h = {(struct ck_ring *)mem, (char *)mem + CK_SLOTS_OFFSET};

	return h;
}

static void ck_produce(void *mem, enum bench_case c, uint64_t n)
{
	struct ck_handle h = ck_handle_of(mem);

	switch (c) {
	case CASE_8_SINGLE: ck8_produce_single(&h, n); break;
	case CASE_8_BURST: ck8_produce_burst(&h, n); break;
	case CASE_64_SINGLE: ck64_produce_single(&h, n); break;
	case CASE_64_BURST: ck64_produce_burst(&h, n); break;
	default: abort();
	}
}

static uint64_t ck_consume(void *mem, enum bench_case c, uint64_t n)
{
	struct ck_handle h = ck_handle_of(mem);

	switch (c) {
	case CASE_8_SINGLE: return ck8_consume_single(&h, n);
	case CASE_8_BURST: return ck8_consume_burst(&h, n);
	case CASE_64_SINGLE: return ck64_consume_single(&h, n);
	case CASE_64_BURST: return ck64_consume_burst(&h, n);
	default: abort();
	}
}

__attribute__((noinline)) uint64_t ck_pairs8(void *mem, uint64_t n)
{
	struct ck_handle h = ck_handle_of(mem);

	return ck8_pairs(&h, &h, n);
}

__attribute__((noinline)) uint64_t ck_stream8(void *mem, uint64_t n)
{
	struct ck_handle h = ck_handle_of(mem);

	return ck8_stream(&h, &h, n);
}

const struct bench_peer peer_ck = {
	.name = "ck_ring",
	.shm_bytes = ck_shm_bytes,
	.init = ck_init,
	.produce = ck_produce,
	.consume = ck_consume,
	.pairs8 = ck_pairs8,
	.stream8 = ck_stream8,
};
