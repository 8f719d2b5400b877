/* Sends each waiter one message, 300 ms after it starts (spinwait.yaml). */
#include <vanity_shard.h>

void vn_main(void)
{
	uint64_t m = 7;

	vn_sleep(300000000ull);
	while (!vn_send(&vn_tx_s, &m) || !vn_send(&vn_tx_z, &m) || !vn_send(&vn_tx_p, &m))
		vn_wait(VN_FOREVER);
}
