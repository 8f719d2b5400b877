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

#include <vn_bare_abi.h>


/* abort() in the shard library: `ebreak` with this value in t6, so the
 * kernel can tell it from a debugger's breakpoint. */
#define RV64_ABORT_MARK 0xabull

#endif /* VN_RV64_ABI_H */
