/*
 * gic.c - the GICv2 of QEMU virt (distributor 0x08000000, CPU interface
 * 0x08010000; no security extensions, so everything is group 0 and
 * signalled as IRQ). Per CPU: SGI 0, the kick one core sends another, and
 * PPI 27, the EL1 virtual timer. Device interrupts are SPIs (ID >= 32):
 * each is routed to the CPU of its owner shard only, enabled at boot, masked
 * by the kernel when it fires and unmasked when the owner acknowledges it.
 */
#include "a64.h"

#define GICD VN_BOARD_IRQ_BASE
#define GICC VN_BOARD_IRQ_CPU_BASE

#define GICD_CTLR 0x000
#define GICD_ISENABLER0 0x100
#define GICD_ICENABLER0 0x180
#define GICD_ITARGETSR0 0x800
#define GICD_SGIR 0xf00
#define GICC_CTLR 0x000
#define GICC_PMR 0x004
#define GICC_IAR 0x00c
#define GICC_EOIR 0x010

static inline void w32(uint64_t addr, uint32_t v)
{
	*(volatile uint32_t *)(uintptr_t)addr = v;
}

static inline uint32_t r32(uint64_t addr)
{
	return *(volatile uint32_t *)(uintptr_t)addr;
}

/* Each device SPI goes to its owner's CPU (a byte per interrupt; GICv2
 * allows byte access to ITARGETSR), then is enabled. */
void arch_irq_init(void)
{
	const struct vn_ksystem *sys = bm_kernel.sys;

	for (uint32_t i = 0; i < sys->n_devices; i++) {
		const struct vn_kdevice *d = &sys->devices[i];

		if (d->irq == VN_NO_IRQ)
			continue;
		*(volatile uint8_t *)(uintptr_t)(GICD + GICD_ITARGETSR0 + d->irq) =
			(uint8_t)(1u << sys->shards[d->shard].core);
		arch_irq_unmask(d->irq);
	}
	w32(GICD + GICD_CTLR, 1);
}

void a64_gic_mask(uint32_t irq)
{
	w32(GICD + GICD_ICENABLER0 + 4 * (irq / 32), 1u << (irq % 32));
}

void arch_irq_unmask(uint32_t irq)
{
	w32(GICD + GICD_ISENABLER0 + 4 * (irq / 32), 1u << (irq % 32));
}

/* The banked per-CPU enables, and this CPU's interface. */
void a64_gic_init_cpu(void)
{
	w32(GICD + GICD_ISENABLER0, (1u << A64_SGI_KICK) | (1u << A64_PPI_VTIMER));
	w32(GICC + GICC_PMR, 0xff);
	w32(GICC + GICC_CTLR, 1);
}

/* The run-queue change that prompted the kick is visible before the SGI. */
void arch_kick(uint32_t cpu)
{
	__asm__ volatile("dsb ish" ::: "memory");
	w32(GICD + GICD_SGIR, (1u << (16 + cpu)) | A64_SGI_KICK);
}

uint32_t a64_gic_ack(void)
{
	return r32(GICC + GICC_IAR);
}

void a64_gic_eoi(uint32_t iar)
{
	w32(GICC + GICC_EOIR, iar);
}
