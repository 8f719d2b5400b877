/* crasher: writes to 0x10000000, the producer's image in the producer's
 * address space, which is not mapped in ours: isolation makes it a fault. */
#include <vanity_shard.h>

void vn_main(void)
{
	vn_log("about to touch another shard's memory");
	*(volatile int *)0x10000000 = 1;
	vn_log("still alive: isolation is broken");
}
