/*
 * Random system calls: CALLS calls with operations and arguments drawn,
 * from SEED, out of a pool of valid, boundary and hostile values, each
 * result checked against what vanity/syscall.h documents.
 *
 * Half the calls go through vn_syscall, half through the raw way in:
 *   aarch64  `svc #imm` (imm 0, 1 or 0xffff) with all 64 bits of x8 as
 *            the op, x2-x7 and x9-x14 loaded with junk that must come
 *            back unchanged (abi.h: every other register is preserved);
 *   riscv64  `ecall` with all 64 bits of a7, junk in a2-a6 and t0-t6;
 *   hosted   the control-page protocol by hand: op/a0/a1 stored in our
 *            own mapping of the control page, junk in its result word,
 *            the turn handed over and the doorbell rung; now and then
 *            random bits (most of them no endpoint of ours) ORed into the
 *            notification requests.
 * An op wider than 32 bits is refused on bare metal (ENOSYS, never
 * truncated); the control page's op word is 32 bits wide.
 *
 * The argument pool mixes small and boundary numbers, pointers into our
 * own stack, data and code, into the kernel, other shards' memory,
 * device windows and unmapped space, huge lengths, every channel id
 * (the bystanders' included), single notification bits and our device's
 * bit (sysfuzz.yaml: fuzz owns the RTC; sink, another shard, a virtio-mmio
 * slot).
 *
 * Calls that would end the run (EXIT, HALT) are never made, LOG only
 * with lengths it must refuse, MMIO only inside our RTC's window (any
 * other address faults the caller; on bare metal only a read the device
 * takes); the kernel answers it on every board.
 * Logs one line of counts and the time taken; "unexpected 0" is the
 * verdict.
 */
#ifdef VN_PORT_HOSTED
#define _GNU_SOURCE
#include <errno.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hosted.h"
#endif

#include <vanity_shard.h>
#include <vanity/syscall.h>

#include "rng.h"

#ifndef CALLS
#define CALLS 300000
#endif
#ifndef SEED
#define SEED 1
#endif

#define N_CHANNELS 2u /* sysfuzz.yaml */
#define N_SHARDS 4u

#ifdef VN_PORT_HOSTED
#define OP_BITS 32
#define MMIO_ANY_WIDTH 1 /* the RTC model takes any access in its window */
#else
#define OP_BITS 64
#define MMIO_ANY_WIDTH 0 /* QEMU's RTCs may refuse a width or an offset */
#endif

static const uint64_t pool[] = {
	/* boundaries */
	0, 1, 2, 3, 4, 7, 8, 31, 32, 63, 64, 65, 1023, 1024, 1025, 4095, 4096,
	0x7fffffff, 0x80000000u, 0xffffffffu, 0x100000000ull, 0x100000001ull,
	0x7fffffffffffffffull, 0x8000000000000000ull, 0xfffffffffffff000ull,
	0xfffffffffffffffeull, 0xffffffffffffffffull,
	/* huge lengths */
	0x10000, 0x1000000, 0xffffffffffffull, 0xfffffffffff00000ull,
	/* kernels (aarch64 image, riscv64 image, hosted's usual text) */
	0x40000000ull, 0x40080000ull, 0x40100000ull, 0x80000000ull, 0x80200000ull,
	0x400000ull, 0xffff000000000000ull, 0xffffffc000000000ull,
	/* device windows: PL011, GIC, virtio-mmio, PL031; 16550, PLIC, ACLINT
	 * (MSWI and MTIMER, then SSWI), sifive_test, riscv virtio-mmio */
	0x09000000ull, 0x08000000ull, 0x08010000ull, 0x0a000000ull, 0x0a003e00ull,
	0x09010000ull, 0x10000000ull, 0x0c000000ull, 0x02000000ull, 0x02f00000ull, 0x100000ull,
	0x10001000ull, 0x10008000ull,
	/* other shards' memory and unmapped space: high in RAM, past it,
	 * the top of the user half */
	0x41000000ull, 0x48000000ull, 0x81000000ull, 0x88000000ull, 0x7ffffffff000ull,
	0x0000800000000000ull, 0x3fffffffffull, 0x4000000000ull,
};

/* Our own stack, data and code; filled in at the start. */
static uint64_t own[3];

/* A random argument: from the pool, our own addresses (with a random
 * offset), a channel id, one notification bit, any 64 bits, or a small
 * number. */
