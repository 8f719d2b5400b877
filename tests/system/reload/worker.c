/* Stamps each message with VERSION and passes it on. Asked to quiesce
 * (VN_RELOAD), it leaves its state in its handoff region: how many it has
 * passed on since the first version started, and the message it holds, if
 * any. VERSION 3 is a bad release: it faults as it starts. Built with
 * -DDEAF, it never quiesces (its spec's `late` then decides). */
#include <vanity_shard.h>

#include "msg.h"

struct state {
	uint64_t passed;
	uint32_t holding;
	uint32_t from_version;
	struct msg held;
};

static struct state st;
static volatile uintptr_t wild = 8; /* VERSION 3's bad pointer */

static __attribute__((unused)) void quiesce(void)
{
	struct state *h = vn_handoff(NULL);

	st.from_version = VERSION;
	*h = st;
	vn_reload_quiesce();
}

/* Pass the held message on; false while `done` is full. */
static bool pass(void)
{
	st.held.version = VERSION;
	if (!vn_send(&vn_tx_done, &st.held))
		return false;
	st.holding = 0;
	st.passed++;
	return true;
}

void vn_main(void)
{
	uint32_t from = vn_handoff_generation();

	if (VERSION == 3)
		*(volatile uint32_t *)wild = 1;
	if (from) {
		st = *(struct state *)vn_handoff(NULL);
		vn_log("version %u up: took over from version %u (generation %u): %llu passed%s",
		       VERSION, st.from_version, from, (unsigned long long)st.passed,
		       st.holding ? ", holding one" : "");
	} else {
		vn_log("version %u up", VERSION);
	}
	for (;;) {
		vn_bits_t bits = 0;

		if (st.holding && !pass()) {
			bits = vn_wait(VN_FOREVER);
		} else if (!st.holding && vn_recv(&vn_rx_work, &st.held)) {
			st.holding = 1;
			if (st.held.seq == 0)
				break;
#ifndef DEAF
			/* under a steady stream it may never wait: ask now and then */
			if (st.passed % 256 == 255 && vn_reload_pending())
				quiesce();
#endif
			continue;
		} else if (!st.holding) {
			bits = vn_wait(VN_FOREVER);
		}
#ifndef DEAF
		if (bits & VN_RELOAD)
			quiesce();
#else
		(void)bits;
#endif
	}
	while (!pass())
		vn_wait(VN_FOREVER);
	vn_log("version %u: passed %llu", VERSION, (unsigned long long)st.passed - 1);
}
