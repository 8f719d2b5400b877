/*
 * Moves the stream from feed to sink, adding ADD to each value. It takes a
 * message only when sink has room for it, so one it took is always passed
 * on in the same activation: a reload between activations loses nothing.
 * Asked to quiesce, it hands over how many it moved; a new version takes
 * that count up. Built with FAULT, it dies at start (rollback). Built with
 * BIG, its code, rodata and data each grow by pages, so its sections begin
 * and end elsewhere than the first version's: the kernel must map the new
 * boundaries (code RX, rodata R, data RW) for it to run.
 */
#include <vanity_shard.h>

#include "stream.h"

#ifndef ADD
#define ADD 0
#endif
#ifndef FAULT
#define FAULT 0
#endif
#ifndef BIG
#define BIG 0
#endif

#define STATE_MAGIC 0x57524b52u

struct state {
	uint32_t magic;
	uint32_t add;
	uint64_t moved;
};

static int *volatile wild = (int *)8;

#if BIG
static const uint8_t table[16384] = {[0 ... 16383] = 7};
static uint8_t scratch[16384] = {[0 ... 16383] = 1};

/* More code than a page or four: it runs past the first version's code. */
__attribute__((noinline)) static void far_code(void)
{
	__asm__ volatile(".rept 8192\n\tnop\n\t.endr" ::: "memory");
}

static void grow(void)
{
	const volatile uint8_t *ro = table;
	volatile uint8_t *rw = scratch;
	uint32_t sum = 0;

	far_code();
	for (uint32_t i = 0; i < sizeof(table); i++) {
		rw[i] += ro[i];
		sum += rw[i];
	}
	vn_log("big: code, rodata and data beyond the first version's: sum %u", sum);
}
#else
static void grow(void)
{
}
#endif

void vn_main(void)
{
	struct state *st = vn_handoff(NULL);
	uint32_t from = vn_handoff_generation();
	uint64_t moved = 0;
	struct item m;

	if (FAULT)
		*wild = 1;
	grow();
	if (from && st->magic == STATE_MAGIC) {
		moved = st->moved;
		vn_log("adds %u: took over %llu moved from generation %u (which added %u)",
		       ADD, (unsigned long long)moved, from, st->add);
	} else {
		vn_log("adds %u: fresh start", ADD);
	}
	for (;;) {
		while (vn_space(&vn_tx_sink) && vn_recv(&vn_rx_feed, &m)) {
			m.value += ADD;
			vn_send(&vn_tx_sink, &m);
			moved++;
			if (m.seq == STREAM_COUNT - 1) {
				vn_log("moved %llu", (unsigned long long)moved);
				return;
			}
		}
		if (vn_wait(VN_FOREVER) & VN_RELOAD) {
			st->magic = STATE_MAGIC;
			st->add = ADD;
			st->moved = moved;
			vn_log("quiescing after %llu", (unsigned long long)moved);
			vn_reload_quiesce();
		}
	}
}
