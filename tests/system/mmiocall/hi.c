/* hi.c - reads lo's half of the page: outside its own window. */
#include <vanity_shard.h>
#include <vanity/mmio.h>

void vn_main(void)
{
	vn_log("reading lo's half");
	vn_log("read %#x", vn_mmio_read32(VN_DEVICE_RTC_HI_BASE - 0x800));
}
