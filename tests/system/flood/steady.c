/* Sleeps in 10 ms steps on its own core until the system is stopped. */
#include <vanity_shard.h>

void vn_main(void)
{
	for (;;)
		vn_sleep(10000000ull);
}
