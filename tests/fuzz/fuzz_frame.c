/*
 * fuzz_frame.c - libFuzzer target for the virtio-net driver's pure parts:
 * the frame checks and MAC rewrite (drivers/virtio_net/frame.c) and the
 * driver side of a split virtqueue (drivers/virtio_net/virtq.c), with the
 * fuzzer playing a confused or hostile device.
 *
 * The input is a script. Its first byte picks the queue size; then each
 * step is one opcode byte and its operands:
 *
 *   0  the device uses an entry: id (16 bits), len (32 bits), any values
 *   1  the device moves used->idx by a byte's worth, however implausibly
 *   2  the device scribbles over the used ring's flags
 *   3  the driver harvests up to a byte's worth of used buffers, checks
 *      each as a received frame, rewrites the good ones and recycles all
 *   4  the driver refills the queue from the pool and publishes
 *   5  a raw frame (length byte, then bytes) through the frame checks
 *
 * Invariants checked after every step (abort() on a violation, which
 * libFuzzer reports with the input): a harvested token is a buffer the
 * driver had in flight, never one twice; the pool's free count plus the
 * buffers in flight is the pool's size; no double free; a frame passed
 * as good is 60..1514 bytes and inside its buffer. ASan and UBSan catch
 * every out-of-bounds index and overflow.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../drivers/virtio_net/frame.h"
#include "../../drivers/virtio_net/virtq.h"

#define NBUF   (VQ_MAX + 8)
#define HDR    12u /* the modern header; the legacy one is 10 */

struct input {
	const uint8_t *p;
	size_t left;
};

static uint32_t take(struct input *in, unsigned bytes)
{
	uint32_t v = 0;

	while (bytes-- && in->left) {
		v = v << 8 | *in->p++;
		in->left--;
	}
	return v;
}

static void check(int ok)
{
	if (!ok)
		abort();
}

struct world {
	struct virtq q;
	struct vnet_pool pool;
	struct vnet_pkt *bufs;
	uint8_t in_flight[NBUF]; /* 1 while the "device" holds bufs[i] */
	unsigned n_in_flight;
};

static unsigned index_of(struct world *w, void *token)
{
	uintptr_t off = (uintptr_t)token - (uintptr_t)w->bufs;

	check(off % sizeof(struct vnet_pkt) == 0 && off / sizeof(struct vnet_pkt) < NBUF);
	return (unsigned)(off / sizeof(struct vnet_pkt));
}

static void refill(struct world *w)
{
	struct vnet_pkt *pkt;

	while (w->q.n_free && (pkt = vnet_pkt_alloc(&w->pool))) {
		check(vq_add(&w->q, pkt, (uint64_t)(uintptr_t)vnet_pkt_hdr(pkt, HDR),
			     HDR + VNET_FRAME_CAP, true));
		w->in_flight[index_of(w, pkt)] = 1;
		w->n_in_flight++;
	}
	vq_publish(&w->q);
	(void)vq_kick_needed(&w->q);
}

static void receive(struct vnet_pkt *pkt, uint32_t used_len)
{
	static const uint8_t mac[VNET_MAC_LEN] = {0x52, 0x54, 0, 0, 0, 0x11};
	uint32_t flen = 0;
	enum vnet_verdict v = vnet_rx_check(used_len, HDR, HDR + VNET_FRAME_CAP, &flen);
	struct vnet_stats s = {0};

	if (vnet_count_rx(&s, v)) {
		check(flen >= VNET_FRAME_MIN && flen <= VNET_FRAME_MAX && flen <= VNET_FRAME_CAP);
		vnet_mac_rewrite(pkt->frame, 1, mac);
		(void)vnet_ethertype(pkt->frame, flen);
		check(pkt->frame[5] == 1 && pkt->frame[11] == 0x11);
	} else {
		check(s.dropped == 1 && s.rx == 0);
	}
}

static void harvest(struct world *w, unsigned max)
{
	void *tok[VQ_MAX];
	uint32_t len[VQ_MAX];
	unsigned got = vq_get_used(&w->q, tok, len, max);

	check(got <= max);
	for (unsigned i = 0; i < got; i++) {
		unsigned b = index_of(w, tok[i]);

		check(w->in_flight[b]);
		w->in_flight[b] = 0;
		w->n_in_flight--;
		receive(tok[i], len[i]);
		vnet_pkt_free(&w->pool, tok[i]);
	}
}

static void raw_frame(struct input *in)
{
	uint8_t frame[256];
	uint32_t n = take(in, 1), flen = 0;
	uint32_t buf_len = (uint32_t)sizeof(frame) + HDR;

	memset(frame, 0, sizeof(frame));
	for (uint32_t i = 0; i < n && in->left; i++)
		frame[i] = (uint8_t)take(in, 1);
	if (vnet_rx_check(n + HDR, HDR, buf_len, &flen) == VNET_OK)
		check(flen == n && flen >= VNET_FRAME_MIN);
	(void)vnet_ethertype(frame, n);
}

static void step(struct world *w, struct input *in)
{
	unsigned slot;

	switch (take(in, 1) % 6) {
	case 0:
		slot = w->q.last_used + take(in, 1);
		w->q.used->ring[slot & (w->q.size - 1)].id = take(in, 2);
		w->q.used->ring[slot & (w->q.size - 1)].len = take(in, 4);
		break;
	case 1:
		w->q.used->idx = (uint16_t)(w->q.used->idx + take(in, 1));
		break;
	case 2:
		w->q.used->flags = (uint16_t)take(in, 2);
		break;
	case 3:
		harvest(w, take(in, 1) % (VQ_MAX + 1));
		break;
	case 4:
		refill(w);
		break;
	case 5:
		raw_frame(in);
		break;
	}
	check(w->pool.double_free == 0 && w->pool.foreign == 0);
	check(w->pool.n_free + w->n_in_flight == w->pool.n_total);
	check(w->q.size - w->q.n_free == w->n_in_flight);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = {data, size};
	unsigned qsize = 1u << (take(&in, 1) % 9); /* 1 .. 256 */
	size_t ring = vq_ring_bytes(qsize);
	void *mem = aligned_alloc(VQ_ALIGN, ring);
	/* Static: allocating half a megabyte per input would dominate the run. */
	static _Alignas(64) struct vnet_pkt bufs[NBUF];
	static _Alignas(4) uint8_t books[VNET_POOL_BOOKS(NBUF)];
	static struct world w;

	memset(&w, 0, sizeof(w));
	w.bufs = bufs;
	check(mem != NULL);
	memset(mem, 0, ring);
	check(vq_init(&w.q, mem, qsize, false) == 0);
	check(vnet_pool_init_at(&w.pool, w.bufs, NBUF, books, sizeof(books)) == NBUF);
	refill(&w);
	while (in.left)
		step(&w, &in);
	free(mem);
	return 0;
}
