/* Idles in a 100 ms wait (nothing can arrive: it has no inputs), then sends
 * the time it sends at. */
#include <vanity_shard.h>

void vn_main(void)
{
	uint64_t t0 = vn_now(), bits = vn_wait(100000000), now = vn_now();

	vn_log("wait(100 ms) returned %#llx after %llu us", (unsigned long long)bits,
	       (unsigned long long)((now - t0) / 1000));
	while (!vn_send(&vn_tx_bell, &now))
		vn_wait(VN_FOREVER);
}
