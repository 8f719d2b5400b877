/*
 * fuzz_devices.c - libFuzzer target for the hosted simulator's device
 * models, driven directly in this process: the PL011 and 16550 UARTs
 * (dev_uart.c), the PL031 RTC (dev_rtc.c) and the virtio-net card
 * (dev_virtio_net.c over virtq.c). The fuzzer plays the driver, the host's
 * clock, the console's input and the network.
 *
 * The models are included as they are, so their static functions are in
 * reach: the card's worker turn (step) and its owner's core's turn (serve)
 * are called here, synchronously, instead of from their threads, and its
 * AF_PACKET backend (net_packet.c) is replaced by a fake one whose received
 * frames come from the input (the AF_XDP backend, net_xdp.c, by one that
 * never opens, so the card falls back to the fake). What the rest of the
 * hosted kernel gives the models (dev.h: hk_dma, hk_dma_ring, hk_rx_pop,
 * hk_tx_put, hk_dev_changed, hk_dev_raise, hk_dev_option; hk_msg,
 * hk_eventfd_ring, port_now) are stubs below.
 *
 * The card's DMA heap is HEAP bytes at shard address HEAP_BASE, with
 * GUARD bytes poisoned for AddressSanitizer on either side: hk_dma
 * bounds-checks every request against it as devices.c does, and any byte
 * the models touch outside it is a crash. A pool its owner maps read-only
 * is RO bytes at RO_BASE, mapped PROT_READ here: hk_dma gives it for
 * reading only, and a model that writes where it asked to read crashes;
 * hk_dma_ring gives the heap alone.
 *
 * The input: one byte of setup (the card's --net option: none, an
 * interface, an interface with corrupt=N, or fuzzer text), then
 * operations, each an opcode byte and its operands:
 *
 *   MMIO     a device, read or write, 1/2/4/8 bytes at an aligned offset
 *            in its window, a value (1-8 bytes, or a heap address's low or
 *            high half); as devices.c's hk_mmio, the line is looked at after
 *   HEAP     bytes written anywhere in the heap
 *   DESC     a descriptor of queue 0 or 1 written where the card's table is
 *   AVAIL    a head published in a queue's avail ring, idx moved on
 *   BRINGUP  the card brought up by the book, queue sizes and ring places
 *            from the input, usually valid; features now and then wrong;
 *            now and then a few buffers posted in each queue
 *   STEP     the card's worker, or its owner's core (dev.h: serve), takes
 *            1-8 turns (it moves frames both ways), now and then after the
 *            dance the worker does around a sleep, or with the core
 *            letting the card go after
 *   TIME     the clock moves on (nanoseconds to years)
 *   RXBYTES  bytes typed at a UART (as much as its FIFO has room for)
 *   FRAME    a frame arrives for the card (length, wire length, bytes)
 *   TXFULL   the host's transmit ring fills up or drains, or the host
 *            starts or stops refusing to send (ENETDOWN: a link down)
 *   ACK      an interrupt acknowledged (IRQ_ACK: unmask, look again)
 *   RESTART  the card's owner restarts (devices.c: reset, heap zeroed)
 *
 * Checked after every operation (abort() on a violation): a live card has
 * DRIVER_OK and no NEEDS_RESET; every avail entry the card reads is one
 * the driver's index made available, no more than the queue's size ahead;
 * every used entry the card writes names a descriptor of its queue and, on
 * transmit, has length 0, on receive the header plus the frame, the header
 * alone (a frame it could not hold) or the corrupt knob's length; every
 * frame the card counts as sent was queued to the host; a send the host
 * refused is not tried again sooner than the card's back-off
 * (RETRY_MIN_NS); a UART's data register returns the bytes typed, in
 * order; the RTC's count, alarm and next event are those of a reference
 * clock (below); an unmasked line is low.
 *
 * tests/fuzz/run.sh builds and runs it (target `devices`); a crash input
 * replays with `fuzz_devices CRASH-FILE`, and FUZZ_DEVICES_VERBOSE=1 prints
 * the models' reports as the kernel would. tests/fuzz/seeds/devices holds
 * the inputs that found bugs, replayed first on every run.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>

#include <sanitizer/asan_interface.h>

#include "dev.h"
#include "hk.h"
#include "net_packet.h"
#include "net_xdp.h"
#include "port.h"

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_devices: invariant broken: %s\n", what);
		abort();
	}
}

/* ---- the host's clocks ---------------------------------------------------- */

#define WALL_SECS 1800000000ull /* the PL031's count at boot */

