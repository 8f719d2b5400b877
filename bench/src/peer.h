/*
 * peer.h - the interface every ring under test implements.
 *
 * A peer is one SPSC ring implementation. The benchmark driver (tput.c,
 * icount.c) calls it through this table once per run, never per message: all
 * per-message work happens inside the peer's own loops (loops.inc.h), where
 * the ring operations are inlined with a compile-time constant message size.
 */
#ifndef BENCH_PEER_H
#define BENCH_PEER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum bench_case {
	CASE_8_SINGLE,  /* 8-byte messages, one per operation */
	CASE_8_BURST,   /* 8-byte messages, BENCH_BURST per operation */
	CASE_64_SINGLE, /* 64-byte messages, one per operation */
	CASE_64_BURST,  /* 64-byte messages, BENCH_BURST per operation */
	N_CASES
};

struct bench_peer {
	const char *name;
	/* Bytes of shared memory the ring needs for this case. */
	size_t (*shm_bytes)(enum bench_case c);
	/* Build an empty ring in zeroed shared memory (before fork). */
	void (*init)(void *mem, enum bench_case c);
	/* Optional: set up this process's view of the ring (after fork, in
	 * both processes, before the clock starts). */
	void (*attach)(void *mem, enum bench_case c);
	/* Send messages 0..n-1, spinning while the ring is full. */
	void (*produce)(void *mem, enum bench_case c, uint64_t n);
	/* Receive n messages, checking each; returns the number of bad ones. */
	uint64_t (*consume)(void *mem, enum bench_case c, uint64_t n);
	/* Single thread: n times send one 8-byte message then receive it.
	 * Returns the number of bad messages. Used for instruction counts. */
	uint64_t (*pairs8)(void *mem, uint64_t n);
	/* Single thread: n 8-byte messages as runs of BENCH_BURST single sends
	 * followed by as many single receives (the ring never runs dry between
	 * two receives). Returns the number of bad messages. */
	uint64_t (*stream8)(void *mem, uint64_t n);
};

extern const struct bench_peer peer_vanity, peer_rte, peer_ck, peer_boost;
/* peer_vanity.c built again: with -DVN_RING_NO_STATS (no channel counters),
 * with VN_EP_LATENCY on both endpoints (a latency channel), and with
 * 64-byte messages in the other slot layout (sequenced for bursts, packed
 * for singles). */
extern const struct bench_peer peer_vanity_nostats, peer_vanity_lat, peer_vanity_swap;

#ifdef __cplusplus
}
#endif

static inline const char *bench_case_name(enum bench_case c)
{
	static const char *const names[N_CASES] = {
		"8B-single", "8B-burst32", "64B-single", "64B-burst32"};
	return names[c];
}

#endif /* BENCH_PEER_H */
