/*
 * plic.c - the PLIC of QEMU virt at 0x0c000000. Each hart's S-mode context
 * is 2 * hartid + 1. Device interrupts (the spec's irq is the PLIC source
 * number) are enabled in the S context of their owner's hart only;
 * the kernel masks one when it fires (priority 0) and unmasks it (priority
 * 1) when the owner acknowledges it.
 */
#include "rv64.h"

#define PLIC VN_BOARD_IRQ_BASE
#define PLIC_PRIORITY(irq) (PLIC + 4ul * (irq))
#define PLIC_ENABLE(ctx, irq) (PLIC + 0x2000ul + 0x80ul * (ctx) + 4ul * ((irq) / 32))
#define PLIC_THRESHOLD(ctx) (PLIC + 0x200000ul + 0x1000ul * (ctx))
#define PLIC_CLAIM(ctx) (PLIC_THRESHOLD(ctx) + 4)

static inline void w32(uint64_t addr, uint32_t v)
{
	*(volatile uint32_t *)(uintptr_t)addr = v;
}

static inline uint32_t r32(uint64_t addr)
{
	return *(volatile uint32_t *)(uintptr_t)addr;
}

static uint32_t ctx_of(uint32_t cpu)
{
	return 2 * rv64_hartid[cpu] + 1;
}

/* Every device interrupt unmasked (priority 1); not enabled anywhere yet. */
void arch_irq_init(void)
{
	const struct vn_ksystem *sys = bm_kernel.sys;

	for (uint32_t i = 0; i < sys->n_devices; i++)
		if (sys->devices[i].irq != VN_NO_IRQ)
			arch_irq_unmask(sys->devices[i].irq);
}

/* On each hart, once it runs (OpenSBI clears a hart's PLIC contexts when
 * it starts it): enable the interrupts of the devices whose owners run on
 * this CPU in its S context, and let every priority through. */
void rv64_plic_init_cpu(uint32_t cpu)
{
	const struct vn_ksystem *sys = bm_kernel.sys;
	uint32_t ctx = ctx_of(cpu);

	for (uint32_t i = 0; i < sys->n_devices; i++) {
		const struct vn_kdevice *d = &sys->devices[i];

		if (d->irq != VN_NO_IRQ && sys->shards[d->shard].core == cpu)
			w32(PLIC_ENABLE(ctx, d->irq),
			    r32(PLIC_ENABLE(ctx, d->irq)) | 1u << (d->irq % 32));
	}
	w32(PLIC_THRESHOLD(ctx), 0);
}

uint32_t rv64_plic_claim(uint32_t cpu)
{
	return r32(PLIC_CLAIM(ctx_of(cpu)));
}

void rv64_plic_complete(uint32_t cpu, uint32_t irq)
{
	w32(PLIC_CLAIM(ctx_of(cpu)), irq);
}

void rv64_plic_mask(uint32_t irq)
{
	w32(PLIC_PRIORITY(irq), 0);
}

void arch_irq_unmask(uint32_t irq)
{
	w32(PLIC_PRIORITY(irq), 1);
}