static uint64_t fz_now; /* port_now(): monotonic nanoseconds */

uint64_t port_now(void)
{
	return fz_now;
}

/* dev_rtc.c reads the wall clock at reset: make it this input's. */
static int fz_clock_gettime(clockid_t clk, struct timespec *ts)
{
	(void)clk;
	ts->tv_sec = (time_t)(WALL_SECS + fz_now / 1000000000ull);
	ts->tv_nsec = (long)(fz_now % 1000000000ull);
	return 0;
}

/* ---- the fake backend (net_packet.h) --------------------------------------- */

#define SLOT 4096u
#define TX_ROOM (SLOT - 32u)
#define MAX_FRAMES 8u

struct frame {
	uint32_t len, wire_len;
	uint8_t bytes[SLOT];
};

static struct {
	struct frame rx[MAX_FRAMES];
	uint32_t rx_head, rx_count;
	uint32_t last_len;     /* of the frame the card took last */
	bool took;
	bool tx_full;
	bool tx_refuse;        /* every flush fails with ENETDOWN */
	uint64_t refused_at;   /* when the last refused flush was; 0: none since one worked */
	uint64_t queued;       /* frames net_packet_tx was given, this input */
	uint8_t tx_slot[TX_ROOM];
} be;
static uint64_t n_rx_frames, n_tx_frames; /* over the whole run */

static uint8_t fake_ring[1]; /* net_packet_up() looks at tx_ring only */

int net_packet_open(struct net_packet *p, const char *ifname)
{
	(void)ifname;
	p->sock = -1;
	p->rx_ring = p->tx_ring = fake_ring;
	return 0;
}

const uint8_t *net_packet_rx(struct net_packet *p, uint32_t *len, uint32_t *wire_len)
{
	struct frame *f = &be.rx[be.rx_head];

	if (p->rx_ring != fake_ring || !be.rx_count) /* down, as net_packet.c */
		return NULL;
	*len = f->len;
	*wire_len = f->wire_len;
	return f->bytes;
}

void net_packet_rx_done(struct net_packet *p)
{
	(void)p;
	check(be.rx_count > 0, "net_packet_rx_done without a frame");
	be.last_len = be.rx[be.rx_head].len;
	be.took = true;
	be.rx_head = (be.rx_head + 1) % MAX_FRAMES;
	be.rx_count--;
	n_rx_frames++;
}

uint8_t *net_packet_tx_slot(struct net_packet *p, size_t *room)
{
	check(p->tx_ring == fake_ring, "net_packet_tx_slot on a link that is down");
	if (be.tx_full)
		return NULL;
	*room = TX_ROOM;
	return be.tx_slot;
}

void net_packet_tx(struct net_packet *p, uint32_t len)
{
	(void)p;
	check(len >= 14 && len <= TX_ROOM, "a transmitted frame of a length the host refuses");
	n_tx_frames++;
	be.queued++;
}

#define RETRY_MIN_NS 1000000ull /* dev_virtio_net.c's: checked against it below */

int net_packet_tx_flush(struct net_packet *p)
{
	(void)p;
	if (!be.tx_refuse) {
		be.refused_at = 0;
		return 0;
	}
	check(!be.refused_at || fz_now - be.refused_at >= RETRY_MIN_NS,
	      "a send the host refused tried again without backing off");
	be.refused_at = fz_now ? fz_now : 1;
	return -ENETDOWN;
}

uint32_t net_packet_tx_waiting(struct net_packet *p)
{
	(void)p;
	return 0;
}

/* AF_XDP is never there: the card falls back to the fake AF_PACKET above,
 * as on a host without AF_XDP (an explicit backend=af_xdp fails its boot). */
int net_xdp_open(struct net_xdp *x, const char *ifname, char *why, size_t why_len)
{
	(void)ifname;
	*x = NET_XDP_DOWN;
	snprintf(why, why_len, "not in the fuzzer");
	return -1;
}

const uint8_t *net_xdp_rx(struct net_xdp *x, uint32_t *len)
{
	(void)x, (void)len;
	check(0, "net_xdp_rx on a card without AF_XDP");
	return NULL;
}

void net_xdp_rx_done(struct net_xdp *x)
{
	(void)x;
	check(0, "net_xdp_rx_done on a card without AF_XDP");
}

uint8_t *net_xdp_tx_slot(struct net_xdp *x, size_t *room)
{
	(void)x, (void)room;
	check(0, "net_xdp_tx_slot on a card without AF_XDP");
	return NULL;
}

