/*
 * outsider.c - maps no pool, and reads the first byte of pool `blocks` at
 * the address owner sends it: nothing is mapped there for this shard.
 */
#include <vanity_shard.h>

void vn_main(void)
{
	uint64_t addr;

	while (!vn_recv(&vn_rx_where, &addr))
		vn_wait(VN_FOREVER);
	vn_log("reading %#llx", (unsigned long long)addr);
	vn_log("read %u", *(volatile unsigned char *)(uintptr_t)addr);
}
