/*
 * virtq.h - a split virtqueue (virtio v1.1, 2.6), driver side, as plain
 * memory operations: no device registers, so it runs (and is fuzzed) on the
 * host too. virtio_net.c tells the device where the rings are and rings its
 * doorbell.
 *
 * Every buffer is one descriptor (the driver never chains), so a descriptor
 * id names a buffer for as long as the device holds it: token[id] is the
 * driver's pointer to it, NULL when the descriptor is free. The device
 * answers with (id, len) pairs in the used ring; an id that is out of range
 * or not in flight is rejected and counted, never used as an index, so a
 * confused or hostile device cannot make the driver free a buffer twice or
 * touch memory outside the tables.
 *
 * The rings are laid out contiguously as the legacy interface demands
 * (descriptors, available ring, then the used ring at the next VQ_ALIGN),
 * which serves the modern interface as well. Their layout is the one
 * the device model reads too: the structures of the register map
 * (drivers/virtio_mmio/virtio_mmio.yaml), from the generated
 * <regmaps/virtio_mmio.h>.
 */
#ifndef VANITY_DRIVERS_VIRTQ_H
#define VANITY_DRIVERS_VIRTQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <regmaps/virtio_mmio.h>

#define VQ_MAX   256u  /* entries per queue we use at most */
#define VQ_ALIGN 4096u /* legacy QueueAlign, and the page of QueuePFN */

struct virtq {
	volatile struct virtio_mmio_vq_desc *desc;
	volatile struct virtio_mmio_vq_avail *avail;
	volatile struct virtio_mmio_vq_used *used;
	uint16_t size;      /* entries, a power of two <= VQ_MAX */
	uint16_t avail_idx; /* the avail index we publish next */
	uint16_t last_used; /* the next used entry we read */
	uint16_t n_free;    /* descriptors not in flight */
	uint16_t free_id[VQ_MAX];
	void *token[VQ_MAX];
	uint32_t bad_used;  /* used entries rejected */
	bool broken;        /* the device published an impossible used index */
};

/* Bytes of ring memory for a queue of size entries (a multiple of VQ_ALIGN). */
size_t vq_ring_bytes(unsigned size);

/*
 * Lays the queue out in mem (VQ_ALIGN-aligned, vq_ring_bytes(size) long,
 * zeroed). no_interrupt asks the device not to interrupt when it uses a
 * buffer (a polling driver). Returns 0, or -1 if size is not a power of two
 * in 1..VQ_MAX or mem is misaligned.
 */
int vq_init(struct virtq *q, void *mem, unsigned size, bool no_interrupt);

/* Queues one buffer at device address addr; false when the queue is full.
 * Not visible to the device until vq_publish. */
bool vq_add(struct virtq *q, void *token, uint64_t addr, uint32_t len, bool device_writes);

/* Makes every buffer added so far visible to the device. */
void vq_publish(struct virtq *q);

/* After vq_publish: whether the device wants a doorbell. */
bool vq_kick_needed(const struct virtq *q);

/*
 * Takes up to max used buffers: their tokens and the lengths the device
 * reported (unchecked: the caller knows its buffers). Rejected entries are
 * skipped and counted in bad_used. Returns the number taken.
 */
unsigned vq_get_used(struct virtq *q, void **tokens, uint32_t *lens, unsigned max);

#endif /* VANITY_DRIVERS_VIRTQ_H */
