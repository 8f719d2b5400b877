/* Runs whenever the hog lets it (between the hog's lives) and finishes once
 * the hog is stopped for good. */
#include <vanity_shard.h>

void vn_main(void)
{
	struct vn_peer p = {0};
	uint64_t rounds = 0;

	do {
		vn_sleep(1000000);
		rounds++;
		vn_peer_tx(&vn_tx_watch, &p);
	} while (p.state == VN_PEER_LIVE);
	vn_log("ran %llu rounds; hog stopped at generation %u", (unsigned long long)rounds,
	       p.generation);
}