bool net_xdp_tx(struct net_xdp *x, uint32_t len)
{
	(void)x, (void)len;
	check(0, "net_xdp_tx on a card without AF_XDP");
	return false;
}

int net_xdp_tx_flush(struct net_xdp *x)
{
	(void)x;
	check(0, "net_xdp_tx_flush on a card without AF_XDP");
	return 0;
}

uint32_t net_xdp_tx_waiting(struct net_xdp *x)
{
	(void)x;
	check(0, "net_xdp_tx_waiting on a card without AF_XDP");
	return 0;
}

void net_xdp_close(struct net_xdp *x)
{
	*x = NET_XDP_DOWN;
}

/* ---- the models, as they are ---------------------------------------------- */

#define clock_gettime fz_clock_gettime
#include "../../runtime/arch/hosted/kernel/dev_uart.c"
#include "../../runtime/arch/hosted/kernel/dev_rtc.c"
#undef clock_gettime
#undef NS
#include "../../runtime/arch/hosted/kernel/virtq.c"

/* Every used entry the card writes is looked at as it writes it. */
static struct virtq *fz_rxq;
static uint32_t fz_corrupt;

static void fz_put_used(struct virtq *q, uint16_t head, uint32_t len)
{
	check(head < q->num, "a used entry naming no descriptor of its queue");
	if (q == fz_rxq) {
		check(be.took, "a receive buffer used without a frame");
		be.took = false;
		check(len == 12 || len == 12 + be.last_len ||
		      (fz_corrupt && len == 12 + 0x10000u),
		      "a receive length that is not the frame's");
	} else {
		check(len == 0, "a transmit buffer used with a length");
	}
	virtq_put_used(q, head, len);
}

/* Every avail entry the card reads is one the driver's index made
 * available, no more than the queue's size ahead of the card. */
static uint16_t fz_next(const struct virtq *q)
{
	uint16_t ahead = (uint16_t)(q->avail->idx - q->last_avail);

	check(ahead >= 1 && ahead <= q->num,
	      "an avail entry read that the driver's index did not make available (or ran "
	      "more than the queue's size ahead of)");
	return virtq_next(q);
}

#define virtq_put_used fz_put_used
#define virtq_next fz_next
#include "../../runtime/arch/hosted/kernel/dev_virtio_net.c"
#undef virtq_next
#undef virtq_put_used

/* ---- the rest of the kernel, as the models see it -------------------------- */

struct vn_kernel hk_kernel;

enum { D_PL011, D_PL031, D_NS16550, D_VNET, N_DEV };

static const struct hk_model *const fz_models[N_DEV] = {&hk_pl011, &hk_pl031, &hk_ns16550,
							  &hk_virtio_net};
static const struct vn_kdevice fz_kd[N_DEV] = {
	{.name = "uart0", .compatible = "arm,pl011", .irq = 33, .base = 0x09000000, .size = 0x1000},
	{.name = "rtc0", .compatible = "arm,pl031", .irq = 34, .base = 0x09010000, .size = 0x1000},
	{.name = "uart1", .compatible = "ns16550a", .irq = 42, .base = 0x10000000, .size = 0x1000},
	{.name = "net0", .compatible = "virtio,mmio", .irq = 48, .base = 0x0a000000, .size = 0x200},
};
static const struct vn_ksystem fz_sys = {.name = "fuzz", .board = "hosted", .n_devices = N_DEV,
					 .devices = fz_kd};
static struct hk_dev devs[N_DEV];

#define HEAP_BASE 0x100200000ull /* both halves of an address matter */
#define HEAP 0x4000u            /* 16 KiB: rings of 256 fit, and are found */
#define GUARD 0x10000u
static uint8_t *arena; /* GUARD, HEAP, GUARD */
#define RO_BASE 0x100400000ull
#define RO 0x1000u
static uint8_t *ro_pool;  /* PROT_READ */
static uint8_t *heap;

static char fz_option[40];
static bool fz_has_option;
static uint64_t n_dma, n_kicks, n_changed, n_tx_bytes, n_irqs, n_msgs, n_broken;

void *hk_dma_ring(struct hk_dev *d, uint64_t addr, uint64_t len)
{
	n_dma++;
	check(d == &devs[D_VNET], "DMA by a model that does none");
	if (addr < HEAP_BASE || len > HEAP || addr - HEAP_BASE > HEAP - len)
		return NULL;
	return heap + (addr - HEAP_BASE);
}

