/*
 * mmu.c - the riscv64 MMU: the kernel's table, turning translation on, and
 * reading a shard's table back to explain a page fault.
 *
 * The tables are built by the shared pt.c in the Sv39 format of arch.h:
 * every space maps 0-1 GiB (PLIC, CLINT, UART, sifive_test, virtio) as one
 * S-only gigapage, and the kernel window S-only and global: code RX, rodata
 * (and the shard blobs) R, data/bss RW. U-mode cannot touch kernel memory,
 * and switching satp in the kernel is safe. Nothing writable is executable.
 * The kernel's table (ASID 0) also maps the rest of RAM, S-only: the kernel
 * always works on it (arch.h), so it never needs sstatus.SUM.
 */
#include "rv64.h"

/* On each hart, once: translation on, with the kernel's table. */
void rv64_mmu_enable(void)
{
	__asm__ volatile("csrw satp, %0\n\tsfence.vma zero, zero" :: "r"(bm_kernel_token)
			 : "memory");
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
