/*
 * pt.c - building page tables, for every port whose tables are three
 * levels of 512 entries over 4 KiB pages (aarch64 with a 39-bit VA, Sv39):
 * a top entry spans 1 GiB, a middle one 2 MiB, a leaf one page. How an
 * entry is encoded, and what each permission sets in it, is the port's
 * (arch.h: arch_pte_*, ARCH_K_* and ARCH_U_*).
 *
 * Every space shares two things: the first GiB (MMIO) as one kernel-only
 * block, and the kernel window's middle entries, built once, so the kernel
 * is mapped the same, kernel-only, everywhere. The kernel's own space also
 * maps the rest of RAM, kernel-only, to load shards and set up rings. A
 * shard's pages lie outside the kernel window; its devices' pages are cut
 * out of the MMIO block (split into smaller tables, the rest kept
 * kernel-only). Tables come from a pool at the top of RAM, outside the
 * kernel's window and every shard's space, taken at boot: the generator
 * sizes it to what this system's spaces take (layout.c). A hot
 * reload may rewrite the leaf entries of a shard's image window (a new
 * image has its own section boundaries), never the tables above them: the
 * generator counts a leaf table for every 2 MiB block of the whole window.
 */
#include <string.h>

#include "bm.h"

#define GIGA 0x40000000ull
#define MEGA2 0x200000ull

_Static_assert(ARCH_MMIO_END == GIGA, "devices lie in the first GiB");
_Static_assert(ARCH_RAM_END - ARCH_RAM_BASE <= GIGA && ARCH_RAM_BASE % GIGA == 0,
	       "RAM is one top-level entry");

static uint64_t pool_used;
static uint64_t *kernel_mid; /* the kernel window's entries, in every space */
uint64_t bm_kernel_token;    /* the kernel's own space, ASID 0 */

extern char __kernel_start[], __kernel_rodata[], __kernel_data[], __kernel_end[];

/* A zeroed table from the pool; NULL once it is used up. */
static uint64_t *table_new(void)
{
	uint64_t *t;

	if (pool_used >= bm_pt_pages)
		return NULL;
	t = (uint64_t *)(uintptr_t)(bm_pt_pool + pool_used++ * VN_PAGE);
	memset(t, 0, VN_PAGE);
	return t;
}

static uint64_t *mid_entry(uint64_t *mid, uint64_t a)
{
	return &mid[(a - ARCH_RAM_BASE) / MEGA2];
}

/* Map [lo, hi) of RAM page by page with `attrs`; both are page-aligned. */
static int map_any(uint64_t *mid, uint64_t lo, uint64_t hi, uint64_t attrs)
{
	for (uint64_t a = lo; a < hi; a += VN_PAGE) {
		uint64_t *e, *leaf;

		if (a < ARCH_KERNEL_BASE || a >= ARCH_RAM_END)
			return -1;
		e = mid_entry(mid, a);
		if (*e == 0) {
			if (!(leaf = table_new()))
				return -1;
			*e = arch_pte_table(leaf);
		}
		arch_pte_next(*e)[(a / VN_PAGE) & 511] = arch_pte_leaf(a, attrs, 3);
	}
	return 0;
}

/* A top-level table, and the middle table of RAM, as every space has them. */
static uint64_t *space_new(uint64_t **mid)
{
	uint64_t *top = table_new();

	*mid = table_new();
	if (!top || !*mid)
		return NULL;
	top[0] = arch_pte_leaf(0, ARCH_K_DEV, 1);
	top[ARCH_RAM_BASE / GIGA] = arch_pte_table(*mid);
	for (uint64_t a = ARCH_KERNEL_BASE; a < ARCH_KERNEL_END; a += MEGA2)
		*mid_entry(*mid, a) = *mid_entry(kernel_mid, a);
	return top;
}

static uint64_t addr_of(const char *p)
{
	return (uint64_t)(uintptr_t)p;
}

/* The kernel's space: its image, then the rest of RAM. -1 if the pool is
 * too small or the image overflows its window. */
int bm_pt_kernel(void)
{
	uint64_t *mid, *top;

	if (!(kernel_mid = table_new()) || addr_of(__kernel_end) > ARCH_KERNEL_END)
		return -1;
	if (map_any(kernel_mid, addr_of(__kernel_start), addr_of(__kernel_rodata), ARCH_K_RX) |
	    map_any(kernel_mid, addr_of(__kernel_rodata), addr_of(__kernel_data), ARCH_K_RO) |
	    map_any(kernel_mid, addr_of(__kernel_data), addr_of(__kernel_end), ARCH_K_RW))
		return -1;
	if (!(top = space_new(&mid)))
		return -1;
	for (uint64_t a = ARCH_KERNEL_END; a < ARCH_RAM_END; a += MEGA2)
		*mid_entry(mid, a) = arch_pte_leaf(a, ARCH_K_RAM, 2);
	bm_kernel_token = arch_space_token(top, 0);
	return 0;
}

int bm_pt_space(struct bm_space *sp)
{
	sp->top = space_new(&sp->mid);
	return sp->top ? 0 : -1;
}

/* Shards get pages outside the kernel window only. */
int bm_pt_map(struct bm_space *sp, uint64_t lo, uint64_t hi, uint64_t attrs)
{
	return lo < ARCH_KERNEL_END ? -1 : map_any(sp->mid, lo, hi, attrs);
}

/* Unmap the pages of [lo, hi) (page-aligned, outside the kernel window)
 * whose leaf table exists; the caller invalidates the space's TLB entries. */
void bm_pt_unmap(struct bm_space *sp, uint64_t lo, uint64_t hi)
{
	for (uint64_t a = lo; a < hi && lo >= ARCH_KERNEL_END; a += VN_PAGE) {
		uint64_t *leaf;

		if (a >= ARCH_RAM_END)
			return;
		leaf = arch_pte_next(*mid_entry(sp->mid, a));
		if (leaf)
			leaf[(a / VN_PAGE) & 511] = 0;
	}
}

/* Replace a kernel-only device block (1 GiB, or 2 MiB one level down) by
 * a table of the same mapping one level down. */
static int split(uint64_t *e, uint64_t base, uint64_t step, int level)
{
	uint64_t *t;

	if (arch_pte_next(*e))
		return 0;
	if (!(t = table_new()))
		return -1;
	for (uint32_t i = 0; i < 512; i++)
		t[i] = arch_pte_leaf(base + i * step, ARCH_K_DEV, level);
	*e = arch_pte_table(t);
	return 0;
}

/* Give the space the device pages [lo, hi) in the first GiB; the rest of
 * it stays kernel-only. Both are page-aligned. */
int bm_pt_device(struct bm_space *sp, uint64_t lo, uint64_t hi)
{
	if (split(&sp->top[0], 0, MEGA2, 2) != 0)
		return -1;
	for (uint64_t a = lo; a < hi; a += VN_PAGE) {
		uint64_t *e = &arch_pte_next(sp->top[0])[a / MEGA2];

		if (a >= GIGA || split(e, a & ~(MEGA2 - 1), VN_PAGE, 3) != 0)
			return -1;
		arch_pte_next(*e)[(a / VN_PAGE) & 511] = arch_pte_leaf(a, ARCH_U_DEV, 3);
	}
	return 0;
}
