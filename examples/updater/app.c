/*
 * app: the workload the loader updates. It says which version it is when
 * it starts, and then sleeps; a reload starts the new version in its place.
 */
#include <vanity_shard.h>

void vn_main(void)
{
	vn_log("app version %d up", VERSION);
	for (;;)
		vn_sleep(1000000000ull);
}
