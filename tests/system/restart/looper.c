/* Dies at once, every time: the restart budget must stop it. */
#include <stdlib.h>

#include <vanity_shard.h>

void vn_main(void)
{
	abort();
}
