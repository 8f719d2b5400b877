/*
 * virtq.c - the device side of a virtio split virtqueue: mapping the
 * driver's rings, walking its chains, handing buffers back (virtq.h).
 */
#include <stdatomic.h>
#include <string.h>

#include "virtq.h"

bool virtq_map(struct virtq *q, struct hk_dev *dev, uint32_t max)
{
	uint64_t num = q->num;

	if (!q->ready || num == 0 || num > max || (num & (num - 1)))
		return false;
	/* Each ring: its header, num entries, then a 16-bit event index; in
	 * the owner's heap (hk_dma_ring: not in a pool another shard writes). */
	q->desc = hk_dma_ring(dev, q->desc_addr, VIRTIO_MMIO_VQ_DESC_SIZE * num);
	q->avail = hk_dma_ring(dev, q->avail_addr, VIRTIO_MMIO_VQ_AVAIL_SIZE +
			       sizeof(q->avail->ring[0]) * num + 2);
	q->used = hk_dma_ring(dev, q->used_addr, VIRTIO_MMIO_VQ_USED_SIZE +
			      VIRTIO_MMIO_VQ_USED_ELEM_SIZE * num + 2);
	q->last_avail = q->used_idx = 0;
	/* The alignments of virtio 1.1, 2.6: 16, 2 and 4. */
	return q->desc && q->avail && q->used && q->desc_addr % 16 == 0 &&
	       q->avail_addr % 2 == 0 && q->used_addr % 4 == 0;
}

/* Each descriptor is read once (the driver may change the table meanwhile)
 * and checked before use. */
long virtq_chain(struct virtq *q, struct hk_dev *dev, uint16_t head, bool write,
		 struct iovec *iov, int *niov, const char **why)
{
	uint32_t i = head, count = 0;
	long total = 0;

	*niov = 0;
	for (;;) {
		struct virtio_mmio_vq_desc d;
		uint8_t *p;

		if (i >= q->num || count++ == VIRTQ_CHAIN_MAX)
			return *why = "descriptor chain out of range or too long", -1;
		memcpy(&d, &q->desc[i], sizeof(d));
		__asm__ volatile("" ::: "memory"); /* d is our copy from here on */
		if ((d.flags & VIRTIO_MMIO_VQ_DESC_FLAGS_INDIRECT_MASK) ||
		    !(d.flags & VIRTIO_MMIO_VQ_DESC_FLAGS_WRITE_MASK) != !write)
			return *why = "descriptor with the wrong direction", -1;
		if (!(p = hk_dma(dev, d.addr, d.len, write)))
			return *why = "descriptor outside the owner's memory", -1;
		iov[*niov].iov_base = p;
		iov[(*niov)++].iov_len = d.len;
		total += d.len;
		if (!(d.flags & VIRTIO_MMIO_VQ_DESC_FLAGS_NEXT_MASK))
			break;
		i = d.next;
	}
	return total;
}

uint16_t virtq_next(const struct virtq *q)
{
	return q->avail->ring[q->last_avail & (q->num - 1)];
}

void virtq_put_used(struct virtq *q, uint16_t head, uint32_t len)
{
	uint16_t slot = q->used_idx & (q->num - 1);

	q->last_avail++;
	q->used->ring[slot].id = head;
	q->used->ring[slot].len = len;
	atomic_store_explicit((_Atomic uint16_t *)&q->used->idx, ++q->used_idx,
			      memory_order_release);
}

uint16_t virtq_avail_ahead(const struct virtq *q)
{
	return (uint16_t)(atomic_load_explicit((_Atomic uint16_t *)&q->avail->idx,
					       memory_order_acquire) - q->last_avail);
}

/* The buffers the driver has made available and the device not taken: 0
 * too while its index runs more than the queue's size ahead, where the
 * slots past the size would be old entries taken again (a driver bug,
 * which the card reports: dev_virtio_net.c, has_avail). */
uint32_t virtq_avail_count(const struct virtq *q)
{
	uint16_t n = virtq_avail_ahead(q);

	return n <= q->num ? n : 0;
}

bool virtq_has_avail(const struct virtq *q)
{
	return virtq_avail_count(q) != 0;
}

bool virtq_wants_interrupt(const struct virtq *q)
{
	return !(atomic_load_explicit((_Atomic uint16_t *)&q->avail->flags,
				      memory_order_relaxed) &
		 VIRTIO_MMIO_VQ_AVAIL_FLAGS_NO_INTERRUPT_MASK);
}

void virtq_set_notify(struct virtq *q, bool on)
{
	atomic_store_explicit((_Atomic uint16_t *)&q->used->flags,
			      on ? 0 : VIRTIO_MMIO_VQ_USED_FLAGS_NO_NOTIFY_MASK,
			      memory_order_seq_cst);
}

bool virtq_scatter(const struct iovec *iov, int niov, size_t off, const uint8_t *from,
		   size_t len)
{
	for (int i = 0; i < niov && len; i++) {
		size_t k;

		if (off >= iov[i].iov_len) {
			off -= iov[i].iov_len;
			continue;
		}
		k = iov[i].iov_len - off < len ? iov[i].iov_len - off : len;
		memcpy((uint8_t *)iov[i].iov_base + off, from, k);
		from += k;
		len -= k;
		off = 0;
	}
	return len == 0;
}

size_t virtq_gather(uint8_t *to, size_t room, const struct iovec *iov, int niov, size_t off)
{
	size_t len = 0;

	for (int i = 0; i < niov; i++) {
		size_t k;

		if (off >= iov[i].iov_len) {
			off -= iov[i].iov_len;
			continue;
		}
		k = iov[i].iov_len - off;
		if (k > room - len)
			return SIZE_MAX;
		memcpy(to + len, (uint8_t *)iov[i].iov_base + off, k);
		len += k;
		off = 0;
	}
	return len;
}
