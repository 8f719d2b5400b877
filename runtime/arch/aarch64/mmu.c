/*
 * mmu.c - translation tables: one for the kernel, one per shard.
 *
 * 4 KiB granule, 39-bit VA (T0SZ = 25): walks start at level 1. Everything
 * is identity-mapped (VA = PA), so addresses in the manifest are the
 * addresses shards and the kernel really use. Every table holds:
 *   - 0-1 GiB (GIC, PL011) as one device block, EL1 only, global;
 *   - the kernel image, EL1 only, global: code RX, rodata (and the shard
 *     blobs) R, data/bss RW + XN. Its level 3 tables are built once and
 *     shared by every address space, so switching TTBR0 in the kernel is
 *     safe, and EL0 cannot touch kernel memory. SCTLR.WXN is set: nothing
 *     writable is executable, at any level.
 * The kernel's table also maps the rest of RAM, EL1 only and non-global
 * (ASID 0), to load shard images and set up rings. A shard's table maps,
 * non-global under its own ASID, exactly: its code RX, its read-only data
 * R, its data/bss, control page, heap and stack RW + XN, its channels
 * RW + XN, and the MMIO windows of the devices it owns (Device-nGnRE,
 * RW + XN). Nothing else. Tables come from a static pool, built once at boot
 * from the generated layout; they never change afterwards.
 */
#include <string.h>

#include "a64.h"

#define RAM_BASE 0x40000000ull
#define RAM_END 0x50000000ull    /* -m 256M */
#define KERNEL_END 0x41000000ull /* the kernel window: image, stacks, tables */
#define BLOCK2M 0x200000ull
#define POOL_PAGES 160u

#define D_VALID (1ull << 0)
#define D_TABLE (1ull << 1)     /* table (L1/L2) or page (L3) descriptor */
#define D_DEVICE (0ull << 2)    /* MAIR index 0: Device-nGnRnE */
#define D_NORMAL (1ull << 2)    /* MAIR index 1: Normal write-back */
#define D_DEVICE_E (2ull << 2)  /* MAIR index 2: Device-nGnRE */
#define D_EL1 (0ull << 6)       /* AP: EL1 RW, EL0 none */
#define D_EL0_RW (1ull << 6)    /* AP: EL1 and EL0 RW */
#define D_EL1_RO (2ull << 6)    /* AP: EL1 RO, EL0 none */
#define D_EL0_RO (3ull << 6)    /* AP: EL1 and EL0 RO */
#define D_INNER (3ull << 8)
#define D_AF (1ull << 10)
#define D_NG (1ull << 11)
#define D_PXN (1ull << 53)
#define D_UXN (1ull << 54)

#define MEM (D_NORMAL | D_INNER | D_AF)
#define SHARD_RX (MEM | D_NG | D_PXN | D_EL0_RO)
#define SHARD_RO (MEM | D_NG | D_PXN | D_UXN | D_EL0_RO)
#define SHARD_RW (MEM | D_NG | D_PXN | D_UXN | D_EL0_RW)
#define KERNEL_RX (MEM | D_UXN | D_EL1_RO)
#define KERNEL_RO (MEM | D_PXN | D_UXN | D_EL1_RO)
#define KERNEL_RW (MEM | D_PXN | D_UXN | D_EL1)
#define KERNEL_DEV (D_DEVICE | D_AF | D_NG | D_EL1 | D_PXN | D_UXN)
#define SHARD_DEV (D_DEVICE_E | D_AF | D_NG | D_EL0_RW | D_PXN | D_UXN)
#define KERNEL_SLOTS ((KERNEL_END - RAM_BASE) / BLOCK2M)

#define MAIR 0x04ff00ull /* attr0 device-nGnRnE, attr1 normal WB RA WA, attr2 device-nGnRE */
#define TCR (25ull | (1ull << 8) | (1ull << 10) | (3ull << 12) | (25ull << 16) | \
	     (1ull << 23) | (2ull << 30))
#define SCTLR (0x30d00800ull | (1u << 0) | (1u << 2) | (1u << 3) | (1u << 4) | (1u << 12) | \
	       (1u << 19))

