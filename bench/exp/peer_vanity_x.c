/*
 * peer_vanity_x.c - EXPERIMENTAL: peer_vanity.c on bench/exp/ring_exp.h, as
 * peer "vanity_x" (only in a tput built with -DBENCH_EXP).
 *
 * What follows is peer_vanity.c's description, for the Vanity channel ring
 * (runtime/include/vanity/ring.h).
 *
 * Endpoints are exactly what a shard's generated header gives it: static const
 * descriptions with the ring's address folded in (the ring is mapped at a
 * fixed address, as in a shard), and private index state. Flags are 0: both
 * sides are poll-mode, so no fence and no notification is ever issued
 * (vx_notify is the stub in notify_stub.c). Every operation passes the
 * message size as a compile-time constant.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/mman.h>

#include "ring_exp.h"

#include "common.h"
#include "peer.h"

/* Where this process sees the ring, like a channel in a shard's layout. */
#define RING_ADDR 0x900000000ul

static struct vx_tx_state tx_st;
static struct vx_rx_state rx_st;
static const struct vx_tx tx8 = VX_TX_INIT(0, RING_ADDR, 8, BENCH_DEPTH, 0, &tx_st);
static const struct vx_rx rx8 = VX_RX_INIT(0, RING_ADDR, 8, BENCH_DEPTH, 0, &rx_st);
static const struct vx_tx tx64 = VX_TX_INIT(0, RING_ADDR, 64, BENCH_DEPTH, 0, &tx_st);
static const struct vx_rx rx64 = VX_RX_INIT(0, RING_ADDR, 64, BENCH_DEPTH, 0, &rx_st);

/* A second mapping of the shared ring at RING_ADDR (old_size 0 duplicates a
 * shared mapping), and fresh private indices. */
static void attach(void *mem, size_t bytes)
{
	if (mremap(mem, 0, bytes, MREMAP_MAYMOVE | MREMAP_FIXED,
		   (void *)RING_ADDR) == MAP_FAILED)
		die("mremap");
	tx_st = (struct vx_tx_state){0};
	rx_st = (struct vx_rx_state){0};
}

/* Valgrind cannot duplicate a mapping; the single-process instruction
 * counts run on a fresh copy of the (empty) ring at RING_ADDR instead. */
static void attach_copy(void *mem, size_t bytes)
{
	if (mmap((void *)RING_ADDR, bytes, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED)
		die("mmap");
	memcpy((void *)RING_ADDR, mem, bytes);
	tx_st = (struct vx_tx_state){0};
	rx_st = (struct vx_rx_state){0};
}

#define LOOP_TX const struct vx_tx
#define LOOP_RX const struct vx_rx
#define LOOP_SEND1(tx, m) vx_tx_send((tx), (m), sizeof(LOOP_MSG))
#define LOOP_RECV1(rx, m) vx_rx_recv((rx), (m), sizeof(LOOP_MSG))
#define LOOP_SENDN(tx, m, n) vx_tx_send_burst((tx), (m), (n), sizeof(LOOP_MSG))
#define LOOP_RECVN(rx, m, n) vx_rx_recv_burst((rx), (m), (n), sizeof(LOOP_MSG))

#define LOOP_NAME(x) vanityx8_##x
#define LOOP_MSG struct msg8
#include "loops.inc.h"

#define LOOP_NAME(x) vanityx64_##x
#define LOOP_MSG struct msg64
#include "loops.inc.h"

static uint32_t msg_size(enum bench_case c)
{
	return c == CASE_8_SINGLE || c == CASE_8_BURST ? 8u : 64u;
}

static size_t vanityx_shm_bytes(enum bench_case c)
{
	return VX_RING_BYTES(msg_size(c), BENCH_DEPTH);
}

static void vanityx_init(void *mem, enum bench_case c)
{
	vx_ring_init((struct vx_ring *)mem, msg_size(c), BENCH_DEPTH);
}

/* Outside the timed run: the mremap and the new mapping's page faults. */
static void vanityx_attach(void *mem, enum bench_case c)
{
	size_t bytes = vanityx_shm_bytes(c);

	attach(mem, bytes);
	for (size_t off = 0; off < bytes; off += 4096)
		(void)*(volatile uint8_t *)(RING_ADDR + off);
}

static void vanityx_produce(void *mem, enum bench_case c, uint64_t n)
{
	(void)mem;
	switch (c) {
	case CASE_8_SINGLE: vanityx8_produce_single(&tx8, n); break;
	case CASE_8_BURST: vanityx8_produce_burst(&tx8, n); break;
	case CASE_64_SINGLE: vanityx64_produce_single(&tx64, n); break;
	case CASE_64_BURST: vanityx64_produce_burst(&tx64, n); break;
	default: abort();
	}
}

static uint64_t vanityx_consume(void *mem, enum bench_case c, uint64_t n)
{
	(void)mem;
	switch (c) {
	case CASE_8_SINGLE: return vanityx8_consume_single(&rx8, n);
	case CASE_8_BURST: return vanityx8_consume_burst(&rx8, n);
	case CASE_64_SINGLE: return vanityx64_consume_single(&rx64, n);
	case CASE_64_BURST: return vanityx64_consume_burst(&rx64, n);
	default: abort();
	}
}

/* Not static and never inlined: callgrind toggles collection on its name. */
__attribute__((noinline)) uint64_t vanityx_pairs8(void *mem, uint64_t n)
{
	attach_copy(mem, VX_RING_BYTES(8, BENCH_DEPTH));
	return vanityx8_pairs(&tx8, &rx8, n);
}

__attribute__((noinline)) uint64_t vanityx_stream8(void *mem, uint64_t n)
{
	attach_copy(mem, VX_RING_BYTES(8, BENCH_DEPTH));
	return vanityx8_stream(&tx8, &rx8, n);
}

/* The experimental ring's notification hook: never called (flags are 0). */
void vx_notify(uint32_t channel)
{
	(void)channel;
	abort();
}

const struct bench_peer peer_vanity_x = {
	.name = "vanity_x",
	.shm_bytes = vanityx_shm_bytes,
	.init = vanityx_init,
	.attach = vanityx_attach,
	.produce = vanityx_produce,
	.consume = vanityx_consume,
	.pairs8 = vanityx_pairs8,
	.stream8 = vanityx_stream8,
};
