/*
 * reload.c - the bare-metal side of hot reload (core/reload.c), and the
 * door a host tool reaches it through.
 *
 * Blobs: a shard runs one blob at a time. At boot it is its layout's, in
 * the kernel image; a shard with `reload:` also has two slots of RAM
 * (bm_layout.slot, BARE_IMAGE_SIZE each) for the blobs of its reloads. Of
 * those three places one holds the blob it runs, one may hold the previous
 * one (rollback) and a slot that is neither is where a request's image is
 * copied (port_reload_copy), before the core hashes and checks that copy,
 * and staged once it passes: the kernel never checks or installs bytes
 * that a shard, a device or the host tool can still write. When both slots
 * are taken (a reload of a reload), the copy goes over the previous blob:
 * the core first checks the image where it lies (port_reload_over_prev),
 * so that an image refused for what it is leaves the rollback target; one
 * that passes there loses it to the copy, even if the copy is refused
 * (it changed meanwhile), and rollback then has nothing to go back to
 * until the next swap. port_shard_start (boot.c) copies the blob it runs
 * into the shard's image window and maps that window as the blob's
 * sections say (space.c: bm_space_image).
 *
 * A new blob must pass what boot checks of the kernel's own (bm_image_ok)
 * against the shard's window; its interface hash is the `iface` of its
 * struct vn_image, which the core compares with the kernel's table.
 *
 * The door (vanity/reload.h: struct vn_door) is polled by CPU 0, under the
 * lock, in the traps it takes, and its timer makes sure there is one at
 * least every BM_DOOR_POLL_NS, while it idles or while a shard holds it
 * without a call (run.c); a request is answered when the shard's
 * reload_done moves.
 *
 * The console lines of a reload are the core's (vn_reload_say, from
 * port_reload_done); a rollback is reported by vn_fault_say.
 */
#include <string.h>

#include <vanity/reload.h>

#include "bm.h"
#include "kconsole.h"
#include "port.h"

#define K (&bm_kernel)

uint32_t port_reload_check(const struct vn_shard *s, const struct vn_reload_hdr *h,
			   const uint8_t *img, uint64_t len, uint64_t *iface)
{
	const struct bm_layout *l = &bm_layout[s->cfg->id];
	struct vn_image im;

	if (!l->slot[0])
		return VN_RELOAD_NOROOM; /* no `reload:` in its spec: no slots */
	if (h->machine != ARCH_ELF_MACHINE)
		return VN_RELOAD_ISA;
	if (len < sizeof(im))
		return VN_RELOAD_IMAGE;
	memcpy(&im, img, sizeof(im));
	if (im.magic != VN_BOARD_IMAGE_MAGIC)
		return VN_RELOAD_ISA;
	if (len > l->image_hi - l->image_lo || len > l->slot_size || im.end > l->image_hi)
		return VN_RELOAD_SIZE;
	if (!bm_image_ok(l, &im, len))
		return VN_RELOAD_IMAGE;
	*iface = im.iface;
	return VN_RELOAD_OK;
}

/* The shard's image window, and no more than a slot holds; a shard without
 * reload slots is refused by port_reload_copy (NOROOM). */
uint64_t port_reload_room(const struct vn_shard *s)
{
	const struct bm_layout *l = &bm_layout[s->cfg->id];
	uint64_t window = l->image_hi - l->image_lo;

	return l->slot[0] && l->slot_size < window ? l->slot_size : window;
}

/* The slot a new blob of s goes into: one holding neither the blob it runs
 * nor the previous one, else the previous one's (both slots are taken: it
 * runs a reload's blob, and the one before came from a reload too). */
static uint8_t *staging_slot(const struct bm_layout *l, const struct bm_shard *b)
{
	for (uint32_t i = 0; i < 2; i++) {
		const uint8_t *p = (const uint8_t *)(uintptr_t)l->slot[i];

		if (p != b->blob && p != b->prev)
			return (uint8_t *)(uintptr_t)l->slot[i];
	}
	return (uint8_t *)(uintptr_t)b->prev;
}

