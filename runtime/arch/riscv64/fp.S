/*
 * fp.S - a shard's F/D registers in and out of struct arch_fp (arch.h):
 * f0-f31, then fcsr. The kernel is built rv64imac and runs with
 * sstatus.FS off; these two turn it on while they work (the sret that
 * follows puts back the shard's own sstatus).
 */
#define SSTATUS_FS_INITIAL 0x2000
#define SSTATUS_FS 0x6000

	.option	push
	.option	arch, +d

	.macro	fregs op	/* fsd or fld: f0-f31 at a0 */
	.irp	n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	\op	f\n, (8 * \n)(a0)
	.endr
	.endm

	.text

/* void arch_fp_save(struct arch_fp *fp, const struct arch_frame *ctx):
 * always, whether the shard changed them or not: a trap does not save
 * the hart's sstatus, so its FS Dirty is not known (arch.h). A save is
 * made only when another shard takes the registers, or for a crash dump;
 * ctx is not needed. */
	.global	arch_fp_save
arch_fp_save:
	li	t0, SSTATUS_FS_INITIAL
	csrs	sstatus, t0
	fregs	fsd
	frcsr	t0
	sd	t0, 256(a0)
	li	t0, SSTATUS_FS
	csrc	sstatus, t0
	ret

/* void arch_fp_load(const struct arch_fp *fp) */
	.global	arch_fp_load
arch_fp_load:
	li	t0, SSTATUS_FS_INITIAL
	csrs	sstatus, t0
	fregs	fld
	ld	t0, 256(a0)
	fscsr	t0
	li	t0, SSTATUS_FS
	csrc	sstatus, t0
	ret

	.option	pop
