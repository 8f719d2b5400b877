/* Sends 1, 2, 3, ... for DURATION_MS as fast as the ring takes them, then 0. */
#include <vanity_shard.h>

#include "../../tests/system/reload/msg.h"

#ifdef OTHER
#define OUT vn_tx_other
#else
#define OUT vn_tx_work
#endif

void vn_main(void)
{
	uint64_t end = vn_now() + DURATION_MS * 1000000ull, seq = 1;
	struct msg m = {0};

	while (vn_now() < end) {
		for (int i = 0; i < 64; i++) {
			m.seq = seq;
			if (!vn_send(&OUT, &m)) {
				vn_wait(VN_FOREVER);
				break;
			}
			seq++;
		}
	}
	m.seq = 0;
	while (!vn_send(&OUT, &m))
		vn_wait(VN_FOREVER);
}
