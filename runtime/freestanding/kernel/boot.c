/*
 * boot.c - boot: CPU 0 checks the tables, builds every address space,
 * loads every shard, sets up every ring, starts the other CPUs, and enters
 * its scheduler. CPU c runs exactly the shards of core c.
 *
 * Loading: a shard's pristine image is a blob in the kernel image (the
 * generated blobs.S); a hot reload gives it another, in one of its reload
 * slots (reload.c). Starting a shard, at boot or on restart, copies the
 * blob it runs to its window and zeroes its bss, control page, heap and stack, in
 * the kernel's view of memory (which can write its code pages); its
 * channels are not touched, so queued messages survive a restart.
 */
#include <string.h>

#include "bm.h"
#include "kconsole.h"
#include "port.h"

uint8_t bm_stacks[ARCH_MAX_CPUS][BM_STACK] __attribute__((aligned(16)));

#define K (&bm_kernel)

_Noreturn void bm_boot_fail(const char *why, const char *name)
{
	vn_kconsole_last();
	vn_kmsg("cannot boot: %s%s%s", why, name ? ": " : "", name ? name : "");
	arch_exit(1);
}

static bool aligned(uint64_t a)
{
	return (a & (VN_PAGE - 1)) == 0;
}

/* The blob was built with the kernel, but a stale or mislinked one (or one
 * for another ISA) must fail at boot, not corrupt a neighbour later; a
 * reload's new blob passes the same checks (reload.c), wherever it lies.
 * img is a copy of the header of the blob's n bytes, if they hold one:
 * both callers read it through a copy, so a blob at any address is judged
 * the same. */
bool bm_image_ok(const struct bm_layout *l, const struct vn_image *img, uint64_t n)
{
	return n >= sizeof(*img) && img->magic == VN_BOARD_IMAGE_MAGIC &&
	       l->image_lo < img->entry && img->entry < img->ro_start &&
	       img->ro_start <= img->data_start && img->data_start <= img->bss_start &&
	       img->bss_start <= img->end && img->end <= l->image_hi &&
	       aligned(img->ro_start) && aligned(img->data_start) && aligned(img->end) &&
	       n <= l->image_hi - l->image_lo && l->image_lo + n <= img->bss_start;
}

static void zero(uint64_t lo, uint64_t hi)
{
	memset((void *)(uintptr_t)lo, 0, hi - lo);
}

/* The virtio-mmio STATUS register: writing 0 resets the device (virtio
 * 1.1, 4.2.2.1), which then does no more DMA until a driver sets it up. */
#define VIRTIO_MMIO_STATUS 0x70u

/* s starts again with a zeroed heap: first stop its devices' DMA into it,
 * or into a pool, which a card its predecessor left running would go on
 * writing frames into. A virtio device is reset, as the hosted models are
 * (hk_devices_restart); the other devices the boards have do no DMA, and
 * their interrupts are unmasked again by vn_irq_restart. At boot the
 * devices are fresh already. */
static void devices_reset(const struct vn_shard *s)
{
	uint64_t none;

	if (bm_of(s)->starts == 0)
		return;
	for (uint32_t i = 0; i < K->sys->n_devices; i++) {
		const struct vn_kdevice *d = &K->sys->devices[i];

		if (d->shard == s->cfg->id && d->size > VIRTIO_MMIO_STATUS && d->compatible &&
		    strcmp(d->compatible, "virtio,mmio") == 0)
			(void)arch_kmmio(d->base + VIRTIO_MMIO_STATUS, 2, true, 0, &none);
	}
}

/* At boot, or on the CPU that will run it while it does not: inside its
 * own trap, or between its activations (a reload). It starts the blob it
 * runs now (reload.c), mapped as that blob's sections say. */
int port_shard_start(struct vn_shard *s)
{
	const struct bm_layout *l = &bm_layout[s->cfg->id];
	struct bm_shard *b = bm_of(s);
	uint64_t n = b->blob_len;
	uint64_t view;

	view = arch_load_begin(); /* its devices' pages too: user-only in its space */
	devices_reset(s);
	vn_rings_describe(K, s->cfg->id); /* its rings too: at boot, channels_init follows */

	memcpy(&b->head, b->blob, sizeof(b->head));
	b->img = &b->head;
	if (bm_space_image(s) != 0) {
		arch_load_end(view);
		return -1;
	}
	memcpy((void *)(uintptr_t)l->image_lo, b->blob, n);
	zero(l->image_lo + n, b->img->end); /* alignment gaps and bss */
	zero(l->ctl, l->ctl + VN_PAGE);
	zero(l->heap_lo, l->heap_hi);
	zero(l->stack_lo, l->stack_hi);
	arch_sync_icache(l->image_lo, b->img->ro_start);
	arch_load_end(view);
	arch_frame_start(&b->ctx, b->img->entry, l->stack_hi);
	b->fp = (struct arch_fp){0};
	if (bm_fp_owner[s->cfg->core] == b)
		bm_fp_owner[s->cfg->core] = NULL; /* its registers are stale */
	b->starts++;
	return 0;
}

