/* Logs LINES numbered lines of 131 characters, as fast as it can, then
 * ends. */
#include <vanity_shard.h>

#define LINES 20000u

void vn_main(void)
{
	for (uint32_t i = 0; i < LINES; i++)
		vn_log("line %05u %s%s", i, "0123456789012345678901234567890123456789",
		       "01234567890123456789012345678901234567890123456789012345678901234567890");
}
