/*
 * virtq.h - the device side of a virtio split virtqueue (virtio 1.1, 2.6),
 * for the simulator's virtio device models.
 *
 * The driver owns the three rings, in its owner's heap; the device reaches
 * them through hk_dma_ring (dev.h), which takes that heap alone, and the
 * buffers through hk_dma (the heap, or a pool the owner maps).
 * The driver is not trusted: every descriptor index, chain, address and
 * length is checked before use, and a bad one is reported (why) for the
 * model to put its device in DEVICE_NEEDS_RESET.
 *
 * The rings' layout is the driver's: the structures of its register map
 * (drivers/virtio_mmio/virtio_mmio.yaml), in the device-side view.
 */
#ifndef VN_HK_VIRTQ_H
#define VN_HK_VIRTQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "dev.h"
#include "virtio_mmio_dev.h"

#define VIRTQ_CHAIN_MAX 16u /* descriptors in one chain, at most */

struct virtq {
	uint32_t num;                  /* QueueNum */
	uint32_t ready;                /* QueueReady */
	uint64_t desc_addr, avail_addr, used_addr;
	struct virtio_mmio_vq_desc *desc; /* the device's view, once mapped */
	struct virtio_mmio_vq_avail *avail;
	struct virtio_mmio_vq_used *used;
	uint16_t last_avail;           /* next avail entry to take */
	uint16_t used_idx;
};

/* Maps a ready queue of at most max entries from the driver's addresses. */
bool virtq_map(struct virtq *q, struct hk_dev *dev, uint32_t max);
/* The chain at head as an iovec (at most VIRTQ_CHAIN_MAX entries): device-
 * writable for write, else device-readable. Its bytes, or -1 with *why. */
long virtq_chain(struct virtq *q, struct hk_dev *dev, uint16_t head, bool write,
		 struct iovec *iov, int *niov, const char **why);
uint16_t virtq_next(const struct virtq *q);  /* the head of the next avail entry */
bool virtq_has_avail(const struct virtq *q); /* virtq_avail_count() != 0 */
/* Entries the driver made available and the device has not taken; 0 for
 * a count no queue of this size can hold (the driver's index is bogus). */
uint32_t virtq_avail_count(const struct virtq *q);
/* How far the driver's index runs ahead of the entries the device took,
 * bogus or not (over num: a driver bug). */
uint16_t virtq_avail_ahead(const struct virtq *q);
void virtq_put_used(struct virtq *q, uint16_t head, uint32_t len); /* and take it */
bool virtq_wants_interrupt(const struct virtq *q);
void virtq_set_notify(struct virtq *q, bool on);

/* Copies into and out of a chain, from byte off of the chain on. */
bool virtq_scatter(const struct iovec *iov, int niov, size_t off, const uint8_t *from,
		   size_t len);                /* false if the chain is too short */
size_t virtq_gather(uint8_t *to, size_t room, const struct iovec *iov, int niov,
		    size_t off);               /* SIZE_MAX if it does not fit */

#endif /* VN_HK_VIRTQ_H */
