/*
 * memory.c - the shard's private heap: the region the spec's `memory:` key
 * sizes, mapped by the port before vn_main() runs. How it is carved up is
 * the shard's business (an arena, a pool of buffers, ...).
 */
#include <vanity.h>
#include <vanity/config.h>

void *vn_heap(size_t *size)
{
	if (size)
		*size = (size_t)(vn_self.heap_hi - vn_self.heap_lo);
	return (void *)(uintptr_t)vn_self.heap_lo;
}
