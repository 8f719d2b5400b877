/*
 * kmmio.S - one register access the kernel makes for a shard (run.c:
 * VN_SYS_MMIO), which the device may refuse with an external abort (a
 * width it does not take). The access instructions lie between
 * a64_kmmio_start and a64_kmmio_end; an abort taken there resumes at
 * a64_kmmio_fixup (a64_kfault, trap.c), which returns -1 instead of ending
 * the system. A device may report a refused store asynchronously, as an
 * SError: after the access, SErrors are unmasked for a moment inside the
 * range, so one the access caused is taken there, and not later, against
 * whichever shard runs next.
 *
 * int arch_kmmio(uint64_t addr, unsigned log2_bytes, bool write,
 *                uint64_t value, uint64_t *read)
 */
	.text
	.balign	4
	.global	arch_kmmio
arch_kmmio:
	mov	x5, #0
	cbnz	w2, 5f
	cmp	w1, #1
	b.lo	1f
	b.eq	2f
	cmp	w1, #2
	b.eq	3f
	b	4f
5:	cmp	w1, #1
	b.lo	6f
	b.eq	7f
	cmp	w1, #2
	b.eq	8f
	b	9f

	.global	a64_kmmio_start
a64_kmmio_start:
1:	ldrb	w5, [x0]
	b	10f
2:	ldrh	w5, [x0]
	b	10f
3:	ldr	w5, [x0]
	b	10f
4:	ldr	x5, [x0]
	b	10f
6:	strb	w3, [x0]
	b	10f
7:	strh	w3, [x0]
	b	10f
8:	str	w3, [x0]
	b	10f
9:	str	x3, [x0]
10:	dsb	sy
	msr	daifclr, #4		/* a pending SError is taken here */
	isb
	msr	daifset, #4
	.global	a64_kmmio_end
a64_kmmio_end:
	cbnz	w2, 11f
	str	x5, [x4]
11:	mov	w0, #0
	ret

	.global	a64_kmmio_fixup
a64_kmmio_fixup:
	msr	daifset, #4
	mov	w0, #-1
	ret
