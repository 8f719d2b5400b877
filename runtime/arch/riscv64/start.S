/*
 * start.S - S-mode entry from OpenSBI (QEMU -bios default): a0 = hart id,
 * a1 = the DTB (checked against what the kernel assumes: cpu.c). The hart
 * that gets here first is CPU 0, whatever its hart id; the others are
 * started later through SBI HSM hart_start, at rv64_secondary_entry with
 * a1 = their CPU number. Each CPU runs on its own stack in bm_stacks, with
 * its number in tp while in S-mode (arch.h: arch_cpu).
 *
 * A started hart may come here instead: OpenSBI 1.1's hart_start marks the
 * hart START_PENDING before it stores the address to start it at, and a
 * hart that wakes in between leaves for the boot address, with a1 still
 * the DTB. Only the first hart to claim rv64_booted (in .data: bss is
 * zeroed here) boots; a later one is the CPU whose hart id rv64_hartid
 * lists (CPU 0 filled it in before it started any), and goes where
 * hart_start meant to send it. One listed nowhere parks.
 */
	.section .data
	.balign	4
rv64_booted:
	.word	0

	.section .text.boot, "ax"
	.global _start
_start:
	csrw	sie, zero
	csrw	sstatus, zero		/* SIE off, SUM off, FS off */
	la	t0, rv64_booted
	li	t1, 1
	amoswap.w.aqrl t1, t1, (t0)
	bnez	t1, late
	li	tp, 0			/* CPU 0 (arch_cpu) */
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

late:	la	t0, rv64_hartid
	la	t2, rv64_n_cpus
	lwu	t2, 0(t2)
	li	t1, 0
3:	bgeu	t1, t2, park
	lwu	t3, 0(t0)
	beq	t3, a0, 4f
	addi	t0, t0, 4
	addi	t1, t1, 1
	j	3b
4:	mv	a1, t1			/* the CPU number, as hart_start gives it */

/* SBI hart_start lands here with a0 = hart id, a1 = the opaque value we
 * gave: the CPU number. */
	.global rv64_secondary_entry
rv64_secondary_entry:
	csrw	sie, zero
	csrw	sstatus, zero
	mv	tp, a1			/* the CPU number (arch_cpu) */
	la	sp, bm_stacks
	addi	t0, a1, 1
	slli	t0, t0, 14		/* (cpu + 1) * BM_STACK */
	add	sp, sp, t0
	mv	a0, a1
	call	bm_secondary
	j	park
