/* feeder: sends tiny its messages a millisecond apart, so that tiny
 * sleeps before each. */
#include <vanity_shard.h>

void vn_main(void)
{
	for (uint64_t i = 0; i < 8; i++) {
		vn_sleep(1000000);
		while (!vn_send(&vn_tx_feed, &i))
			vn_wait(VN_FOREVER);
	}
	for (;;)
		vn_wait(VN_FOREVER);
}
