/* Leaves with _exit(3), without the EXIT call. */
#include <unistd.h>

#include <vanity_shard.h>

void vn_main(void)
{
	_exit(3);
}
