/*
 * virtq.c - the split virtqueue's driver side: see virtq.h. Pure memory
 * operations with the barriers of vq_barrier.h; no device registers.
 */
#include "virtq.h"
#include "vq_barrier.h"

static size_t align_up(size_t n, size_t a)
{
	return (n + a - 1) & ~(a - 1);
}

/* The available ring: flags, idx, ring[size], then used_event. */
static size_t avail_bytes(unsigned size)
{
	return VIRTIO_MMIO_VQ_AVAIL_SIZE + sizeof(uint16_t) * size + 2u;
}

static size_t used_offset(unsigned size)
{
	/* descriptors, then the available ring */
	return align_up(VIRTIO_MMIO_VQ_DESC_SIZE * size + avail_bytes(size), VQ_ALIGN);
}

size_t vq_ring_bytes(unsigned size)
{
	/* then flags, idx, ring[size] and avail_event */
	return used_offset(size) +
	       align_up(VIRTIO_MMIO_VQ_USED_SIZE + VIRTIO_MMIO_VQ_USED_ELEM_SIZE * size + 2u,
			VQ_ALIGN);
}

int vq_init(struct virtq *q, void *mem, unsigned size, bool no_interrupt)
{
	uint8_t *m = mem;

	if (size == 0 || size > VQ_MAX || (size & (size - 1)) ||
	    ((uintptr_t)mem & (VQ_ALIGN - 1)))
		return -1;
	q->desc = (volatile struct virtio_mmio_vq_desc *)m;
	q->avail = (volatile struct virtio_mmio_vq_avail *)(m + VIRTIO_MMIO_VQ_DESC_SIZE * size);
	q->used = (volatile struct virtio_mmio_vq_used *)(m + used_offset(size));
	q->size = (uint16_t)size;
	q->avail_idx = 0;
	q->last_used = 0;
	q->n_free = (uint16_t)size;
	q->bad_used = 0;
	q->broken = false;
	for (unsigned i = 0; i < size; i++) {
		q->free_id[i] = (uint16_t)(size - 1 - i);
		q->token[i] = NULL;
	}
	q->avail->flags = no_interrupt ? VIRTIO_MMIO_VQ_AVAIL_FLAGS_NO_INTERRUPT_MASK : 0;
	return 0;
}

bool vq_add(struct virtq *q, void *token, uint64_t addr, uint32_t len, bool device_writes)
{
	uint16_t id;

	if (q->n_free == 0)
		return false;
	id = q->free_id[--q->n_free];
	q->desc[id].addr = addr;
	q->desc[id].len = len;
	q->desc[id].flags = device_writes ? VIRTIO_MMIO_VQ_DESC_FLAGS_WRITE_MASK : 0;
	q->desc[id].next = 0;
	q->token[id] = token;
	q->avail->ring[q->avail_idx & (q->size - 1)] = id;
	q->avail_idx++;
	return true;
}

void vq_publish(struct virtq *q)
{
	/* The descriptors and ring entries before the index that covers them. */
	vq_wmb();
	q->avail->idx = q->avail_idx;
}

bool vq_kick_needed(const struct virtq *q)
{
	/* Our index store before the load of the device's flag: otherwise the
	 * device may set the flag, miss our index and sleep unnotified. */
	vq_mb();
	return !(q->used->flags & VIRTIO_MMIO_VQ_USED_FLAGS_NO_NOTIFY_MASK);
}

/* The used entry at last_used: its token, or NULL if the device lied. */
static void *take_one(struct virtq *q, uint32_t *len)
{
	volatile struct virtio_mmio_vq_used_elem *e = &q->used->ring[q->last_used & (q->size - 1)];
	uint32_t id = e->id;
	void *token;

	*len = e->len;
	q->last_used++;
	if (id >= q->size || q->token[id] == NULL) {
		q->bad_used++;
		return NULL;
	}
	token = q->token[id];
	q->token[id] = NULL;
	q->free_id[q->n_free++] = (uint16_t)id;
	return token;
}

unsigned vq_get_used(struct virtq *q, void **tokens, uint32_t *lens, unsigned max)
{
	uint16_t ready, in_flight = (uint16_t)(q->size - q->n_free);
	unsigned n = 0;

	if (q->broken)
		return 0;
	ready = (uint16_t)(q->used->idx - q->last_used);
	/* The index before the entries it covers. */
	vq_rmb();
	if (ready > in_flight) {
		/* More used than we ever gave: the index is garbage, and so
		 * is everything after it. Stop trusting this queue. */
		q->broken = true;
		return 0;
	}
	while (ready-- && n < max) {
		void *t = take_one(q, &lens[n]);

		if (t)
			tokens[n++] = t;
	}
	return n;
}
