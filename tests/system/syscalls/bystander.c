/* Waits for the listener's one word. */
#include <vanity_shard.h>

void vn_main(void)
{
	uint64_t v;

	while (!vn_recv(&vn_rx_other, &v))
		vn_wait(VN_FOREVER);
	vn_log("got %llu", (unsigned long long)v);
}