bool port_reload_over_prev(const struct vn_shard *s)
{
	const struct bm_layout *l = &bm_layout[s->cfg->id];
	const struct bm_shard *b = bm_of(s);

	return l->slot[0] && b->prev && staging_slot(l, b) == b->prev;
}

/* The view each CPU had before port_reload_copy put it in the kernel's:
 * the slots are the kernel's RAM, mapped in no shard's space. */
static uint64_t copy_view[ARCH_MAX_CPUS];

/* Into the staging slot, in the kernel's view (which maps all RAM: img is
 * read there, a shard's memory or the door's), until port_reload_copy_end.
 * Over the previous blob if it must be: s then has none to go back to,
 * whatever the checks of the copy say. */
const uint8_t *port_reload_copy(struct vn_shard *s, const uint8_t *img, uint64_t len)
{
	const struct bm_layout *l = &bm_layout[s->cfg->id];
	struct bm_shard *b = bm_of(s);
	uint8_t *to;

	if (!l->slot[0] || len > l->slot_size)
		return NULL;
	to = staging_slot(l, b);
	if (to == b->prev) {
		b->prev = NULL;
		b->prev_len = 0;
	}
	copy_view[arch_cpu()] = arch_load_begin();
	memcpy(to, img, len);
	b->staged = to;
	b->staged_len = len;
	return to;
}

void port_reload_copy_end(void)
{
	arch_load_end(copy_view[arch_cpu()]);
}

/* The checked copy is in its slot already (port_reload_copy). */
int port_reload_stage(struct vn_shard *s, const uint8_t *img, uint64_t len)
{
	struct bm_shard *b = bm_of(s);

	return b->staged == img && b->staged_len == len ? 0 : -1;
}

void port_reload_commit(struct vn_shard *s)
{
	struct bm_shard *b = bm_of(s);

	if (!b->staged)
		return;
	b->prev = b->blob;
	b->prev_len = b->blob_len;
	b->blob = b->staged;
	b->blob_len = b->staged_len;
	b->staged = NULL;
	b->staged_len = 0;
	b->image_hash = 0;
}

void port_reload_drop(struct vn_shard *s)
{
	struct bm_shard *b = bm_of(s);

	b->staged = NULL;
	b->staged_len = 0;
}

int port_reload_back(struct vn_shard *s)
{
	struct bm_shard *b = bm_of(s);

	if (!b->prev)
		return -1;
	b->blob = b->prev;
	b->blob_len = b->prev_len;
	b->prev = NULL;
	b->prev_len = 0;
	b->image_hash = 0;
	return 0;
}

/* Whether each CPU's user access was on before port_shard_view turned it
 * on (arch_user_begin), for port_shard_view_end. */
static uint64_t view_was[ARCH_MAX_CPUS];

/* Identity-mapped: the bytes at addr are where s sees them, in its heap or
 * its image's data and bss, which its space (the CPU's, as s made the
 * call) maps for user mode only: in reach until port_shard_view_end. */
const void *port_shard_view(const struct vn_shard *s, uint64_t addr, uint64_t *len)
{
	const struct bm_layout *l = &bm_layout[s->cfg->id];
	const struct vn_image *img = bm_of(s)->img;
	const uint64_t own[2][2] = {
		{l->heap_lo, l->heap_hi},
		{img->data_start, img->end},
	};

	for (uint32_t i = 0; i < 2; i++)
		if (addr >= own[i][0] && addr < own[i][1]) {
			*len = own[i][1] - addr;
			view_was[arch_cpu()] = arch_user_begin();
			return (const void *)(uintptr_t)addr;
		}
	return NULL;
}

void port_shard_view_end(const struct vn_shard *s)
{
	(void)s;
	arch_user_end(view_was[arch_cpu()]);
}

