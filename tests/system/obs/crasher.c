#include <string.h>

#include <vanity_shard.h>

void vn_main(void)
{
	uint64_t order = 0;

#ifdef GARBLE_TRACE
	/* A broken shard writes over its own trace ring's header: the tools
	 * must leave its ring out, and read every other one. */
	memset((void *)VN_TRACE_RING, 0x5a, 16);
#endif

	while (!vn_recv(&vn_rx_orders, &order))
		vn_wait(VN_FOREVER);
	if (order == 1)
		for (;;) /* until the watchdog fires */
			__asm__ volatile("" ::: "memory");
	if (order == 2) {
		volatile uint64_t *volatile bad = (volatile uint64_t *)8;

		*bad = order; /* a fault */
	}
	while (!vn_send(&vn_tx_done, &order))
		vn_wait(VN_FOREVER);
	vn_exit(0);
}
