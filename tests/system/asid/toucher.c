/*
 * Yields YIELDS times (the shard queued before it, a keeper, runs and
 * writes its memory in between), then makes one access to PROBE_ADDR,
 * the keeper's: a read, or a write if PROBE_WRITE is 1. Isolation makes
 * it a fault; surviving it is a failure the test sees in the log.
 */
#include <vanity_shard.h>

#ifndef PROBE_ADDR
#error "the test passes PROBE_ADDR"
#endif
#ifndef PROBE_WRITE
#define PROBE_WRITE 0
#endif
#define YIELDS 20u

void vn_main(void)
{
	volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)PROBE_ADDR;

	vn_log("%s %#llx", PROBE_WRITE ? "writing" : "reading", (unsigned long long)PROBE_ADDR);
	for (uint32_t i = 0; i < YIELDS; i++)
		vn_yield();
	if (PROBE_WRITE) {
		*p = 0x5eed;
		vn_log("wrote it: isolation is broken");
	} else {
		vn_log("read %#llx: isolation is broken", (unsigned long long)*p);
	}
}
