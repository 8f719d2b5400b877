/* Echoes ping's messages until the stop message, entering the kernel once
 * for each (a yield: no other shard shares this core, so it returns), and
 * times those entries by the phase in each message's top byte: the time a
 * yield takes is the time core 1 waits for the kernel. Logs, per phase,
 *   phase N: Y yields, mean T ns */
#include <vanity_shard.h>

#define PHASES 6

static uint64_t yields[PHASES], ns[PHASES];

void vn_main(void)
{
	uint64_t m, t;

	for (;;) {
		while (!vn_recv(&vn_rx_ping_to_pong, &m))
			vn_wait(VN_FOREVER);
		if (m == UINT64_MAX)
			break;
		t = vn_now();
		vn_yield();
		t = vn_now() - t;
		if ((m >> 56) < PHASES) {
			yields[m >> 56]++;
			ns[m >> 56] += t;
		}
		while (!vn_send(&vn_tx_pong_to_ping, &m))
			vn_wait(VN_FOREVER);
	}
	for (unsigned p = 0; p < PHASES; p++)
		vn_log("phase %u: %llu yields, mean %llu ns", p, (unsigned long long)yields[p],
		       (unsigned long long)(yields[p] ? ns[p] / yields[p] : 0));
}
