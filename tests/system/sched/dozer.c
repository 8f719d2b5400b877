/* Sleeps until the bell rings. Logs the bits vn_wait returned, how long
 * after the start of the wait the bell was sent (it must have slept through
 * that), and how long the wake-up took. */
#include <vanity_shard.h>

void vn_main(void)
{
	uint64_t sent, t0 = vn_now();
	vn_bits_t bits = vn_wait(VN_FOREVER);
	uint64_t t1 = vn_now();

	if (!vn_recv(&vn_rx_bell, &sent)) {
		vn_log("woke with bits %#llx and no message", (unsigned long long)bits);
		vn_exit(1);
	}
	vn_log("woke with bits %#llx (bell is %#llx); bell sent %lld us into the wait, "
	       "woke %lld us after it", (unsigned long long)bits,
	       (unsigned long long)VN_NOTIFY_BELL, (long long)(sent - t0) / 1000,
	       (long long)(t1 - sent) / 1000);
}
