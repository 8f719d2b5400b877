/* bursts.yaml's senders (-DTX=endpoint) and receiver. */
#include <vanity_shard.h>

#define MSGS 20000u
#define SEND 5u
#define TAKE 3u

struct msg {
	uint64_t n, w[7];
};

#ifdef TX
void vn_main(void)
{
	struct msg b[SEND] = {{0}};

	for (uint32_t i = 0; i < MSGS;) {
		uint32_t n = MSGS - i < SEND ? MSGS - i : SEND, k = 0;

		for (uint32_t j = 0; j < n; j++)
			b[j].n = i + j;
		while (k < n) {
			k += vn_send_burst(&TX, b + k, n - k);
			if (k < n)
				vn_wait(VN_FOREVER);
		}
		i += n;
	}
	vn_log("sent %u", MSGS);
}
#else
/* The next messages of one ring, checked; how many it took. */
static uint32_t take(const struct vn_rx *rx, uint64_t *next, uint64_t *bad)
{
	struct msg b[TAKE];
	uint32_t n = vn_recv_burst(rx, b, TAKE);

	for (uint32_t j = 0; j < n; j++)
		*bad += b[j].n != (*next)++;
	return n;
}

void vn_main(void)
{
	uint64_t seq = 0, packed = 0, bad = 0;

	while (seq < MSGS || packed < MSGS) {
		uint32_t got = take(&vn_rx_seq, &seq, &bad) + take(&vn_rx_packed, &packed, &bad);

		if (!got)
			vn_wait(VN_FOREVER);
	}
	vn_log("received %llu and %llu, %llu out of order", (unsigned long long)seq,
	       (unsigned long long)packed, (unsigned long long)bad);
}
#endif
