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
/* AS (bit 36): 16-bit ASIDs, where the CPU has them (a64_asid16): for the
 * 256 shards and the kernel. With 8 bits, the kernel keeps ASID 0 and the
 * shards' ASIDs may not all fit (space.c: bm_asid_plan). */
#define TCR (25ull | (1ull << 8) | (1ull << 10) | (3ull << 12) | (25ull << 16) | \
	     (1ull << 23) | (2ull << 30))
#define TCR_AS (1ull << 36)
/* 0x30d00800: the bits that read as one without their feature, EIS (22)
 * and EOS (11) among them: taking an exception and returning from one
 * synchronize context, which arch_fp_switch counts on. */
#define SCTLR (0x30d00800ull | (1u << 0) | (1u << 2) | (1u << 3) | (1u << 4) | (1u << 12) | \
	       (1u << 19))

/* ID_AA64MMFR0_EL1.ASIDBits (bits 7:4): 0b0010 is 16 bits, 0b0000 is 8. */
static bool a64_asid16(void)
{
	uint64_t mmfr0;

	__asm__ volatile("mrs %0, id_aa64mmfr0_el1" : "=r"(mmfr0));
	return ((mmfr0 >> 4) & 0xf) == 2;
}

/* On each CPU, once: MMU and caches on, with the kernel's table. */
void a64_mmu_enable(void)
{
	uint64_t tcr = TCR | (a64_asid16() ? TCR_AS : 0);

	__asm__ volatile("msr mair_el1, %0\n\tmsr tcr_el1, %1\n\tmsr ttbr0_el1, %2\n\t"
			 "isb\n\ttlbi vmalle1\n\tdsb nsh\n\tisb\n\t"
			 "msr sctlr_el1, %3\n\tisb"
			 :: "r"(MAIR), "r"(tcr), "r"(bm_kernel_token), "r"((uint64_t)SCTLR)
			 : "memory");
}

/* What a64_mmu_enable gave TCR.AS. VN_TEST_ASID_BITS (a build-time test
 * hook) makes it look smaller, down to 1: the kernel's ASID 0 stays its
 * own (arch_load_begin switches to its table under it, and nothing drops
 * the TLB then). */
uint32_t arch_asid_bits(void)
{
	uint32_t bits = a64_asid16() ? 16 : 8;

#ifdef VN_TEST_ASID_BITS
	_Static_assert(VN_TEST_ASID_BITS >= 1, "the kernel's ASID is its own on aarch64");
	if (bits > VN_TEST_ASID_BITS)
		bits = VN_TEST_ASID_BITS;
#endif
	return bits;
}

/* The shards share an ASID: traps from EL0 enter bm_trap_reuse. */
void arch_asid_reuse_entry(void)
{
	__asm__ volatile("msr vbar_el1, %0\n\tisb" :: "r"(a64_vectors_reuse) : "memory");
}

/* A shard's space goes in by TTBR0 alone (the kernel runs in it): if the
 * TLB may hold another space's entries under the shared ASID, drop them
 * on this CPU, after the switch, so that none is used or refilled from
 * the old table. */
void arch_switch_reuse(uint32_t cpu, uint64_t ttbr)
{
	a64_set_ttbr(ttbr);
	if (bm_asid_stale(cpu, ttbr))
		__asm__ volatile("tlbi aside1, %0\n\tdsb nsh\n\tisb"
				 :: "r"((uint64_t)bm_asid_shard << 48) : "memory");
}

/* The kernel keeps the shard's table on a trap, and its own ASID 0 is
 * never shared: nothing to drop. */
void arch_trap_enter_reuse(uint32_t cpu)
{
	(void)cpu;
}

void arch_trap_leave_reuse(uint32_t cpu, uint64_t ttbr)
{
	(void)cpu;
	(void)ttbr;
}
