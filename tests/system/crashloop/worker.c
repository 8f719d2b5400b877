/* Sleeps 3 ms a round while looper crashes, restarts and is held back on
 * the same core; finishes, saying how many rounds it ran, once looper is
 * stopped for good. */
#include <vanity_shard.h>

void vn_main(void)
{
	struct vn_peer p = {0};
	uint64_t rounds = 0;

	for (;;) {
		vn_sleep(3000000);
		rounds++;
		vn_peer_tx(&vn_tx_watch, &p);
		if (p.state != VN_PEER_LIVE)
			break;
	}
	vn_log("ran %llu rounds; looper %s at generation %u", (unsigned long long)rounds,
	       p.state == VN_PEER_STOPPED ? "stopped" : "exited", p.generation);
}
