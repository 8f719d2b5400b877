/*
 * Owns the goldfish RTC. Twice: alarm 100 ms ahead, interrupt enabled in
 * the device, then sleep until the kernel turns the interrupt into our
 * VN_NOTIFY_RTC bit; clear it in the device and acknowledge it. The second
 * round only comes if the acknowledgement unmasked the interrupt again.
 */
#include <vanity_shard.h>

#define TIME_LOW 0x00     /* ns; reading it latches TIME_HIGH */
#define TIME_HIGH 0x04
#define ALARM_LOW 0x08    /* writing it arms the alarm */
#define ALARM_HIGH 0x0c
#define IRQ_ENABLED 0x10
#define CLEAR_INTERRUPT 0x1c

static volatile uint32_t *reg(uint32_t off)
{
	return (volatile uint32_t *)(VN_DEVICE_RTC_BASE + off);
}

static uint64_t rtc_now(void)
{
	uint64_t lo = *reg(TIME_LOW);

	return (uint64_t)*reg(TIME_HIGH) << 32 | lo;
}

/* One alarm; returns the acknowledgement's result, or exits on a miss. */
static int alarm_once(void)
{
	uint64_t t0 = vn_now(), bits, at = rtc_now() + 100000000ull;
	int ack;

	*reg(IRQ_ENABLED) = 1;
	*reg(ALARM_HIGH) = (uint32_t)(at >> 32);
	*reg(ALARM_LOW) = (uint32_t)at;
	bits = vn_wait(3000000000ull);
	if (bits != VN_NOTIFY_RTC) {
		vn_log("vn_wait returned %#llx, want %#llx", (unsigned long long)bits,
		       (unsigned long long)VN_NOTIFY_RTC);
		vn_exit(1);
	}
	*reg(CLEAR_INTERRUPT) = 1;
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
