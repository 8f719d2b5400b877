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

#include <vn_bare_abi.h>


#endif /* VN_A64_ABI_H */
