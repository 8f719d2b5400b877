/*
 * virtio_net.h - a virtio-net driver for virtio-mmio devices (legacy
 * version 1, which QEMU presents by default, and modern version 2), run
 * inside the shard that owns the device. Its interface follows DPDK's
 * poll-mode drivers: bursts of up to VNET_BURST packet buffers in, bursts
 * out, buffers from a pool shared by every port of the shard.
 *
 *	struct vnet_arena a;
 *	vnet_arena_init(&a, heap, heap_size);
 *	vnet_open(&dev, VN_DEVICE_NIC_BASE, 0, &a, VNET_POLL);  (each port)
 *	vnet_pool_init(&pool, vnet_arena_rest(&a, &len), len);
 *	vnet_start(&dev, &pool);                                   (each port)
 *	n = vnet_rx_burst(&dev, pkts, VNET_BURST);
 *	sent = vnet_tx_burst(&other, pkts, n);   the same buffers: no copy
 *
 * A port may transmit buffers of any pool its device can reach - with
 * tx_done set, each sent one is handed there instead of to its own pool:
 * that is how a frame crosses shards without a copy over a Vanity buffer
 * pool (examples/l2fwd/split).
 *
 * Receive queue 0 and transmit queue 1; one descriptor per buffer (header
 * and frame together); no offloads, no mergeable buffers. Frames that fail
 * vnet_rx_check are counted in dev.stats and recycled, never returned.
 *
 * Interrupts: without VNET_POLL the device interrupts when it fills receive
 * buffers. When vn_wait returns the device's VN_NOTIFY_<D> bit, call
 * vnet_irq_clear, then vn_irq_ack(bit), then receive until the ring is
 * empty. With VNET_POLL the device is asked not to interrupt at all.
 * Transmitted buffers are reclaimed by the next vnet_tx_burst, never by an
 * interrupt.
 *
 * Before exiting, vnet_tx_drain each port: a queued frame has left only once
 * the device has used its buffer. An emulated device (QEMU, the hosted
 * model) sends in a thread of its own after the doorbell, and a system that
 * ends right after vnet_tx_burst ends that thread's work too.
 */
#ifndef VANITY_DRIVERS_VIRTIO_NET_H
#define VANITY_DRIVERS_VIRTIO_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "frame.h"
#include "virtq.h"

#define VNET_BURST 32u
#define VNET_POLL  1u /* vnet_open flag: no interrupts, the caller polls */

enum {
	VNET_ENODEV = 1,  /* no virtio device there, or an empty slot */
	VNET_ENOTNET,     /* a virtio device, but not a network card */
	VNET_EVERSION,    /* a virtio-mmio version we do not know */
	VNET_EFEATURES,   /* the device lacks a feature we need */
	VNET_EQUEUE,      /* a queue is missing or already in use */
	VNET_ENOMEM,      /* the arena or the pool is too small */
};

/* Bump allocation of DMA-able memory (the shard's heap) for rings and pool. */
struct vnet_arena {
	uintptr_t next, end;
};

void vnet_arena_init(struct vnet_arena *a, void *mem, size_t len);
void *vnet_arena_alloc(struct vnet_arena *a, size_t len, size_t align);
/* Everything left, for the pool: its start, its length in *len. */
void *vnet_arena_rest(struct vnet_arena *a, size_t *len);

struct vnet_dev {
	uintptr_t base;     /* the device's window: VN_DEVICE_<D>_BASE */
	unsigned port;      /* its number in stats and in l2fwd's MAC rewrite */
	unsigned version;   /* virtio-mmio 1 (legacy) or 2 (modern) */
	uint32_t hdr_len;   /* virtio-net header: 10 (legacy) or 12 bytes */
	bool poll;
	uint8_t mac[VNET_MAC_LEN];
	struct virtq rx, tx;
	struct vnet_pool *pool;
	/* Where a sent frame's buffer goes; NULL: back to `pool`. Set it when
	 * the port sends buffers of other pools (another shard's, say). */
	void (*tx_done)(struct vnet_dev *d, struct vnet_pkt *pkt);
	void *user;         /* the application's */
	struct vnet_stats stats;
	uint64_t rx_nobuf;  /* receive refills that found the pool empty */
};

/* Probes the slot at base, resets the device, negotiates features, sets up
 * both queues with rings from a and reads the MAC. 0, or -VNET_E*. */
int vnet_open(struct vnet_dev *d, uintptr_t base, unsigned port, struct vnet_arena *a,
	      unsigned flags);

/* Tells the device the driver is ready and fills the receive ring. */
int vnet_start(struct vnet_dev *d, struct vnet_pool *pool);

/* Up to n (<= VNET_BURST) good received frames; refills the receive ring
 * after taking frames, or when the device holds none of its buffers (a
 * pool that ran dry: the call after buffers came back refills it). A port
 * whose ring ran dry gets no interrupt, so a driver in interrupt mode that
 * frees buffers should poll each port once. */
unsigned vnet_rx_burst(struct vnet_dev *d, struct vnet_pkt **pkts, unsigned n);

/* Queues up to n frames for transmission and takes ownership of those it
 * queued (the first ones); returns their number. The caller frees the rest. */
unsigned vnet_tx_burst(struct vnet_dev *d, struct vnet_pkt **pkts, unsigned n);

/* Returns the buffers of frames the device has finished sending to the
 * pool; returns the number of frames it still holds. */
unsigned vnet_tx_reclaim(struct vnet_dev *d);

/* vnet_tx_reclaim until the device holds no frame or timeout_ns has passed
 * (or the queue is broken); returns the frames still held, 0 when every
 * frame vnet_tx_burst queued has been sent. */
unsigned vnet_tx_drain(struct vnet_dev *d, uint64_t timeout_ns);

/* Reads and acknowledges the device's interrupt causes; returns them. */
uint32_t vnet_irq_clear(struct vnet_dev *d);

/* Words for a -VNET_E* code. */
const char *vnet_strerror(int err);

#endif /* VANITY_DRIVERS_VIRTIO_NET_H */