void *hk_dma(struct hk_dev *d, uint64_t addr, uint64_t len, bool write)
{
	if (!write && addr >= RO_BASE && len <= RO && addr - RO_BASE <= RO - len) {
		n_dma++;
		check(d == &devs[D_VNET], "DMA by a model that does none");
		return ro_pool + (addr - RO_BASE);
	}
	return hk_dma_ring(d, addr, len);
}

int hk_rx_pop(struct hk_dev *d)
{
	int c;

	if (d->rx_count == 0)
		return -1;
	c = d->rx[d->rx_head];
	d->rx_head = (d->rx_head + 1) % HK_RX_FIFO;
	d->rx_count--;
	return c;
}

void hk_tx_put(struct hk_dev *d, uint8_t c)
{
	check(d == &devs[D_PL011] || d == &devs[D_NS16550], "output from a device that is no UART");
	(void)c;
	n_tx_bytes++;
}

void hk_dev_changed(void)
{
	n_changed++;
}

/* devices.c's update(): a raised, unmasked line masks and fires. */
static void update(struct hk_dev *d)
{
	if (d->masked || !d->model->irq_level(d, fz_now))
		return;
	d->masked = true;
	n_irqs++;
}

void hk_dev_raise(struct hk_dev *d)
{
	check(d == &devs[D_VNET], "a line raised by a model with no worker");
	update(d);
}

const char *hk_dev_option(const char *device)
{
	return fz_has_option && strcmp(device, "net0") == 0 ? fz_option : NULL;
}

void hk_eventfd_ring(int fd)
{
	(void)fd;
	n_kicks++;
}

/* The "device needs reset" reports, and the rest. */
void hk_msg(const char *fmt, ...)
{
	char line[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	n_msgs++;
	n_broken += strstr(line, "device needs reset") != NULL;
	if (getenv("FUZZ_DEVICES_VERBOSE"))
		fprintf(stderr, "vanity: %s\n", line);
}

/* ---- the input ----------------------------------------------------------- */

struct input {
	const uint8_t *p;
	size_t left;
};

static uint64_t take(struct input *in, unsigned bytes)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < bytes && in->left; i++) {
		v |= (uint64_t)*in->p++ << (8 * i);
		in->left--;
	}
	return v;
}

/* ---- the reference clock of the PL031 ------------------------------------ */

/* What the RTC should do, kept apart from the model: the counter is
 * base + whole seconds since `loaded`, 32 bits wide; writing MR or LR arms
 * the alarm if MR is ahead of the count, to fire at the instant the count
 * reaches MR; it latches RIS until ICR clears it. */
static struct {
	uint64_t base, loaded, match_at;
	uint32_t mr;
	bool armed, ris;
} ref;

static uint32_t ref_count(uint64_t now)
{
	return (uint32_t)(ref.base + (now - ref.loaded) / 1000000000ull);
}

static void ref_latch(uint64_t now)
{
	if (ref.armed && now >= ref.match_at) {
		ref.armed = false;
		ref.ris = true;
	}
}

static void ref_arm(uint64_t now)
{
	uint32_t dr = ref_count(now);
	uint64_t secs = (now - ref.loaded) / 1000000000ull;

	ref.armed = ref.mr > dr;
	ref.match_at = ref.loaded + (secs + (uint32_t)(ref.mr - dr)) * 1000000000ull;
}

static void ref_write(uint64_t off, uint64_t v)
{
	ref_latch(fz_now);
	switch (off) {
	case 0x04: ref.mr = (uint32_t)v; ref_arm(fz_now); break;
	case 0x08: ref.base = (uint32_t)v; ref.loaded = fz_now; ref_arm(fz_now); break;
	case 0x1c: if (v & 1) ref.ris = false; break;
	}
}

/* ---- the world ------------------------------------------------------------ */

static uint8_t uart_typed[N_DEV][HK_RX_FIFO]; /* what was typed, in order */
static uint64_t n_access;

static struct vnet *card(void)
{
	return devs[D_VNET].priv;
}

