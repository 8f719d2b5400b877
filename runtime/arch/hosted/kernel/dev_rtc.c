/*
 * dev_rtc.c - the simulator's real-time clock: an ARM PL031.
 *
 * A seconds counter that starts at the host's wall-clock time and an alarm:
 * when the counter reaches the match register, the raw interrupt latches
 * (RTCRIS) until cleared through RTCICR. The device thread wakes at the
 * match time (next_event), so the alarm fires on time with no access.
 */
#include <time.h>

#include "dev.h"
#include "hk.h"
#include "port.h"

enum { R_BASE, R_LOADED, R_MR, R_IMSC, R_RIS, R_ARMED, R_MATCH_AT };

#define NS 1000000000ull

static const uint8_t pl031_id[8] = {0x31, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1};

static uint32_t counter(struct hk_dev *d, uint64_t now)
{
	return (uint32_t)(d->r[R_BASE] + (now - d->r[R_LOADED]) / NS);
}

/* When the counter next equals MR; like QEMU, a match in the past waits for
 * the counter to wrap, which is never here. */
static void arm(struct hk_dev *d, uint64_t now)
{
	uint32_t mr = (uint32_t)d->r[R_MR], dr = counter(d, now);
	uint64_t secs = (now - d->r[R_LOADED]) / NS;

	d->r[R_ARMED] = mr > dr;
	/* MR - DR seconds from the count now: the 32-bit count may have
	 * wrapped since LR was loaded, so not MR - LR from then. */
	d->r[R_MATCH_AT] = d->r[R_LOADED] + (secs + (mr - dr)) * NS;
	hk_dev_changed();
}

static void latch(struct hk_dev *d, uint64_t now)
{
	if (d->r[R_ARMED] && now >= d->r[R_MATCH_AT]) {
		d->r[R_ARMED] = 0;
		d->r[R_RIS] = 1;
	}
}

static void pl031_reset(struct hk_dev *d)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	d->r[R_BASE] = (uint32_t)ts.tv_sec;
	d->r[R_LOADED] = port_now();
}

static uint64_t pl031_read(struct hk_dev *d, uint64_t off, uint32_t bytes)
{
	uint64_t now = port_now();

	(void)bytes;
	latch(d, now);
	switch (off) {
	case 0x00: return counter(d, now);  /* RTCDR */
	case 0x04: return d->r[R_MR];       /* RTCMR */
	case 0x08: return counter(d, now);  /* RTCLR reads back the count */
	case 0x0c: return 1;                /* RTCCR: always started */
	case 0x10: return d->r[R_IMSC];
	case 0x14: return d->r[R_RIS];
	case 0x18: return d->r[R_RIS] & d->r[R_IMSC];
	}
	if (off >= 0xfe0 && off < 0x1000 && off % 4 == 0)
		return pl031_id[(off - 0xfe0) / 4];
	return 0;
}

static void pl031_write(struct hk_dev *d, uint64_t off, uint32_t bytes, uint64_t v)
{
	uint64_t now = port_now();

	(void)bytes;
	latch(d, now);
	switch (off) {
	case 0x04:
		d->r[R_MR] = (uint32_t)v;
		arm(d, now);
		break;
	case 0x08:
		d->r[R_BASE] = (uint32_t)v;
		d->r[R_LOADED] = now;
		arm(d, now);
		break;
	case 0x10: d->r[R_IMSC] = v & 1; break;
	case 0x1c: d->r[R_RIS] &= ~(v & 1); break;
	default: break;
	}
}

static bool pl031_irq(struct hk_dev *d, uint64_t now)
{
	latch(d, now);
	return (d->r[R_RIS] & d->r[R_IMSC]) != 0;
}

static uint64_t pl031_next(struct hk_dev *d)
{
	return d->r[R_ARMED] ? d->r[R_MATCH_AT] : VN_NEVER;
}

const struct hk_model hk_pl031 = {
	.compatible = "arm,pl031",
	.reset = pl031_reset,
	.read = pl031_read,
	.write = pl031_write,
	.irq_level = pl031_irq,
	.next_event = pl031_next,
};
