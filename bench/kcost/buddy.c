/*
 * buddy: meter's partner on core 0. Asleep until meter sends it a count n,
 * then yields n times (each yield hands the core back to meter, whose next
 * yield hands it back here), then sleeps again.
 */
#include <vanity_shard.h>

void vn_main(void)
{
	uint64_t n;

	for (;;) {
		while (!vn_recv(&vn_rx_go, &n))
			vn_wait(VN_FOREVER);
		while (n--)
			vn_yield();
	}
}
