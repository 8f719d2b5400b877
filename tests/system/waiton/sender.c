/* A message on b and pb, 250 ms, then one on a and pa (waiton.yaml). */
#include <vanity_shard.h>

static void send(const struct vn_tx *tx, uint64_t v)
{
	while (!vn_send(tx, &v))
		vn_wait(VN_FOREVER);
}

void vn_main(void)
{
	send(&vn_tx_b, 2);
	send(&vn_tx_pb, 2);
	vn_sleep(250 * 1000000ull);
	send(&vn_tx_a, 1);
	send(&vn_tx_pa, 1);
	vn_log("sent");
}
