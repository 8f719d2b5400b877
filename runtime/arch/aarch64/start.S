/*
 * start.S - EL1 entry for CPU 0 (QEMU -kernel) and for the CPUs PSCI
 * starts later. Each CPU runs on its own stack in bm_stacks and keeps its
 * number in TPIDR_EL1 (EL0 cannot read it). The kernel is built
 * -mgeneral-regs-only; FP/SIMD is for shards (arch_cpu_init, fp.S).
 * QEMU enters _start as the ELF entry point; it need not open the image
 * (vectors.S does, to align its table without padding).
 */
	.text
	.global _start
_start:
	msr	daifset, #0xf
	mrs	x1, mpidr_el1		/* only CPU 0 comes here; park any other */
	and	x1, x1, #0xff
	cbnz	x1, park
	msr	tpidr_el1, xzr
	ldr	x1, =bm_stacks + 16384	/* BM_STACK */
	mov	sp, x1
	ldr	x1, =__bss_start	/* zero bss: 16-byte aligned by image.ld */
	ldr	x2, =__bss_end
1:	cmp	x1, x2
	b.hs	2f
	stp	xzr, xzr, [x1], #16
	b	1b
2:	bl	bm_boot
park:	wfi
	b	park

/* PSCI CPU_ON lands here with x0 = the context given: the CPU number. */
	.global a64_secondary_entry
a64_secondary_entry:
	msr	daifset, #0xf
	msr	tpidr_el1, x0
	ldr	x1, =bm_stacks
	add	x2, x0, #1
	lsl	x2, x2, #14		/* (cpu + 1) * BM_STACK */
	add	x1, x1, x2
	mov	sp, x1
	bl	bm_secondary
	b	park
