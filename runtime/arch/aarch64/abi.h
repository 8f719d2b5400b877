/*
 * abi.h - the aarch64 port's part of the kernel-shard contract (the rest,
 * the image header and the control page, is vn_bare_abi.h).
 *
 * System call: `svc #0` with the op in x8 and the arguments in x0 and x1;
 * the result comes back in x0. Every other register is preserved, the
 * FP/SIMD ones (V0-V31, FPCR, FPSR) included: each shard has its own, and
 * starts with them zero (round to nearest). An op that does not fit in 32
 * bits is refused (ENOSYS), never truncated.
 *
 * abort() in the shard library is `brk #0xab`.
 */
#ifndef VN_A64_ABI_H
#define VN_A64_ABI_H

#include <stdint.h>

#include <vn_bare_abi.h>

/* Enter the kernel with one call (vanity/syscall.h), inline: a call costs
 * the shard the moves of its arguments and the trap instruction, and the
 * compiler keeps its values in any register but x0 across it. The kernel
 * reads memory the caller names (LOG's text, a reload image), and the
 * kernel and other shards write memory the caller reads (rings, the
 * control page) while it is off its core: a memory clobber. */
static inline uint64_t vn_syscall(uint32_t op, uint64_t a0, uint64_t a1)
{
	register uint64_t x0 __asm__("x0") = a0;
	register uint64_t x1 __asm__("x1") = a1;
	register uint64_t x8 __asm__("x8") = op;

	__asm__ volatile("svc #0" : "+r"(x0) : "r"(x1), "r"(x8) : "memory");
	return x0;
}

#endif /* VN_A64_ABI_H */
