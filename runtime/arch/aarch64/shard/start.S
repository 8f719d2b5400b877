/*
 * start.S - a shard's first instruction. The kernel enters it at EL0 with
 * every register zero and SP at the top of the shard's stack (an unmapped
 * guard page lies below it); bss, heap and stack are already zeroed.
 */
	.section .text.vn_start, "ax"
	.global	_vn_start
_vn_start:
	mov	x29, #0
	mov	x30, #0
	bl	vn_bare_shard_main
	brk	#0xab		/* never: vn_bare_shard_main ends in vn_exit */
