/*
 * Owns the PL031 RTC, through its generated accessors (regmaps/pl031.h), so
 * the same source runs on qemu-virt-aarch64 and on the hosted simulator's
 * PL031 model. Twice: alarm at the next second, interrupt unmasked in the
 * device, then sleep until the kernel turns the interrupt into our
 * VN_NOTIFY_RTC bit; clear it in the device and acknowledge it. The second
 * round only comes if the acknowledgement unmasked the interrupt again.
 */
#include <vanity_shard.h>

#define RTC VN_DEVICE_RTC_BASE

/* One alarm; returns the acknowledgement's result, or exits on a miss. */
static int alarm_once(void)
{
	uint64_t t0 = vn_now(), bits;
	int ack;

	pl031_mr_write(RTC, pl031_dr_read(RTC) + 1);
	pl031_imsc_write(RTC, PL031_IMSC_RTCIMSC_MASK);
	bits = vn_wait(3000000000ull);
	if (bits != VN_NOTIFY_RTC) {
		vn_log("vn_wait returned %#llx, want %#llx", (unsigned long long)bits,
		       (unsigned long long)VN_NOTIFY_RTC);
		vn_exit(1);
	}
	pl031_icr_write(RTC, PL031_ICR_RTCICR_MASK);
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
