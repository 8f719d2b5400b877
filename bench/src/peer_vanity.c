/*
 * peer_vanity.c - the Vanity channel ring (runtime/include/vanity/ring.h).
 *
 * Endpoints are exactly what a shard's generated header gives it: static const
 * descriptions with the ring's address folded in (the ring is mapped at a
 * fixed address, as in a shard), and private index state. Flags are 0: both
 * sides are poll-mode, so no fence and no notification is ever issued
 * (vn_notify is the stub in notify_stub.c). Every operation passes the
 * message size as a compile-time constant.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/mman.h>

#include <vanity/ring.h>

#include "common.h"
#include "peer.h"

/*
 * Built four times (bench/Makefile): as peer "vanity" (the default: counters
 * on, flags 0); with -DVN_RING_NO_STATS -DPEER_VARIANT=1 (the channel
 * counters compiled out); with -DPEER_VARIANT=2 (VN_EP_LATENCY on both
 * endpoints: publish stamps and the consumer's transit-time histogram after
 * the slots, as a latency channel in a spec); and with -DPEER_VARIANT=3,
 * 64-byte messages in the other slot layout (below).
 *
 * 64-byte messages go in the layout a spec would give the pattern: singles
 * in sequenced slots (VN_EP_SEQ, the default for 64-byte messages), bursts
 * in packed ones (`slots: packed`), where a burst is one copy and one look
 * at head; variant 3 swaps them, so that part 7 shows what the other layout
 * costs each pattern.
 */
#if !defined(PEER_VARIANT) || PEER_VARIANT != 3
#define SEQ_SINGLE64 VN_EP_SEQ
#define SEQ_BURST64 0u
#else
#define SEQ_SINGLE64 0u
#define SEQ_BURST64 VN_EP_SEQ
#endif
#if !defined(PEER_VARIANT)
#define PEER_SYM peer_vanity
#define PEER_NAME "vanity"
#define PEER_FN(x) vanity_##x
#define EP_FLAGS 0u
#define RING_BYTES(size, seq) VN_RING_BYTES(size, BENCH_DEPTH, seq)
#elif PEER_VARIANT == 1
#define PEER_SYM peer_vanity_nostats
#define PEER_NAME "vanity_nostats"
#define PEER_FN(x) vanity_nostats_##x
#define EP_FLAGS 0u
#define RING_BYTES(size, seq) VN_RING_BYTES(size, BENCH_DEPTH, seq)
#elif PEER_VARIANT == 2
#define PEER_SYM peer_vanity_lat
#define PEER_NAME "vanity_lat"
#define PEER_FN(x) vanity_lat_##x
#define EP_FLAGS VN_EP_LATENCY
#define RING_BYTES(size, seq) VN_RING_LATENCY_BYTES(size, BENCH_DEPTH, seq)
#else
#define PEER_SYM peer_vanity_swap
#define PEER_NAME "vanity_swap"
#define PEER_FN(x) vanity_swap_##x
#define EP_FLAGS 0u
#define RING_BYTES(size, seq) VN_RING_BYTES(size, BENCH_DEPTH, seq)
#endif

/* Where this process sees the ring, like a channel in a shard's layout. */
#define RING_ADDR 0x800000000ul

static struct vn_tx_state tx_st;
static struct vn_rx_state rx_st;
static const struct vn_tx tx8 = VN_TX_INIT(0, RING_ADDR, 8, BENCH_DEPTH, EP_FLAGS, &tx_st);
static const struct vn_rx rx8 = VN_RX_INIT(0, RING_ADDR, 8, BENCH_DEPTH, EP_FLAGS, &rx_st);
static const struct vn_tx tx64s =
	VN_TX_INIT(0, RING_ADDR, 64, BENCH_DEPTH, EP_FLAGS | SEQ_SINGLE64, &tx_st);
static const struct vn_rx rx64s =
	VN_RX_INIT(0, RING_ADDR, 64, BENCH_DEPTH, EP_FLAGS | SEQ_SINGLE64, &rx_st);
static const struct vn_tx tx64b =
	VN_TX_INIT(0, RING_ADDR, 64, BENCH_DEPTH, EP_FLAGS | SEQ_BURST64, &tx_st);
static const struct vn_rx rx64b =
	VN_RX_INIT(0, RING_ADDR, 64, BENCH_DEPTH, EP_FLAGS | SEQ_BURST64, &rx_st);

/* A second mapping of the shared ring at RING_ADDR (old_size 0 duplicates a
 * shared mapping), and fresh private indices. */