static uint64_t pool[POOL_PAGES][512] __attribute__((aligned(4096)));
static uint32_t pool_used;
static uint64_t *kernel_l2; /* the kernel image's entries, copied into every space */
uint64_t a64_kernel_ttbr;

extern char __kernel_start[], __kernel_rodata[], __kernel_data[], __kernel_end[];

static uint64_t *table_new(void)
{
	return pool_used < POOL_PAGES ? pool[pool_used++] : NULL;
}

/* The level 1 table and the level 2 table of RAM every address space has. */
static uint64_t *space_new(uint64_t **l2)
{
	uint64_t *l1 = table_new();

	*l2 = table_new();
	if (!l1 || !*l2)
		return NULL;
	l1[0] = 0 | D_VALID | KERNEL_DEV;
	l1[1] = (uint64_t)(uintptr_t)*l2 | D_VALID | D_TABLE;
	for (uint32_t i = 0; i < KERNEL_SLOTS; i++)
		(*l2)[i] = kernel_l2[i];
	return l1;
}

/* Map [lo, hi) of RAM page by page with `attrs`; both are page-aligned. */
static int map_any(uint64_t *l2, uint64_t lo, uint64_t hi, uint64_t attrs)
{
	for (uint64_t a = lo; a < hi; a += A64_PAGE) {
		uint64_t *e, *l3;

		if (a < RAM_BASE || a >= RAM_END)
			return -1;
		e = &l2[(a - RAM_BASE) / BLOCK2M];
		if (!(*e & D_VALID)) {
			if (!(l3 = table_new()))
				return -1;
			*e = (uint64_t)(uintptr_t)l3 | D_VALID | D_TABLE;
		}
		l3 = (uint64_t *)(uintptr_t)(*e & 0xfffffffff000ull);
		l3[(a / A64_PAGE) & 511] = a | D_VALID | D_TABLE | attrs;
	}
	return 0;
}

/* Shards get pages outside the kernel window only. */
static int map_pages(uint64_t *l2, uint64_t lo, uint64_t hi, uint64_t attrs)
{
	return lo < KERNEL_END ? -1 : map_any(l2, lo, hi, attrs);
}

static uint64_t *table_of(uint64_t e)
{
	return (uint64_t *)(uintptr_t)(e & 0xfffffffff000ull);
}

/* Replace a device block (1 GiB at level 1, 2 MiB at level 2) by a table
 * of the same mapping one level down. */
static int split(uint64_t *e, uint64_t base, uint64_t step, uint64_t leaf)
{
	uint64_t *t;

	if (*e & D_TABLE)
		return 0;
	if (!(t = table_new()))
		return -1;
	for (uint32_t i = 0; i < 512; i++)
		t[i] = (base + i * step) | D_VALID | leaf | KERNEL_DEV;
	*e = (uint64_t)(uintptr_t)t | D_VALID | D_TABLE;
	return 0;
}

/* Give the shard of table l1 the device pages [lo, hi), below RAM; the rest
 * of the device range stays EL1 only. Both are page-aligned. */
static int map_device(uint64_t *l1, uint64_t lo, uint64_t hi)
{
	if (split(&l1[0], 0, BLOCK2M, 0) != 0)
		return -1;
	for (uint64_t a = lo; a < hi; a += A64_PAGE) {
		uint64_t *e = &table_of(l1[0])[a / BLOCK2M];

		if (a >= RAM_BASE || split(e, a & ~(BLOCK2M - 1), A64_PAGE, D_TABLE) != 0)
			return -1;
		table_of(*e)[(a / A64_PAGE) & 511] = a | D_VALID | D_TABLE | SHARD_DEV;
	}
	return 0;
}

static uint64_t addr_of(const char *p)
{
	return (uint64_t)(uintptr_t)p;
}

static uint64_t page_up(uint64_t a)
{
	return (a + A64_PAGE - 1) & ~(uint64_t)(A64_PAGE - 1);
}

