/*
 * mmu.c - the aarch64 MMU: the kernel's table, and turning translation on.
 *
 * The tables are built by the shared pt.c in the format of arch.h: every
 * space maps 0-1 GiB (GIC, PL011) as one device block, EL1 only, and the
 * kernel image, EL1 only and global: code RX, rodata (and the shard blobs)
 * R, data/bss RW + XN. EL0 cannot touch kernel memory, and switching TTBR0
 * in the kernel is safe. SCTLR.WXN is set: nothing writable is executable,
 * at any level. A shard's pages are non-global under its own ASID, PXN, and
 * XN unless code; its devices are Device-nGnRE.
 */
#include "a64.h"

#define MAIR 0x04ff00ull /* attr0 device-nGnRnE, attr1 normal WB RA WA, attr2 device-nGnRE */
/* AS (bit 36): 16-bit ASIDs (Cortex-A53 has them), for the 256 shards and
 * the kernel; with 8 bits, shard 255's space would alias the kernel's. */
#define TCR (25ull | (1ull << 8) | (1ull << 10) | (3ull << 12) | (25ull << 16) | \
	     (1ull << 23) | (2ull << 30) | (1ull << 36))
#define SCTLR (0x30d00800ull | (1u << 0) | (1u << 2) | (1u << 3) | (1u << 4) | (1u << 12) | \
	       (1u << 19))

/* On each CPU, once: MMU and caches on, with the kernel's table. */
void a64_mmu_enable(void)
{
	__asm__ volatile("msr mair_el1, %0\n\tmsr tcr_el1, %1\n\tmsr ttbr0_el1, %2\n\t"
			 "isb\n\ttlbi vmalle1\n\tdsb nsh\n\tisb\n\t"
			 "msr sctlr_el1, %3\n\tisb"
			 :: "r"(MAIR), "r"(TCR), "r"(bm_kernel_token), "r"((uint64_t)SCTLR)
			 : "memory");
}
