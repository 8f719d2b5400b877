/*
 * test_vnet.c - the virtio-net driver's receive path against a device
 * played in plain memory: its registers are an array (nothing reads them
 * back but the driver), and the test uses the buffers the driver posts by
 * writing the used ring, as the device would.
 *
 * A receive ring the device holds no buffer of is never used again, so
 * vnet_rx_burst must refill it once the pool has buffers, even though it
 * took no frame: otherwise a pool that ran dry for a moment stops the port
 * for good.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../drivers/virtio_net/virtio_net.h"

#define QSIZE 8u
#define FRAME 60u

uint64_t vn_now(void)
{
	return 0;
}

static _Alignas(4096) uint8_t ring_mem[3 * 4096];
static _Alignas(64) uint8_t bufs[QSIZE * VNET_PKT_SIZE];
static uint8_t books[VNET_POOL_BOOKS(QSIZE)];
static uint32_t window[0x200 / 4]; /* the device's registers */
static struct vnet_pool pool;
static struct vnet_dev dev;
static uint16_t dev_avail; /* the next avail entry the device takes */

static int setup(void **state)
{
	(void)state;
	memset(ring_mem, 0, sizeof(ring_mem));
	memset(&dev, 0, sizeof(dev));
	dev_avail = 0;
	assert_true(vq_ring_bytes(QSIZE) <= sizeof(ring_mem));
	assert_int_equal(vnet_pool_init_at(&pool, bufs, QSIZE, books, sizeof(books)), QSIZE);
	dev.base = (uintptr_t)window;
	dev.version = 2;
	dev.hdr_len = 12;
	dev.poll = true;
	assert_int_equal(vq_init(&dev.rx, ring_mem, QSIZE, true), 0);
	assert_int_equal(vnet_start(&dev, &pool), 0);
	return 0;
}

/* The device fills up to n of the buffers it was given; returns how many. */
static unsigned device_receive(unsigned n)
{
	volatile struct virtio_mmio_vq_used *used = dev.rx.used;
	unsigned done = 0;

	while (done < n && dev_avail != dev.rx.avail->idx) {
		uint16_t id = dev.rx.avail->ring[dev_avail++ % QSIZE];

		used->ring[used->idx % QSIZE].id = id;
		used->ring[used->idx % QSIZE].len = dev.hdr_len + FRAME;
		used->idx++;
		done++;
	}
	return done;
}

static void dry_ring_is_refilled_once_buffers_come_back(void **state)
{
	struct vnet_pkt *pkts[VNET_BURST];
	unsigned n;

	(void)state;
	/* Every buffer of the pool is in the ring; the device fills them all
	 * and the application keeps them: the refill finds the pool empty. */
	assert_int_equal(dev.rx.n_free, 0);
	assert_int_equal(device_receive(QSIZE), QSIZE);
	assert_int_equal(vnet_rx_burst(&dev, pkts, VNET_BURST), QSIZE);
	assert_int_equal(dev.rx.n_free, QSIZE);
	assert_int_equal(dev.rx_nobuf, 1);
	assert_int_equal(device_receive(1), 0); /* the device holds nothing */
	/* Still nothing to post while the application holds every buffer. */
	assert_int_equal(vnet_rx_burst(&dev, pkts + QSIZE, VNET_BURST), 0);
	assert_int_equal(dev.rx.n_free, QSIZE);
	for (unsigned i = 0; i < QSIZE; i++)
		assert_true(vnet_pkt_free(&pool, pkts[i]));
	/* No frame can arrive, yet the next burst posts the buffers again. */
	assert_int_equal(vnet_rx_burst(&dev, pkts, VNET_BURST), 0);
	assert_int_equal(dev.rx.n_free, 0);
	assert_int_equal(device_receive(QSIZE), QSIZE);
	n = vnet_rx_burst(&dev, pkts, VNET_BURST);
	assert_int_equal(n, QSIZE);
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(pkts[i]->len, FRAME);
}

static void empty_poll_leaves_a_posted_ring_alone(void **state)
{
	struct vnet_pkt *pkts[VNET_BURST];

	(void)state;
	/* The device holds every buffer and nothing came: the pool is empty
	 * but nothing is missing, so no refill is tried and none counted. */
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(vnet_rx_burst(&dev, pkts, VNET_BURST), 0);
	assert_int_equal(dev.rx_nobuf, 0);
	assert_int_equal(dev.rx.n_free, 0);
	/* Half the frames taken and kept: the ring is refilled at the next
	 * frames, as far as the pool allows. */
	assert_int_equal(device_receive(QSIZE / 2), QSIZE / 2);
	assert_int_equal(vnet_rx_burst(&dev, pkts, VNET_BURST), QSIZE / 2);
	assert_int_equal(dev.rx.n_free, QSIZE / 2);
	assert_int_equal(dev.rx_nobuf, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(dry_ring_is_refilled_once_buffers_come_back, setup),
		cmocka_unit_test_setup(empty_poll_leaves_a_posted_ring_alone, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
