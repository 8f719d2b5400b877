/*
 * vectors.S - the exception vector table, and the one way back to EL0.
 *
 * From EL0: save every register straight into the running shard's saved
 * context (struct arch_frame, arch.h, in its struct bm_shard), whose
 * address the last return to EL0 left in the word at the top of this CPU's
 * kernel stack; call bm_trap(frame, kind) (bm_trap_sync(frame) for a
 * synchronous trap), which returns the frame of the shard that holds the
 * CPU now (the same one, or the one the scheduler picked); restore that
 * frame and eret. A switch copies no registers but these. SP_EL1 is back
 * just below that word after every eret, so each trap starts on an empty
 * stack. Exceptions taken at EL1 are kernel bugs: they are saved on the
 * stack, reported, and end the system - but for a device's abort of a
 * register access the kernel makes for a shard (kmmio.S), which a64_kfault
 * sends to its fixup, back at EL1.
 */
#define FRAME 288

	/* x2-x29, in the frame's pairs 1-14 at \base: op is stp or ldp. */
	.macro	pairs op, base
	\op	x2, x3, [\base, #16 * 1]
	\op	x4, x5, [\base, #16 * 2]
	\op	x6, x7, [\base, #16 * 3]
	\op	x8, x9, [\base, #16 * 4]
	\op	x10, x11, [\base, #16 * 5]
	\op	x12, x13, [\base, #16 * 6]
	\op	x14, x15, [\base, #16 * 7]
	\op	x16, x17, [\base, #16 * 8]
	\op	x18, x19, [\base, #16 * 9]
	\op	x20, x21, [\base, #16 * 10]
	\op	x22, x23, [\base, #16 * 11]
	\op	x24, x25, [\base, #16 * 12]
	\op	x26, x27, [\base, #16 * 13]
	\op	x28, x29, [\base, #16 * 14]
	.endm

	/* x2-x30, SP_EL0, ELR, SPSR and TPIDR_EL0 into the frame at \base
	 * (x0 and x1 are the caller's to save). */
	.macro	save_rest base
	pairs	stp, \base
	mrs	x9, sp_el0
	stp	x30, x9, [\base, #16 * 15]
	mrs	x10, elr_el1
	mrs	x11, spsr_el1
	stp	x10, x11, [\base, #16 * 16]
	mrs	x12, tpidr_el0
	str	x12, [\base, #16 * 17]
	.endm

	/* A slot from EL0: x0/x1 pushed, x0 = the running shard's frame (the
	 * word above them), x1 = kind (none for bm_trap_sync, whose kind is
	 * known), then the common path. */
	.macro	slot target, kind
	.balign	0x80
	stp	x0, x1, [sp, #-16]!
	ldr	x0, [sp, #16]
	.ifnb	\kind
	mov	x1, #\kind
	.endif
	b	\target
	.endm

	/* A slot from EL1: a frame on the stack, x1 = kind. */
	.macro	bad kind
	.balign	0x80
	sub	sp, sp, #FRAME
	stp	x0, x1, [sp]
	mov	x1, #\kind
	b	el1_bad
	.endm

	/* A table: \el0 takes the traps from EL0, \sync (with \synckind, if
	 * it takes one) their synchronous ones. */
	.macro	table el0, sync, synckind
	bad	0	/* EL1 with SP_EL0: never used */
	bad	0
	bad	0
	bad	0
	bad	1	/* EL1 with SP_EL1: kernel bugs */
	bad	2
	bad	0
	bad	3
	slot	\sync, \synckind	/* EL0, AArch64: sync (svc, faults) */
	slot	\el0, 2	/* IRQ */
	slot	\el0, 2	/* FIQ: treated as an IRQ poll */
	slot	\el0, 3	/* SError */
	bad	0	/* EL0, AArch32: not supported */
	bad	0
	bad	0
	bad	0
	.endm

	/* From EL0: x0 = the frame, x1 = kind; call \entry, then eret. */
	.macro	el0_entry entry
	save_rest x0
	ldp	x2, x3, [sp], #16	/* the shard's x0 and x1 */
	stp	x2, x3, [x0]
	bl	\entry
	b	a64_eret
	.endm

	/* First in the image (image.ld puts .text.boot first), so the first
	 * table's 2 KiB alignment costs no padding; the second follows at the
	 * next 2 KiB (a table's last slot is shorter than 0x80). a64_vectors is
	 * every CPU's while the shards' ASIDs fit; a64_vectors_reuse, which
	 * enters bm_trap_reuse, when they share one (arch_asid_reuse_entry). */
	.section .text.boot, "ax"
	.balign	2048
	.global	a64_vectors
a64_vectors:
	table	el0_trap, el0_sync
	.balign	2048
	.global	a64_vectors_reuse
a64_vectors_reuse:
	table	el0_trap_reuse, el0_trap_reuse, 1

el0_trap:
	el0_entry bm_trap

el0_sync:
	el0_entry bm_trap_sync

el0_trap_reuse:
	el0_entry bm_trap_reuse

el1_bad:
	save_rest sp
	mov	x0, sp
	bl	a64_kfault	/* returns only for an MMIO call's abort (kmmio.S) */
	ldp	x10, x11, [sp, #16 * 16]	/* back to the kernel, at its fixup */
	msr	elr_el1, x10
	msr	spsr_el1, x11
	ldp	x30, x9, [sp, #16 * 15]
	msr	sp_el0, x9
	pairs	ldp, sp
	ldp	x0, x1, [sp]
	add	sp, sp, #FRAME
	eret

/* Restore the frame x0 points to and return to EL0; sp is the word that
 * keeps it for the next trap. */
	.global	a64_eret
a64_eret:
	str	x0, [sp]
	ldp	x10, x11, [x0, #16 * 16]
	msr	elr_el1, x10
	msr	spsr_el1, x11
	ldr	x12, [x0, #16 * 17]
	msr	tpidr_el0, x12
	ldp	x30, x9, [x0, #16 * 15]
	msr	sp_el0, x9
	pairs	ldp, x0
	ldp	x0, x1, [x0, #16 * 0]
	eret

/* arch_run(stack_top): this CPU enters the scheduler on an empty stack, as
 * if a trap had come from nowhere (no frame); it leaves for EL0 and never
 * returns. The 16 bytes at the top keep the running shard's frame. */
	.global	arch_run
arch_run:
	sub	sp, x0, #16
	mov	x0, #0
	mov	x1, #0		/* BM_TRAP_START */
	bl	bm_trap
	b	a64_eret
