/* bystander.c - runs past both faults. */
#include <vanity_shard.h>

void vn_main(void)
{
	vn_sleep(200000000);
	vn_log("alive");
}
