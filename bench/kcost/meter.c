/*
 * meter: times each kernel operation K and 2K times with vn_clock(), best
 * of REPS (a kernel timer tick that lands in a run is dropped with it), and
 * the interrupt wake-up N times (see kcost.yaml). Calls go straight to
 * vn_syscall where the shard API would add its own work around them.
 */
#include <vanity_shard.h>
#include <vanity/syscall.h>

#ifndef K
#define K 2000u
#endif
#ifndef N
#define N 16u
#endif
#define REPS 5

#define RTC VN_DEVICE_RTC_BASE

static inline uint64_t sys(uint32_t op, uint64_t a0)
{
	return vn_syscall(op, a0, 0);
}

/* ---- the RTC: fire its interrupt now, or arm it for later --------------- */

#if defined(__aarch64__) /* PL031: a seconds counter, an alarm match */

static void rtc_setup(void)
{
	pl031_mr_write(RTC, 0);
	pl031_imsc_write(RTC, PL031_IMSC_RTCIMSC_MASK);
}

/* Loading the count the alarm matches fires it during the store; loading
 * it far from the match only re-arms the (far) alarm: same stores. */
static inline void rtc_fire(bool now)
{
	pl031_lr_write(RTC, now ? 0 : 1000000u);
}

static void rtc_clear(void)
{
	pl031_icr_write(RTC, PL031_ICR_RTCICR_MASK);
}

#elif defined(__riscv) /* goldfish: a ns counter, a 64-bit alarm */

static uint64_t rtc_now(void)
{
	uint64_t lo = goldfish_rtc_time_low_read(RTC); /* latches TIME_HIGH */

	return (uint64_t)goldfish_rtc_time_high_read(RTC) << 32 | lo;
}

static void rtc_setup(void)
{
	goldfish_rtc_irq_enabled_write(RTC, 1);
}

/* An alarm in the past fires during the store; one in the far future
 * (2^63 ns) is only armed. */
static inline void rtc_fire(bool now)
{
	goldfish_rtc_alarm_high_write(RTC, now ? 0 : 0x80000000u);
	goldfish_rtc_alarm_low_write(RTC, 0);
}

static void rtc_clear(void)
{
	goldfish_rtc_clear_interrupt_write(RTC, 1);
}

#endif

/* ---- the timed loops ----------------------------------------------------- */

__attribute__((noinline)) static void empty(uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		__asm__ volatile("" ::"r"(i) : "memory");
}

__attribute__((noinline)) static void null(uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		sys(VN_SYS_HANDOFF, 0);
}

__attribute__((noinline)) static void wait0(uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		sys(VN_SYS_WAIT, 0);
}

__attribute__((noinline)) static void solo(uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		sys(VN_SYS_YIELD, 0);
}

/* buddy yields n times too; its wake-up on our first yield is a fixed
 * cost, which the K/2K difference cancels. */
__attribute__((noinline)) static void yield(uint32_t n)
{
	uint64_t m = n;

	while (!vn_send(&vn_tx_go, &m))
		sys(VN_SYS_YIELD, 0);
	for (uint32_t i = 0; i < n; i++)
		sys(VN_SYS_YIELD, 0);
}

__attribute__((noinline)) static void xcore(uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		vn_signal_ping();
		while (!(sys(VN_SYS_WAIT, VN_FOREVER) & VN_NOTIFY_PONG))
			;
	}
}

static void irq_loop(uint32_t n, bool fire)
{
	for (uint32_t i = 0; i < n; i++) {
		rtc_fire(fire);
		sys(VN_SYS_WAIT, 0);
		rtc_clear();
		sys(VN_SYS_IRQ_ACK, VN_NOTIFY_RTC);
	}
}

__attribute__((noinline)) static void irq(uint32_t n)
{
	irq_loop(n, true);
}

__attribute__((noinline)) static void irqc(uint32_t n)
{
	irq_loop(n, false);
}