/* A request is over: the console line is the core's (vn_reload_say),
 * printed once the lock is dropped (an updater may ask in a loop); the
 * door answers from reload_done and reload_gen (bm_door_poll). */
void port_reload_done(const struct vn_shard *s, uint32_t outcome, uint32_t status)
{
	vn_reload_say(s, outcome, status, vn_kmsg_later);
}

/* ---- the door ------------------------------------------------------------ */

static struct {
	bool busy;          /* a request is under way */
	uint32_t seq;       /* its number */
	uint32_t shard;
	uint32_t done_at;   /* its shard's reload_done when it was made */
} door;

static volatile struct vn_door *mailbox(void)
{
	return (volatile struct vn_door *)(uintptr_t)bm_door;
}

static void answer(volatile struct vn_door *d, uint32_t seq, uint32_t status, uint32_t gen)
{
	d->status = status;
	d->generation = gen;
	__atomic_store_n(&d->done, seq, __ATOMIC_RELEASE);
}

/* When CPU 0 may look at the door next (bm_door_poll): a tenth of
 * BM_DOOR_POLL_NS after the last look, which it must make again within
 * BM_DOOR_POLL_NS (run.c: arm_timer_door); VN_NEVER: no door. */
uint64_t bm_door_next = VN_NEVER;

/* At boot, on CPU 0, before any other CPU runs. */
void bm_door_open(void)
{
	uint64_t view;

	if (!bm_door_size)
		return;
	bm_door_next = BM_DOOR_POLL_NS / 10;
	view = arch_load_begin();
	memset((void *)(uintptr_t)bm_door, 0, VN_DOOR_PAGE);
	__atomic_store_n(&mailbox()->open, VN_DOOR_OPEN, __ATOMIC_RELEASE);
	arch_load_end(view);
}

/* CPU 0, under the lock: answer the request under way once it is over,
 * and take a new one. At most once per BM_DOOR_POLL_NS / 10: on aarch64
 * each look switches to the kernel's table and back, which a busy CPU 0
 * trapping at every message should not pay each time. */
void bm_door_poll(void)
{
	volatile struct vn_door *d = mailbox();
	uint64_t view, now;
	uint32_t seq;

	if (!bm_door_size)
		return;
	now = port_now();
	if (now < bm_door_next)
		return;
	bm_door_next = now + BM_DOOR_POLL_NS / 10;
	view = arch_load_begin();
	if (door.busy) {
		const struct vn_shard *s = &K->shard[door.shard];

		if (s->reload_done != door.done_at) {
			answer(d, door.seq, s->reload_status, s->reload_gen);
			door.busy = false;
		}
	}
	seq = __atomic_load_n(&d->seq, __ATOMIC_ACQUIRE);
	if (!door.busy && d->magic == VN_DOOR_MAGIC && seq != d->done) {
		uint32_t id = d->shard;
		uint64_t len = d->length;
		struct vn_shard *s = &K->shard[id < K->sys->n_shards ? id : 0];
		uint32_t st;

		if (id >= K->sys->n_shards) {
			answer(d, seq, VN_RELOAD_SHARD, 0);
		} else if (len > bm_door_size - VN_DOOR_IMAGE) {
			answer(d, seq, VN_RELOAD_NOROOM, s->st->generation);
		} else {
			door.done_at = s->reload_done;
			st = vn_reload_request(K, s,
					       (const void *)(uintptr_t)(bm_door + VN_DOOR_IMAGE),
					       len, port_now());
			if (st != VN_RELOAD_OK) {
				answer(d, seq, st, s->st->generation);
			} else {
				door.busy = true;
				door.seq = seq;
				door.shard = id;
				d->taken = seq;
				if (s->reload_done != door.done_at) { /* over already */
					answer(d, seq, s->reload_status, s->reload_gen);
					door.busy = false;
				}
			}
		}
	}
	arch_load_end(view);
}
