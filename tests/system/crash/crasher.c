/*
 * Dies as MODE says, in a function of its own, so a backtrace names it:
 *   1  wild_write: a store to an address no shard owns
 *   2  illegal_op: an instruction the ISA does not define
 *   3  overflow: recursion through the guard page below the stack
 *   4  hog_spin: a loop that never yields, until the watchdog fires
 * Before it dies it records one trace event (its ring goes into the dump)
 * and, but for the hog, logs one line.
 */
#include <stdint.h>
#include <vanity_shard.h>

#ifndef MODE
#error "build with -DMODE=1..4"
#endif

/* Through a volatile pointer: the compiler may not prove it wild. */
static volatile uint64_t *volatile wild_addr = (volatile uint64_t *)0x10;

__attribute__((noinline)) void wild_write(uint64_t value)
{
	*wild_addr = value;
	__asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) void illegal_op(void)
{
#if defined(__x86_64__)
	__asm__ volatile("ud2");
#elif defined(__aarch64__)
	__asm__ volatile(".inst 0x00000000"); /* udf #0 */
#elif defined(__riscv)
	__asm__ volatile(".4byte 0"); /* all zeros: defined illegal */
#endif
	__asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) uint64_t overflow(uint64_t depth)
{
	volatile uint8_t frame[512];

	frame[depth % sizeof(frame)] = (uint8_t)depth;
	if (depth == UINT64_MAX) /* never: but the recursion must look finite */
		return 0;
	return overflow(depth + 1) + frame[depth % sizeof(frame)];
}

__attribute__((noinline)) void hog_spin(void)
{
	for (;;)
		__asm__ volatile("" ::: "memory");
}

void vn_main(void)
{
	/* The watchdog counts from when the shard got its core: the hog makes
	 * no call before its loop, so its time is the loop's. */
	if (MODE != 4)
		vn_log("dying, mode %d", MODE);
	vn_trace_dying(MODE);
	if (MODE == 1)
		wild_write(0xdeadbeef);
	else if (MODE == 2)
		illegal_op();
	else if (MODE == 3)
		vn_log("%llu", (unsigned long long)overflow(0));
	else
		hog_spin();
	vn_log("survived: the fault did not happen");
}
