/*
 * icount.c - instructions per send+receive pair, for callgrind.
 *
 * One process, one thread, 8-byte messages, each peer in its own non-inlined
 * functions (vanity_pairs8, rte_pairs8, ...):
 *   pairs   n times: send one message, receive it (the ring is empty again
 *           after every receive: the aim's "send+receive" pattern);
 *   stream  n messages as runs of 32 single sends then 32 single receives
 *           (steady state: the receiver never finds the ring empty).
 * run.py runs this under
 *   valgrind --tool=callgrind --toggle-collect=<peer>_<mode>8
 * once per peer and mode with n messages and once with 2n, and divides the
 * difference by n, so that a peer's setup (mapping its ring, say) is not
 * counted. The per-message loop work (fill, check, counter) is the same for
 * all peers.
 *
 * usage: icount PEER [pairs|stream] [n]
 *        (PEER: vanity | rte_ring | ck_ring | boost_spsc | vanity_nostats |
 *         vanity_lat)
 */
#include <string.h>

#include "common.h"
#include "peer.h"

uint64_t bench_spins;

static const struct bench_peer *const peers[] = {
	&peer_vanity, &peer_rte, &peer_ck, &peer_boost,
	&peer_vanity_nostats, &peer_vanity_lat};

int main(int argc, char **argv)
{
	const char *mode = argc > 2 ? argv[2] : "pairs";
	uint64_t n = argc > 3 ? strtoull(argv[3], NULL, 0) : 100000;
	int stream = strcmp(mode, "stream") == 0;

	if (argc < 2 || (!stream && strcmp(mode, "pairs") != 0) ||
	    n % BENCH_BURST != 0) {
		fprintf(stderr, "usage: %s PEER [pairs|stream] [n, a multiple of %u]\n",
			argv[0], BENCH_BURST);
		return 2;
	}
	for (size_t i = 0; i < sizeof(peers) / sizeof(peers[0]); i++) {
		const struct bench_peer *p = peers[i];
		size_t bytes;
		void *mem;
		uint64_t bad;

		if (strcmp(argv[1], p->name) != 0)
			continue;
		bytes = p->shm_bytes(CASE_8_SINGLE);
		mem = shm_alloc(bytes);
		p->init(mem, CASE_8_SINGLE);
		bad = stream ? p->stream8(mem, n) : p->pairs8(mem, n);
		printf("icount peer=%s mode=%s n=%llu bad=%llu\n", p->name, mode,
		       (unsigned long long)n, (unsigned long long)bad);
		return bad != 0;
	}
	fprintf(stderr, "icount: unknown peer '%s'\n", argv[1]);
	return 2;
}
