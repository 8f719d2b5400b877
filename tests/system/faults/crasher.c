/*
 * Faults on purpose once the producer pokes it. CRASH selects how:
 *   1  write to WILD_ADDR (another shard's memory, from the manifest)
 *   2  call abort()
 *   3  spin without yielding (for the watchdog)
 */
#include <stdlib.h>
#include <vanity_shard.h>

#ifndef CRASH
#define CRASH 1
#endif
#ifndef WILD_ADDR
#define WILD_ADDR 0x10000000ull
#endif

void vn_main(void)
{
	uint64_t go;

	while (!vn_recv(&vn_rx_poke, &go))
		vn_wait(VN_FOREVER);
	vn_log("about to fault (mode %d)", CRASH);
	if (CRASH == 1)
		*(volatile uint64_t *)(uintptr_t)WILD_ADDR = 0xdeadbeef;
	else if (CRASH == 2)
		abort();
	else
		for (;;)
			__asm__ volatile("" ::: "memory");
	vn_log("survived: isolation is broken");
}
