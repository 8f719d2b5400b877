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
