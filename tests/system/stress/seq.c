/* A bystander pair: with TX, send MSGS numbered messages; with RX, receive
 * them and count the ones out of order. */
#include <vanity_shard.h>

#define MSGS 20000u

void vn_main(void)
{
#ifdef TX
	for (uint64_t i = 0; i < MSGS; i++)
		while (!vn_send(&TX, &i))
			vn_wait(VN_FOREVER);
	vn_log("sent %u", MSGS);
#else
	uint64_t m, bad = 0;

	for (uint64_t i = 0; i < MSGS; i++) {
		while (!vn_recv(&RX, &m))
			vn_wait(VN_FOREVER);
		bad += m != i;
	}
	vn_log("received %u, %llu out of order", MSGS, (unsigned long long)bad);
#endif
}
