/*
 * Lies to the virtio-net model, one lie per round, resetting the card in
 * between: a descriptor pointing outside this shard's heap (at the kernel's
 * usual addresses and at the top of memory), one longer than the heap, a
 * chain that loops on itself, an index past the queue, a receive-only
 * buffer on the transmit queue, an available index that runs more than
 * the queue's size ahead; and a ring itself outside the heap, or in
 * a pool (with a good descriptor in it: a pool another shard may write is
 * no place for what the card follows with our rights). After
 * each, the device must report DEVICE_NEEDS_RESET (status bit 0x40) and a
 * configuration interrupt, and after a reset take a good frame again.
 */
#include <string.h>

#include <vanity_shard.h>

#define NET VN_DEVICE_NET_BASE
#define QSZ 8u
#define NEEDS_RESET 0x40u
#define F_NEXT VIRTIO_MMIO_VQ_DESC_FLAGS_NEXT_MASK
#define F_WRITE VIRTIO_MMIO_VQ_DESC_FLAGS_WRITE_MASK

struct ring {
	struct virtio_mmio_vq_desc desc[QSZ]; /* the map's layout, raw rings */
	uint16_t avail[2 + QSZ + 1];
	uint8_t pad[4096 - sizeof(struct virtio_mmio_vq_desc) * QSZ - 2 * (3 + QSZ)];
	uint16_t used[2 + 2 * 2 * QSZ + 1];
};

static struct ring *q[2];

/* Set the card up; the transmit queue's descriptor table at desc_at, or in
 * our heap where it belongs when 0. */
static void setup(uint64_t desc_at)
{
	virtio_mmio_status_write(NET, 0);
	virtio_mmio_status_write(NET, 1 | 2);              /* ACKNOWLEDGE | DRIVER */
	virtio_mmio_driver_features_sel_write(NET, 1);
	virtio_mmio_driver_features_write(NET, 1);         /* VERSION_1 (bit 32) */
	virtio_mmio_status_write(NET, 1 | 2 | 8);          /* FEATURES_OK */
	for (uint32_t i = 0; i < 2; i++) {
		uint64_t r = i == 1 && desc_at ? desc_at : (uintptr_t)q[i];

		memset(q[i], 0, sizeof(*q[i]));
		virtio_mmio_queue_sel_write(NET, i);
		virtio_mmio_queue_num_write(NET, QSZ);
		virtio_mmio_queue_desc_low_write(NET, (uint32_t)r);
		virtio_mmio_queue_desc_high_write(NET, (uint32_t)(r >> 32));
		r = (uintptr_t)q[i]->avail;
		virtio_mmio_queue_driver_low_write(NET, (uint32_t)r);
		virtio_mmio_queue_driver_high_write(NET, (uint32_t)(r >> 32));
		r = (uintptr_t)q[i]->used;
		virtio_mmio_queue_device_low_write(NET, (uint32_t)r);
		virtio_mmio_queue_device_high_write(NET, (uint32_t)(r >> 32));
		virtio_mmio_queue_ready_write(NET, 1);
	}
	virtio_mmio_status_write(NET, 1 | 2 | 8 | 4);      /* DRIVER_OK */
}

/* Post descriptor 0 (and what it chains to) on the transmit queue, its
 * index moved `ahead` entries (1: the truth), kick, and wait up to a
 * second for the device to take it or give up. */
static uint32_t transmit(uint16_t ahead)
{
	struct ring *t = q[1];
	uint64_t until = vn_now() + 1000000000ull;

	t->avail[2] = 0;
	__atomic_store_n(&t->avail[1], (uint16_t)(t->avail[1] + ahead), __ATOMIC_RELEASE);
	virtio_mmio_queue_notify_write(NET, 1);
	while (vn_now() < until) {
		uint32_t st = virtio_mmio_status_read(NET);

		if ((st & NEEDS_RESET) || __atomic_load_n(&t->used[1], __ATOMIC_ACQUIRE))
			return st;
		vn_wait(1000000);
	}
	return virtio_mmio_status_read(NET);
}

static void lie_at(const char *what, uint64_t desc_at, uint64_t addr, uint32_t len,
		   uint16_t flags, uint16_t next, uint16_t ahead)
{
	uint32_t st, isr;

	setup(desc_at);
	q[1]->desc[0] = (struct virtio_mmio_vq_desc){addr, len, flags, next};
	q[1]->desc[1] = (struct virtio_mmio_vq_desc){(uintptr_t)q[1]->pad, 64, 0, 0};
	st = transmit(ahead);
	isr = virtio_mmio_interrupt_status_read(NET);
	virtio_mmio_interrupt_ack_write(NET, isr);
	vn_irq_ack(VN_NOTIFY_NET);
	vn_log("%s: status %#x, interrupt %#x", what, st, isr);
}

static void lie(const char *what, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	lie_at(what, 0, addr, len, flags, next, 1);
}

void vn_main(void)
{
	size_t size;
	uint8_t *heap = vn_heap(&size);
	uintptr_t end = (uintptr_t)heap + size;

	q[0] = (struct ring *)heap;
	q[1] = (struct ring *)(heap + 2 * 4096); /* a ring is 4 KiB and a bit */
	lie("outside the heap", 0x400000, 64, 0, 0);
	lie("at the top of memory", ~0ull - 32, 64, 0, 0);
	lie("longer than the heap", (uintptr_t)heap, (uint32_t)size + 4096, 0, 0);
	lie("ending past the heap", end - 16, 64, 0, 0);
	lie("a chain that loops", (uintptr_t)q[1]->pad, 64, F_NEXT, 0);
	lie("next past the queue", (uintptr_t)q[1]->pad, 64, F_NEXT, QSZ + 3);
	lie("a receive buffer to send", (uintptr_t)q[1]->pad, 64, F_WRITE, 0);
	lie_at("a ring outside the heap", 0x400000, (uintptr_t)q[1]->pad, 64, 0, 0, 1);
	((struct virtio_mmio_vq_desc *)vn_pool_shared.base)[0] =
		(struct virtio_mmio_vq_desc){(uintptr_t)q[1]->pad, 64, 0, 0};
	lie_at("a ring in a pool", vn_pool_shared.base, (uintptr_t)q[1]->pad, 64, 0, 0, 1);
	lie_at("an index past the size", 0, (uintptr_t)q[1]->pad, 64, 0, 0, QSZ + 1);
	lie("the truth", (uintptr_t)q[1]->pad, 64, 0, 0);
	vn_exit(0);
}
