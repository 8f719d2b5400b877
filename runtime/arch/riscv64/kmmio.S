/*
 * kmmio.S - one register access the kernel makes for a shard (run.c:
 * VN_SYS_MMIO), which the device may refuse with an access fault (a width
 * it does not take). The access instructions lie between rv64_kmmio_start
 * and rv64_kmmio_end; a fault taken there resumes at rv64_kmmio_fixup
 * (rv64_kfault, fault.c), which returns -1 instead of ending the system.
 *
 * int arch_kmmio(uint64_t addr, unsigned log2_bytes, bool write,
 *                uint64_t value, uint64_t *read)
 */
	.text
	.balign	4
	.global	arch_kmmio
arch_kmmio:
	li	t0, 1
	li	t1, 2
	bnez	a2, 5f
	beqz	a1, 1f
	beq	a1, t0, 2f
	beq	a1, t1, 3f
	j	4f
5:	beqz	a1, 6f
	beq	a1, t0, 7f
	beq	a1, t1, 8f
	j	9f

	.global	rv64_kmmio_start
rv64_kmmio_start:
1:	lbu	t2, 0(a0)
	j	10f
2:	lhu	t2, 0(a0)
	j	10f
3:	lwu	t2, 0(a0)
	j	10f
4:	ld	t2, 0(a0)
	j	10f
6:	sb	a3, 0(a0)
	j	11f
7:	sh	a3, 0(a0)
	j	11f
8:	sw	a3, 0(a0)
	j	11f
9:	sd	a3, 0(a0)
	j	11f
	.global	rv64_kmmio_end
rv64_kmmio_end:

10:	sd	t2, 0(a4)
11:	li	a0, 0
	ret

	.global	rv64_kmmio_fixup
rv64_kmmio_fixup:
	li	a0, -1
	ret
