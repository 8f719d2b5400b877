/*
 * Logs its build (-DBUILD) and, the first time, a line the test waits for;
 * then waits WAIT_MS and writes where no shard may: every life faults.
 */
#include <stdint.h>
#include <vanity_shard.h>

#ifndef BUILD
#error "build with -DBUILD=n"
#endif

#define WAIT_MS 1500

static volatile uint64_t *volatile wild_addr = (volatile uint64_t *)0x10;

void vn_main(void)
{
	vn_log("build %d", BUILD);
	vn_wait(WAIT_MS * 1000000ull);
	*wild_addr = BUILD;
}
