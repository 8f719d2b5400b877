/* Asleep until flooder says it is done, then exits. */
#include <vanity_shard.h>

void vn_main(void)
{
	uint64_t n;

	while (!vn_recv(&vn_rx_done, &n))
		vn_wait(VN_FOREVER);
	vn_log("told: %llu refusals", (unsigned long long)n);
}
