/* Spins without a system call until the watchdog takes the core back. */
#include <vanity_shard.h>

void vn_main(void)
{
	for (volatile uint64_t n = 0;; n++)
		;
}