/* The kernel image's pages, once; every space then shares them. */
static int kernel_map(void)
{
	if (!(kernel_l2 = table_new()))
		return -1;
	return map_any(kernel_l2, addr_of(__kernel_start), addr_of(__kernel_rodata), KERNEL_RX) |
	       map_any(kernel_l2, addr_of(__kernel_rodata), addr_of(__kernel_data), KERNEL_RO) |
	       map_any(kernel_l2, addr_of(__kernel_data), addr_of(__kernel_end), KERNEL_RW);
}

int a64_mmu_init(void)
{
	uint64_t *l2, *l1;

	if (kernel_map() != 0 || addr_of(__kernel_end) > KERNEL_END)
		return -1;
	if (!(l1 = space_new(&l2)))
		return -1;
	for (uint64_t a = KERNEL_END; a < RAM_END; a += BLOCK2M)
		l2[(a - RAM_BASE) / BLOCK2M] = a | D_VALID | MEM | D_NG | D_EL1 | D_PXN | D_UXN;
	a64_kernel_ttbr = (uint64_t)(uintptr_t)l1; /* ASID 0 */
	return 0;
}

/* On each CPU, once: MMU and caches on, with the kernel's table. */
void a64_mmu_enable(void)
{
	__asm__ volatile("msr mair_el1, %0\n\tmsr tcr_el1, %1\n\tmsr ttbr0_el1, %2\n\t"
			 "isb\n\ttlbi vmalle1\n\tdsb nsh\n\tisb\n\t"
			 "msr sctlr_el1, %3\n\tisb"
			 :: "r"(MAIR), "r"(TCR), "r"(a64_kernel_ttbr), "r"((uint64_t)SCTLR)
			 : "memory");
}

/* s's address space: its image by its header, its private regions, the
 * channels it is an endpoint of, and the devices it owns. */
int a64_mmu_shard(struct vn_shard *s)
{
	const struct a64_layout *l = &a64_layout[s->cfg->id];
	const struct a64_image *img = a64_of(s)->img;
	const struct vn_ksystem *sys = a64_kernel.sys;
	uint64_t *l2, *l1 = space_new(&l2);
	int err;

	if (!l1)
		return -1;
	err = map_pages(l2, l->image_lo, img->ro_start, SHARD_RX) |
	      map_pages(l2, img->ro_start, img->data_start, SHARD_RO) |
	      map_pages(l2, img->data_start, img->end, SHARD_RW) |
	      map_pages(l2, l->ctl, l->ctl + A64_PAGE, SHARD_RW) |
	      map_pages(l2, l->heap_lo, l->heap_hi, SHARD_RW) |
	      map_pages(l2, l->stack_lo, l->stack_hi, SHARD_RW);
	for (uint32_t i = 0; i < sys->n_channels; i++) {
		const struct vn_kchannel *c = &sys->channels[i];

		if (c->from == s->cfg->id || c->to == s->cfg->id)
			err |= map_pages(l2, c->addr, page_up(c->addr + c->size), SHARD_RW);
	}
	for (uint32_t i = 0; i < sys->n_devices; i++) {
		const struct vn_kdevice *d = &sys->devices[i];

		if (d->shard == s->cfg->id)
			err |= map_device(l1, d->base & ~(uint64_t)(A64_PAGE - 1),
					  page_up(d->base + d->size));
	}
	a64_of(s)->ttbr = (uint64_t)(uintptr_t)l1 | ((uint64_t)(s->cfg->id + 1) << 48);
	return err;
}

void a64_set_ttbr(uint64_t ttbr)
{
	__asm__ volatile("msr ttbr0_el1, %0\n\tisb" :: "r"(ttbr) : "memory");
}

uint64_t a64_get_ttbr(void)
{
	uint64_t t;

	__asm__ volatile("mrs %0, ttbr0_el1" : "=r"(t));
	return t;
}

/* New code at [lo, hi): clean it to the point of unification, then drop
 * stale instructions on every CPU. */
void a64_sync_icache(uint64_t lo, uint64_t hi)
{
	for (uint64_t a = lo & ~63ull; a < hi; a += 64)
		__asm__ volatile("dc cvau, %0" :: "r"(a) : "memory");
	__asm__ volatile("dsb ish\n\tic ialluis\n\tdsb ish\n\tisb" ::: "memory");
}
