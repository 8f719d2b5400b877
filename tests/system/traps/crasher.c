/*
 * Faults on purpose, in the way MODE selects (see traps.yaml). Every
 * mode must end this shard; "survived" in the log means it did not.
 */
#include <stdlib.h>
#include <vanity_shard.h>

#ifndef MODE
#define MODE 1
#endif
#ifndef WILD_ADDR
#define WILD_ADDR 0x40100000ull
#endif

#if defined(__riscv)
static uint32_t data_code[4] = {0x00008067u}; /* `ret`, in writable data */
#else
static uint32_t data_code[4] = {0xd65f03c0u}; /* `ret`, in writable data */
#endif
static uint64_t words[2];

static int deep(volatile char *prev, int n)
{
	volatile char frame[512];

	frame[0] = (char)n;
	frame[511] = prev ? prev[0] : 0;
	if (n < 0)
		return 0;
	return deep(frame, n + 1) + frame[1];
}

static void fault(void)
{
	uint64_t v = 0;

	switch (MODE) {
	case 1: *(volatile uint64_t *)(uintptr_t)WILD_ADDR = 0xdeadbeef; break;
	case 2: ((void (*)(void))(uintptr_t)data_code)(); break;
#if defined(__riscv)
	case 3: __asm__ volatile(".4byte 0x00000000"); break;
	case 4: __asm__ volatile("lr.d %0, (%1)" : "=r"(v) : "r"((uintptr_t)words + 1)); break;
#else
	case 3: __asm__ volatile(".inst 0x00000000"); break;
	case 4: __asm__ volatile("ldxr %0, [%1]" : "=r"(v) : "r"((uintptr_t)words + 1)); break;
#endif
	case 5: v = *(volatile uint64_t *)(uintptr_t)WILD_ADDR; break;
	case 6: *(volatile uint32_t *)(uintptr_t)&vn_main = 0; break;
	case 7: v = (uint64_t)deep(0, 0); break;
	case 8: abort();
	}
	vn_log("survived (read %#llx): isolation is broken", (unsigned long long)v);
}

void vn_main(void)
{
	vn_log("about to fault (mode %d)", MODE);
	fault();
}
