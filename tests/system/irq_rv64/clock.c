/*
 * Owns the goldfish RTC. Twice: alarm 100 ms ahead, interrupt enabled in
 * the device, then sleep until the kernel turns the interrupt into our
 * VN_NOTIFY_RTC bit; clear it in the device and acknowledge it. The second
 * round only comes if the acknowledgement unmasked the interrupt again.
 */
#include <vanity_shard.h>

static uint64_t rtc_now(void)
{
	uint64_t lo = goldfish_rtc_time_low_read(VN_DEVICE_RTC_BASE); /* latches TIME_HIGH */

	return (uint64_t)goldfish_rtc_time_high_read(VN_DEVICE_RTC_BASE) << 32 | lo;
}

/* One alarm; returns the acknowledgement's result, or exits on a miss. */
static int alarm_once(void)
{
	uint64_t t0 = vn_now(), bits, at = rtc_now() + 100000000ull;
	int ack;

	goldfish_rtc_irq_enabled_write(VN_DEVICE_RTC_BASE, 1);
	goldfish_rtc_alarm_high_write(VN_DEVICE_RTC_BASE, (uint32_t)(at >> 32));
	goldfish_rtc_alarm_low_write(VN_DEVICE_RTC_BASE, (uint32_t)at);
	bits = vn_wait(3000000000ull);
	if (bits != VN_NOTIFY_RTC) {
		vn_log("vn_wait returned %#llx, want %#llx", (unsigned long long)bits,
		       (unsigned long long)VN_NOTIFY_RTC);
		vn_exit(1);
	}
	goldfish_rtc_clear_interrupt_write(VN_DEVICE_RTC_BASE, 1);
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
