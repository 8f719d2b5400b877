/*
 * sfwd.c - why a 64-byte message built with MSG_FILL's 8-byte stores caps a
 * producer at one cache-line miss per message. One thread, no ring, no peer.
 *
 * The producer loop of loops.inc.h, reduced to its memory traffic: fill a
 * 64-byte message on the stack (MSG_FILL), copy it into the next slot
 * (memcpy, as every peer's send does). The slots are
 *   l1    a 16 KiB buffer, in order: every slot store hits L1, so the
 *         time is the loop's own work;
 *   miss  a 64 MiB buffer in a scattered order (stride 7919 lines), so
 *         every slot store waits for its own line from memory, as a slot
 *         store waits for the line the consumer's CPU holds.
 *
 * Built twice: -DBENCH_FILL=0 (8-byte stores, then the copy's 16-byte loads
 * cannot be forwarded from them and wait until the stores reach L1, behind
 * every older store still missing) and -DBENCH_FILL=1 (16-byte stores the
 * loads can forward from). Prints ns per message for both buffers.
 *
 * usage: sfwd [messages]
 */
#include <string.h>

#include "common.h"

uint64_t bench_spins;

#define BIG (64u << 20)   /* 64 MiB: every slot store misses */
#define SMALL (16u << 10) /* 16 KiB: every slot store hits L1 */

static __attribute__((noinline)) void produce(uint8_t *slots, size_t bytes,
					      uint64_t stride, uint64_t n)
{
	struct msg64 m;
	size_t mask = bytes / sizeof(m) - 1, line = 0;

	for (uint64_t seq = 0; seq < n; seq++) {
		MSG_FILL(m, seq);
		memcpy(slots + line * sizeof(m), &m, sizeof(m));
		line = (line + stride) & mask;
	}
	__asm__ __volatile__("" : : "r"(slots) : "memory");
}

int main(int argc, char **argv)
{
	uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 0) : 4000000;
	uint8_t *big = shm_alloc(BIG), *small = shm_alloc(SMALL);
	const struct {
		const char *name;
		uint8_t *p;
		size_t bytes;
		uint64_t stride;
	} bufs[] = {{"l1", small, SMALL, 1}, {"miss", big, BIG, 7919}};

	pin_to_cpu(0);
	for (int i = 0; i < 2; i++) {
		uint64_t t0, t1;

		produce(bufs[i].p, bufs[i].bytes, bufs[i].stride, n / 4); /* warm-up */
		t0 = now_ns();
		produce(bufs[i].p, bufs[i].bytes, bufs[i].stride, n);
		t1 = now_ns();
		printf("sfwd fill=%d slots=%s ns_per_msg=%.2f\n", BENCH_FILL,
		       bufs[i].name, (double)(t1 - t0) / (double)n);
	}
	return 0;
}