static void attach(void *mem, size_t bytes)
{
	if (mremap(mem, 0, bytes, MREMAP_MAYMOVE | MREMAP_FIXED,
		   (void *)RING_ADDR) == MAP_FAILED)
		die("mremap");
	tx_st = (struct vn_tx_state){0};
	rx_st = (struct vn_rx_state){0};
}

/* Valgrind cannot duplicate a mapping; the single-process instruction
 * counts run on a fresh copy of the (empty) ring at RING_ADDR instead. */
static void attach_copy(void *mem, size_t bytes)
{
	if (mmap((void *)RING_ADDR, bytes, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED)
		die("mmap");
	memcpy((void *)RING_ADDR, mem, bytes);
	tx_st = (struct vn_tx_state){0};
	rx_st = (struct vn_rx_state){0};
}

#define LOOP_TX const struct vn_tx
#define LOOP_RX const struct vn_rx
#define LOOP_SEND1(tx, m) vn_tx_send((tx), (m), sizeof(LOOP_MSG))
#define LOOP_RECV1(rx, m) vn_rx_recv((rx), (m), sizeof(LOOP_MSG))
#define LOOP_SENDN(tx, m, n) vn_tx_send_burst((tx), (m), (n), sizeof(LOOP_MSG))
#define LOOP_RECVN(rx, m, n) vn_rx_recv_burst((rx), (m), (n), sizeof(LOOP_MSG))

#define LOOP_NAME(x) vanity8_##x
#define LOOP_MSG struct msg8
#include "loops.inc.h"

#define LOOP_NAME(x) vanity64_##x
#define LOOP_MSG struct msg64
#include "loops.inc.h"

static uint32_t msg_size(enum bench_case c)
{
	return c == CASE_8_SINGLE || c == CASE_8_BURST ? 8u : 64u;
}

static uint32_t seq_of(enum bench_case c)
{
	return c == CASE_64_SINGLE ? SEQ_SINGLE64 : c == CASE_64_BURST ? SEQ_BURST64 : 0u;
}

static size_t vanity_shm_bytes(enum bench_case c)
{
	return RING_BYTES(msg_size(c), seq_of(c));
}

static void vanity_init(void *mem, enum bench_case c)
{
	vn_ring_init((struct vn_ring *)mem, msg_size(c), BENCH_DEPTH, seq_of(c));
}

/* Outside the timed run: the mremap and the new mapping's page faults. */
static void vanity_attach(void *mem, enum bench_case c)
{
	size_t bytes = vanity_shm_bytes(c);

	attach(mem, bytes);
	for (size_t off = 0; off < bytes; off += 4096)
		(void)*(volatile uint8_t *)(RING_ADDR + off);
}

static void vanity_produce(void *mem, enum bench_case c, uint64_t n)
{
	(void)mem;
	switch (c) {
	case CASE_8_SINGLE: vanity8_produce_single(&tx8, n); break;
	case CASE_8_BURST: vanity8_produce_burst(&tx8, n); break;
	case CASE_64_SINGLE: vanity64_produce_single(&tx64s, n); break;
	case CASE_64_BURST: vanity64_produce_burst(&tx64b, n); break;
	default: abort();
	}
}

static uint64_t vanity_consume(void *mem, enum bench_case c, uint64_t n)
{
	(void)mem;
	switch (c) {
	case CASE_8_SINGLE: return vanity8_consume_single(&rx8, n);
	case CASE_8_BURST: return vanity8_consume_burst(&rx8, n);
	case CASE_64_SINGLE: return vanity64_consume_single(&rx64s, n);
	case CASE_64_BURST: return vanity64_consume_burst(&rx64b, n);
	default: abort();
	}
}

/* Not static and never inlined: callgrind toggles collection on its name. */
__attribute__((noinline)) uint64_t PEER_FN(pairs8)(void *mem, uint64_t n)
{
	attach_copy(mem, RING_BYTES(8, 0u));
	return vanity8_pairs(&tx8, &rx8, n);
}

__attribute__((noinline)) uint64_t PEER_FN(stream8)(void *mem, uint64_t n)
{
	attach_copy(mem, RING_BYTES(8, 0u));
	return vanity8_stream(&tx8, &rx8, n);
}

const struct bench_peer PEER_SYM = {
	.name = PEER_NAME,
	.shm_bytes = vanity_shm_bytes,
	.init = vanity_init,
	.attach = vanity_attach,
	.produce = vanity_produce,
	.consume = vanity_consume,
	.pairs8 = PEER_FN(pairs8),
	.stream8 = PEER_FN(stream8),
};
