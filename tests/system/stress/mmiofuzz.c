/*
 * MMIO fuzzing: try TRIES register accesses through the MMIO call, each
 * drawn afresh from (SEED, try): a size of 1, 2, 4 or 8 bytes, a read or a
 * write of a random value, at an address inside our RTC's window (aligned,
 * most of the time), misaligned in it, across its end, in the device dst
 * owns (OTHER_DEV), in the kernel's or the QEMU boards' places, or
 * unmapped; now and then with reserved bits set in the call's a0.
 *
 * On hosted the RTC is a model that takes any access. On the QEMU boards
 * (test_stress.py splits the RTC's page between us and dst, so the kernel
 * makes our accesses: docs/aarch64.md) it is the real device, which may
 * refuse a width or an offset (a bus error, which faults us too): there
 * (-DREGS_ONLY) an access inside our window is a 32-bit one to one of its
 * first eight registers, which both boards' RTCs take.
 *
 * The kernel does an access only when it is naturally aligned and inside
 * a window of ours; any other faults us, and we restart
 * (on_fault: restart) and ask the ledger where to go on, as excfuzz does:
 * it saw "trying i" and no "trying i+1", so try i faulted. Each try's
 * expected outcome is known from its draw, so a try that completed where
 * it should have faulted, or faulted where it should have completed, is
 * reported to the ledger as unexpected. A restart comes at most every
 * 260 ms (the kernel stops a shard restarted more than 5 times a second).
 */
#include <vanity_shard.h>
#include <vanity/syscall.h>

#include "rng.h"

#ifndef TRIES
#define TRIES 40
#endif
#ifndef SEED
#define SEED 1
#endif

#ifndef OTHER_DEV
#define OTHER_DEV 0x10000000ull /* the 16550 dst owns (boards/hosted.yaml) */
#endif

static const uint64_t where[] = {
	0, 0x400000ull, 0x09000000ull, 0x08000000ull, 0x0a000000ull, 0x10000000ull,
	0x40000000ull, 0x80000000ull, 0x7ffffffff000ull, 0xffffffffffffffull,
};

struct try {
	uint64_t a0, value;
	int ok; /* the kernel must do it (else it must fault us) */
};

static struct try draw(uint64_t i)
{
	uint32_t bytes;
	uint64_t base = VN_DEVICE_RTC_BASE, size = VN_DEVICE_RTC_SIZE, addr, a0;
	struct try t;

	rng_seed(SEED * 0x100000001b3ull + i);
	bytes = 1u << rng_below(4);
	switch (rng_below(8)) {
	case 0:
	case 1:
	case 2:
	case 3: /* inside, aligned */
#ifdef REGS_ONLY
		bytes = 4;
		addr = base + 4 * rng_below(8);
#else
		addr = base + (rng_below(size) & ~(uint64_t)(bytes - 1));
#endif
		break;
	case 4: /* inside, misaligned (but for one byte) */
		addr = base + (rng_below(size - 8) | 1);
#ifdef REGS_ONLY
		bytes = bytes == 1 ? 2 : bytes; /* a byte there is the device's to refuse */
#endif
		break;
	case 5: /* across the end, or just past it */
		addr = base + size - bytes / 2;
		break;
	case 6: /* another shard's device */
		addr = OTHER_DEV + (rng_below(0x100) & ~(uint64_t)(bytes - 1));
		break;
	default:
		addr = where[rng_below(sizeof(where) / sizeof(where[0]))] + rng_below(64);
	}
	a0 = addr | VN_MMIO_OP(bytes, rng_below(2));
	if (rng_below(16) == 0)
		a0 |= UINT64_C(1) << (59 + rng_below(5)); /* reserved bits */
	t.a0 = a0;
	t.value = rng_next();
	t.ok = !VN_MMIO_BAD(a0) && addr >= base && addr + bytes <= base + size &&
	       addr % bytes == 0;
	return t;
}

static void tell(uint64_t kind, uint64_t i)
{
	uint64_t m[2] = {kind, i};

	while (!vn_send(&vn_tx_exc_ledger, m))
		vn_wait(VN_FOREVER);
}

void vn_main(void)
{
	uint64_t start;

	tell(0, 0); /* hello: where do I go on? */
	while (!vn_recv(&vn_rx_ledger_exc, &start))
		vn_wait(VN_FOREVER);
	if (start) {
		if (draw(start - 1).ok)
			tell(3, start - 1); /* it faulted, and should not have */
		vn_sleep(260000000); /* pace the restarts: no notification ends it */
	}
	for (uint64_t i = start; i < TRIES; i++) {
		struct try t = draw(i);

		tell(1, i);
		vn_syscall(VN_SYS_MMIO, t.a0, t.value);
		if (!t.ok)
			tell(3, i); /* it completed, and should have faulted */
		if (i % 16 == 15)
			vn_yield();
	}
	tell(2, TRIES);
}
