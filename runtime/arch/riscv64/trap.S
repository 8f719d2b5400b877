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
 * taken in S-mode is a kernel bug: it is reported and ends the system -
 * but for the device's refusal of a register access the kernel made for a
 * shard (kmmio.S), which rv64_kfault sends to the fixup, back in S-mode.
 */
#define FRAME 272

	.macro	save_regs
	sd	x1, 8(sp)
	.irp	n, 3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	sd	x\n, (8 * \n)(sp)
	.endr
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
	call	rv64_kfault	/* returns only for an MMIO call's fault */
	ld	t0, 256(sp)
	csrw	sepc, t0
	ld	t0, 264(sp)
	csrw	sstatus, t0
	ld	x1, 8(sp)
	.irp	n, 3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	ld	x\n, (8 * \n)(sp)
	.endr
	addi	sp, sp, FRAME	/* sscratch stays 0: the kernel runs on */
	sret

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
	.irp	n, 3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	ld	x\n, (8 * \n)(sp)
	.endr
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