static void boot(void)
{
	static bool once;

	if (!once) {
		once = true;
		arena = aligned_alloc(4096, GUARD + HEAP + GUARD);
		check(arena != NULL, "no memory");
		heap = arena + GUARD;
		ASAN_POISON_MEMORY_REGION(arena, GUARD);
		ASAN_POISON_MEMORY_REGION(heap + HEAP, GUARD);
		ro_pool = mmap(NULL, RO, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
			       0);
		check(ro_pool != MAP_FAILED, "no memory");
		memset(ro_pool, 0x5a, RO);
		check(mprotect(ro_pool, RO, PROT_READ) == 0, "mprotect");
		hk_kernel.sys = &fz_sys;
	}
	memset(heap, 0, HEAP);
	memset(&be, 0, sizeof(be));
	memset(&ref, 0, sizeof(ref));
	if (devs[D_VNET].priv) {
		pthread_mutex_destroy(&card()->mu);
		free(devs[D_VNET].priv);
	}
	memset(devs, 0, sizeof(devs));
	fz_now = 1000000000ull;
	ref.base = (uint32_t)WALL_SECS + 1;
	ref.loaded = fz_now;
	for (unsigned i = 0; i < N_DEV; i++) {
		devs[i].kd = &fz_kd[i];
		devs[i].model = fz_models[i];
		devs[i].model->reset(&devs[i]);
	}
	devs[D_PL011].input = true;
	fz_rxq = &card()->q[0];
	fz_corrupt = card()->corrupt;
	/* vnet_start without its thread and eventfd: the backend, if named. */
	if (!card()->bad_option)
		check(open_backend(card()) == 0, "the fake backend refused");
}

/* One register access, as devices.c's hk_mmio makes it. */
static uint64_t mmio(unsigned dev, bool write, uint64_t off, uint32_t bytes, uint64_t value)
{
	struct hk_dev *d = &devs[dev];
	uint64_t v = 0;

	n_access++;
	if (dev == D_PL031 && write)
		ref_write(off, value);
	if (write)
		d->model->write(d, off, bytes, value);
	else
		v = d->model->read(d, off, bytes);
	update(d);
	return v;
}

static uint64_t value_of(struct input *in, unsigned mode)
{
	switch (mode) {
	case 0: return take(in, 1);
	case 1: return take(in, 2);
	case 2: return take(in, 4);
	case 3: return take(in, 8);
	case 4: return (uint32_t)(HEAP_BASE + take(in, 2) % (HEAP + 64)); /* low half */
	case 5: return HEAP_BASE >> 32;                                   /* high half */
	case 6: return (uint64_t)1 << (take(in, 1) % 64);
	default: return ~take(in, 4);
	}
}

static void op_mmio(struct input *in)
{
	static const uint32_t win[N_DEV] = {0x1000, 0x1000, 0x1000, 0x200};
	unsigned b = (unsigned)take(in, 1), dev = b & 3, mode = b >> 5;
	bool write = b & 4;
	uint32_t bytes = 1u << ((b >> 3) & 3);
	uint64_t off = take(in, 2) % win[dev] & ~(uint64_t)(bytes - 1);
	uint64_t value = write ? value_of(in, mode) : 0;
	uint32_t typed = devs[dev].rx_count, head = devs[dev].rx_head;
	uint64_t got = mmio(dev, write, off, bytes, value);

	/* A UART's data register gives the bytes typed, in order. */
	if (!write && (dev == D_PL011 || dev == D_NS16550) && devs[dev].rx_count < typed) {
		check(typed - devs[dev].rx_count == 1, "one read took more than one byte");
		check(got == uart_typed[dev][head], "a UART read a byte not typed");
	}
}

static void op_heap(struct input *in)
{
	uint32_t off = (uint32_t)take(in, 2) % HEAP, n = (uint32_t)take(in, 1) % 65;

	for (uint32_t i = 0; i < n && off + i < HEAP; i++)
		heap[off + i] = (uint8_t)take(in, 1);
}

/* Bytes at a heap address, if all of them are in the heap. */
static uint8_t *at(uint64_t addr, uint64_t len)
{
	if (addr < HEAP_BASE || len > HEAP || addr - HEAP_BASE > HEAP - len)
		return NULL;
	return heap + (addr - HEAP_BASE);
}

static void op_desc(struct input *in)
{
	unsigned b = (unsigned)take(in, 1);
	struct virtq *q = &card()->q[b & 1];
	uint32_t i = (uint32_t)take(in, 1);
	struct virtio_mmio_vq_desc d;
	uint8_t *p;

	switch ((b >> 1) & 3) {
	case 0: d.addr = HEAP_BASE + take(in, 2) % HEAP; break;       /* in the heap */
	case 1: d.addr = HEAP_BASE + HEAP - take(in, 1); break;       /* at its end */
	case 2: d.addr = take(in, 8); break;                          /* anywhere */
	default: d.addr = b & 0x10 ? RO_BASE + take(in, 2) % RO       /* a read-only pool */
			      : HEAP_BASE - take(in, 1); break;       /* before the heap */
	}
	d.len = b & 0x20 ? (uint32_t)take(in, 4) : (uint32_t)take(in, 2) % 2048;
	d.flags = (uint16_t)(b & 0x40 ? take(in, 2) : (take(in, 1) & 3));
	d.next = (uint16_t)(b & 0x80 ? take(in, 2) : take(in, 1) % (q->num ? q->num : 1));
	if (q->num && i >= q->num)
		i %= q->num;
	p = at(q->desc_addr + 16ull * i, sizeof(d));
	if (p)
		memcpy(p, &d, sizeof(d));
}

