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

/* uint64_t vn_syscall(uint32_t op, uint64_t a0, uint64_t a1): the one way
 * into the kernel (abi.h): op in x8, the arguments in x0 and x1. */
	.text
	.global	vn_syscall
vn_syscall:
	mov	w8, w0		/* op: the upper half of x0 is undefined */
	mov	x0, x1
	mov	x1, x2
	svc	#0
	ret
