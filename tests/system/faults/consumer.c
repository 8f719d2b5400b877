/*
 * Holds its core for HOLD_MS (long enough for the crasher to fault first),
 * then drains the channel and checks that every message the producer queued
 * is there, in order, intact. The test raises HOLD_MS when the fault should
 * halt the system before the consumer gets to finish.
 */
#include <vanity_shard.h>

#define COUNT 1000u

#ifndef HOLD_MS
#define HOLD_MS 500
#endif

void vn_main(void)
{
	uint64_t msg[2], next = 0, t_end = vn_now() + HOLD_MS * 1000000ull;

	while (vn_now() < t_end)
		; /* alone on core 1: nobody else needs it */
	while (next < COUNT) {
		if (!vn_recv(&vn_rx_data, msg)) {
			vn_wait(VN_FOREVER);
			continue;
		}
		if (msg[0] != next || msg[1] != ~next) {
			vn_log("message %llu damaged", (unsigned long long)next);
			vn_exit(3);
		}
		next++;
	}
	vn_log("all %u messages intact", COUNT);
}