static uint64_t best(void (*fn)(uint32_t), uint32_t n)
{
	uint64_t min = ~0ull;

	for (int r = 0; r < REPS; r++) {
		uint64_t t0 = vn_clock();

		fn(n);
		t0 = vn_clock() - t0;
		if (t0 < min)
			min = t0;
		if (fn == yield) /* buddy goes back to sleep, off the clock */
			sys(VN_SYS_YIELD, 0);
	}
	return min;
}

/* ---- an interrupt that wakes meter from its sleep -------------------------- */

/* One sample: instructions (aarch64: clock ticks of 16 instructions) from
 * the alarm's expiry to our return from WAIT; ~0 if it was missed. */
static uint64_t wake_once(void)
{
	uint64_t late = ~0ull, bits;

#if defined(__aarch64__)
	/* The alarm fires 1 s (62,500,000 ticks) after the store to MR; a
	 * second boundary between reading DR and the store fires it at
	 * once instead (the sample is then thrown away). */
	uint32_t c = pl031_dr_read(RTC);
	uint64_t t0 = vn_clock(), t1;

	pl031_mr_write(RTC, c + 1);
	bits = sys(VN_SYS_WAIT, 3000000000ull);
	t1 = vn_clock();
	if (bits & VN_NOTIFY_RTC && t1 - t0 >= 62500000u)
		late = t1 - t0 - 62500000u;
#elif defined(__riscv)
	uint64_t at = rtc_now() + 1000000u, t1;

	goldfish_rtc_alarm_high_write(RTC, (uint32_t)(at >> 32));
	goldfish_rtc_alarm_low_write(RTC, (uint32_t)at);
	bits = sys(VN_SYS_WAIT, 3000000000ull);
	t1 = rtc_now();
	if (bits & VN_NOTIFY_RTC && t1 >= at)
		late = t1 - at;
#endif
	rtc_clear();
	sys(VN_SYS_IRQ_ACK, VN_NOTIFY_RTC);
	return late;
}

void vn_main(void)
{
	static void (*const fns[])(uint32_t) = {empty, null, wait0, solo, yield,
						 xcore, irq, irqc};
	uint64_t t[8][2], sum = 0, min = ~0ull, max = 0;
	uint32_t got = 0;

	rtc_setup();
	for (int i = 0; i < 8; i++) {
		t[i][0] = best(fns[i], K);
		t[i][1] = best(fns[i], 2 * K);
	}
#if defined(__aarch64__)
	pl031_imsc_write(RTC, PL031_IMSC_RTCIMSC_MASK);
#endif
	for (uint32_t i = 0; i < N + 4 && got < N; i++) {
		uint64_t late = wake_once();

		if (late == ~0ull)
			continue;
		sum += late, got++;
		min = late < min ? late : min;
		max = late > max ? late : max;
	}
	vn_log("kcost k=%u empty1=%llu empty2=%llu null1=%llu null2=%llu wait01=%llu "
	       "wait02=%llu solo1=%llu solo2=%llu yield1=%llu yield2=%llu xcore1=%llu "
	       "xcore2=%llu irq1=%llu irq2=%llu irqc1=%llu irqc2=%llu ticks",
	       K, (unsigned long long)t[0][0], (unsigned long long)t[0][1],
	       (unsigned long long)t[1][0], (unsigned long long)t[1][1],
	       (unsigned long long)t[2][0], (unsigned long long)t[2][1],
	       (unsigned long long)t[3][0], (unsigned long long)t[3][1],
	       (unsigned long long)t[4][0], (unsigned long long)t[4][1],
	       (unsigned long long)t[5][0], (unsigned long long)t[5][1],
	       (unsigned long long)t[6][0], (unsigned long long)t[6][1],
	       (unsigned long long)t[7][0], (unsigned long long)t[7][1]);
#if defined(__aarch64__)
	const char *unit = "ticks";
#else
	const char *unit = "ns";
#endif
	vn_log("kcost-wake n=%u sum=%llu min=%llu max=%llu unit=%s", got,
	       (unsigned long long)sum, (unsigned long long)(got ? min : 0),
	       (unsigned long long)max, unit);
	vn_halt(0);
}
