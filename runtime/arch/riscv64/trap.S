/*
 * trap.S - the trap vector (stvec, direct mode), and the one way back to
 * U-mode.
 *
 * While a shard runs, sscratch holds the top of this hart's kernel stack;
 * while the kernel runs, sscratch is 0. From U-mode: swap sp with
 * sscratch, save every register into a struct arch_frame (arch.h) on the
 * kernel stack, call bm_trap(frame, RV64_TRAP_USER), then restore
 * whatever the frame holds by then (the same shard, or the one the
 * scheduler picked) and sret. Each trap starts on an empty stack. A trap
 * taken in S-mode is a kernel bug: it is reported and ends the system.
 */
#define FRAME 272

	.macro	save_regs
	sd	x1, 8(sp)
	sd	x3, 24(sp)
	sd	x4, 32(sp)
	sd	x5, 40(sp)
	sd	x6, 48(sp)
	sd	x7, 56(sp)
	sd	x8, 64(sp)
	sd	x9, 72(sp)
	sd	x10, 80(sp)
	sd	x11, 88(sp)
	sd	x12, 96(sp)
	sd	x13, 104(sp)
	sd	x14, 112(sp)
	sd	x15, 120(sp)
	sd	x16, 128(sp)
	sd	x17, 136(sp)
	sd	x18, 144(sp)
	sd	x19, 152(sp)
	sd	x20, 160(sp)
	sd	x21, 168(sp)
	sd	x22, 176(sp)
	sd	x23, 184(sp)
	sd	x24, 192(sp)
	sd	x25, 200(sp)
	sd	x26, 208(sp)
	sd	x27, 216(sp)
	sd	x28, 224(sp)
	sd	x29, 232(sp)
	sd	x30, 240(sp)
	sd	x31, 248(sp)
	csrr	t0, sepc
	sd	t0, 256(sp)
	csrr	t0, sstatus
	sd	t0, 264(sp)
	.endm

	.text
	.balign	4
	.global	rv64_trap_entry
rv64_trap_entry:
	csrrw	sp, sscratch, sp
	beqz	sp, from_kernel
	addi	sp, sp, -FRAME
	save_regs
	csrr	t0, sscratch		/* the shard's sp */
	sd	t0, 16(sp)
	csrw	sscratch, zero
	mv	a0, sp
	li	a1, 1			/* RV64_TRAP_USER */
	call	bm_trap
	j	rv64_sret

from_kernel:
	csrrw	sp, sscratch, sp	/* back: sp = kernel sp, sscratch = 0 */
	addi	sp, sp, -FRAME
	save_regs
	addi	t0, sp, FRAME
	sd	t0, 16(sp)
	mv	a0, sp
	call	rv64_panic
1:	j	1b

/* Restore the frame at sp and return to U-mode. */
	.global	rv64_sret
rv64_sret:
	ld	t0, 256(sp)
	csrw	sepc, t0
	ld	t0, 264(sp)
	csrw	sstatus, t0
	addi	t0, sp, FRAME
	csrw	sscratch, t0		/* the stack top for the next trap */
	ld	x1, 8(sp)
	ld	x3, 24(sp)
	ld	x4, 32(sp)
	ld	x5, 40(sp)
	ld	x6, 48(sp)
	ld	x7, 56(sp)
	ld	x8, 64(sp)
	ld	x9, 72(sp)
	ld	x10, 80(sp)
	ld	x11, 88(sp)
	ld	x12, 96(sp)
	ld	x13, 104(sp)
	ld	x14, 112(sp)
	ld	x15, 120(sp)
	ld	x16, 128(sp)
	ld	x17, 136(sp)
	ld	x18, 144(sp)
	ld	x19, 152(sp)
	ld	x20, 160(sp)
	ld	x21, 168(sp)
	ld	x22, 176(sp)
	ld	x23, 184(sp)
	ld	x24, 192(sp)
	ld	x25, 200(sp)
	ld	x26, 208(sp)
	ld	x27, 216(sp)
	ld	x28, 224(sp)
	ld	x29, 232(sp)
	ld	x30, 240(sp)
	ld	x31, 248(sp)
	ld	x2, 16(sp)
	sret

/* arch_run(stack_top): this hart enters the scheduler on an empty stack,
 * as if a trap had come from nowhere; it leaves for U-mode, never returns. */
	.global	arch_run
arch_run:
	mv	sp, a0
	addi	sp, sp, -FRAME
	mv	a0, sp
	li	a1, 0			/* BM_TRAP_START */
	call	bm_trap
	j	rv64_sret
