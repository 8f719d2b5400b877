/* Says so at the start of every life (a group restart starts a new one),
 * then waits until looper is stopped for good. */
#include <vanity_shard.h>

void vn_main(void)
{
	struct vn_peer p = {0};

	vn_log("life");
	do {
		vn_wait(20000000);
		vn_peer_tx(&vn_tx_eye, &p);
	} while (p.state == VN_PEER_LIVE);
}
