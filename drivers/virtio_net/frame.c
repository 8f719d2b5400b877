/*
 * frame.c - packet buffers and the frame-handling core: see frame.h. Pure
 * C: the fuzz target (tests/fuzz/fuzz_frame.c) links it as it is.
 */
#include "frame.h"

uint32_t vnet_pool_init(struct vnet_pool *p, void *mem, size_t len)
{
	uintptr_t a = ((uintptr_t)mem + 63) & ~(uintptr_t)63;
	uintptr_t end = (uintptr_t)mem + len;

	p->free = NULL;
	p->n_free = p->n_total = p->double_free = 0;
	while (a < end && end - a >= VNET_PKT_SIZE) {
		struct vnet_pkt *pkt = (struct vnet_pkt *)a;

		pkt->flags = 0;
		vnet_pkt_free(p, pkt);
		p->n_total++;
		a += VNET_PKT_SIZE;
	}
	return p->n_total;
}

struct vnet_pkt *vnet_pkt_alloc(struct vnet_pool *p)
{
	struct vnet_pkt *pkt = p->free;

	if (!pkt)
		return NULL;
	p->free = pkt->next;
	p->n_free--;
	pkt->next = NULL;
	pkt->flags = 0;
	pkt->len = 0;
	return pkt;
}

void vnet_pkt_free(struct vnet_pool *p, struct vnet_pkt *pkt)
{
	if (pkt->flags & VNET_PKT_F_FREE) {
		p->double_free++;
		return;
	}
	pkt->flags = VNET_PKT_F_FREE;
	pkt->next = p->free;
	p->free = pkt;
	p->n_free++;
}

enum vnet_verdict vnet_rx_check(uint32_t used_len, uint32_t hdr_len, uint32_t buf_len,
				uint32_t *frame_len)
{
	uint32_t n;

	if (used_len > buf_len || used_len < hdr_len)
		return VNET_BADLEN;
	n = used_len - hdr_len;
	if (n < VNET_FRAME_MIN)
		return VNET_RUNT;
	if (n > VNET_FRAME_MAX)
		return VNET_OVERSIZE;
	*frame_len = n;
	return VNET_OK;
}

bool vnet_count_rx(struct vnet_stats *s, enum vnet_verdict v)
{
	switch (v) {
	case VNET_OK:
		s->rx++;
		return true;
	case VNET_BADLEN:
		s->badlen++;
		break;
	case VNET_RUNT:
		s->runt++;
		break;
	case VNET_OVERSIZE:
		s->oversize++;
		break;
	}
	s->dropped++;
	return false;
}

void vnet_mac_rewrite(uint8_t *frame, unsigned dst_port, const uint8_t src_mac[VNET_MAC_LEN])
{
	static const uint8_t base[VNET_MAC_LEN - 1] = {0x02, 0, 0, 0, 0};

	for (unsigned i = 0; i < VNET_MAC_LEN - 1; i++)
		frame[i] = base[i];
	frame[VNET_MAC_LEN - 1] = (uint8_t)dst_port;
	for (unsigned i = 0; i < VNET_MAC_LEN; i++)
		frame[VNET_MAC_LEN + i] = src_mac[i];
}

uint16_t vnet_ethertype(const uint8_t *frame, uint32_t len)
{
	if (len < VNET_ETH_HDR)
		return 0;
	return (uint16_t)(frame[12] << 8 | frame[13]);
}
