/* lo.c - its half of the RTC page, through the kernel (mmiocall.yaml). */
#include <vanity_shard.h>
#include <vanity/mmio.h>

#ifndef VN_MMIO_BY_KERNEL
#error "rtc_lo shares its page with rtc_hi: the kernel must make its accesses"
#endif

void vn_main(void)
{
	uint32_t t0 = vn_mmio_read32(VN_DEVICE_RTC_LO_BASE);

	vn_sleep(20000000);
	vn_log("data register: %s", vn_mmio_read32(VN_DEVICE_RTC_LO_BASE) != 0 || t0 != 0
						 ? "read" : "zero");
	vn_log("one byte: %#x", vn_mmio_read8(VN_DEVICE_RTC_LO_BASE));
	vn_log("still here");
}
