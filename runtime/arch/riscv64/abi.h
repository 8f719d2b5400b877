/*
 * abi.h - the riscv64 port's contract between the kernel and a shard.
 *
 * System call: `ecall` from U-mode with the op in a7 and the arguments in
 * a0 and a1; the result comes back in a0. Every other register is
 * preserved. An op that does not fit in 32 bits is refused (ENOSYS).
 *
 * Shard image and control page: as on aarch64 (runtime/arch/aarch64/abi.h).
 * The blob opens with struct rv64_image, written by the generated shard.ld.
 */
#ifndef VN_RV64_ABI_H
#define VN_RV64_ABI_H

#include <stdint.h>

#include <vanity/syscall.h>

#define RV64_PAGE 4096u
#define RV64_IMAGE_MAGIC 0x3436526e61765f5full /* "__vanR64" */

/* abort() in the shard library: `ebreak` with this value in t6, so the
 * kernel can tell it from a debugger's breakpoint. */
#define RV64_ABORT_MARK 0xabull

struct rv64_image {
	uint64_t magic;
	uint64_t entry;      /* _vn_start */
	uint64_t ro_start;   /* end of code, start of read-only data */
	uint64_t data_start; /* start of data (page-aligned) */
	uint64_t bss_start;  /* end of the blob's bytes */
	uint64_t end;        /* end of bss (page-aligned) */
};

struct rv64_ctl {
	uint32_t core_shared; /* kernel: other live shards share our core */
	uint32_t pad;
	char log[VN_LOG_MAX];
};

_Static_assert(sizeof(struct rv64_ctl) <= RV64_PAGE, "control page overflows");

#endif /* VN_RV64_ABI_H */