static void shards_init(void)
{
	for (uint32_t i = 0; i < K->sys->n_shards; i++) {
		struct vn_shard *s = &K->shard[i];
		const struct bm_layout *l = &bm_layout[i];

		s->port = &bm_shards[i];
		bm_shards[i].ctl = bm_ctl(s);
		bm_shards[i].blob = l->blob;
		bm_shards[i].blob_len = (uint64_t)(l->blob_end - l->blob);
		if (bm_shards[i].blob_len >= sizeof(bm_shards[i].head))
			memcpy(&bm_shards[i].head, l->blob, sizeof(bm_shards[i].head));
		bm_shards[i].img = &bm_shards[i].head;
		if (!bm_image_ok(l, &bm_shards[i].head, bm_shards[i].blob_len))
			bm_boot_fail("shard image does not match the layout", s->cfg->name);
		if (bm_space_build(s) != 0)
			bm_boot_fail("shard memory outside RAM, or out of page tables",
				     s->cfg->name);
		port_shard_start(s);
	}
	bm_core_live_all(); /* the pages port_shard_start zeroed */
}

static void channels_init(void)
{
	for (uint32_t i = 0; i < K->sys->n_channels; i++) {
		const struct vn_kchannel *c = &K->sys->channels[i];

		if (!vn_kchannel_ring(c))
			continue; /* a signal: no ring, only bits */
		if (c->size < vn_kchannel_bytes(c))
			bm_boot_fail("channel too small", c->name);
		memset((void *)(uintptr_t)c->addr, 0, c->size);
		vn_ring_init((struct vn_ring *)(uintptr_t)c->addr, c->msg_size, c->depth,
			     c->sequenced);
	}
	/* Pools start zeroed, as the hosted board's memfds do. */
	for (uint32_t i = 0; i < K->sys->n_pools; i++)
		memset((void *)(uintptr_t)K->sys->pools[i].addr, 0, K->sys->pools[i].size);
}

/* The RAM shards map, as the generator lays it out (model.py: each shard's
 * image window, control region, heap, a guard page and its stack, then
 * each ring and each pool with a guard page after it, the reload door and
 * the reload slots): one walk up through page-aligned ranges, each at or
 * above the end of the one before (and of its guard page), from the end of
 * the kernel's window to the page tables, which end at the top of RAM. The
 * tables must put each shard's control region where the layout does, with
 * its trace ring inside it. Checked before the kernel writes a page of
 * any of it: a layout.c or tables.c that is stale, edited or wrong stops
 * the boot here, before a page of one shard's (or of the page tables) is
 * zeroed, written or mapped into another's space. *at is where the walk
 * has reached. */
static void walk(uint64_t *at, uint64_t lo, uint64_t hi, uint64_t guard, const char *what,
		 const char *name)
{
	if (!aligned(lo) || !aligned(hi) || lo < *at || hi < lo || hi + guard > bm_pt_pool)
		bm_boot_fail(what, name);
	*at = hi + guard;
}

static void layout_check(void)
{
	const struct vn_ksystem *sys = K->sys;
	static const char shard[] = "a shard's memory is out of place in the layout";
	uint64_t at = ARCH_KERNEL_END;

	if (!aligned(bm_pt_pool) || bm_pt_pool + bm_pt_pages * VN_PAGE != ARCH_RAM_END)
		bm_boot_fail("the page tables are not at the top of RAM", NULL);
	for (uint32_t i = 0; i < sys->n_shards; i++) {
		const struct bm_layout *l = &bm_layout[i];
		const struct vn_kshard *cfg = &sys->shards[i];

		if (cfg->ctl != l->ctl || (cfg->trace_recs &&
		    VN_TRACE_OFFSET + VN_TRACE_RING_BYTES(cfg->trace_recs) > cfg->ctl_size))
			bm_boot_fail(shard, cfg->name);
		walk(&at, l->image_lo, l->image_hi, 0, shard, cfg->name);
		walk(&at, l->ctl, l->ctl + cfg->ctl_size, 0, shard, cfg->name);
		walk(&at, l->heap_lo, l->heap_hi, VN_PAGE, shard, cfg->name);
		walk(&at, l->stack_lo, l->stack_hi, VN_PAGE, shard, cfg->name);
	}
	for (uint32_t i = 0; i < sys->n_channels; i++) {
		const struct vn_kchannel *c = &sys->channels[i];

		if (vn_kchannel_ring(c))
			walk(&at, c->addr, c->addr + c->size, VN_PAGE,
			     "a channel's ring is out of place in the layout", c->name);
	}
	for (uint32_t i = 0; i < sys->n_pools; i++) {
		const struct vn_kpool *p = &sys->pools[i];

		walk(&at, p->addr, bm_page_up(p->addr + p->size), VN_PAGE,
		     "a pool is out of place in the layout", p->name);
	}
	if (bm_door_size)
		walk(&at, bm_door, bm_door + bm_door_size, 0,
		     "the reload door is out of place in the layout", NULL);
	for (uint32_t i = 0; i < sys->n_shards; i++) {
		const struct bm_layout *l = &bm_layout[i];

		for (int k = 0; k < 2 && l->slot[0]; k++)
			walk(&at, l->slot[k], l->slot[k] + l->slot_size, 0,
			     "a reload slot is out of place in the layout", sys->shards[i].name);
	}
}

