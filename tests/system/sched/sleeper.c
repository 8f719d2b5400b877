/* Waits forever on a channel nobody sends on. */
#include <vanity_shard.h>

void vn_main(void)
{
	vn_wait(VN_FOREVER);
	vn_log("woke up: should not happen");
}