static void op_avail(struct input *in)
{
	unsigned b = (unsigned)take(in, 1);
	struct virtq *q = &card()->q[b & 1];
	uint16_t head = (uint16_t)(b & 2 ? take(in, 2) : take(in, 1) % (q->num ? q->num : 1));
	uint8_t *p = at(q->avail_addr, 4);
	uint16_t idx;
	uint8_t *slot;

	if (!p || !q->num)
		return;
	memcpy(&idx, p + 2, 2);
	slot = at(q->avail_addr + 4 + 2ull * (idx & (q->num - 1)), 2);
	if (slot)
		memcpy(slot, &head, 2);
	idx = (uint16_t)(idx + (b & 4 ? take(in, 1) : 1));
	memcpy(p + 2, &idx, 2);
	if (b & 8)
		p[0] = (uint8_t)take(in, 1); /* flags: NO_INTERRUPT */
}

/* As a driver does after DRIVER_OK: up to 4 buffers in each queue, the
 * receive ones device-writable, each somewhere in the heap. */
static void post_buffers(struct input *in)
{
	for (uint32_t qi = 0; qi < 2; qi++) {
		struct virtq *q = &card()->q[qi];
		uint32_t k = q->num < 4 ? q->num : 4;
		uint8_t *avail = at(q->avail_addr, 4);

		for (uint16_t i = 0; i < k; i++) {
			struct virtio_mmio_vq_desc d = {
				.addr = HEAP_BASE + take(in, 2) % HEAP,
				.len = 64 + (uint32_t)take(in, 1) * 8,
				.flags = qi == 0 ? VIRTIO_MMIO_VQ_DESC_FLAGS_WRITE_MASK : 0,
			};
			uint8_t *p = at(q->desc_addr + 16ull * i, sizeof(d));
			uint8_t *slot = at(q->avail_addr + 4 + 2ull * i, 2);

			if (p)
				memcpy(p, &d, sizeof(d));
			if (slot)
				memcpy(slot, &i, 2);
		}
		if (avail && k)
			memcpy(avail + 2, &(uint16_t){(uint16_t)k}, 2);
	}
}

static void op_bringup(struct input *in)
{
	unsigned b = (unsigned)take(in, 1);
	uint64_t features = b & 1 ? take(in, 8) : F_VERSION_1 | (b & 2 ? F_MAC : 0);

	mmio(D_VNET, true, VIRTIO_MMIO_STATUS_OFFSET, 4, 0);
	mmio(D_VNET, true, VIRTIO_MMIO_STATUS_OFFSET, 4, 3); /* ACKNOWLEDGE, DRIVER */
	for (uint32_t sel = 0; sel < 2; sel++) {
		mmio(D_VNET, true, VIRTIO_MMIO_DRIVER_FEATURES_SEL_OFFSET, 4, sel);
		mmio(D_VNET, true, VIRTIO_MMIO_DRIVER_FEATURES_OFFSET, 4,
		     (uint32_t)(features >> (32 * sel)));
	}
	mmio(D_VNET, true, VIRTIO_MMIO_STATUS_OFFSET, 4, 3 | S_FEATURES_OK);
	for (uint32_t qi = 0; qi < 2; qi++) {
		unsigned c = (unsigned)take(in, 1);
		uint32_t num = c & 0x80 ? (uint32_t)take(in, 2) : 1u << (c % 9);
		/* By default one 4 KiB-aligned page of each queue's rings,
		 * queue 0 in the first half of the heap, queue 1 in the second. */
		uint64_t base = HEAP_BASE + qi * (HEAP / 2);
		uint64_t desc = c & 0x40 ? HEAP_BASE + take(in, 2) % HEAP : base;
		uint64_t avail = c & 0x40 ? HEAP_BASE + take(in, 2) % HEAP : base + 16ull * num;
		uint64_t used = c & 0x40 ? HEAP_BASE + take(in, 2) % HEAP :
			(avail + 6 + 2ull * num + 3) & ~3ull;

		mmio(D_VNET, true, VIRTIO_MMIO_QUEUE_SEL_OFFSET, 4, qi);
		mmio(D_VNET, true, VIRTIO_MMIO_QUEUE_NUM_OFFSET, 4, num);
		mmio(D_VNET, true, VIRTIO_MMIO_QUEUE_DESC_LOW_OFFSET, 4, (uint32_t)desc);
		mmio(D_VNET, true, VIRTIO_MMIO_QUEUE_DESC_HIGH_OFFSET, 4, desc >> 32);
		mmio(D_VNET, true, VIRTIO_MMIO_QUEUE_DRIVER_LOW_OFFSET, 4, (uint32_t)avail);
		mmio(D_VNET, true, VIRTIO_MMIO_QUEUE_DRIVER_HIGH_OFFSET, 4, avail >> 32);
		mmio(D_VNET, true, VIRTIO_MMIO_QUEUE_DEVICE_LOW_OFFSET, 4, (uint32_t)used);
		mmio(D_VNET, true, VIRTIO_MMIO_QUEUE_DEVICE_HIGH_OFFSET, 4, used >> 32);
		mmio(D_VNET, true, VIRTIO_MMIO_QUEUE_READY_OFFSET, 4, 1);
	}
	mmio(D_VNET, true, VIRTIO_MMIO_STATUS_OFFSET, 4, 3 | S_FEATURES_OK | S_DRIVER_OK);
	if (b & 4)
		post_buffers(in);
}

