/*
 * space.c - what a shard's address space holds, on every ISA.
 *
 * Everything is identity-mapped (VA = PA), so addresses in the manifest are
 * the addresses shards and the kernel really use. Every space holds the
 * kernel's own mappings, which user mode cannot touch (pt.c). A shard's
 * space adds, under its own ASID (id + 1),
 * exactly: its code RX, its read-only data R, its data/bss, control page
 * and trace ring, heap and stack RW, its channels RW, and the MMIO windows of the devices
 * it owns (RW). Nothing else, and nothing writable is executable. Tables
 * are built once at boot from the generated layout (pt.c), never changed
 * after. What a permission sets in an entry is the port's (ARCH_U_*).
 */
#include "bm.h"

static int map_image(struct bm_space *sp, const struct bm_layout *l,
		     const struct vn_image *img, uint64_t ctl_size)
{
	return bm_pt_map(sp, l->image_lo, img->ro_start, ARCH_U_RX) |
	       bm_pt_map(sp, img->ro_start, img->data_start, ARCH_U_RO) |
	       bm_pt_map(sp, img->data_start, img->end, ARCH_U_RW) |
	       bm_pt_map(sp, l->ctl, l->ctl + ctl_size, ARCH_U_RW) |
	       bm_pt_map(sp, l->heap_lo, l->heap_hi, ARCH_U_RW) |
	       bm_pt_map(sp, l->stack_lo, l->stack_hi, ARCH_U_RW);
}

/* s's address space: its image by its header, its private regions, the
 * rings of the channels it is an endpoint of (a signal has none), and the
 * devices it owns. */
int bm_space_build(struct vn_shard *s)
{
	const struct vn_ksystem *sys = bm_kernel.sys;
	struct bm_shard *b = bm_of(s);
	uint32_t id = s->cfg->id;
	int err;

	if (bm_pt_space(&b->space) != 0)
		return -1;
	b->space.token = arch_space_token(b->space.top, id + 1);
	err = map_image(&b->space, &bm_layout[id], b->img, s->cfg->ctl_size);
	for (uint32_t i = 0; i < sys->n_channels; i++) {
		const struct vn_kchannel *c = &sys->channels[i];

		if ((c->from == id || c->to == id) && vn_kchannel_ring(c))
			err |= bm_pt_map(&b->space, c->addr, bm_page_up(c->addr + c->size),
					 ARCH_U_RW);
	}
	for (uint32_t i = 0; i < sys->n_devices; i++) {
		const struct vn_kdevice *d = &sys->devices[i];

		if (d->shard == id)
			err |= bm_pt_device(&b->space, d->base & ~(uint64_t)(VN_PAGE - 1),
					    bm_page_up(d->base + d->size));
	}
	return err;
}
