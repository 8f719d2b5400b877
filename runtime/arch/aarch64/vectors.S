/*
 * vectors.S - the exception vector table, and the one way back to EL0.
 *
 * From EL0: save every register into a struct arch_frame (arch.h) on this
 * CPU's kernel stack, call bm_trap(frame, kind), then restore whatever the
 * frame holds by then (the same shard, or the one the scheduler picked)
 * and eret. SP_EL1 is back at the stack top after every eret, so each
 * trap starts on an empty stack. Exceptions taken at EL1 are kernel bugs:
 * they are reported and end the system.
 */
#define FRAME 272

	/* x2-x29, in the frame's pairs 1-14: op is stp or ldp. */
	.macro	pairs op
	\op	x2, x3, [sp, #16 * 1]
	\op	x4, x5, [sp, #16 * 2]
	\op	x6, x7, [sp, #16 * 3]
	\op	x8, x9, [sp, #16 * 4]
	\op	x10, x11, [sp, #16 * 5]
	\op	x12, x13, [sp, #16 * 6]
	\op	x14, x15, [sp, #16 * 7]
	\op	x16, x17, [sp, #16 * 8]
	\op	x18, x19, [sp, #16 * 9]
	\op	x20, x21, [sp, #16 * 10]
	\op	x22, x23, [sp, #16 * 11]
	\op	x24, x25, [sp, #16 * 12]
	\op	x26, x27, [sp, #16 * 13]
	\op	x28, x29, [sp, #16 * 14]
	.endm

	.macro	save_rest
	pairs	stp
	mrs	x9, sp_el0
	stp	x30, x9, [sp, #16 * 15]
	mrs	x10, elr_el1
	mrs	x11, spsr_el1
	stp	x10, x11, [sp, #16 * 16]
	.endm

	/* One vector slot: x0/x1 saved, x1 = kind, then the common path. */
	.macro	slot target, kind
	.balign	0x80
	sub	sp, sp, #FRAME
	stp	x0, x1, [sp]
	mov	x1, #\kind
	b	\target
	.endm

	/* First in the image (image.ld puts .text.boot first), so the table's
	 * 2 KiB alignment costs no padding. */
	.section .text.boot, "ax"
	.balign	2048
	.global	a64_vectors
a64_vectors:
	slot	el1_bad, 0	/* EL1 with SP_EL0: never used */
	slot	el1_bad, 0
	slot	el1_bad, 0
	slot	el1_bad, 0
	slot	el1_bad, 1	/* EL1 with SP_EL1: kernel bugs */
	slot	el1_bad, 2
	slot	el1_bad, 0
	slot	el1_bad, 3
	slot	el0_trap, 1	/* EL0, AArch64: sync (svc, faults) */
	slot	el0_trap, 2	/* IRQ */
	slot	el0_trap, 2	/* FIQ: treated as an IRQ poll */
	slot	el0_trap, 3	/* SError */
	slot	el1_bad, 0	/* EL0, AArch32: not supported */
	slot	el1_bad, 0
	slot	el1_bad, 0
	slot	el1_bad, 0

el0_trap:
	save_rest
	mov	x0, sp
	bl	bm_trap
	b	a64_eret

el1_bad:
	save_rest
	mov	x0, sp
	bl	a64_kfault	/* returns only for an MMIO call's abort (kmmio.S) */
	b	a64_eret

/* Restore the frame at sp and return to where it came from: EL0, or the
 * kernel's MMIO call (spsr says which). */
	.global	a64_eret
a64_eret:
	ldp	x10, x11, [sp, #16 * 16]
	msr	elr_el1, x10
	msr	spsr_el1, x11
	ldp	x30, x9, [sp, #16 * 15]
	msr	sp_el0, x9
	ldp	x0, x1, [sp, #16 * 0]
	pairs	ldp
	add	sp, sp, #FRAME
	eret

/* arch_run(stack_top): this CPU enters the scheduler on an empty stack, as
 * if a trap had come from nowhere; it leaves for EL0 and never returns. */
	.global	arch_run
arch_run:
	mov	sp, x0
	sub	sp, sp, #FRAME
	mov	x0, sp
	mov	x1, #0		/* BM_TRAP_START */
	bl	bm_trap
	b	a64_eret
