/* Dies at the start of every life, of a write to an unmapped page. */
#include <vanity_shard.h>

static int *volatile wild = (int *)8;

void vn_main(void)
{
	vn_log("life");
	*wild = 1;
	vn_log("survived the crash: should not happen");
}
