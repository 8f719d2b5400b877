/*
 * virtio_net.c - the virtio-net driver: see virtio_net.h. Device access is
 * through the accessors generated from drivers/virtio_mmio/virtio_mmio.yaml;
 * the rings are virtq.c's, the frame checks frame.c's.
 */
#include <string.h>

#include <vanity_shard.h>

#include "virtio_net.h"
#include "vq_barrier.h"

void vnet_arena_init(struct vnet_arena *a, void *mem, size_t len)
{
	a->next = (uintptr_t)mem;
	a->end = (uintptr_t)mem + len;
}

void *vnet_arena_alloc(struct vnet_arena *a, size_t len, size_t align)
{
	uintptr_t p = (a->next + align - 1) & ~(uintptr_t)(align - 1);

	if (p > a->end || a->end - p < len)
		return NULL;
	a->next = p + len;
	return (void *)p;
}

void *vnet_arena_rest(struct vnet_arena *a, size_t *len)
{
	void *p = (void *)a->next;

	*len = a->end - a->next;
	a->next = a->end;
	return p;
}

const char *vnet_strerror(int err)
{
	switch (-err) {
	case 0: return "ok";
	case VNET_ENODEV: return "no virtio device (empty slot?)";
	case VNET_ENOTNET: return "not a virtio network device";
	case VNET_EVERSION: return "unknown virtio-mmio version";
	case VNET_EFEATURES: return "device lacks a required feature";
	case VNET_EQUEUE: return "queue missing or already in use";
	case VNET_ENOMEM: return "out of memory for rings or buffers";
	}
	return "unknown error";
}

/* Compiled only into a shard that owns a device with this register map. */
#ifdef VANITY_REGMAP_VIRTIO_MMIO_H

#define VIRTIO_ID_NET          1u
#define VIRTIO_NET_F_MAC       (1u << 5)
#define VIRTIO_F_ANY_LAYOUT    (1u << 27) /* legacy: header and data in one buffer */
#define VIRTIO_F_VERSION_1_HI  (1u << 0)  /* feature bit 32 */
#define VNET_HDR_LEGACY        10u        /* struct virtio_net_hdr */
#define VNET_HDR_MODERN        12u        /* ... with num_buffers, always there in 1.0 */
#define RXQ 0u
#define TXQ 1u

/*
 * The address a device is given for a buffer or a ring. Shard memory is
 * identity-mapped on the bare-metal boards and there is no IOMMU, so it is
 * the pointer's value; the hosted simulator's model takes the same
 * addresses and accepts only those inside this shard's heap or a pool it
 * maps, and for the rings the heap alone. The only place the driver makes
 * that assumption.
 */
