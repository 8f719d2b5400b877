/*
 * fp.S - a shard's FP/SIMD registers in and out of struct arch_fp (arch.h):
 * V0-V31, then FPCR and FPSR. The kernel's C never touches them (it is
 * built -mgeneral-regs-only); CPACR_EL1.FPEN lets EL1 in always, EL0 only
 * while its shard is its CPU's FP owner (bm.h).
 */
	.macro	vregs op	/* stp or ldp: V0-V31 at x0 */
	\op	q0, q1, [x0, #32 * 0]
	\op	q2, q3, [x0, #32 * 1]
	\op	q4, q5, [x0, #32 * 2]
	\op	q6, q7, [x0, #32 * 3]
	\op	q8, q9, [x0, #32 * 4]
	\op	q10, q11, [x0, #32 * 5]
	\op	q12, q13, [x0, #32 * 6]
	\op	q14, q15, [x0, #32 * 7]
	\op	q16, q17, [x0, #32 * 8]
	\op	q18, q19, [x0, #32 * 9]
	\op	q20, q21, [x0, #32 * 10]
	\op	q22, q23, [x0, #32 * 11]
	\op	q24, q25, [x0, #32 * 12]
	\op	q26, q27, [x0, #32 * 13]
	\op	q28, q29, [x0, #32 * 14]
	\op	q30, q31, [x0, #32 * 15]
	.endm

	.text

/* void arch_fp_save(struct arch_fp *fp, const struct arch_frame *ctx) */
	.global	arch_fp_save
arch_fp_save:
	vregs	stp
	mrs	x2, fpcr
	mrs	x3, fpsr
	add	x0, x0, #512
	stp	x2, x3, [x0]
	ret

/* void arch_fp_load(const struct arch_fp *fp) */
	.global	arch_fp_load
arch_fp_load:
	vregs	ldp
	add	x0, x0, #512
	ldp	x2, x3, [x0]
	msr	fpcr, x2
	msr	fpsr, x3
	ret
