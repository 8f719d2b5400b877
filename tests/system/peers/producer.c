/* Each life takes one order from the watcher and follows it. It never sends
 * on `data`: the watcher learns of its fate from the kernel alone. */
#include <vanity_shard.h>

#include "order.h"

void vn_main(void)
{
	uint64_t order;

	while (!vn_recv(&vn_rx_ctl, &order))
		vn_wait(VN_FOREVER);
	if (order == ORDER_CRASH)
		die();
	vn_exit(0);
}
