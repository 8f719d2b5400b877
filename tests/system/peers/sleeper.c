/* Sleeps 100 ms with a message ready: vn_sleep does not end early, neither
 * for the message nor for the watcher's exit meanwhile; the vn_wait after
 * it reports both. */
#include <vanity_shard.h>

#define SLEEP_NS 100000000ull

void vn_main(void)
{
	struct vn_peer w;
	uint64_t t0, slept, m;
	vn_bits_t bits;

	while (vn_pending(&vn_rx_poke) == 0)
		vn_wait(VN_FOREVER);
	t0 = vn_now();
	vn_sleep(SLEEP_NS);
	slept = vn_now() - t0;
	bits = vn_wait(0);
	vn_peer_rx(&vn_rx_poke, &w);
	vn_log("slept %u ms with %u pending; wait then returned poke %u; watcher state %u",
	       (unsigned)(slept / 1000000), (unsigned)vn_pending(&vn_rx_poke),
	       (unsigned)!!(bits & VN_NOTIFY_POKE), (unsigned)w.state);
	if (!vn_recv(&vn_rx_poke, &m) || m != 7)
		vn_exit(2);
}
