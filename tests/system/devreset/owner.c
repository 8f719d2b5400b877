/* Says what STATUS its card has at its start, sets it up halfway, faults. */
#include <vanity_shard.h>
#include <vanity/mmio.h>

#define STATUS 0x70u

void vn_main(void)
{
	uintptr_t status = VN_DEVICE_NET_BASE + STATUS;

	vn_log("card %#x, status at start %u", (unsigned)vn_mmio_read32(VN_DEVICE_NET_BASE + 8),
	       (unsigned)vn_mmio_read32(status));
	vn_mmio_write32(status, 1);
	vn_mmio_write32(status, 3); /* ACKNOWLEDGE | DRIVER */
	*(volatile uint32_t *)8 = 0;
}
