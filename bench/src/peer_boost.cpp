/*
 * peer_boost.cpp - boost::lockfree::spsc_queue (Boost 1.74), compile-time
 * capacity 1024, placement-constructed in the shared memory before fork()
 * (a compile-time-sized queue holds its slots inline, no pointers, so both
 * processes can use it). Singles use push(const T&) / pop(T&), bursts the
 * array overloads push(const T*, n) / pop(T*, n).
 *
 * C++ only for this peer; it exposes the same C table (peer.h) through
 * extern "C". The measured loops are the same loops.inc.h as the C peers.
 */
#include <new>

#include <boost/lockfree/spsc_queue.hpp>

#include "common.h"
#include "peer.h"

template <typename T>
using bench_queue = boost::lockfree::spsc_queue<T, boost::lockfree::capacity<BENCH_DEPTH>>;

typedef bench_queue<msg8> queue8;
typedef bench_queue<msg64> queue64;

#define LOOP_SEND1(q, m) (q)->push(*(m))
#define LOOP_RECV1(q, m) (q)->pop(*(m))
#define LOOP_SENDN(q, m, n) (uint32_t)(q)->push((m), (n))
#define LOOP_RECVN(q, m, n) (uint32_t)(q)->pop((m), (n))

#define LOOP_TX queue8
#define LOOP_RX queue8
#define LOOP_NAME(x) boost8_##x
#define LOOP_MSG msg8
#include "loops.inc.h"
#undef LOOP_TX
#undef LOOP_RX

#define LOOP_TX queue64
#define LOOP_RX queue64
#define LOOP_NAME(x) boost64_##x
#define LOOP_MSG msg64
#include "loops.inc.h"

static bool is8(bench_case c)
{
	return c == CASE_8_SINGLE || c == CASE_8_BURST;
}

static size_t boost_shm_bytes(bench_case c)
{
	return is8(c) ? sizeof(queue8) : sizeof(queue64);
}

static void boost_init(void *mem, bench_case c)
{
	if (is8(c))
		new (mem) queue8();
	else
		new (mem) queue64();
}

static void boost_produce(void *mem, bench_case c, uint64_t n)
{
	switch (c) {
	case CASE_8_SINGLE: boost8_produce_single(static_cast<queue8 *>(mem), n); break;
	case CASE_8_BURST: boost8_produce_burst(static_cast<queue8 *>(mem), n); break;
	case CASE_64_SINGLE: boost64_produce_single(static_cast<queue64 *>(mem), n); break;
	case CASE_64_BURST: boost64_produce_burst(static_cast<queue64 *>(mem), n); break;
	default: abort();
	}
}

static uint64_t boost_consume(void *mem, bench_case c, uint64_t n)
{
	switch (c) {
	case CASE_8_SINGLE: return boost8_consume_single(static_cast<queue8 *>(mem), n);
	case CASE_8_BURST: return boost8_consume_burst(static_cast<queue8 *>(mem), n);
	case CASE_64_SINGLE: return boost64_consume_single(static_cast<queue64 *>(mem), n);
	case CASE_64_BURST: return boost64_consume_burst(static_cast<queue64 *>(mem), n);
	default: abort();
	}
}

extern "C" __attribute__((noinline)) uint64_t boost_pairs8(void *mem, uint64_t n)
{
	queue8 *q = static_cast<queue8 *>(mem);

	return boost8_pairs(q, q, n);
}

extern "C" __attribute__((noinline)) uint64_t boost_stream8(void *mem, uint64_t n)
{
	queue8 *q = static_cast<queue8 *>(mem);

	return boost8_stream(q, q, n);
}

extern "C" const bench_peer peer_boost = {
	"boost_spsc",
	boost_shm_bytes,
	boost_init,
	NULL,
	boost_produce,
	boost_consume,
	boost_pairs8,
	boost_stream8,
};
