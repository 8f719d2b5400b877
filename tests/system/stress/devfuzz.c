/*
 * A malicious driver (hosted): CALLS register accesses, each to a random
 * device of ours (the PL011 and 16550 UARTs, the PL031 RTC, a virtio-net
 * card), at a random aligned offset in its window, 1, 2, 4 or 8 bytes,
 * reading or writing a random value. Values written to the card's queue
 * address registers are mostly addresses in our heap (where the model
 * reads and writes as DMA), else anywhere; between accesses the heap is
 * filled with random descriptors, ring indices and chains pointing inside
 * and outside it. Interrupts are acknowledged now and then. Every access
 * is inside our own windows, so none may fault us; the models must refuse
 * what is nonsense and stay up. Logs its counts; the kernel must neither
 * crash nor stall the bystanders on either core.
 */
#include <vanity_shard.h>
#include <vanity/syscall.h>

#include "rng.h"

#ifndef CALLS
#define CALLS 20000
#endif
#ifndef SEED
#define SEED 1
#endif

static const struct {
	uint64_t base, size;
} win[] = {
	{0x09000000, 0x1000}, /* pl011 (boards/hosted.yaml) */
	{0x10000000, 0x1000}, /* ns16550 */
	{0x09010000, 0x1000}, /* pl031 */
	{0x0a000200, 0x200},  /* virtio-mmio, index -1 */
};

/* virtio-mmio registers worth hitting more often than chance would. */
static const uint16_t vio_regs[] = {0x000, 0x010, 0x014, 0x020, 0x024, 0x030, 0x034, 0x038,
				    0x044, 0x050, 0x060, 0x064, 0x070, 0x080, 0x084, 0x090,
				    0x094, 0x0a0, 0x0a4, 0x0fc, 0x100};

static uint8_t *heap;
static size_t heap_size;

static uint64_t dma_addr(void)
{
	switch (rng_below(4)) {
	case 0:
		return rng_next();
	case 1:
		/* straddles the end */
		return (uint64_t)(uintptr_t)heap + heap_size - rng_below(64);
	default:
		return (uint64_t)(uintptr_t)heap + (rng_below(heap_size) & ~(uint64_t)15);
	}
}

static uint64_t value(void)
{
	switch (rng_below(5)) {
	case 0:
		return rng_below(16);
	case 1:
		return dma_addr() >> (rng_below(2) ? 32 : 0);
	case 2:
		return UINT64_C(1) << rng_below(64);
	default:
		return rng_next();
	}
}

/* Random descriptors, available and used rings: 16-byte records of
 * (address, length, flags, next) with addresses in and out of the heap. */
static void scribble(void)
{
	for (int k = 0; k < 32; k++) {
		uint64_t *p = (uint64_t *)(heap + (rng_below(heap_size) & ~(uint64_t)15));

		p[0] = dma_addr();
		p[1] = rng_below(2) ? (rng_next() & 0x0007ffff0000ffffull) : rng_next();
	}
}

static uint64_t mmio(uint64_t off, int write, uint64_t v)
{
	return vn_syscall(VN_SYS_MMIO, (win[3].base + off) | VN_MMIO_OP(4, write), v);
}

/* The virtio-mmio bring-up done right, but with random queue sizes and
 * queue addresses (mostly in the heap), then a kick of a random queue:
 * the card walks whatever descriptors scribble() left there. */
static void bring_up(void)
{
	mmio(0x070, 1, 0);
	mmio(0x070, 1, 1);
	mmio(0x070, 1, 3);
	for (uint32_t sel = 0; sel < 2; sel++) {
		mmio(0x014, 1, sel);
		uint64_t f = mmio(0x010, 0, 0);
		mmio(0x024, 1, sel);
		mmio(0x020, 1, rng_below(8) ? f : value());
	}
	mmio(0x070, 1, 0xb);
	for (uint32_t q = 0; q < 2; q++) {
		mmio(0x030, 1, q);
		uint64_t max = mmio(0x034, 0, 0);
		mmio(0x038, 1, rng_below(8) ? (max ? UINT64_C(1) << rng_below(9) : 0) % (max + 1)
					   : value());
		for (uint32_t r = 0; r < 3; r++) {
			uint64_t a = rng_below(16)
					     ? (uint64_t)(uintptr_t)heap +
						       (rng_below(heap_size - 8192) & ~(uint64_t)63)
					     : dma_addr();

			mmio(0x080 + 0x10 * r, 1, (uint32_t)a);
			mmio(0x084 + 0x10 * r, 1, a >> 32);
		}
		mmio(0x044, 1, 1);
	}
	mmio(0x070, 1, 0xf);
	scribble();
	mmio(0x050, 1, rng_below(3));
}

void vn_main(void)
{
	uint64_t reads = 0, writes = 0, acks = 0;
	uint64_t t0 = vn_now();

	heap = vn_heap(&heap_size);
	rng_seed(SEED);
	for (uint32_t i = 0; i < CALLS; i++) {
		uint32_t d = (uint32_t)rng_below(4), lg = (uint32_t)rng_below(4), bytes = 1u << lg;
		uint64_t off;
		int write = (int)rng_below(2);

		if (d == 3 && rng_below(2))
			off = vio_regs[rng_below(sizeof(vio_regs) / sizeof(vio_regs[0]))];
		else
			off = rng_below(win[d].size);
		off &= ~(uint64_t)(bytes - 1);
		if (d == 3 && rng_below(4) == 0) { /* a queue address, or the whole setup */
			vn_syscall(VN_SYS_MMIO, (win[d].base + 0x080 + 4 * rng_below(10)) |
							VN_MMIO_OP(4, 1), value());
		}
		vn_syscall(VN_SYS_MMIO, (win[d].base + off) | VN_MMIO_OP(bytes, write), value());
		if (write)
			writes++;
		else
			reads++;
		if (i % 64 == 0)
			scribble();
		if (i % 256 == 0)
			bring_up();
		if (i % 128 == 0) {
			vn_bits_t bits = vn_wait(0);

			vn_syscall(VN_SYS_IRQ_ACK, bits ? bits : rng_below(16), 0);
			acks++;
		}
		if (i % 32 == 0)
			vn_yield();
	}
	vn_log("\nseed %d: %u accesses (%llu reads, %llu writes, %llu acks) in %llu us",
	       SEED, CALLS, (unsigned long long)reads, (unsigned long long)writes,
	       (unsigned long long)acks, (unsigned long long)((vn_now() - t0) / 1000));
}
