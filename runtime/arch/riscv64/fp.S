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
	\op	f0, 0(a0)
	\op	f1, 8(a0)
	\op	f2, 16(a0)
	\op	f3, 24(a0)
	\op	f4, 32(a0)
	\op	f5, 40(a0)
	\op	f6, 48(a0)
	\op	f7, 56(a0)
	\op	f8, 64(a0)
	\op	f9, 72(a0)
	\op	f10, 80(a0)
	\op	f11, 88(a0)
	\op	f12, 96(a0)
	\op	f13, 104(a0)
	\op	f14, 112(a0)
	\op	f15, 120(a0)
	\op	f16, 128(a0)
	\op	f17, 136(a0)
	\op	f18, 144(a0)
	\op	f19, 152(a0)
	\op	f20, 160(a0)
	\op	f21, 168(a0)
	\op	f22, 176(a0)
	\op	f23, 184(a0)
	\op	f24, 192(a0)
	\op	f25, 200(a0)
	\op	f26, 208(a0)
	\op	f27, 216(a0)
	\op	f28, 224(a0)
	\op	f29, 232(a0)
	\op	f30, 240(a0)
	\op	f31, 248(a0)
	.endm

	.text

/* void arch_fp_save(struct arch_fp *fp, const struct arch_frame *ctx):
 * only if the shard's saved sstatus.FS says Dirty, i.e. it changed them
 * since they were loaded. */
	.global	arch_fp_save
arch_fp_save:
	ld	t0, 264(a1)		/* ctx->sstatus */
	li	t1, SSTATUS_FS
	and	t0, t0, t1
	bne	t0, t1, 1f
	li	t0, SSTATUS_FS_INITIAL
	csrs	sstatus, t0
	fregs	fsd
	frcsr	t0
	sd	t0, 256(a0)
	csrc	sstatus, t1
1:	ret

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
