/* Reads the RTC's window, granted to the clock shard only: must fault. It
 * reads through vanity/mmio.h, as a driver would: a load on bare metal (the
 * MMU refuses it), an MMIO call on hosted (the kernel refuses it). */
#include <vanity_shard.h>
#include <vanity/mmio.h>

void vn_main(void)
{
	vn_log("reading the rtc");
	vn_log("read %u: not isolated", vn_mmio_read32(0x09010000ul));
}
