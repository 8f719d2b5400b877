/*
 * mmu.c - the riscv64 MMU: the kernel's table, turning translation on, and
 * reading a shard's table back to explain a page fault.
 *
 * The tables are built by the shared pt.c in the Sv39 format of arch.h:
 * every space maps 0-1 GiB (PLIC, ACLINT, UART, sifive_test, virtio) as one
 * S-only gigapage, and the kernel window S-only and global: code RX, rodata
 * (and the shard blobs) R, data/bss RW. U-mode cannot touch kernel memory,
 * and switching satp in the kernel is safe. Nothing writable is executable.
 * The kernel's table (ASID 0) also maps the rest of RAM, S-only: a trap
 * runs on the shard's table, and reaches what only the kernel's maps
 * through it (arch_load_begin); the shard's own user pages it reaches
 * with sstatus.SUM set around the access only (arch_user_begin, arch.h).
 */
#include "rv64.h"

/* On each hart, once: translation on, with the kernel's table. */
void rv64_mmu_enable(void)
{
	__asm__ volatile("csrw satp, %0\n\tsfence.vma zero, zero" :: "r"(bm_kernel_token)
			 : "memory");
}

#define SATP_ASID_SHIFT 44
#define SATP_ASID_MASK 0xffffull

/* ASIDLEN, as the privileged spec says to find it (satp): ones written to
 * every bit of the ASID field read back as ones in the bits the hart
 * implements, the low ones first. Written with the kernel's table, then
 * the kernel's satp again, and every TLB entry dropped. VN_TEST_ASID_BITS
 * (a build-time test hook) makes it look smaller, down to 0. */
uint32_t arch_asid_bits(void)
{
	uint64_t asid;
	uint32_t bits = 0;

	rv64_set_satp(bm_kernel_token | SATP_ASID_MASK << SATP_ASID_SHIFT);
	asid = csr_read(satp) >> SATP_ASID_SHIFT & SATP_ASID_MASK;
	rv64_set_satp(bm_kernel_token);
	__asm__ volatile("sfence.vma zero, zero" ::: "memory");
	while (bits < 16 && (asid >> bits & 1))
		bits++;
#ifdef VN_TEST_ASID_BITS
	if (bits > VN_TEST_ASID_BITS)
		bits = VN_TEST_ASID_BITS;
#endif
	return bits;
}

/* The shards share an ASID: traps from U-mode enter bm_trap_reuse. */
void arch_asid_reuse_entry(void)
{
	csr_write(stvec, (uint64_t)(uintptr_t)rv64_trap_entry_reuse);
}

/* Drop this hart's non-global TLB entries under `asid` (the kernel
 * window's global ones are the same in every space, and stay). A register
 * holding the ASID, never x0: rs2 = x0 would drop every ASID's. */
static void drop(uint64_t asid)
{
	__asm__ volatile("sfence.vma zero, %0" :: "r"(asid) : "memory");
}

/* The kernel's table goes in at every trap. With no ASID bits at all its
 * ASID 0 is the shards' too (bm_asid_shard): drop what the shard's space
 * left under it, after the write, as the spec asks of a reused ASID. */
void arch_trap_enter_reuse(uint32_t cpu)
{
	rv64_set_satp(bm_kernel_token);
	if (bm_asid_shard == 0 && bm_asid_stale(cpu, bm_kernel_token))
		drop(0);
}

/* The shard's space goes in as the trap ends: if the TLB may hold another
 * space's entries under the shared ASID (another shard's, or the kernel's
 * with no ASID bits), drop them, after the write. */
void arch_trap_leave_reuse(uint32_t cpu, uint64_t satp)
{
	rv64_set_satp(satp);
	if (bm_asid_stale(cpu, satp))
		drop(bm_asid_shard);
}

/* The space goes in as the trap ends (arch_trap_leave_reuse). */
void arch_switch_reuse(uint32_t cpu, uint64_t satp)
{
	(void)cpu;
	(void)satp;
}

/* Why an access (0 read, 1 write, 2 execute) to va from U-mode faulted in
 * the space of root, by walking it; *level is the Sv39 level (2, 1, 0)
 * where the walk stopped. */
const char *rv64_mmu_why(const uint64_t *root, uint64_t va, uint32_t access, int *level)
{
	const uint64_t *t = root;

	*level = 2;
	if ((va >> 38) != 0 && (va >> 38) != 0x3ffffffull)
		return "not canonical";
	for (int lv = 2; lv >= 0; lv--) {
		uint64_t e = t[(va >> (12 + 9 * lv)) & 511];

		*level = lv;
		if (!(e & P_V))
			return "not mapped";
		if (arch_pte_next(e)) {
			t = arch_pte_next(e);
			continue;
		}
		if (!(e & P_U))
			return "kernel only";
		if (access == 1 && !(e & P_W))
			return "not writable";
		if (access == 2 && !(e & P_X))
			return "not executable";
		if (access == 0 && !(e & P_R))
			return "not readable";
		return "mapped";
	}
	return "not mapped";
}
