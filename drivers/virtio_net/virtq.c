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

/* The queue's own fields are read into locals and written back before the
 * descriptor's stores: with -fno-strict-aliasing, a store through a
 * volatile pointer into the ring may alias *q as far as the compiler knows,
 * and it would load q's fields again after each one. */
bool vq_add(struct virtq *q, void *token, uint64_t addr, uint32_t len, bool device_writes)
{
	uint16_t n = q->n_free, avail = q->avail_idx, id;
	volatile struct virtio_mmio_vq_desc *d;
	volatile uint16_t *slot;

	if (n == 0)
		return false;
	id = q->free_id[--n];
	q->n_free = n;
	q->token[id] = token;
	q->avail_idx = (uint16_t)(avail + 1);
	d = &q->desc[id];
	slot = &q->avail->ring[avail & (q->size - 1)];
	d->addr = addr;
	d->len = len;
	d->flags = device_writes ? VIRTIO_MMIO_VQ_DESC_FLAGS_WRITE_MASK : 0;
	d->next = 0;
	*slot = id;
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

/* Locals, as in vq_add: the stores to tokens[] and lens[] may alias *q as
 * far as the compiler knows. An entry whose id is out of range, or names a
 * descriptor not in flight, is the device lying: counted and skipped. */
unsigned vq_get_used(struct virtq *q, void **tokens, uint32_t *lens, unsigned max)
{
	const uint16_t size = q->size, mask = (uint16_t)(size - 1);
	volatile struct virtio_mmio_vq_used_elem *ring = q->used->ring;
	uint16_t last = q->last_used, n_free = q->n_free, ready;
	uint32_t bad = 0;
	unsigned n = 0;

	if (q->broken)
		return 0;
	ready = (uint16_t)(q->used->idx - last);
	/* The index before the entries it covers. */
	vq_rmb();
	if (ready > (uint16_t)(size - n_free)) {
		/* More used than we ever gave: the index is garbage, and so
		 * is everything after it. Stop trusting this queue. */
		q->broken = true;
		return 0;
	}
	for (; ready && n < max; ready--) {
		volatile struct virtio_mmio_vq_used_elem *e = &ring[last++ & mask];
		uint32_t id = e->id, len = e->len;
		void *t = id < size ? q->token[id] : NULL;

		if (!t) {
			bad++;
			continue;
		}
		q->token[id] = NULL;
		q->free_id[n_free++] = (uint16_t)id;
		lens[n] = len;
		tokens[n++] = t;
	}
	q->last_used = last;
	q->n_free = n_free;
	q->bad_used += bad;
	return n;
}
