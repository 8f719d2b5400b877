/*
 * abi.h - the aarch64 port's contract between the kernel and a shard.
 *
 * System call: `svc #0` with the op in x8 and the arguments in x0 and x1;
 * the result comes back in x0. Every other register is preserved. An op
 * that does not fit in 32 bits is refused (ENOSYS), never truncated.
 *
 * Shard image: each shard is linked on its own at its window (the
 * generated shard.ld), and its loadable bytes become one blob in the
 * kernel image. The blob opens with struct a64_image, written by shard.ld,
 * which tells the kernel where the code ends and the data begins, so it
 * can map code RX, read-only data R and data RW, and find the entry point.
 *
 * Control page: one page per shard, mapped RW into that shard and read by
 * the kernel. The shard writes log text there; the kernel writes whether
 * the core is shared. The kernel copies what it reads once and validates it.
 */
#ifndef VN_A64_ABI_H
#define VN_A64_ABI_H

#include <stdint.h>

#include <vanity/syscall.h>

#define A64_PAGE 4096u
#define A64_IMAGE_MAGIC 0x3436416e61765f5full /* "__vanA64" */

/* The first bytes of every shard image (see templates/shard_a64.ld.j2). */
struct a64_image {
	uint64_t magic;
	uint64_t entry;      /* _vn_start */
	uint64_t ro_start;   /* end of code, start of read-only data */
	uint64_t data_start; /* start of data (page-aligned) */
	uint64_t bss_start;  /* end of the blob's bytes */
	uint64_t end;        /* end of bss (page-aligned) */
};

struct a64_ctl {
	uint32_t core_shared; /* kernel: other live shards share our core */
	uint32_t pad;
	char log[VN_LOG_MAX];
};

_Static_assert(sizeof(struct a64_ctl) <= A64_PAGE, "control page overflows");

#endif /* VN_A64_ABI_H */
