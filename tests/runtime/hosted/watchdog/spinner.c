/* spinner: never yields; holds its core until the watchdog stops it. */
#include <vanity_shard.h>

void vn_main(void)
{
	vn_log("spinning");
	for (;;)
		__asm__ volatile("" ::: "memory");
}
