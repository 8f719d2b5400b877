/* Sends nothing. Looks at `late` 1.6 s in (its watchdog, 1 s from its park,
 * has stopped it by then unless the kernel believed its claim time), then
 * sleeps to 2.5 s and ends. */
#include <vanity_shard.h>

void vn_main(void)
{
	struct vn_peer p;

	vn_sleep(1600000000ull);
	vn_peer_tx(&vn_tx_to_late, &p);
	vn_log("late at 1.6 s: %s", p.state == VN_PEER_STOPPED ? "stopped" : "not stopped");
	vn_sleep(900000000ull);
	vn_log("slept 2.5 s");
}
