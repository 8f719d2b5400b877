/* Takes fuzz's notifications (most are spurious) until its one message. */
#include <vanity_shard.h>

void vn_main(void)
{
	uint64_t m, wakes = 0;

	while (!vn_recv(&vn_rx_fuzz_sink, &m)) {
		vn_wait(VN_FOREVER);
		wakes++;
	}
	vn_log("fuzz finished (%s)", m ? "with unexpected results" : "clean");
}
