/* FLOODS reload requests for target, each of an image with no reload
 * header (zeroes, in the heap: where the kernel reads an updater's image
 * on every board), each refused; then their count to target. */
#include <string.h>

#include <vanity_shard.h>

#define FLOODS 200u

void vn_main(void)
{
	size_t room;
	uint8_t *junk = vn_heap(&room);
	uint64_t n = 0;

	memset(junk, 0, 256);
	for (uint32_t i = 0; i < FLOODS; i++)
		if (vn_reload(VN_RELOAD_TARGET, junk, 256) == VN_RELOAD_FORMAT)
			n++;
	vn_log("flooded: %llu of %u refused as no reload image", (unsigned long long)n,
	       FLOODS);
	while (!vn_send(&vn_tx_done, &n))
		vn_yield();
}
