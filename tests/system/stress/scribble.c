/* scribble.yaml's vandal (-DVANDAL) and victim. */
#include <vanity_shard.h>

#ifdef VANDAL
#include "rng.h"

/* A random byte, or a word with a value a header field may not expect. */
static void scribble(volatile uint8_t *p, size_t n)
{
	size_t at = (size_t)rng_below(n);
	static const uint64_t odd[] = {0, 1, 0x7fffffffu, 0xffffffffu, 1ull << 32,
				       1ull << 63, ~0ull};

	if (rng_below(2) || n - at < 8) {
		p[at] = (uint8_t)rng_next();
		return;
	}
	at &= ~(size_t)7;
	*(volatile uint64_t *)(p + at) =
		rng_below(2) ? odd[rng_below(sizeof(odd) / sizeof(odd[0]))] : rng_next();
}

void vn_main(void)
{
	struct {
		volatile uint8_t *at;
		size_t n;
	} mem[] = {
		/* the rings, header, slots and (back) stamps and histogram */
		{(volatile uint8_t *)vn_tx_there.ring,
		 VN_RING_BYTES(vn_tx_there.msg_size, vn_tx_there.mask + 1u,
			       vn_tx_there.flags & VN_EP_SEQ)},
		{(volatile uint8_t *)vn_rx_back.ring,
		 VN_RING_LATENCY_BYTES(vn_rx_back.msg_size, vn_rx_back.mask + 1u,
				       vn_rx_back.flags & VN_EP_SEQ)},
		{(volatile uint8_t *)vn_pool_frames.base,
		 (size_t)vn_pool_frames.buffers << vn_pool_frames.shift},
		{(volatile uint8_t *)VN_TRACE_RING, 64u + 32u * 64u},
	};
	uint8_t junk[24];
	uint64_t n = 0;

	rng_seed(SEED);
	/* victim's first message: it has taken up its endpoints (attach.c)
	 * before anything is written over (rehead.yaml does it before) */
	while (!vn_recv(&vn_rx_back, junk))
		vn_wait(VN_FOREVER);
	for (uint32_t r = 0; r < ROUNDS; r++) {
		struct vn_buf h = {(uint32_t)rng_below(32), (uint32_t)rng_next()};
		uint32_t k = (uint32_t)rng_below(sizeof(mem) / sizeof(mem[0]));

		for (uint32_t i = 0; i < 1 + rng_below(8); i++)
			scribble(mem[k].at, mem[k].n);
		n += vn_send(&vn_tx_there, &h);
		n += vn_recv(&vn_rx_back, junk);
		vn_trace_tick(r);
		if (r % 64 == 0)
			vn_yield();
	}
	vn_signal_over();
	vn_log("done: %u rounds, %llu messages moved", (unsigned)ROUNDS, (unsigned long long)n);
}
#else
void vn_main(void)
{
	uint64_t deadline = vn_now() + 20000000000ull, got = 0, refused = 0;
	static struct vn_buf hs[VN_DEPTH_THERE + 16];
	static uint8_t outs[VN_DEPTH_BACK + 16][24];
	uint8_t out[24] = {0};
	vn_bits_t seen = 0;

	while (!vn_send(&vn_tx_back, out)) /* I am up: vandal may start */
		vn_wait(VN_FOREVER);

	for (uint32_t i = 0; !(seen & VN_NOTIFY_OVER) && vn_now() < deadline; i++) {
		struct vn_buf h;
		bool moved = false;

		uint32_t n = 1;

		if (i % 2) /* more than the ring holds: a lying index must not help */
			n = vn_recv_burst(&vn_rx_there, hs, VN_DEPTH_THERE + 16);
		else if (vn_recv(&vn_rx_there, &h))
			hs[0] = h;
		else
			n = 0;
		for (uint32_t k = 0; k < n; k++) {
			volatile const uint8_t *b = vn_pool_buf(VN_POOL_OF_THERE, hs[k]);

			moved = true, got++;
			if (b)
				(void)b[0];
			else
				refused++;
		}
		if (i % 2)
			moved |= vn_send_burst(&vn_tx_back, outs, VN_DEPTH_BACK + 16) != 0;
		else
			moved |= vn_send(&vn_tx_back, out);
		vn_trace_tick(got);
		/* a wake-up vandal erased costs 1 ms; a head it wrote far ahead
		 * keeps us busy on garbage, so look for its signal now and then */
		if (!moved || i % 1024 == 0)
			seen |= vn_wait(moved ? 0 : 1000000);
	}
	vn_log("done: %s, %llu received, %llu handles refused",
	       seen & VN_NOTIFY_OVER ? "vandal said so" : "deadline",
	       (unsigned long long)got, (unsigned long long)refused);
}
#endif