static uint64_t n_steps;

static void op_step(struct input *in)
{
	unsigned b = (unsigned)take(in, 1), turns = b % 8 + 1;
	struct vnet *n = card();

	/* Now and then the worker has been idle: before it sleeps it asks for
	 * kicks and looks once more, and asks for none again when it wakes
	 * (sleep_until_work, without the poll). */
	if ((b & 0x40) && n->live) {
		uint64_t wake_at = UINT64_MAX;
		bool work;

		virtq_set_notify(&n->q[0], true);
		virtq_set_notify(&n->q[1], true);
		work = tx_work(n, &wake_at);
		check(!work || !n->tx_retry_at, "transmit work while a refused send waits");
		check(wake_at == (n->tx_retry_at ? n->tx_retry_at : UINT64_MAX),
		      "the worker would not wake for a refused send's retry");
		virtq_set_notify(&n->q[0], false);
		virtq_set_notify(&n->q[1], false);
	}
	for (unsigned i = 0; i < turns; i++) {
		n_steps++;
		if (b & 0x80)
			hk_virtio_net.serve(&devs[D_VNET], true); /* the owner's core's turn */
		else
			step(card(), false);
	}
	if ((b & 0xa0) == 0xa0)
		hk_virtio_net.serve(&devs[D_VNET], false); /* the core lets it go */
}

static void op_time(struct input *in)
{
	unsigned b = (unsigned)take(in, 1);
	uint64_t d = take(in, 2) << (b % 48);

	/* A monotonic clock in nanoseconds since boot: it stays below 2^62. */
	if (d < (1ull << 62) - fz_now)
		fz_now += d;
	for (unsigned i = 0; i < N_DEV; i++)
		update(&devs[i]);
}

static void op_rxbytes(struct input *in)
{
	unsigned b = (unsigned)take(in, 1), dev = b & 1 ? D_NS16550 : D_PL011;
	struct hk_dev *d = &devs[dev];
	uint32_t n = (b >> 1) % (HK_RX_FIFO + 1);

	/* devices.c's take_input: never more than the FIFO has room for. */
	for (uint32_t i = 0; i < n && d->rx_count < HK_RX_FIFO; i++) {
		uint32_t tail = (d->rx_head + d->rx_count++) % HK_RX_FIFO;

		d->rx[tail] = uart_typed[dev][tail] = (uint8_t)take(in, 1);
	}
	update(d);
}

static void op_frame(struct input *in)
{
	struct frame *f;
	uint32_t n;

	if (be.rx_count == MAX_FRAMES)
		return;
	f = &be.rx[(be.rx_head + be.rx_count++) % MAX_FRAMES];
	f->len = (uint32_t)take(in, 2) % (SLOT - 64);
	f->wire_len = f->len + (uint32_t)(take(in, 1) & 0x80 ? take(in, 2) : 0);
	n = f->len < 64 ? f->len : 64;
	for (uint32_t i = 0; i < f->len; i++)
		f->bytes[i] = i < n ? (uint8_t)take(in, 1) : (uint8_t)i;
}

static void op_ack(struct input *in)
{
	struct hk_dev *d = &devs[take(in, 1) % N_DEV];

	d->masked = false;
	update(d);
}