static uint64_t arg(void)
{
	switch (rng_below(8)) {
	case 0:
	case 1:
		return pool[rng_below(sizeof(pool) / sizeof(pool[0]))];
	case 2:
		return own[rng_below(3)] + (rng_below(2) ? rng_below(8192) - 4096 : 0);
	case 3:
		return rng_below(N_CHANNELS + 2);
	case 4:
		return rng_below(4)
			       ? UINT64_C(1) << rng_below(64)
			       : VN_NOTIFY_RTC | (rng_below(2) ? UINT64_C(1) << rng_below(64) : 0);
	case 5:
	case 6:
		return rng_next();
	default:
		return rng_below(16);
	}
}

/* o, but YIELD for a call that would end the run (EXIT, HALT). */
static uint64_t op_of(uint64_t o)
{
	if (o == VN_SYS_EXIT || o == VN_SYS_HALT)
		return VN_SYS_YIELD;
	return o;
}

/* A random operation, up to OP_BITS wide; EXIT and HALT become YIELD. */
static uint64_t op(void)
{
	uint64_t o;

	switch (rng_below(8)) {
	case 0:
		o = rng_next(); /* any bits */
		break;
	case 1:
		o = rng_below(VN_SYS_COUNT + 4) | (UINT64_C(1) << (32 + rng_below(32))); /* wide */
		break;
	default:
		o = rng_below(VN_SYS_COUNT + 4);
	}
	if (OP_BITS == 32)
		o = (uint32_t)o;
	return op_of(o);
}

static uint64_t mine(void)
{
	return vn_tx_fuzz_sink.channel;
}

/* The result vanity/syscall.h promises for (o, a0), or `any` when only
 * "not an error" is promised (WAIT's bits). */
#define ANY UINT64_C(0x1234)
static uint64_t expected(uint64_t o, uint64_t *a0)
{
	if (o > UINT32_MAX)
		return VN_ERR(VN_ENOSYS); /* refused, never truncated */
	switch (o) {
	case VN_SYS_YIELD:
		return 0;
	case VN_SYS_WAIT:
		*a0 %= 50000; /* at most 50 us: a long sleep only slows the run */
		return ANY;
	case VN_SYS_NOTIFY:
		if (*a0 >= N_CHANNELS)
			return VN_ERR(VN_EINVAL);
		return *a0 == mine() ? 0 : VN_ERR(VN_EPERM);
	case VN_SYS_LOG:
		if (*a0 <= VN_LOG_MAX)
			*a0 += VN_LOG_MAX + 1;
		if (*a0 <= VN_LOG_MAX) /* wrapped */
			*a0 = UINT64_MAX;
		return VN_ERR(VN_EINVAL);
	case VN_SYS_IRQ_ACK: /* fuzz owns the RTC, and nothing else */
		if (!*a0)
			return VN_ERR(VN_EINVAL);
		return *a0 & ~VN_NOTIFY_RTC ? VN_ERR(VN_EPERM) : 0;
	case VN_SYS_PEER: /* its one channel's peer, sink, waits for it: live, first life */
		if (*a0 >= N_CHANNELS)
			return VN_ERR(VN_EINVAL);
		return *a0 == mine() ? (uint64_t)VN_SYS_PEER_LIVE << 32 | 1 : VN_ERR(VN_EPERM);
	case VN_SYS_RELOAD: /* fuzz may reload no shard (no `updates` right) */
		return *a0 >= N_SHARDS ? VN_ERR(VN_EINVAL) : VN_ERR(VN_EPERM);
	case VN_SYS_QUIESCE: /* no reload of fuzz waits */
		return VN_ERR(VN_EINVAL);
	case VN_SYS_HANDOFF: /* no handoff region, no state in it */
		return 0;
	case VN_SYS_MMIO:
		/* an access outside our windows faults us, so on hosted one of
		 * any size, read or write, at a random aligned offset in our
		 * RTC's window, the value (a1) random; on bare metal the device
		 * itself may refuse a width or an offset (QEMU's goldfish RTC
		 * takes 32-bit accesses to its registers only), which faults us
		 * too, so a 32-bit read of its first register
		 * (test_mmio_call.py tests the faults) */
		if (MMIO_ANY_WIDTH) {
			uint32_t log2 = (uint32_t)rng_below(4);
			uint64_t off = rng_below(VN_DEVICE_RTC_SIZE) & ~((UINT64_C(1) << log2) - 1);

			*a0 = (VN_DEVICE_RTC_BASE + off) | VN_MMIO_OP(1u << log2, rng_below(2));
		} else {
			*a0 = VN_DEVICE_RTC_BASE | VN_MMIO_OP(4, 0);
		}
		return ANY;
	default: /* no such call */
		return VN_ERR(VN_ENOSYS);
	}
}

