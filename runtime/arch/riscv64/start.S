/*
 * start.S - S-mode entry from OpenSBI (QEMU -bios default): a0 = hart id,
 * a1 = the DTB (checked against what the kernel assumes: cpu.c). The hart
 * that gets here first is CPU 0, whatever its hart id; the others are
 * started later through SBI HSM hart_start, at rv64_secondary_entry with
 * a1 = their CPU number. Each CPU runs on its own stack in bm_stacks.
 */
	.section .text.boot, "ax"
	.global _start
_start:
	csrw	sie, zero
	csrw	sstatus, zero		/* SIE off, SUM off, FS off */
	la	sp, bm_stacks + 16384	/* BM_STACK */
	la	t0, __bss_start		/* zero bss: 16-byte aligned by image.ld */
	la	t1, __bss_end
1:	bgeu	t0, t1, 2f
	sd	zero, 0(t0)
	sd	zero, 8(t0)
	addi	t0, t0, 16
	j	1b
2:	call	bm_boot		/* a0 = hart id, a1 = DTB */
park:	wfi
	j	park

/* SBI hart_start lands here with a0 = hart id, a1 = the opaque value we
 * gave: the CPU number. */
	.global rv64_secondary_entry
rv64_secondary_entry:
	csrw	sie, zero
	csrw	sstatus, zero
	la	sp, bm_stacks
	addi	t0, a1, 1
	slli	t0, t0, 14		/* (cpu + 1) * BM_STACK */
	add	sp, sp, t0
	mv	a0, a1
	call	bm_secondary
	j	park
