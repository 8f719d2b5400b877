/* Finishes at once. */
#include <vanity_shard.h>

void vn_main(void)
{
}
