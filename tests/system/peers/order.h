/* Orders the watcher gives: die of a wild write, or exit. */
#include <stdint.h>

#define ORDER_CRASH 1u
#define ORDER_EXIT 2u

static inline void die(void)
{
	volatile uint64_t *volatile wild = (volatile uint64_t *)8;

	*wild = 1;
}
