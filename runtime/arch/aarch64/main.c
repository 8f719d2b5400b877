/*
 * main.c - boot: CPU 0 checks the tables, builds every address space,
 * loads every shard, sets up every ring, starts the other CPUs through
 * PSCI, and enters its scheduler. CPU c runs exactly the shards of core c.
 *
 * Loading: a shard's pristine image is a blob in the kernel image (the
 * generated blobs.S). Starting a shard, at boot or on restart, copies the
 * blob to its window and zeroes its bss, control page, heap and stack, on
 * the kernel's table (which can write its code pages); its channels are
 * not touched, so queued messages survive a restart.
 */
#include <string.h>

#include "a64.h"
#include "kconsole.h"
#include "port.h"

uint8_t a64_stacks[A64_MAX_CPUS][A64_STACK] __attribute__((aligned(16)));

#define K (&a64_kernel)

static _Noreturn void boot_fail(const char *why, const char *name)
{
	vn_kmsg("cannot boot: %s%s%s", why, name ? ": " : "", name ? name : "");
	a64_exit(1);
}

static bool aligned(uint64_t a)
{
	return (a & (A64_PAGE - 1)) == 0;
}

/* The blob was built with the kernel, but a stale or mislinked one must
 * fail at boot, not corrupt a neighbour later. */
static bool image_ok(const struct a64_layout *l, const struct a64_image *img)
{
	uint64_t n = (uint64_t)(l->blob_end - l->blob);

	return n >= sizeof(*img) && img->magic == A64_IMAGE_MAGIC &&
	       l->image_lo < img->entry && img->entry < img->ro_start &&
	       img->ro_start <= img->data_start && img->data_start <= img->bss_start &&
	       img->bss_start <= img->end && img->end <= l->image_hi &&
	       aligned(img->ro_start) && aligned(img->data_start) && aligned(img->end) &&
	       l->image_lo + n <= img->bss_start;
}

static void zero(uint64_t lo, uint64_t hi)
{
	memset((void *)(uintptr_t)lo, 0, hi - lo);
}

int port_shard_start(struct vn_shard *s)
{
	const struct a64_layout *l = &a64_layout[s->cfg->id];
	struct a64_shard *a = a64_of(s);
	uint64_t ttbr = a64_get_ttbr(), n = (uint64_t)(l->blob_end - l->blob);

	a64_set_ttbr(a64_kernel_ttbr);
	memcpy((void *)(uintptr_t)l->image_lo, l->blob, n);
	zero(l->image_lo + n, a->img->end); /* alignment gaps and bss */
	zero(l->ctl, l->ctl + A64_PAGE);
	zero(l->heap_lo, l->heap_hi);
	zero(l->stack_lo, l->stack_hi);
	a64_sync_icache(l->image_lo, a->img->ro_start);
	a64_set_ttbr(ttbr);
	a->ctx = (struct a64_frame){.elr = a->img->entry, .sp = l->stack_hi, .spsr = 0};
	a->starts++;
	return 0;
}

static void shards_init(void)
{
	for (uint32_t i = 0; i < K->sys->n_shards; i++) {
		struct vn_shard *s = &K->shard[i];
		const struct a64_layout *l = &a64_layout[i];

		s->port = &a64_shards[i];
		a64_shards[i].img = (const struct a64_image *)l->blob;
		if (!image_ok(l, a64_shards[i].img))
			boot_fail("shard image does not match the layout", s->cfg->name);
		if (a64_mmu_shard(s) != 0)
			boot_fail("shard memory outside RAM, or out of page tables",
				  s->cfg->name);
		port_shard_start(s);
	}
}

static void channels_init(void)
{
	for (uint32_t i = 0; i < K->sys->n_channels; i++) {
		const struct vn_kchannel *c = &K->sys->channels[i];

		if (c->size < VN_RING_BYTES(c->msg_size, c->depth))
			boot_fail("channel too small", c->name);
		memset((void *)(uintptr_t)c->addr, 0, c->size);
		vn_ring_init((struct vn_ring *)(uintptr_t)c->addr, c->msg_size, c->depth);
	}
}

/* The kernel's own devices (GIC distributor and CPU interface). The console
 * UART is not among them: a shard may own it (a console driver), and the
 * kernel goes on writing its own lines to the data register. */
static bool kernel_device(uint64_t lo, uint64_t hi)
{
	return lo < 0x08020000ull && hi > 0x08000000ull;
}

/* A device window lies below RAM, and the pages that hold it (mapped whole
 * into the owner; devices of one shard may share a page) are not the
 * kernel's; its interrupt, if any, is an SPI (SGIs and PPIs are the
 * kernel's). */
static void devices_check(void)
{
	for (uint32_t i = 0; i < K->sys->n_devices; i++) {
		const struct vn_kdevice *d = &K->sys->devices[i];
		uint64_t hi = d->base + d->size;

		if (d->size == 0 || hi < d->base || hi > 0x40000000ull ||
		    kernel_device(d->base & ~(uint64_t)(A64_PAGE - 1), hi))
			boot_fail("device window is not in free MMIO space", d->name);
		if (d->irq != VN_NO_IRQ && (d->irq < A64_SPI_FIRST || d->irq >= 1020))
			boot_fail("device interrupt is not a GIC SPI (ID 32..1019)", d->name);
	}
}

static void cpu_init(void)
{
	extern char a64_vectors[];

	__asm__ volatile("msr vbar_el1, %0\n\tisb" :: "r"(a64_vectors));
	a64_mmu_enable();
	a64_gic_init_cpu();
	a64_timer_init_cpu();
}

static void start_cpus(void)
{
	for (uint32_t c = 1; c < K->sys->n_cores; c++)
		if (a64_psci_cpu_on(c, (uint64_t)(uintptr_t)a64_secondary_entry, c) != 0)
			boot_fail("PSCI could not start a CPU (run QEMU with -smp = cores used)",
				  NULL);
}

_Noreturn void a64_boot(void)
{
	const struct vn_ksystem *sys = &vn_system;

	if (vn_kernel_init(K, sys) != 0 || sys->n_cores > A64_MAX_CPUS)
		boot_fail("system tables are inconsistent", NULL);
	if (a64_mmu_init() != 0)
		boot_fail("out of page tables", NULL);
	devices_check();
	cpu_init();
	a64_gic_init();
	shards_init();
	channels_init();
	vn_kmsg("system '%s' (%s): %u shard%s on %u core%s", sys->name, sys->board,
		sys->n_shards, sys->n_shards == 1 ? "" : "s", sys->n_cores,
		sys->n_cores == 1 ? "" : "s");
	start_cpus();
	a64_run((uint64_t)(uintptr_t)a64_stacks[0] + A64_STACK);
}

_Noreturn void a64_secondary(uint32_t cpu)
{
	cpu_init();
	a64_run((uint64_t)(uintptr_t)a64_stacks[cpu] + A64_STACK);
}
