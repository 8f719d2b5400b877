/* Waits on one channel at a time with vn_wait_on (waiton.yaml); built as
 * the yield shard `waiter` and, with -DPOLL, as the poll shard `pwaiter`. */
#include <vanity_shard.h>

#ifdef POLL
#define RX_A (&vn_rx_pa)
#define RX_B (&vn_rx_pb)
#define RX_C (&vn_rx_pc)
#define BIT_A VN_NOTIFY_PA
#define BIT_B VN_NOTIFY_PB
#define BIT_C VN_NOTIFY_PC
#else
#define RX_A (&vn_rx_a)
#define RX_B (&vn_rx_b)
#define RX_C (&vn_rx_c)
#define BIT_A VN_NOTIFY_A
#define BIT_B VN_NOTIFY_B
#define BIT_C VN_NOTIFY_C
#endif

#define MS 1000000ull

void vn_main(void)
{
	struct vn_peer peer;
	uint64_t m = 0;
	vn_bits_t r;

	vn_sleep(100 * MS); /* the quitter's news comes meanwhile, and is kept */
	r = vn_wait_on(BIT_B, VN_FOREVER);
	vn_log("b: %s", r & BIT_B ? "ready" : "not ready");
	r = vn_wait_on(BIT_A, 20 * MS);
	vn_log("a for 20 ms, b queued: %s",
	       r & BIT_B ? "woken by b" : r & BIT_A ? "woken by a" : "timed out");
	do
		r = vn_wait_on(BIT_A, VN_FOREVER);
	while (!(r & BIT_A));
	vn_log("a: %s", vn_recv(RX_A, &m) && m == 1 ? "received" : "empty");
	vn_log("b: %s", vn_recv(RX_B, &m) && m == 2 ? "received" : "empty");
	r = vn_wait_on(BIT_C, 0);
	vn_peer_rx(RX_C, &peer);
	vn_log("c: %s, its sender %s", r & BIT_C ? "news" : "nothing",
	       peer.state == VN_PEER_EXITED ? "exited" : "did not exit");
}
