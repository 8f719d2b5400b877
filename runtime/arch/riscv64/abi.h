/*
 * abi.h - the riscv64 port's part of the kernel-shard contract (the rest,
 * the image header and the control page, is vn_bare_abi.h).
 *
 * System call: `ecall` from U-mode with the op in a7 and the arguments in
 * a0 and a1; the result comes back in a0. Every other register is
 * preserved, f0-f31 and fcsr included: each shard has its own (shards are
 * built rv64imafdc/lp64d), and starts with them zero (round to nearest).
 * An op that does not fit in 32 bits is refused (ENOSYS).
 */
#ifndef VN_RV64_ABI_H
#define VN_RV64_ABI_H

#include <stdint.h>

#include <vn_bare_abi.h>

/* Enter the kernel with one call (vanity/syscall.h), inline: a call costs
 * the shard the moves of its arguments and the trap instruction, and the
 * compiler keeps its values in any register but a0 across it. The kernel
 * reads memory the caller names (LOG's text, a reload image), and the
 * kernel and other shards write memory the caller reads (rings, the
 * control page) while it is off its core: a memory clobber. */
static inline uint64_t vn_syscall(uint32_t op, uint64_t a0, uint64_t a1)
{
	register uint64_t x10 __asm__("a0") = a0;
	register uint64_t x11 __asm__("a1") = a1;
	register uint64_t x17 __asm__("a7") = op;

	__asm__ volatile("ecall" : "+r"(x10) : "r"(x11), "r"(x17) : "memory");
	return x10;
}

/* abort() in the shard library: `ebreak` with this value in t6, so the
 * kernel can tell it from a debugger's breakpoint. */
#define RV64_ABORT_MARK 0xabull

#endif /* VN_RV64_ABI_H */
