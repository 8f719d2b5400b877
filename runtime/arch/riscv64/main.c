/*
 * main.c - boot: the first hart (CPU 0, whatever its hart id) checks the
 * tables, builds every address space, loads every shard, sets up every
 * ring, starts the other harts through SBI HSM, and enters its scheduler.
 * CPU c runs exactly the shards of core c. Loading and restarting work as
 * on aarch64 (docs/aarch64.md): the blob is copied to the shard's window,
 * bss, control page, heap and stack are zeroed, channels are left alone.
 */
#include <string.h>

#include "rv64.h"
#include "kconsole.h"
#include "port.h"

uint8_t rv64_stacks[RV64_MAX_CPUS][RV64_STACK] __attribute__((aligned(16)));
uint32_t rv64_hartid[RV64_MAX_CPUS];

#define K (&rv64_kernel)
#define PLIC_SOURCES 96u /* QEMU virt: sources 1..95 */

static _Noreturn void boot_fail(const char *why, const char *name)
{
	vn_kmsg("cannot boot: %s%s%s", why, name ? ": " : "", name ? name : "");
	rv64_exit(1);
}

static bool aligned(uint64_t a)
{
	return (a & (RV64_PAGE - 1)) == 0;
}

static bool image_ok(const struct rv64_layout *l, const struct rv64_image *img)
{
	uint64_t n = (uint64_t)(l->blob_end - l->blob);

	return n >= sizeof(*img) && img->magic == RV64_IMAGE_MAGIC &&
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

/* Runs on the kernel's table (boot, or inside a trap: cpu.c), which maps
 * every shard page S-only. A restart happens in the shard's own trap, on
 * the hart that will run it, so a local fence.i suffices; the other harts
 * execute one before their first shard. */
int port_shard_start(struct vn_shard *s)
{
	const struct rv64_layout *l = &rv64_layout[s->cfg->id];
	struct rv64_shard *a = rv64_of(s);
	uint64_t n = (uint64_t)(l->blob_end - l->blob);

	memcpy((void *)(uintptr_t)l->image_lo, l->blob, n);
	zero(l->image_lo + n, a->img->end); /* alignment gaps and bss */
	zero(l->ctl, l->ctl + RV64_PAGE);
	zero(l->heap_lo, l->heap_hi);
	zero(l->stack_lo, l->stack_hi);
	__asm__ volatile("fence.i" ::: "memory");
	a->ctx = (struct rv64_frame){.sepc = a->img->entry, .sstatus = 0};
	a->ctx.x[2] = l->stack_hi;
	a->starts++;
	return 0;
}

static void shards_init(void)
{
	for (uint32_t i = 0; i < K->sys->n_shards; i++) {
		struct vn_shard *s = &K->shard[i];
		const struct rv64_layout *l = &rv64_layout[i];

		s->port = &rv64_shards[i];
		rv64_shards[i].img = (const struct rv64_image *)l->blob;
		if (!image_ok(l, rv64_shards[i].img))
			boot_fail("shard image does not match the layout", s->cfg->name);
		if (rv64_mmu_shard(s) != 0)
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

/* The kernel's own devices: sifive_test, CLINT, PLIC. The console UART is
 * not among them: a shard may own it (a console driver), and the kernel goes
 * on writing its own lines to the transmit register. */
static bool kernel_device(uint64_t lo, uint64_t hi)
{
	return (lo < 0x00101000ull && hi > 0x00100000ull) ||
	       (lo < 0x02010000ull && hi > 0x02000000ull) ||
	       (lo < 0x10000000ull && hi > 0x0c000000ull);
}

/* A device window lies in the first GiB, and the pages that hold it (mapped
 * whole into the owner; devices of one shard may share a page) are not the
 * kernel's; its interrupt, if any, is a PLIC source. */
static void devices_check(void)
{
	for (uint32_t i = 0; i < K->sys->n_devices; i++) {
		const struct vn_kdevice *d = &K->sys->devices[i];
		uint64_t hi = d->base + d->size;

		if (d->size == 0 || hi < d->base || hi > 0x40000000ull ||
		    kernel_device(d->base & ~(uint64_t)(RV64_PAGE - 1), hi))
			boot_fail("device window is not in free MMIO space", d->name);
		if (d->irq != VN_NO_IRQ && (d->irq < 1 || d->irq >= PLIC_SOURCES))
			boot_fail("device interrupt is not a PLIC source (1..95)", d->name);
	}
}

static void cpu_init(uint32_t cpu)
{
	csr_write(stvec, (uint64_t)(uintptr_t)rv64_trap_entry);
	csr_write(sscratch, 0);
	csr_write(scounteren, 2); /* U-mode may read `time` (vn_now) */
	rv64_mmu_enable();
	__asm__ volatile("fence.i" ::: "memory");
	rv64_plic_init_cpu(cpu);
	rv64_timer_set(VN_NEVER);
	csr_write(sie, SIP_SSIP | SIP_STIP | SIP_SEIP);
}

/* QEMU virt numbers its harts 0..n-1; the boot hart is CPU 0 and the
 * others take CPUs 1.. in hart order. */
static void assign_harts(uint64_t boot_hart)
{
	uint32_t cpu = 1;

	rv64_hartid[0] = (uint32_t)boot_hart;
	for (uint64_t h = 0; cpu < RV64_MAX_CPUS; h++)
		if (h != boot_hart)
			rv64_hartid[cpu++] = (uint32_t)h;
}

static void start_cpus(void)
{
	for (uint32_t c = 1; c < K->sys->n_cores; c++)
		if (rv64_hart_start(rv64_hartid[c], (uint64_t)(uintptr_t)rv64_secondary_entry,
				    c) != 0)
			boot_fail("SBI could not start a hart (run QEMU with -smp = cores used)",
				  NULL);
}

_Noreturn void rv64_boot(uint64_t hartid)
{
	const struct vn_ksystem *sys = &vn_system;

	assign_harts(hartid);
	if (vn_kernel_init(K, sys) != 0 || sys->n_cores > RV64_MAX_CPUS)
		boot_fail("system tables are inconsistent", NULL);
	if (rv64_mmu_init() != 0)
		boot_fail("out of page tables", NULL);
	devices_check();
	rv64_plic_init();
	cpu_init(0);
	shards_init();
	channels_init();
	vn_kmsg("system '%s' (%s): %u shard%s on %u core%s", sys->name, sys->board,
		 sys->n_shards, sys->n_shards == 1 ? "" : "s", sys->n_cores,
		 sys->n_cores == 1 ? "" : "s");
	start_cpus();
	rv64_run((uint64_t)(uintptr_t)rv64_stacks[0] + RV64_STACK);
}

_Noreturn void rv64_secondary(uint32_t cpu)
{
	cpu_init(cpu);
	rv64_run((uint64_t)(uintptr_t)rv64_stacks[cpu] + RV64_STACK);
}
