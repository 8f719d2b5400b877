/*
 * peer_rte.c - DPDK rte_ring (22.11), single-producer single-consumer, used
 * without EAL: sized with rte_ring_get_memsize_elem() and placed in our own
 * shared memory with rte_ring_init(RING_F_SP_ENQ | RING_F_SC_DEQ).
 *
 * The explicit sp/sc _elem calls are used (not the flag-dispatching generic
 * ones), so the sync type is a compile-time constant, and esize is a constant
 * (8 or 64) so DPDK picks its specialised copy loops.
 */
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "common.h"
#include "peer.h"

/* The producer's and consumer's handle: just the ring, in shared memory. */
typedef struct rte_ring rte_handle;

#define LOOP_TX rte_handle
#define LOOP_RX rte_handle
#define LOOP_SEND1(r, m) (rte_ring_sp_enqueue_elem((r), (m), sizeof(LOOP_MSG)) == 0)
#define LOOP_RECV1(r, m) (rte_ring_sc_dequeue_elem((r), (m), sizeof(LOOP_MSG)) == 0)
#define LOOP_SENDN(r, m, n) \
	rte_ring_sp_enqueue_burst_elem((r), (m), sizeof(LOOP_MSG), (n), NULL)
#define LOOP_RECVN(r, m, n) \
	rte_ring_sc_dequeue_burst_elem((r), (m), sizeof(LOOP_MSG), (n), NULL)

#define LOOP_NAME(x) rte8_##x
#define LOOP_MSG struct msg8
#include "loops.inc.h"

#define LOOP_NAME(x) rte64_##x
#define LOOP_MSG struct msg64
#include "loops.inc.h"

static unsigned int esize(enum bench_case c)
{
	return c == CASE_8_SINGLE || c == CASE_8_BURST ? 8u : 64u;
}

static size_t rte_shm_bytes(enum bench_case c)
{
	ssize_t n = rte_ring_get_memsize_elem(esize(c), BENCH_DEPTH);

	if (n < 0) {
		fprintf(stderr, "rte_ring_get_memsize_elem failed\n");
		exit(2);
	}
	return (size_t)n;
}

/* Note: without RING_F_EXACT_SZ a 1024-slot rte_ring holds 1023 messages. */
static void rte_init(void *mem, enum bench_case c)
{
	if (rte_ring_init((struct rte_ring *)mem, "bench", BENCH_DEPTH,
			  RING_F_SP_ENQ | RING_F_SC_DEQ) != 0) {
		fprintf(stderr, "rte_ring_init failed\n");
		exit(2);
	}
	(void)c;
}

static void rte_produce(void *mem, enum bench_case c, uint64_t n)
{
	struct rte_ring *r = (struct rte_ring *)mem;

	switch (c) {
	case CASE_8_SINGLE: rte8_produce_single(r, n); break;
	case CASE_8_BURST: rte8_produce_burst(r, n); break;
	case CASE_64_SINGLE: rte64_produce_single(r, n); break;
	case CASE_64_BURST: rte64_produce_burst(r, n); break;
	default: abort();
	}
}

static uint64_t rte_consume(void *mem, enum bench_case c, uint64_t n)
{
	struct rte_ring *r = (struct rte_ring *)mem;

	switch (c) {
	case CASE_8_SINGLE: return rte8_consume_single(r, n);
	case CASE_8_BURST: return rte8_consume_burst(r, n);
	case CASE_64_SINGLE: return rte64_consume_single(r, n);
	case CASE_64_BURST: return rte64_consume_burst(r, n);
	default: abort();
	}
}

__attribute__((noinline)) uint64_t rte_pairs8(void *mem, uint64_t n)
{
	struct rte_ring *r = (struct rte_ring *)mem;

	return rte8_pairs(r, r, n);
}

__attribute__((noinline)) uint64_t rte_stream8(void *mem, uint64_t n)
{
	struct rte_ring *r = (struct rte_ring *)mem;

	return rte8_stream(r, r, n);
}

const struct bench_peer peer_rte = {
	.name = "rte_ring",
	.shm_bytes = rte_shm_bytes,
	.init = rte_init,
	.produce = rte_produce,
	.consume = rte_consume,
	.pairs8 = rte_pairs8,
	.stream8 = rte_stream8,
};
