/* ping: ROUNDS round trips to pong (on the other core), single and burst,
 * checking every payload; then a stop message. */
#include <vanity_shard.h>

#include "msg.h"

#define ROUNDS 500
#define BURST 8

static void recv_one(struct msg *m)
{
	while (!vn_recv(&vn_rx_pong_to_ping, m))
		vn_wait(VN_FOREVER);
}

static int single(uint32_t i)
{
	struct msg m;

	msg_fill(&m, i, 1);
	while (!vn_send(&vn_tx_ping_to_pong, &m))
		vn_wait(VN_FOREVER);
	recv_one(&m);
	return msg_ok(&m, i, 2) ? 0 : -1;
}

static int burst(uint32_t i)
{
	struct msg m[BURST];
	uint32_t sent = 0;

	for (uint32_t k = 0; k < BURST; k++)
		msg_fill(&m[k], i * BURST + k, 1);
	while (sent < BURST)
		sent += vn_send_burst(&vn_tx_ping_to_pong, m + sent, BURST - sent);
	for (uint32_t k = 0; k < BURST; k++) {
		recv_one(&m[0]);
		if (!msg_ok(&m[0], i * BURST + k, 2))
			return -1;
	}
	return 0;
}

void vn_main(void)
{
	struct msg stop;
	uint64_t t0 = vn_now();

	for (uint32_t i = 0; i < ROUNDS; i++) {
		if (single(i) != 0 || burst(i) != 0) {
			vn_log("bad reply in round %u", i);
			vn_exit(1);
		}
	}
	msg_fill(&stop, 0, 99);
	while (!vn_send(&vn_tx_ping_to_pong, &stop))
		vn_wait(VN_FOREVER);
	vn_log("%d round trips ok (%d messages each way), %llu us each", ROUNDS,
	       ROUNDS * (1 + BURST),
	       (unsigned long long)((vn_now() - t0) / 1000 / (ROUNDS * (1 + BURST))));
}
