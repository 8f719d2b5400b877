/*
 * mmu.c - Sv39 page tables: one for the kernel, one per shard.
 *
 * Everything is identity-mapped (VA = PA), as on aarch64. Every table holds:
 *   - 0-1 GiB (PLIC, CLINT, UART, sifive_test, virtio) as one S-only
 *     gigapage, global;
 *   - the kernel window, S-only, global: code RX, rodata (and the shard
 *     blobs) R, data/bss RW. Its level 0 tables are built once and shared
 *     by every address space, so switching satp in the kernel is safe, and
 *     U-mode cannot touch kernel memory. Nothing writable is executable.
 * OpenSBI's 2 MiB at the start of RAM are never mapped. The kernel's table
 * (ASID 0) also maps the rest of RAM, S-only: the kernel always works on it
 * (cpu.c), so it never needs sstatus.SUM. A shard's table maps, under its
 * own ASID (id + 1) and with the U bit, exactly: its code RX, its read-only
 * data R, its data/bss, control page, heap and stack RW, its channels RW,
 * and the MMIO windows of the devices it owns (RW). Nothing else. Tables
 * come from a static pool, built once at boot, never changed afterwards.
 * A and D are set in every leaf, so no access ever faults for them.
 */
#include <string.h>

#include "rv64.h"

#define RAM_BASE 0x80000000ull
#define RAM_END 0x90000000ull    /* -m 256M */
#define KERNEL_BASE 0x80200000ull /* OpenSBI lies below */
#define KERNEL_END 0x81000000ull /* the kernel window: image, stacks, tables */
#define GIGA 0x40000000ull
#define MEGA2 0x200000ull
#define POOL_PAGES 160u

#define P_V (1ull << 0)
#define P_R (1ull << 1)
#define P_W (1ull << 2)
#define P_X (1ull << 3)
#define P_U (1ull << 4)
#define P_G (1ull << 5)
#define P_A (1ull << 6)
#define P_D (1ull << 7)

#define LEAF (P_V | P_A | P_D)
#define SHARD_RX (LEAF | P_U | P_R | P_X)
#define SHARD_RO (LEAF | P_U | P_R)
#define SHARD_RW (LEAF | P_U | P_R | P_W)
#define SHARD_DEV SHARD_RW
#define KERNEL_RX (LEAF | P_G | P_R | P_X)
#define KERNEL_RO (LEAF | P_G | P_R)
#define KERNEL_RW (LEAF | P_G | P_R | P_W)
#define KERNEL_DEV KERNEL_RW
#define SATP_SV39 (8ull << 60)

static uint64_t pool[POOL_PAGES][512] __attribute__((aligned(4096)));
static uint32_t pool_used;
static uint64_t *kernel_l1; /* the kernel window's entries, copied into every space */
uint64_t rv64_kernel_satp;

extern char __kernel_start[], __kernel_rodata[], __kernel_data[], __kernel_end[];

static uint64_t pte(uint64_t pa, uint64_t flags)
{
	return (pa >> 12) << 10 | flags;
}

static uint64_t *table_of(uint64_t e)
{
	return (uint64_t *)(uintptr_t)((e >> 10) << 12);
}

static bool is_leaf(uint64_t e)
{
	return (e & (P_R | P_W | P_X)) != 0;
}

static uint64_t *table_new(void)
{
	return pool_used < POOL_PAGES ? pool[pool_used++] : NULL;
}

/* The root table and the level 1 table of RAM every address space has. */
static uint64_t *space_new(uint64_t **l1)
{
	uint64_t *root = table_new();

	*l1 = table_new();
	if (!root || !*l1)
		return NULL;
	root[0] = pte(0, KERNEL_DEV);
	root[RAM_BASE / GIGA] = pte((uint64_t)(uintptr_t)*l1, P_V);
	for (uint64_t a = KERNEL_BASE; a < KERNEL_END; a += MEGA2)
		(*l1)[(a - RAM_BASE) / MEGA2] = kernel_l1[(a - RAM_BASE) / MEGA2];
	return root;
}

/* Map [lo, hi) of RAM page by page with `flags`; both are page-aligned. */
static int map_any(uint64_t *l1, uint64_t lo, uint64_t hi, uint64_t flags)
{
	for (uint64_t a = lo; a < hi; a += RV64_PAGE) {
		uint64_t *e, *l0;

		if (a < KERNEL_BASE || a >= RAM_END)
			return -1;
		e = &l1[(a - RAM_BASE) / MEGA2];
		if (!(*e & P_V)) {
			if (!(l0 = table_new()))
				return -1;
			*e = pte((uint64_t)(uintptr_t)l0, P_V);
		}
		table_of(*e)[(a / RV64_PAGE) & 511] = pte(a, flags);
	}
	return 0;
}

/* Shards get pages outside the kernel window only. */
static int map_pages(uint64_t *l1, uint64_t lo, uint64_t hi, uint64_t flags)
{
	return lo < KERNEL_END ? -1 : map_any(l1, lo, hi, flags);
}

/* Replace a device leaf (1 GiB or 2 MiB) by a table of the same mapping
 * one level down. */
static int split(uint64_t *e, uint64_t base, uint64_t step)
{
	uint64_t *t;

	if (!is_leaf(*e))
		return 0;
	if (!(t = table_new()))
		return -1;
	for (uint32_t i = 0; i < 512; i++)
		t[i] = pte(base + i * step, KERNEL_DEV);
	*e = pte((uint64_t)(uintptr_t)t, P_V);
	return 0;
}

