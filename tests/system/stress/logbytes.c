/* Logs control characters and UTF-8: every board shows the same line. */
#include <vanity_shard.h>

void vn_main(void)
{
	vn_log("ctl \x01\x1b\x7f tab\there caf\xc3\xa9 \xe2\x9c\x93");
}
