/* Dies when told; on_fault is stop, so it is not restarted. */
#include <vanity_shard.h>

#include "order.h"

void vn_main(void)
{
	uint64_t order;

	while (!vn_recv(&vn_rx_kill, &order))
		vn_wait(VN_FOREVER);
	die();
}