/* Whether [lo, hi) touches the MMIO the kernel keeps (board.h). */
static bool kernel_device(uint64_t lo, uint64_t hi)
{
	static const uint64_t kept[][2] = VN_BOARD_KERNEL_DEVICES;

	for (uint32_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
		if (lo < kept[i][1] && hi > kept[i][0])
			return true;
	return false;
}

/* The generator's checks (semantics.py, windows) hold a spec to the same bound. */
_Static_assert(VN_BOARD_MMIO_END == ARCH_MMIO_END, "boards.py's mmio_end is the port's");

/* A device window lies in MMIO space, and the pages that hold it (mapped
 * whole into the owner; devices of one shard may share a page) are not the
 * kernel's, nor, unless both are mediated (reached through the MMIO call,
 * never mapped), another shard's device's; its interrupt, if any, is one
 * the controller can hand over. */
static void devices_check(void)
{
	for (uint32_t i = 0; i < K->sys->n_devices; i++) {
		const struct vn_kdevice *d = &K->sys->devices[i];
		uint64_t hi = d->base + d->size, lo = d->base & ~(uint64_t)(VN_PAGE - 1);

		if (d->size == 0 || hi < d->base || hi > ARCH_MMIO_END || kernel_device(lo, hi))
			bm_boot_fail("device window is not in free MMIO space", d->name);
		for (uint32_t j = 0; j < i; j++) {
			const struct vn_kdevice *e = &K->sys->devices[j];

			if (e->shard != d->shard && !(d->mediated && e->mediated) &&
			    lo < bm_page_up(e->base + e->size) &&
			    (e->base & ~(uint64_t)(VN_PAGE - 1)) < bm_page_up(hi))
				bm_boot_fail("devices of two shards share a page that is not "
					     "mediated", d->name);
		}
		if (d->irq != VN_NO_IRQ &&
		    (d->irq < VN_BOARD_IRQ_FIRST || d->irq > VN_BOARD_IRQ_LAST))
			bm_boot_fail("device interrupt is not one the board's "
				     VN_BOARD_IRQ_CONTROLLER " hands over", d->name);
	}
}

static void start_cpus(void)
{
	const char *why;

	for (uint32_t c = 1; c < K->sys->n_cores; c++)
		if ((why = arch_cpu_start(c)) != NULL)
			bm_boot_fail(why, NULL);
}

static uint64_t stack_top(uint32_t cpu)
{
	return (uint64_t)(uintptr_t)bm_stacks[cpu] + BM_STACK;
}

/* CPU 0, from the port's entry code, with the loader's first two words. */
_Noreturn void bm_boot(uint64_t arg0, uint64_t arg1)
{
	const struct vn_ksystem *sys = &vn_system;

	arch_boot(arg0, arg1);
	if (vn_kernel_init(K, sys, &vn_obs) != 0 || sys->n_cores > ARCH_MAX_CPUS)
		bm_boot_fail("system tables are inconsistent", NULL);
	devices_check();
	layout_check();
	bm_obs_init();
	if (bm_pt_kernel() != 0)
		bm_boot_fail("out of page tables", NULL);
	arch_irq_init();
	arch_cpu_init(0);
	bm_asid_plan();
	shards_init();
	channels_init();
	bm_door_open();
	vn_obs_publish(&vn_obs); /* host tools may read it now */
	vn_kmsg("system '%s' (%s): %u shard%s on %u core%s", sys->name, sys->board,
		sys->n_shards, sys->n_shards == 1 ? "" : "s", sys->n_cores,
		sys->n_cores == 1 ? "" : "s");
	if (bm_asid_reuse)
		vn_kmsg("MMU ASIDs: %u bits, too few for %u shards and the kernel: the shards' "
			"address spaces share ASID %u, and a CPU drops its TLB entries under it "
			"at every switch between them", bm_asid_bits, sys->n_shards, bm_asid_shard);
	start_cpus();
	arch_run(stack_top(0));
}

_Noreturn void bm_secondary(uint32_t cpu)
{
	arch_cpu_init(cpu);
	bm_asid_check(cpu);
	arch_run(stack_top(cpu));
}
