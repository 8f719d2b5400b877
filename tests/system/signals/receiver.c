/* Counts its wake-ups with VN_NOTIFY_GO and answers each with `ack`, until
 * the sender has gone: then its `go` bit comes from the kernel, and
 * vn_peer_signal says the sender exited. It has no ring at all. */
#include <vanity/config.h>
#include <vanity_shard.h>

#include "rounds.h"

static const char *const state_name[] = {"live", "exited", "stopped"};

void vn_main(void)
{
	unsigned wakes = 0;
	struct vn_peer p;

	for (;;) {
		vn_bits_t bits = vn_wait(VN_FOREVER);

		if (!(bits & VN_NOTIFY_GO))
			continue;
		if (vn_peer_signal(VN_SIGNAL_GO, &p) != 0)
			vn_exit(3);
		if (p.state != VN_PEER_LIVE)
			break;
		wakes++;
		vn_signal_ack();
	}
	vn_log("woken %u times by go; sender %s, generation %u; rings: %u tx, %u rx; "
	       "signal ends: %u", wakes,
	       p.state < 3 ? state_name[p.state] : "?", (unsigned)p.generation,
	       (unsigned)vn_self.n_tx, (unsigned)vn_self.n_rx, (unsigned)vn_self.n_sig);
	vn_exit(wakes == ROUNDS ? 0 : 2);
}
