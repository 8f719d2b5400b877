/*
 * The producer of `own`. It writes a marker straight into its own ring's
 * memory at OWN_ADDR (from the manifest: the ring's last 8 bytes, the very
 * address ring_writer is refused) and reads it back, then sends MSGS
 * messages through the channel as usual.
 */
#include <vanity_shard.h>

#ifndef OWN_ADDR
#error "the test passes OWN_ADDR"
#endif

#define MSGS 100u

void vn_main(void)
{
	volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)OWN_ADDR;
	uint8_t m[VN_MSG_SIZE_OWN];

	*p = 0x0123456789abcdefull;
	vn_log("own ring at %#llx: wrote and read back %#llx", (unsigned long long)OWN_ADDR,
	       (unsigned long long)*p);
	for (uint32_t i = 0; i < MSGS; i++) {
		for (uint32_t k = 0; k < sizeof(m); k++)
			m[k] = (uint8_t)(i + k);
		while (!vn_send(&vn_tx_own, m))
			vn_wait(VN_FOREVER);
	}
	vn_log("sent %u", MSGS);
}