static uint64_t vnet_dma_addr(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

static void set_status(struct vnet_dev *d, uint32_t bits)
{
	virtio_mmio_status_write(d->base, virtio_mmio_status_read(d->base) | bits);
}

static int probe(uintptr_t base)
{
	uint32_t version;

	if (virtio_mmio_magic_read(base) != VIRTIO_MMIO_MAGIC_RESET)
		return -VNET_ENODEV;
	version = virtio_mmio_version_read(base);
	if (version != 1 && version != 2)
		return -VNET_EVERSION;
	if (virtio_mmio_device_id_read(base) == 0)
		return -VNET_ENODEV;
	if (virtio_mmio_device_id_read(base) != VIRTIO_ID_NET)
		return -VNET_ENOTNET;
	return (int)version;
}

/* Accepts only what we use: the MAC, and whatever the interface needs for
 * one descriptor to carry both the header and the frame. */
static int negotiate(struct vnet_dev *d)
{
	uint32_t lo, hi = 0;

	virtio_mmio_device_features_sel_write(d->base, 0);
	lo = virtio_mmio_device_features_read(d->base);
	if (d->version == 2) {
		virtio_mmio_device_features_sel_write(d->base, 1);
		hi = virtio_mmio_device_features_read(d->base);
		if (!(hi & VIRTIO_F_VERSION_1_HI))
			return -VNET_EFEATURES;
		hi = VIRTIO_F_VERSION_1_HI;
		lo &= VIRTIO_NET_F_MAC;
	} else {
		if (!(lo & VIRTIO_F_ANY_LAYOUT))
			return -VNET_EFEATURES;
		lo &= VIRTIO_NET_F_MAC | VIRTIO_F_ANY_LAYOUT;
	}
	virtio_mmio_driver_features_sel_write(d->base, 0);
	virtio_mmio_driver_features_write(d->base, lo);
	virtio_mmio_driver_features_sel_write(d->base, 1);
	virtio_mmio_driver_features_write(d->base, hi);
	if (d->version == 2) {
		set_status(d, VIRTIO_MMIO_STATUS_FEATURES_OK_MASK);
		if (!(virtio_mmio_status_read(d->base) & VIRTIO_MMIO_STATUS_FEATURES_OK_MASK))
			return -VNET_EFEATURES;
	}
	return (int)lo;
}

static void queue_addresses(struct vnet_dev *d, struct virtq *q)
{
	uint64_t desc = vnet_dma_addr((const void *)q->desc);
	uint64_t avail = vnet_dma_addr((const void *)q->avail);
	uint64_t used = vnet_dma_addr((const void *)q->used);

	if (d->version == 1) {
		virtio_mmio_queue_align_write(d->base, VQ_ALIGN);
		virtio_mmio_queue_pfn_write(d->base, (uint32_t)(desc / VQ_ALIGN));
		return;
	}
	virtio_mmio_queue_desc_low_write(d->base, (uint32_t)desc);
	virtio_mmio_queue_desc_high_write(d->base, (uint32_t)(desc >> 32));
	virtio_mmio_queue_driver_low_write(d->base, (uint32_t)avail);
	virtio_mmio_queue_driver_high_write(d->base, (uint32_t)(avail >> 32));
	virtio_mmio_queue_device_low_write(d->base, (uint32_t)used);
	virtio_mmio_queue_device_high_write(d->base, (uint32_t)(used >> 32));
	virtio_mmio_queue_ready_write(d->base, VIRTIO_MMIO_QUEUE_READY_READY_MASK);
}

static int setup_queue(struct vnet_dev *d, struct virtq *q, unsigned idx,
		       struct vnet_arena *a, bool no_interrupt)
{
	uint32_t max, size = VQ_MAX;
	void *mem;

	virtio_mmio_queue_sel_write(d->base, idx);
	max = virtio_mmio_queue_num_max_read(d->base);
	if (max == 0 || (d->version == 1 ? virtio_mmio_queue_pfn_read(d->base)
					 : virtio_mmio_queue_ready_read(d->base)))
		return -VNET_EQUEUE;
	while (size > max)
		size >>= 1;
	mem = vnet_arena_alloc(a, vq_ring_bytes(size), VQ_ALIGN);
	if (!mem)
		return -VNET_ENOMEM;
	memset(mem, 0, vq_ring_bytes(size));
	vq_init(q, mem, size, no_interrupt);
	virtio_mmio_queue_num_write(d->base, size);
	queue_addresses(d, q);
	return 0;
}

static void read_mac(struct vnet_dev *d, bool have_mac)
{
	uint32_t gen;

	if (!have_mac) {
		/* Locally administered, unique per port. */
		static const uint8_t mac[VNET_MAC_LEN] = {0x02, 0, 0, 0, 0xff, 0};

		memcpy(d->mac, mac, sizeof(mac));
		d->mac[VNET_MAC_LEN - 1] = (uint8_t)d->port;
		return;
	}
	do {
		gen = d->version == 2 ? virtio_mmio_config_generation_read(d->base) : 0;
		for (unsigned i = 0; i < VNET_MAC_LEN; i++)
			d->mac[i] = virtio_mmio_config_read(d->base, i);
	} while (d->version == 2 && gen != virtio_mmio_config_generation_read(d->base));
}

int vnet_open(struct vnet_dev *d, uintptr_t base, unsigned port, struct vnet_arena *a,
	      unsigned flags)
{
	int r;

	memset(d, 0, sizeof(*d));
	d->base = base;
	d->port = port;
	d->poll = flags & VNET_POLL;
	r = probe(base);
	if (r < 0)
		return r;
	d->version = (unsigned)r;
	d->hdr_len = d->version == 2 ? VNET_HDR_MODERN : VNET_HDR_LEGACY;
	virtio_mmio_status_write(base, 0); /* reset */
	while (virtio_mmio_status_read(base) != 0)
		;
	set_status(d, VIRTIO_MMIO_STATUS_ACKNOWLEDGE_MASK);
	set_status(d, VIRTIO_MMIO_STATUS_DRIVER_MASK);
	r = negotiate(d);
	if (r < 0)
		goto out_failed;
	read_mac(d, (uint32_t)r & VIRTIO_NET_F_MAC);
	if (d->version == 1)
		virtio_mmio_guest_page_size_write(base, VQ_ALIGN);
	/* Transmit completions are reaped by the next burst: never interrupt. */
	r = setup_queue(d, &d->rx, RXQ, a, d->poll);
	if (r == 0)
		r = setup_queue(d, &d->tx, TXQ, a, true);
	if (r < 0)
		goto out_failed;
	return 0;
out_failed:
	set_status(d, VIRTIO_MMIO_STATUS_FAILED_MASK);
	return r;
}

static void kick(struct vnet_dev *d, struct virtq *q, unsigned idx)
{
	if (vq_kick_needed(q)) {
		vq_io_wmb();
		virtio_mmio_queue_notify_write(d->base, idx);
	}
}

/* Gives every free receive descriptor a fresh buffer. */
static void refill(struct vnet_dev *d)
{
	unsigned added = 0;

	while (d->rx.n_free) {
		struct vnet_pkt *pkt = vnet_pkt_alloc(d->pool);

		if (!pkt) {
			d->rx_nobuf++;
			break;
		}
		vq_add(&d->rx, pkt, vnet_dma_addr(vnet_pkt_hdr(pkt, d->hdr_len)),
		       d->hdr_len + VNET_FRAME_CAP, true);
		added++;
	}
	if (added) {
		vq_publish(&d->rx);
		kick(d, &d->rx, RXQ);
	}
}

int vnet_start(struct vnet_dev *d, struct vnet_pool *pool)
{
	d->pool = pool;
	set_status(d, VIRTIO_MMIO_STATUS_DRIVER_OK_MASK);
	refill(d);
	return d->rx.n_free == d->rx.size ? -VNET_ENOMEM : 0;
}

unsigned vnet_rx_burst(struct vnet_dev *d, struct vnet_pkt **pkts, unsigned n)
{
	void *tok[VNET_BURST];
	uint32_t len[VNET_BURST];
	unsigned got, out = 0;

	got = vq_get_used(&d->rx, tok, len, n < VNET_BURST ? n : VNET_BURST);
	for (unsigned i = 0; i < got; i++) {
		struct vnet_pkt *pkt = tok[i];
		uint32_t flen = 0;
		enum vnet_verdict v = vnet_rx_check(len[i], d->hdr_len,
						    d->hdr_len + VNET_FRAME_CAP, &flen);

		if (vnet_count_rx(&d->stats, v)) {
			pkt->len = (uint16_t)flen;
			pkt->port = (uint16_t)d->port;
			pkts[out++] = pkt;
		} else {
			vnet_pkt_free(d->pool, pkt);
		}
	}
	/* A ring the device holds no buffer of would never be used again, so
	 * nothing would ever call refill: refill it as soon as the pool has
	 * buffers again (a compare on an empty poll). */
	if (got || d->rx.n_free == d->rx.size)
		refill(d);
	return out;
}

unsigned vnet_tx_reclaim(struct vnet_dev *d)
{
	void *tok[VNET_BURST];
	uint32_t len[VNET_BURST];
	unsigned got;

	do {
		got = vq_get_used(&d->tx, tok, len, VNET_BURST);
		for (unsigned i = 0; i < got; i++) {
			if (d->tx_done)
				d->tx_done(d, tok[i]);
			else
				vnet_pkt_free(d->pool, tok[i]);
		}
	} while (got == VNET_BURST);
	return (unsigned)(d->tx.size - d->tx.n_free);
}

unsigned vnet_tx_drain(struct vnet_dev *d, uint64_t timeout_ns)
{
	uint64_t deadline = vn_now() + timeout_ns;
	unsigned held;

	/* No doorbell needed: the device was rung for every frame it holds,
	 * or told us it was already looking (VIRTQ_USED_F_NO_NOTIFY). The
	 * transmit queue never interrupts, so this polls. */
	while ((held = vnet_tx_reclaim(d)) && !d->tx.broken && vn_now() < deadline)
		;
	return held;
}

unsigned vnet_tx_burst(struct vnet_dev *d, struct vnet_pkt **pkts, unsigned n)
{
	unsigned i;

	vnet_tx_reclaim(d);
	for (i = 0; i < n; i++) {
		uint8_t *hdr = vnet_pkt_hdr(pkts[i], d->hdr_len);
		/* Read once: a buffer of a shared pool may change under us, and
		 * the device must not read past this one. */
		uint32_t len = *(volatile uint16_t *)&pkts[i]->len;

		if (len > VNET_FRAME_CAP)
			break;
		/* No offloads: an all-zero header (what receive left there is
		 * the other port's business). The 12 bytes before the frame
		 * hold either kind (a legacy header is their last 10): a size
		 * the compiler knows is a few stores, not a call of memset. */
		memset(vnet_pkt_hdr(pkts[i], VNET_HDR_MODERN), 0, VNET_HDR_MODERN);
		if (!vq_add(&d->tx, pkts[i], vnet_dma_addr(hdr), d->hdr_len + len, false))
			break;
	}
	if (i) {
		vq_publish(&d->tx);
		kick(d, &d->tx, TXQ);
		d->stats.tx += i;
	}
	return i;
}

uint32_t vnet_irq_clear(struct vnet_dev *d)
{
	uint32_t causes = virtio_mmio_interrupt_status_read(d->base);

	if (causes)
		virtio_mmio_interrupt_ack_write(d->base, causes);
	/* The status read before the ring reads that follow it. */
	vq_io_rmb();
	return causes;
}

#endif /* VANITY_REGMAP_VIRTIO_MMIO_H */
