/*
 * Writes a fresh value to its own memory at OWN_ADDR (its heap, or a pool
 * it maps read-write) and yields, ROUNDS times; after each yield the value
 * must still be there.
 */
#include <vanity_shard.h>

#ifndef OWN_ADDR
#error "the test passes OWN_ADDR"
#endif
#define ROUNDS 200u

void vn_main(void)
{
	volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)OWN_ADDR;
	uint32_t changed = 0;

	for (uint32_t i = 0; i < ROUNDS; i++) {
		*p = 0x5ec2e7000ull + i;
		vn_yield();
		changed += *p != 0x5ec2e7000ull + i;
	}
	vn_log("wrote its memory %u times, %u changed under it", ROUNDS, changed);
}
