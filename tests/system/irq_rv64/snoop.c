/* Reads the RTC's window, granted to the clock shard only: must fault. */
#include <vanity_shard.h>

void vn_main(void)
{
	volatile uint32_t *rtc = (volatile uint32_t *)0x101000ul;

	vn_log("reading the rtc");
	vn_log("read %u: not isolated", *rtc);
}
