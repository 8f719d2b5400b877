/* One shard of a ring: sends MSGS numbered messages to the next shard and
 * receives MSGS from the previous one, checking their order, with a timed
 * wait of random length (0..2 ms, seeded by SEED) between steps. A wait
 * ends early on a notification, or times out: both must happen, on every
 * core, without a hang. TX and RX name the shard's two endpoints. */
#include <vanity_shard.h>

#include "rng.h"

#define MSGS 200u

void vn_main(void)
{
	uint32_t sent = 0, got = 0, bad = 0, timeouts = 0, m;

	rng_seed(SEED);
	while (sent < MSGS || got < MSGS) {
		if (sent < MSGS && vn_send(&TX, &sent))
			sent++;
		while (vn_recv(&RX, &m))
			bad += m != got++;
		if (sent < MSGS || got < MSGS)
			timeouts += vn_wait(rng_below(2000001)) == 0;
	}
	vn_log("sent %u, received %u, %u out of order, %u timeouts", sent, got, bad,
	       timeouts);
}
