/* The consumer of `own`: checks every message the owner sends. Its stack,
 * control page and code are what the probes try to read. */
#include <vanity_shard.h>

#define MSGS 100u

void vn_main(void)
{
	uint8_t m[VN_MSG_SIZE_OWN];
	uint32_t bad = 0;

	for (uint32_t i = 0; i < MSGS; i++) {
		while (!vn_recv(&vn_rx_own, m))
			vn_wait(VN_FOREVER);
		for (uint32_t k = 0; k < sizeof(m); k++)
			bad += m[k] != (uint8_t)(i + k);
	}
	vn_log("received %u messages, %u bad bytes", MSGS, bad);
}
