/*
 * space.c - what a shard's address space holds, on every ISA.
 *
 * Everything is identity-mapped (VA = PA), so addresses in the manifest are
 * the addresses shards and the kernel really use. Every space holds the
 * kernel's own mappings, which user mode cannot touch (pt.c). A shard's
 * space adds, under its own ASID (id + 1; or one all shards share, where
 * the MMU has too few: bm_asid_plan),
 * exactly: its code RX, its read-only data R, its data/bss, control page
 * and trace ring, heap and stack RW, its channels RW, the buffer pools the spec
 * lists it for (RW or R, as listed), and the MMIO windows of the devices
 * it owns (RW) - but for a device on a page that also holds another
 * shard's device, which is mapped nowhere: the kernel makes its owner's
 * register accesses (run.c: VN_SYS_MMIO). Nothing else, and nothing writable is executable. Tables
 * are built once at boot from the generated layout (pt.c); only a hot
 * reload changes them after, and only the image window's pages, to the
 * sections of the new image (bm_space_image). What a permission sets in an
 * entry is the port's (ARCH_U_*).
 */
#include "bm.h"
#include "kconsole.h"

uint32_t bm_asid_bits, bm_asid_shard;
bool bm_asid_reuse;
uint64_t bm_asid_held[ARCH_MAX_CPUS];

/* How many ASIDs the system needs, the kernel's 0 among them. */
static uint32_t asids_needed(void)
{
	return bm_asid_reuse ? bm_asid_shard + 1 : bm_kernel.sys->n_shards + 1;
}

/* On CPU 0 at boot, MMU on, before any shard's space is built: the ASIDs
 * the spaces get. Where the MMU has fewer than the shards and the kernel
 * need (an aarch64 CPU with 8-bit ASIDs and 256 shards; a RISC-V hart's
 * ASIDLEN may be anything from 0), two spaces would otherwise share TLB
 * entries: then all shards share one ASID, and a CPU drops its entries
 * whenever another space goes in under it. Slower at every switch, never
 * wrong; it says so at boot. */
void bm_asid_plan(void)
{
	bm_asid_bits = arch_asid_bits();
	bm_asid_reuse = bm_asid_bits < 16 &&
			bm_kernel.sys->n_shards + 1 > (1u << bm_asid_bits);
	bm_asid_shard = bm_asid_reuse && bm_asid_bits > 0 ? 1 : 0;
	for (uint32_t c = 0; c < ARCH_MAX_CPUS; c++)
		bm_asid_held[c] = bm_kernel_token; /* what each CPU's TLB starts with */
	if (bm_asid_reuse)
		arch_asid_reuse_entry();
}

/* On each other CPU as it starts: the ASIDs planned fit its MMU too. */
void bm_asid_check(uint32_t cpu)
{
	uint32_t bits = arch_asid_bits();

	if (bits < 16 && asids_needed() > (1u << bits)) {
		vn_kmsg("cannot boot: CPU %u has %u ASID bits, CPU 0 %u", cpu, bits,
			bm_asid_bits);
		arch_exit(1);
	}
	if (bm_asid_reuse)
		arch_asid_reuse_entry();
}

static int map_code(struct bm_shard *b, const struct bm_layout *l)
{
	const struct vn_image *img = b->img;

	b->mapped[0] = img->ro_start;
	b->mapped[1] = img->data_start;
	b->mapped[2] = img->end;
	return bm_pt_map(&b->space, l->image_lo, img->ro_start, ARCH_U_RX) |
	       bm_pt_map(&b->space, img->ro_start, img->data_start, ARCH_U_RO) |
	       bm_pt_map(&b->space, img->data_start, img->end, ARCH_U_RW);
}

static int map_image(struct bm_shard *b, const struct bm_layout *l, uint64_t ctl_size)
{
	struct bm_space *sp = &b->space;

	return map_code(b, l) |
	       bm_pt_map(sp, l->ctl, l->ctl + ctl_size, ARCH_U_RW) |
	       bm_pt_map(sp, l->heap_lo, l->heap_hi, ARCH_U_RW) |
	       bm_pt_map(sp, l->stack_lo, l->stack_hi, ARCH_U_RW);
}

/* s's address space: its image by its header, its private regions, the
 * rings of the channels it is an endpoint of (a signal has none), the
 * pools it maps, and the devices it owns. */
int bm_space_build(struct vn_shard *s)
{
	const struct vn_ksystem *sys = bm_kernel.sys;
	struct bm_shard *b = bm_of(s);
	uint32_t id = s->cfg->id;
	int err;

	if (bm_pt_space(&b->space) != 0)
		return -1;
	b->space.asid = bm_asid_reuse ? bm_asid_shard : id + 1;
	b->space.token = arch_space_token(b->space.top, b->space.asid);
	err = map_image(b, &bm_layout[id], s->cfg->ctl_size);
	for (uint32_t i = 0; i < sys->n_channels; i++) {
		const struct vn_kchannel *c = &sys->channels[i];

		if ((c->from == id || c->to == id) && vn_kchannel_ring(c))
			err |= bm_pt_map(&b->space, c->addr, bm_page_up(c->addr + c->size),
					 ARCH_U_RW);
	}
	for (uint32_t i = 0; i < sys->n_pools; i++) {
		const struct vn_kpool *p = &sys->pools[i];
		int w = vn_kpool_access(p, id);

		if (w >= 0)
			err |= bm_pt_map(&b->space, p->addr, bm_page_up(p->addr + p->size),
					 w ? ARCH_U_RW : ARCH_U_RO);
	}
	for (uint32_t i = 0; i < sys->n_devices; i++) {
		const struct vn_kdevice *d = &sys->devices[i];

		if (d->shard == id && !d->mediated)
			err |= bm_pt_device(&b->space, d->base & ~(uint64_t)(VN_PAGE - 1),
					    bm_page_up(d->base + d->size));
	}
	return err;
}

/* s starts an image (a reload's, or the one before it) whose sections
 * begin and end elsewhere than the one its space maps: map its window
 * again, code RX, rodata R, data and bss RW, the rest of it unmapped, and
 * drop what the TLB still holds of s's space (its ASID). Called on s's own
 * core, in the kernel's view, while s does not run. */
int bm_space_image(struct vn_shard *s)
{
	struct bm_shard *b = bm_of(s);
	const struct bm_layout *l = &bm_layout[s->cfg->id];
	int err;

	if (b->mapped[0] == b->img->ro_start && b->mapped[1] == b->img->data_start &&
	    b->mapped[2] == b->img->end)
		return 0;
	bm_pt_unmap(&b->space, l->image_lo, l->image_hi);
	err = map_code(b, l);
	arch_tlb_drop_asid(b->space.asid);
	return err;
}
