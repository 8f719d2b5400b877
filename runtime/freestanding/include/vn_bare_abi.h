/*
 * vn_bare_abi.h - the contract between a bare-metal kernel and its shards
 * that is the same on every ISA. What is the ISA's own (the system call
 * instruction and its registers) is in runtime/arch/<isa>/abi.h, which
 * includes this; the image magic is the board's (generator/boards.py),
 * VN_BOARD_IMAGE_MAGIC in the generated kernel/board.h.
 *
 * Shard image: each shard is linked on its own at its window (the
 * generated shard.ld), and its loadable bytes become one blob in the
 * kernel image. The blob opens with struct vn_image, written by shard.ld,
 * which tells the kernel where the code ends and the data begins, so it
 * can map code RX, read-only data R and data RW, and find the entry point.
 *
 * Control page: one page per shard, mapped RW into that shard and read by
 * the kernel. The shard writes log text there; the kernel writes whether
 * the core is shared. The kernel copies what it reads once and validates it.
 */
#ifndef VN_BARE_ABI_H
#define VN_BARE_ABI_H

#include <stdint.h>

#include <vanity/syscall.h>

#define VN_PAGE 4096u

/* The first bytes of every shard image (templates/shard_bare.ld.j2). */
struct vn_image {
	uint64_t magic;      /* the ISA's, so a blob built for another fails */
	uint64_t entry;      /* _vn_start */
	uint64_t ro_start;   /* end of code, start of read-only data */
	uint64_t data_start; /* start of data (page-aligned) */
	uint64_t bss_start;  /* end of the blob's bytes */
	uint64_t end;        /* end of bss (page-aligned) */
	uint64_t iface;      /* the shard's interface hash (vanity/reload.h) */
};

struct vn_ctl_page {
	uint32_t core_shared; /* kernel: other live shards share our core */
	uint32_t pad;
	char log[VN_LOG_MAX];
};

_Static_assert(sizeof(struct vn_ctl_page) <= VN_PAGE, "control page overflows");

#endif /* VN_BARE_ABI_H */