/* Give the shard of table root the device pages [lo, hi) in the first GiB;
 * the rest of it stays S-only. Both are page-aligned. */
static int map_device(uint64_t *root, uint64_t lo, uint64_t hi)
{
	if (split(&root[0], 0, MEGA2) != 0)
		return -1;
	for (uint64_t a = lo; a < hi; a += RV64_PAGE) {
		uint64_t *e = &table_of(root[0])[a / MEGA2];

		if (a >= GIGA || split(e, a & ~(MEGA2 - 1), RV64_PAGE) != 0)
			return -1;
		table_of(*e)[(a / RV64_PAGE) & 511] = pte(a, SHARD_DEV);
	}
	return 0;
}

static uint64_t addr_of(const char *p)
{
	return (uint64_t)(uintptr_t)p;
}

static uint64_t page_up(uint64_t a)
{
	return (a + RV64_PAGE - 1) & ~(uint64_t)(RV64_PAGE - 1);
}

static int kernel_map(void)
{
	if (!(kernel_l1 = table_new()))
		return -1;
	return map_any(kernel_l1, addr_of(__kernel_start), addr_of(__kernel_rodata), KERNEL_RX) |
	       map_any(kernel_l1, addr_of(__kernel_rodata), addr_of(__kernel_data), KERNEL_RO) |
	       map_any(kernel_l1, addr_of(__kernel_data), addr_of(__kernel_end), KERNEL_RW);
}

int rv64_mmu_init(void)
{
	uint64_t *l1, *root;

	if (kernel_map() != 0 || addr_of(__kernel_end) > KERNEL_END)
		return -1;
	if (!(root = space_new(&l1)))
		return -1;
	for (uint64_t a = KERNEL_END; a < RAM_END; a += MEGA2)
		l1[(a - RAM_BASE) / MEGA2] = pte(a, LEAF | P_R | P_W);
	rv64_kernel_satp = SATP_SV39 | ((uint64_t)(uintptr_t)root >> 12); /* ASID 0 */
	return 0;
}

/* On each hart, once: translation on, with the kernel's table. */
void rv64_mmu_enable(void)
{
	__asm__ volatile("csrw satp, %0\n\tsfence.vma zero, zero" :: "r"(rv64_kernel_satp)
			 : "memory");
}

int rv64_mmu_shard(struct vn_shard *s)
{
	const struct rv64_layout *l = &rv64_layout[s->cfg->id];
	const struct rv64_image *img = rv64_of(s)->img;
	const struct vn_ksystem *sys = rv64_kernel.sys;
	uint64_t *l1, *root = space_new(&l1);
	int err;

	if (!root)
		return -1;
	err = map_pages(l1, l->image_lo, img->ro_start, SHARD_RX) |
	      map_pages(l1, img->ro_start, img->data_start, SHARD_RO) |
	      map_pages(l1, img->data_start, img->end, SHARD_RW) |
	      map_pages(l1, l->ctl, l->ctl + RV64_PAGE, SHARD_RW) |
	      map_pages(l1, l->heap_lo, l->heap_hi, SHARD_RW) |
	      map_pages(l1, l->stack_lo, l->stack_hi, SHARD_RW);
	for (uint32_t i = 0; i < sys->n_channels; i++) {
		const struct vn_kchannel *c = &sys->channels[i];

		if (c->from == s->cfg->id || c->to == s->cfg->id)
			err |= map_pages(l1, c->addr, page_up(c->addr + c->size), SHARD_RW);
	}
	for (uint32_t i = 0; i < sys->n_devices; i++) {
		const struct vn_kdevice *d = &sys->devices[i];

		if (d->shard == s->cfg->id)
			err |= map_device(root, d->base & ~(uint64_t)(RV64_PAGE - 1),
					  page_up(d->base + d->size));
	}
	rv64_of(s)->root = root;
	rv64_of(s)->satp = SATP_SV39 | ((uint64_t)(s->cfg->id + 1) << 44) |
			   ((uint64_t)(uintptr_t)root >> 12);
	return err;
}

/* Tables never change after boot, and each space has its own ASID, so a
 * switch needs no TLB flush. */
void rv64_set_satp(uint64_t satp)
{
	__asm__ volatile("csrw satp, %0" :: "r"(satp) : "memory");
}

uint64_t rv64_get_satp(void)
{
	return csr_read(satp);
}

/* Why an access (0 read, 1 write, 2 execute) to va from U-mode faulted in
 * the space of root, by walking it; *level is the Sv39 level (2, 1, 0)
 * where the walk stopped. */
const char *rv64_mmu_why(const uint64_t *root, uint64_t va, uint32_t access, int *level)
{
	const uint64_t *t = root;

	*level = 2;
	if ((va >> 38) != 0 && (va >> 38) != 0x3ffffffull)
		return "not canonical";
	for (int lv = 2; lv >= 0; lv--) {
		uint64_t e = t[(va >> (12 + 9 * lv)) & 511];

		*level = lv;
		if (!(e & P_V))
			return "not mapped";
		if (!is_leaf(e)) {
			t = table_of(e);
			continue;
		}
		if (!(e & P_U))
			return "kernel only";
		if (access == 1 && !(e & P_W))
			return "not writable";
		if (access == 2 && !(e & P_X))
			return "not executable";
		if (access == 0 && !(e & P_R))
			return "not readable";
		return "mapped";
	}
	return "not mapped";
}
