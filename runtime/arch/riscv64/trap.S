/*
 * trap.S - the trap vector (stvec, direct mode), and the one way back to
 * U-mode.
 *
 * While a shard runs, sscratch holds its saved context (struct
 * arch_frame, arch.h, in its struct bm_shard), whose unused x[0] slot
 * holds the top of this hart's kernel stack, where the CPU number is kept
 * for tp (arch.h: arch_cpu); while the kernel runs, sscratch is 0. From
 * U-mode: swap sp with sscratch, save every register straight into that
 * frame, take the kernel stack and the CPU number, call
 * bm_trap_sync(frame) (bm_trap for RV64_TRAP_USER), which returns the
 * frame of the shard that holds the hart now (the same one, or the one
 * the scheduler picked); restore that frame and sret. A switch copies no
 * registers but these. Each trap starts on an empty stack. A trap taken
 * in S-mode is a kernel bug: it is saved on the stack, reported, and ends
 * the system - but for the device's refusal of a register access the
 * kernel made for a shard (kmmio.S), which rv64_kfault sends to the
 * fixup, back in S-mode.
 */
#define FRAME 272

	/* x1, x3-x31 and sepc into the frame at \base; and sstatus, for a
	 * trap in S-mode (\status). A shard's frame keeps the kernel's
	 * sstatus (arch.h: struct arch_frame), which a trap from U-mode
	 * does not overwrite. */
	.macro	save_regs base, status
	sd	x1, 8(\base)
	.irp	n, 3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	sd	x\n, (8 * \n)(\base)
	.endr
	csrr	t0, sepc
	sd	t0, 256(\base)
	.ifnb	\status
	csrr	t0, sstatus
	sd	t0, 264(\base)
	.endif
	.endm

	/* From U-mode into \entry (bm_trap_sync: every trap from U-mode may
	 * be a system call; bm_trap_reuse takes the kind, \kind), which
	 * returns the frame to restore for rv64_sret; from S-mode, a kernel
	 * bug. */
	.macro	entry_to entry, kind
	csrrw	sp, sscratch, sp	/* sp = the shard's frame */
	beqz	sp, from_kernel
	save_regs sp
	csrrw	t0, sscratch, zero	/* the shard's sp; 0: the kernel runs */
	sd	t0, 16(sp)
	mv	a0, sp
	ld	sp, 0(a0)		/* the kernel stack */
	ld	tp, 0(sp)		/* the CPU number, kept there (arch_run) */
	.ifnb	\kind
	li	a1, \kind
	.endif
	call	\entry
	.endm

	/* rv64_trap_entry is every hart's while the shards' ASIDs fit;
	 * rv64_trap_entry_reuse, which enters bm_trap_reuse, when they share
	 * one (arch_asid_reuse_entry). */
	.text
	.balign	4
	.global	rv64_trap_entry
rv64_trap_entry:
	entry_to bm_trap_sync
	/* on into rv64_sret */

/* Restore the frame a0 points to and return to U-mode; sp is the top of
 * the kernel stack, which the frame keeps for the next trap. */
	.global	rv64_sret
rv64_sret:
	sd	sp, 0(a0)
	csrw	sscratch, a0		/* the frame for the next trap */
	ld	t0, 256(a0)
	csrw	sepc, t0
	ld	t0, 264(a0)
	csrw	sstatus, t0
	.irp	n, 1,2,3,4,5,6,7,8,9,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	ld	x\n, (8 * \n)(a0)
	.endr
	ld	a0, 80(a0)		/* x10, the base, last */
	sret

	.balign	4
	.global	rv64_trap_entry_reuse
rv64_trap_entry_reuse:
	entry_to bm_trap_reuse, 1	/* RV64_TRAP_USER */
	j	rv64_sret

from_kernel:
	csrrw	sp, sscratch, sp	/* back: sp = kernel sp, sscratch = 0 */
	addi	sp, sp, -FRAME
	save_regs sp, 1
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

/* arch_run(stack_top): this hart enters the scheduler on an empty stack,
 * as if a trap had come from nowhere (no frame); it leaves for U-mode,
 * never returns. The word at the empty stack's sp, which no call below it
 * writes, keeps the CPU number (tp) for the traps to load. */
	.global	arch_run
arch_run:
	addi	sp, a0, -16
	sd	tp, 0(sp)
	li	a0, 0
	li	a1, 0			/* BM_TRAP_START */
	call	bm_trap
	j	rv64_sret
