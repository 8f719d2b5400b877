/*
 * start.S - a shard's first instruction. The kernel enters it in U-mode
 * with every register zero but sp, at the top of the shard's stack (an
 * unmapped guard page lies below it); bss, heap and stack are zeroed.
 */
	.section .text.vn_start, "ax"
	.global	_vn_start
_vn_start:
	li	ra, 0
	li	s0, 0
	call	vn_bare_shard_main
	li	t6, 0xab	/* never: vn_bare_shard_main ends in vn_exit */
	ebreak

/* uint64_t vn_syscall(uint32_t op, uint64_t a0, uint64_t a1): the one way
 * into the kernel (abi.h): op in a7, the arguments in a0 and a1. */
	.text
	.global	vn_syscall
vn_syscall:
	slli	a7, a0, 32	/* op: a uint32_t comes sign-extended */
	srli	a7, a7, 32
	mv	a0, a1
	mv	a1, a2
	ecall
	ret
