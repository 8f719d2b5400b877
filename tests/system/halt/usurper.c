/* Tries to stop the whole system, which its spec does not let it do. */
#include <vanity_shard.h>

void vn_main(void)
{
	vn_log("halting the system");
	vn_halt(9);
}
