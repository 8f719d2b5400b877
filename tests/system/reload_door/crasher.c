/* Faults at the start of every life while consumer runs; its policy
 * restarts it, held back, all along. Exits once consumer has. */
#include <vanity_shard.h>

static volatile uintptr_t wild = 16; /* not a pointer the compiler can see through */

void vn_main(void)
{
	struct vn_peer p = {0};

	vn_peer_tx(&vn_tx_watch, &p);
	if (p.state != VN_PEER_LIVE)
		return;
	*(volatile uint32_t *)wild = 1;
}