static void op_restart(void)
{
	/* devices.c's hk_devices_restart: DMA stops, then the heap is fresh. */
	devs[D_VNET].model->reset(&devs[D_VNET]);
	memset(heap, 0, HEAP);
}

/* ---- checks after every operation ------------------------------------------ */

static void check_world(void)
{
	struct vnet *n = card();
	uint64_t rtc_ris;

	check(!n->live || ((n->status & S_DRIVER_OK) && !(n->status & S_NEEDS_RESET)),
	      "a live card without DRIVER_OK, or needing reset");
	check(!(n->status & S_NEEDS_RESET) || !n->live, "a card needing reset is live");
	check(n->tx_frames == be.queued, "a frame counted as sent that was not queued");
	for (unsigned i = 0; i < N_DEV; i++)
		check(devs[i].rx_count <= HK_RX_FIFO, "a FIFO over its size");
	/* The line is the level: a masked line stays masked, an unmasked one
	 * is low (update() has looked). */
	for (unsigned i = 0; i < N_DEV; i++)
		check(devs[i].masked || !devs[i].model->irq_level(&devs[i], fz_now),
		      "an unmasked line high after update");
	/* The alarm, against the reference clock (the model latches on any
	 * access; read RIS now, and latch the reference at the same instant). */
	ref_latch(fz_now);
	rtc_ris = pl031_read(&devs[D_PL031], 0x14, 4);
	if (rtc_ris != ref.ris)
		fprintf(stderr, "fuzz_devices: rtc at %llu ns: ris %llu, reference %d "
			"(count %u, mr %u, reference alarm at %llu)\n",
			(unsigned long long)fz_now, (unsigned long long)rtc_ris, ref.ris,
			ref_count(fz_now), ref.mr, (unsigned long long)ref.match_at);
	check(rtc_ris == ref.ris, "the RTC alarm latched when the counter did not reach MR, "
	      "or did not when it did");
	check(pl031_read(&devs[D_PL031], 0x00, 4) == ref_count(fz_now),
	      "the RTC count is not the reference's");
	/* The device thread sleeps until the model's next event. */
	check(devs[D_PL031].model->next_event(&devs[D_PL031]) ==
	      (ref.armed ? ref.match_at : VN_NEVER), "the RTC's next event is not its alarm");
}

/* ---- the target ---------------------------------------------------------- */

static void report(void)
{
	fprintf(stderr, "fuzz_devices: %llu accesses, %llu worker turns, %llu DMA mappings, "
		"%llu frames received, %llu sent, %llu UART bytes out, %llu interrupts, "
		"%llu \"device needs reset\"\n",
		(unsigned long long)n_access, (unsigned long long)n_steps,
		(unsigned long long)n_dma, (unsigned long long)n_rx_frames,
		(unsigned long long)n_tx_frames, (unsigned long long)n_tx_bytes,
		(unsigned long long)n_irqs, (unsigned long long)n_broken);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	atexit(report);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = {data, size};
	unsigned setup = (unsigned)take(&in, 1);

	fz_has_option = true;
	switch (setup & 3) {
	case 0: fz_has_option = false; break;
	case 1: snprintf(fz_option, sizeof(fz_option), "fz0"); break;
	case 2: snprintf(fz_option, sizeof(fz_option), "fz0,corrupt=%u",
			 (unsigned)take(&in, 1) % 8 + 1); break;
	default: {
		uint32_t n = (uint32_t)take(&in, 1) % (sizeof(fz_option) - 1);

		for (uint32_t i = 0; i < n; i++)
			fz_option[i] = (char)take(&in, 1);
		fz_option[n] = 0;
	}
	}
	boot();
	be.tx_full = setup & 4;
	be.tx_refuse = setup & 8;
	while (in.left) {
		unsigned op = (unsigned)take(&in, 1);

		if (op < 96)
			op_mmio(&in);
		else if (op < 120)
			op_heap(&in);
		else if (op < 144)
			op_desc(&in);
		else if (op < 168)
			op_avail(&in);
		else if (op < 176)
			op_bringup(&in);
		else if (op < 200)
			op_step(&in);
		else if (op < 212)
			op_time(&in);
		else if (op < 224)
			op_rxbytes(&in);
		else if (op < 236)
			op_frame(&in);
		else if (op < 238)
			be.tx_full = !be.tx_full;
		else if (op < 240)
			be.tx_refuse = !be.tx_refuse;
		else if (op < 252)
			op_ack(&in);
		else
			op_restart();
		check_world();
	}
	return 0;
}