#define N_JUNK 13
static uint64_t clobbered; /* raw calls that changed a preserved register */

#if defined(VN_PORT_HOSTED)
static struct vn_ctl *ctl;

static void raw_init(void)
{
	void *p = mmap(NULL, VN_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, VN_FD_CTL, 0);

	if (p == MAP_FAILED) {
		vn_log("cannot map the control page");
		vn_exit(1);
	}
	ctl = p;
}

static void bell(int fd)
{
	static const uint64_t one = 1;

	while (write(fd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
}

static uint64_t raw(uint64_t o, uint64_t a0, uint64_t a1, const uint64_t *junk)
{
	uint32_t t;

	if (rng_below(16) == 0) {
		/* Notification requests for random endpoints: only bit 0 is
		 * ours (fuzz_sink); the kernel maps the rest to nothing. */
		atomic_fetch_or(&ctl->notify_req, rng_next() & rng_next());
		bell(rng_below(2) ? VN_FD_DOORBELL : VN_FD_BELL0);
	}
	ctl->op = (uint32_t)o;
	ctl->a0 = a0;
	ctl->a1 = a1;
	ctl->ret = junk[0];
	atomic_store_explicit(&ctl->turn, VN_TURN_KERNEL, memory_order_release);
	bell(VN_FD_DOORBELL);
	/* until the turn is ours again: the kernel takes the call (TAKEN), and
	 * may park a WAIT whose junk a1 names our endpoint (PARK) */
	while ((t = atomic_load_explicit(&ctl->turn, memory_order_acquire)) != VN_TURN_SHARD &&
	       t != VN_TURN_EXIT)
		vn_futex_wait(&ctl->turn, t);
	if (t != VN_TURN_SHARD)
		_exit((int)(ctl->ret & 0xff));
	return ctl->ret;
}

#elif defined(__aarch64__)
static void raw_init(void)
{
}

#define SVC(imm)                                                                       \
	__asm__ volatile("svc #" #imm                                                  \
			 : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3), "+r"(x4), "+r"(x5),  \
			   "+r"(x6), "+r"(x7), "+r"(x9), "+r"(x10), "+r"(x11), "+r"(x12), \
			   "+r"(x13), "+r"(x14)                                          \
			 : "r"(x8)                                                      \
			 : "memory")

static uint64_t raw(uint64_t o, uint64_t a0, uint64_t a1, const uint64_t *j)
{
	register uint64_t x0 __asm__("x0") = a0, x1 __asm__("x1") = a1;
	register uint64_t x8 __asm__("x8") = o;
	register uint64_t x2 __asm__("x2") = j[0], x3 __asm__("x3") = j[1];
	register uint64_t x4 __asm__("x4") = j[2], x5 __asm__("x5") = j[3];
	register uint64_t x6 __asm__("x6") = j[4], x7 __asm__("x7") = j[5];
	register uint64_t x9 __asm__("x9") = j[6], x10 __asm__("x10") = j[7];
	register uint64_t x11 __asm__("x11") = j[8], x12 __asm__("x12") = j[9];
	register uint64_t x13 __asm__("x13") = j[10], x14 __asm__("x14") = j[11];

	switch (j[0] % 3) {
	case 0:
		SVC(0);
		break;
	case 1:
		SVC(1);
		break;
	default:
		SVC(0xffff);
	}
	clobbered += x1 != a1 || x2 != j[0] || x3 != j[1] || x4 != j[2] || x5 != j[3] ||
		     x6 != j[4] || x7 != j[5] || x9 != j[6] || x10 != j[7] || x11 != j[8] ||
		     x12 != j[9] || x13 != j[10] || x14 != j[11];
	return x0;
}

#elif defined(__riscv)
static void raw_init(void)
{
}

static uint64_t raw(uint64_t o, uint64_t a0_, uint64_t a1_, const uint64_t *j)
{
	register uint64_t a0 __asm__("a0") = a0_, a1 __asm__("a1") = a1_;
	register uint64_t a7 __asm__("a7") = o;
	register uint64_t a2 __asm__("a2") = j[0], a3 __asm__("a3") = j[1];
	register uint64_t a4 __asm__("a4") = j[2], a5 __asm__("a5") = j[3];
	register uint64_t a6 __asm__("a6") = j[4], t0 __asm__("t0") = j[5];
	register uint64_t t1 __asm__("t1") = j[6], t2 __asm__("t2") = j[7];
	register uint64_t t3 __asm__("t3") = j[8], t4 __asm__("t4") = j[9];
	register uint64_t t5 __asm__("t5") = j[10], t6 __asm__("t6") = j[11];

	__asm__ volatile("ecall"
			 : "+r"(a0), "+r"(a1), "+r"(a2), "+r"(a3), "+r"(a4), "+r"(a5), "+r"(a6),
			   "+r"(t0), "+r"(t1), "+r"(t2), "+r"(t3), "+r"(t4), "+r"(t5), "+r"(t6)
			 : "r"(a7)
			 : "memory");
	clobbered += a1 != a1_ || a2 != j[0] || a3 != j[1] || a4 != j[2] || a5 != j[3] ||
		     a6 != j[4] || t0 != j[5] || t1 != j[6] || t2 != j[7] || t3 != j[8] ||
		     t4 != j[9] || t5 != j[10] || t6 != j[11];
	return a0;
}
#else
#error "sysfuzz: no raw way into the kernel for this port"
#endif

static uint64_t some_data;

void vn_main(void)
{
	uint64_t counts[VN_SYS_COUNT + 1] = {0}, unexpected = 0, raws = 0, acked = 0;
	uint64_t t0 = vn_now();

	own[0] = (uint64_t)(uintptr_t)&counts;
	own[1] = (uint64_t)(uintptr_t)&some_data;
	own[2] = (uint64_t)(uintptr_t)&vn_main;
	raw_init();
	rng_seed(SEED);
	for (uint32_t i = 0; i < CALLS; i++) {
		int by_trap = (int)rng_below(2);
		uint64_t o = op(), a0 = arg(), a1 = arg(), want, got;
		uint64_t junk[N_JUNK];

		if (!by_trap) /* vn_syscall takes 32 bits */
			o = op_of((uint32_t)o);
		want = expected(o, &a0);
		if (by_trap) {
			for (int k = 0; k < N_JUNK; k++)
				junk[k] = arg();
			got = raw(o, a0, a1, junk);
			raws++;
		} else {
			got = vn_syscall((uint32_t)o, a0, a1);
		}
		counts[o < VN_SYS_COUNT ? o : VN_SYS_COUNT]++;
		acked += o == VN_SYS_IRQ_ACK && got == 0;
		if (want == ANY ? VN_IS_ERR(got) : got != want) {
			if (unexpected++ < 10)
				vn_log("call %u: op %#llx (%#llx, %#llx) returned %#llx, not %#llx",
				       i, (unsigned long long)o, (unsigned long long)a0,
				       (unsigned long long)a1, (unsigned long long)got,
				       (unsigned long long)want);
		}
	}
	unexpected += clobbered;
	vn_log("seed %d: %u calls (yield %llu, wait %llu, notify %llu, log %llu, irq_ack %llu "
	       "(%llu acked), mmio %llu, bad op %llu; raw %llu, clobbered %llu) in %llu us, "
	       "unexpected %llu",
	       SEED, CALLS, (unsigned long long)counts[VN_SYS_YIELD],
	       (unsigned long long)counts[VN_SYS_WAIT], (unsigned long long)counts[VN_SYS_NOTIFY],
	       (unsigned long long)counts[VN_SYS_LOG], (unsigned long long)counts[VN_SYS_IRQ_ACK],
	       (unsigned long long)acked,
	       (unsigned long long)counts[VN_SYS_MMIO], (unsigned long long)counts[VN_SYS_COUNT],
	       (unsigned long long)raws, (unsigned long long)clobbered,
	       (unsigned long long)((vn_now() - t0) / 1000), (unsigned long long)unexpected);
	while (!vn_send(&vn_tx_fuzz_sink, &unexpected))
		vn_wait(VN_FOREVER);
}
