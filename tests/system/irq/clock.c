/*
 * Owns the PL031 RTC. Twice: alarm at the next second, interrupt unmasked in
 * the device, then sleep until the kernel turns the interrupt into our
 * VN_NOTIFY_RTC bit; clear it in the device and acknowledge it. The second
 * round only comes if the acknowledgement unmasked the interrupt again.
 */
#include <vanity_shard.h>

#define RTCDR 0x000   /* data: seconds */
#define RTCMR 0x004   /* match */
#define RTCIMSC 0x010 /* interrupt mask set/clear */
#define RTCICR 0x01c  /* interrupt clear */

static volatile uint32_t *reg(uint32_t off)
{
	return (volatile uint32_t *)(VN_DEVICE_RTC_BASE + off);
}

/* One alarm; returns the acknowledgement's result, or exits on a miss. */
static int alarm_once(void)
{
	uint64_t t0 = vn_now(), bits;
	int ack;

	*reg(RTCMR) = *reg(RTCDR) + 1;
	*reg(RTCIMSC) = 1;
	bits = vn_wait(3000000000ull);
	if (bits != VN_NOTIFY_RTC) {
		vn_log("vn_wait returned %#llx, want %#llx", (unsigned long long)bits,
		       (unsigned long long)VN_NOTIFY_RTC);
		vn_exit(1);
	}
	*reg(RTCICR) = 1;
	ack = vn_irq_ack(VN_NOTIFY_RTC);
	vn_log("rtc interrupt after %llu ms, irq %u, ack %d",
	       (unsigned long long)((vn_now() - t0) / 1000000u), VN_DEVICE_RTC_IRQ, ack);
	return ack;
}

void vn_main(void)
{
	int first = alarm_once(), second = alarm_once();

	vn_log("ack of a bit that is no device: %d", vn_irq_ack(UINT64_C(1) << 5));
	vn_exit(first == 0 && second == 0 ? 0 : 2);
}
