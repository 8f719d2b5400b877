/*
 * peer_vanity.c - the Vanity channel ring (runtime/include/vanity/ring.h).
 *
 * Endpoints live in file-scope variables, private to each process after
 * fork(), exactly like the generated `struct vn_tx vn_tx_<chan>` globals of a
 * shard. Flags are 0: both sides are poll-mode, so no fence and no
 * notification is ever issued (vn_notify is the stub in notify_stub.c).
 * Every operation passes the message size as a compile-time constant.
 */
#include <vanity/ring.h>

#include "common.h"
#include "peer.h"

static struct vn_tx bench_tx;
static struct vn_rx bench_rx;

#define LOOP_TX struct vn_tx
#define LOOP_RX struct vn_rx
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

static size_t vanity_shm_bytes(enum bench_case c)
{
	return VN_RING_BYTES(msg_size(c), BENCH_DEPTH);
}

static void vanity_init(void *mem, enum bench_case c)
{
	vn_ring_init((struct vn_ring *)mem, msg_size(c), BENCH_DEPTH);
}

static void vanity_produce(void *mem, enum bench_case c, uint64_t n)
{
	bench_tx = (struct vn_tx)VN_TX_INIT(0, mem, msg_size(c), BENCH_DEPTH, 0);
	switch (c) {
	case CASE_8_SINGLE: vanity8_produce_single(&bench_tx, n); break;
	case CASE_8_BURST: vanity8_produce_burst(&bench_tx, n); break;
	case CASE_64_SINGLE: vanity64_produce_single(&bench_tx, n); break;
	case CASE_64_BURST: vanity64_produce_burst(&bench_tx, n); break;
	default: abort();
	}
}

static uint64_t vanity_consume(void *mem, enum bench_case c, uint64_t n)
{
	bench_rx = (struct vn_rx)VN_RX_INIT(0, mem, msg_size(c), BENCH_DEPTH, 0);
	switch (c) {
	case CASE_8_SINGLE: return vanity8_consume_single(&bench_rx, n);
	case CASE_8_BURST: return vanity8_consume_burst(&bench_rx, n);
	case CASE_64_SINGLE: return vanity64_consume_single(&bench_rx, n);
	case CASE_64_BURST: return vanity64_consume_burst(&bench_rx, n);
	default: abort();
	}
}

/* Not static and never inlined: callgrind toggles collection on its name. */
__attribute__((noinline)) uint64_t vanity_pairs8(void *mem, uint64_t n)
{
	bench_tx = (struct vn_tx)VN_TX_INIT(0, mem, 8u, BENCH_DEPTH, 0);
	bench_rx = (struct vn_rx)VN_RX_INIT(0, mem, 8u, BENCH_DEPTH, 0);
	return vanity8_pairs(&bench_tx, &bench_rx, n);
}

__attribute__((noinline)) uint64_t vanity_stream8(void *mem, uint64_t n)
{
	bench_tx = (struct vn_tx)VN_TX_INIT(0, mem, 8u, BENCH_DEPTH, 0);
	bench_rx = (struct vn_rx)VN_RX_INIT(0, mem, 8u, BENCH_DEPTH, 0);
	return vanity8_stream(&bench_tx, &bench_rx, n);
}

const struct bench_peer peer_vanity = {
	.name = "vanity",
	.shm_bytes = vanity_shm_bytes,
	.init = vanity_init,
	.produce = vanity_produce,
	.consume = vanity_consume,
	.pairs8 = vanity_pairs8,
	.stream8 = vanity_stream8,
};
