/*
 * reload.c - hot reload: a restart into a different, verified image.
 *
 * A request (vn_reload_request) is checked before anything of the running
 * shard is touched: the header, the length against what arrived, the
 * SHA-256 of the image, the board, the shard, and then what only the port
 * can judge (the ISA, the image's format, its size against the shard's
 * image region) and the interface hash the image carries against the
 * kernel's table. A refused image leaves the shard as it was; the status
 * says why (vanity/reload.h). An accepted one is staged by the port.
 *
 * The swap happens on the shard's own core, at a clean point: the shard is
 * cooperative, so any time it does not hold its core it is between
 * activations. A shard with a handoff region is first asked to quiesce
 * (VN_RELOAD_BIT, which wakes it); it writes its state there and calls
 * QUIESCE, and the swap happens inside that call. If it does not answer
 * within its bound, its spec's `late` decides: swap anyway, without its
 * state, or refuse. The swap itself is a restart (fault.c:
 * vn_shard_try_start; swap() says what follows if it fails): channels and
 * their queued messages, device grants, masked interrupts and the
 * notification bits not yet taken stay; the shard's memory starts fresh
 * but for its handoff region; its generation goes up and its peers are
 * told.
 *
 * A fault within the shard's rollback window after a swap brings the
 * previous image back (vn_reload_rollback, from vn_shard_fault), once.
 */
#include <string.h>

#include <vanity/reload.h>

#include "kernel.h"
#include "port.h"
#include "vn_sched.h"

static void event(struct vn_kernel *k, const struct vn_shard *s, uint8_t outcome,
		  uint32_t status)
{
	uint8_t f[6];

	memcpy(f, &s->st->generation, 4);
	f[4] = outcome;
	f[5] = (uint8_t)status;
	vn_kev_shard(k, s, VN_KEV_RELOAD, f, sizeof(f));
}

/* The request is over: `status` says how. */
static void finish(struct vn_kernel *k, struct vn_shard *s, uint8_t outcome, uint32_t status)
{
	if (s->reload != VN_RELOAD_IDLE)
		k->core[s->cfg->core].reloads--;
	s->reload = VN_RELOAD_IDLE;
	s->reload_status = status;
	s->reload_gen = s->st->generation;
	s->reload_done++;
	event(k, s, outcome, status);
	port_reload_done(s, outcome, status);
	port_system_event();
}

void vn_reload_say(const struct vn_shard *s, uint32_t outcome, uint32_t status,
		   vn_say_fn *say)
{
	if (outcome == VN_RL_SWAPPED)
		say("shard '%s': reloaded, generation %u%s", s->cfg->name, s->st->generation,
		    s->handoff_gen ? ", its state handed over" : "");
	else
		say("shard '%s': reload refused: %s", s->cfg->name, vn_reload_why(status));
}

bool vn_reload_may(const struct vn_shard *by, uint32_t target)
{
	for (uint32_t i = 0; i < by->cfg->reload.n_updates; i++)
		if (by->cfg->reload.updates[i] == target)
			return true;
	return false;
}

/* What the header alone says of a request: h is the kernel's own copy of
 * it (aligned, read once), len the bytes that arrived with it. */
static uint32_t check_header(const struct vn_shard *s, const struct vn_reload_hdr *h,
			     uint64_t len)
{
	if (len < VN_RELOAD_HDR || h->magic != VN_RELOAD_MAGIC ||
	    h->version != VN_RELOAD_VERSION || h->hdr_size != VN_RELOAD_HDR)
		return len < VN_RELOAD_HDR && len >= 4 && h->magic == VN_RELOAD_MAGIC ?
		       VN_RELOAD_TRUNCATED : VN_RELOAD_FORMAT;
	if (h->sig_kind != 0 || h->sig_len != 0)
		return VN_RELOAD_SIGNED;
	if (h->length > port_reload_room(s))
		return VN_RELOAD_SIZE;
	if (h->length > len - VN_RELOAD_HDR)
		return VN_RELOAD_TRUNCATED;
	return VN_RELOAD_OK;
}

/* The image (its digest already checked): the port's judgement first (an
 * image for another ISA is that, whatever board its header names), then
 * the board, the shard and the interface hash it carries, which its header
 * must say too (an image whose header says another is not what `vanity
 * reload` wrote). */
static uint32_t check_image(const struct vn_kernel *k, const struct vn_shard *s,
			    const struct vn_reload_hdr *h, const uint8_t *img)
{
	uint64_t iface = 0;
	uint32_t st = port_reload_check(s, h, img, h->length, &iface);

	if (st != VN_RELOAD_OK)
		return st;
	if (h->board != k->sys->board_hash)
		return VN_RELOAD_BOARD;
	if (h->shard != s->cfg->id)
		return VN_RELOAD_SHARD;
	return iface == s->cfg->iface && h->iface == iface ? VN_RELOAD_OK : VN_RELOAD_IFACE;
}

/* The kernel's verdict on the image at img (the payload h describes): its
 * SHA-256, computed with the kernel lock dropped (the one long step,
 * milliseconds a megabyte; s is CHECKING meanwhile, so no other request
 * for s starts), then what check_image says. VN_RELOAD_OK, or why not;
 * *cancelled when s's request ended meanwhile (s faulted, and that was
 * said: finish), and the verdict is then nobody's. */
static uint32_t verify(struct vn_kernel *k, struct vn_shard *s, const struct vn_reload_hdr *h,
		       const uint8_t *img, uint32_t done, bool *cancelled)
{
	uint8_t digest[32];

	port_unlock();
	vn_sha256(img, h->length, digest);
	port_lock();
	*cancelled = s->reload_done != done; /* perhaps another request has started since */
	if (*cancelled)
		return s->reload_status;
	if (k->halted)
		return VN_RELOAD_HALTED;
	if (memcmp(digest, h->sha256, sizeof(digest)) != 0)
		return VN_RELOAD_DIGEST;
	return check_image(k, s, h, img);
}

/* A request to swap `image` (a reload image of `len` bytes, in memory the
 * kernel may read) into s. Returns VN_RELOAD_OK once it is under way, or
 * why it was refused; either way s->reload_status says so too.
 *
 * The image is the caller's (a reloader shard's memory, or the door's):
 * memory other shards may share and other cores may write meanwhile. The
 * kernel reads its header once, into its own copy, and copies the image
 * into the memory it will be staged in (port_reload_copy) before it hashes
 * or checks any of it: what it checks is what it installs. Only when that
 * copy must go over s's previous image (its rollback target) is the image
 * checked where it lies first, so that an image refused for what it is
 * leaves the rollback target as it was; the copy is checked again after.
 * What the other cores may do while the lock is dropped for a digest is
 * checked after each: the system halted, or s faulted (which cancels the
 * request, and says so). */
uint32_t vn_reload_request(struct vn_kernel *k, struct vn_shard *s, const void *image,
			   uint64_t len, uint64_t now)
{
	/* The header is read once, into the kernel's own aligned copy: the
	 * caller may put it at any address (a shard's, on bare metal). */
	struct vn_reload_hdr h = {0};
	const uint8_t *img = (const uint8_t *)image + VN_RELOAD_HDR, *copy = NULL;
	uint32_t st, done = s->reload_done;
	bool cancelled = false;

	memcpy(&h, image, len < sizeof(h) ? len : sizeof(h));
	/* Busy before halted while one is checked on another core: a refusal
	 * ends the request under way (finish), and would end that one, and
	 * drop what it stages, under the core still hashing it. */
	if (s->reload == VN_RELOAD_CHECKING || (s->reload != VN_RELOAD_IDLE && !k->halted))
		st = VN_RELOAD_BUSY;
	else if (k->halted)
		st = VN_RELOAD_HALTED;
	else if (!s->cfg->reload.on)
		st = VN_RELOAD_OFF;
	else if (s->state == VN_FINISHED)
		st = VN_RELOAD_EXITED; /* its exit is reported and counted */
	else
		st = check_header(s, &h, len);
	if (st == VN_RELOAD_OK) {
		s->reload = VN_RELOAD_CHECKING;
		k->core[s->cfg->core].reloads++;
		if (port_reload_over_prev(s))
			st = verify(k, s, &h, img, done, &cancelled);
		if (st == VN_RELOAD_OK && !cancelled) {
			copy = port_reload_copy(s, img, h.length);
			st = copy ? verify(k, s, &h, copy, done, &cancelled) : VN_RELOAD_NOROOM;
		}
		if (st == VN_RELOAD_OK && !cancelled && port_reload_stage(s, copy, h.length) != 0)
			st = VN_RELOAD_NOROOM;
		if (copy)
			port_reload_copy_end();
		if (cancelled)
			return st; /* said so (finish) */
	}
	if (st != VN_RELOAD_OK) {
		if (st != VN_RELOAD_BUSY) {
			if (s->reload == VN_RELOAD_CHECKING)
				port_reload_drop(s);
			finish(k, s, VN_RL_REFUSED, st);
		}
		return st;
	}
	s->reload_status = VN_RELOAD_OK;
	if (s->cfg->reload.quiesce_ns && vn_shard_live(s)) {
		s->reload = VN_RELOAD_ASKED;
		s->reload_by = now + s->cfg->reload.quiesce_ns;
		s->pending |= UINT64_C(1) << VN_RELOAD_BIT;
		vn_sched_wake(k, s);
	} else {
		s->reload = VN_RELOAD_DUE;
	}
	port_kick_core(s->cfg->core);
	return VN_RELOAD_OK;
}

/* The staged image becomes s's, and s starts from it. If the port cannot
 * start it (hosted: no process; bare metal: no page tables), the image s
 * ran before becomes its own again and starts instead, as a rollback
 * would bring it back (a handoff it wrote when it quiesced is its own to
 * take up again), and the request is refused; s is stopped only if
 * neither starts. */
static void swap(struct vn_kernel *k, struct vn_shard *s, uint64_t now, uint32_t handoff)
{
	port_reload_commit(s);
	s->handoff_gen = handoff;
	s->pending &= ~(UINT64_C(1) << VN_RELOAD_BIT);
	if (vn_shard_try_start(k, s, now, now, true) == 0) {
		s->reloaded_at = now ? now : 1;
		finish(k, s, VN_RL_SWAPPED, VN_RELOAD_OK);
		return;
	}
	s->reloaded_at = 0;
	(void)port_reload_back(s); /* the commit kept the one it ran */
	finish(k, s, VN_RL_REFUSED, vn_shard_start_again(k, s, now, now, true) == 0 ?
	       VN_RELOAD_START : VN_RELOAD_STOPPED);
}

void vn_reload_cancel(struct vn_kernel *k, struct vn_shard *s, uint32_t why)
{
	port_reload_drop(s);
	s->pending &= ~(UINT64_C(1) << VN_RELOAD_BIT);
	finish(k, s, VN_RL_REFUSED, why);
}

/* vn_reload_due (kernel.h) while a reload is under way on `core`. */
uint64_t vn_reload_scan(struct vn_kernel *k, uint32_t core, uint64_t now)
{
	uint64_t next = VN_NEVER;

	for (uint32_t i = 0; i < k->sys->n_shards; i++) {
		struct vn_shard *s = &k->shard[i];

		if (s->cfg->core != core || s->reload == VN_RELOAD_IDLE ||
		    s->reload == VN_RELOAD_CHECKING)
			continue;
		if (s->reload == VN_RELOAD_ASKED && now >= s->reload_by) {
			if (s->cfg->reload.late == VN_RELOAD_LATE_REFUSE) {
				vn_reload_cancel(k, s, VN_RELOAD_LATE);
				continue;
			}
			s->reload = VN_RELOAD_DUE;
		}
		if (s->reload == VN_RELOAD_ASKED) {
			next = s->reload_by < next ? s->reload_by : next;
			continue;
		}
		if (k->core[core].current != s) /* between activations */
			swap(k, s, now, 0);
	}
	return next;
}

/* QUIESCE: s, holding its core, has written its state; swap it now. Also
 * after its bound, while `late: swap` waits for a clean point: its state
 * is as good then, and better than none. */
uint64_t vn_reload_quiesce(struct vn_kernel *k, struct vn_shard *s, uint64_t now)
{
	if (s->reload != VN_RELOAD_ASKED &&
	    !(s->reload == VN_RELOAD_DUE && s->cfg->reload.quiesce_ns))
		return VN_ERR(VN_EINVAL);
	swap(k, s, now, s->st->generation);
	return 0;
}

/* s faulted at `now`: within its rollback window after a swap, the
 * previous image starts again instead of its policy applying. */
bool vn_reload_rollback(struct vn_kernel *k, struct vn_shard *s, uint64_t now)
{
	uint64_t window = s->cfg->reload.rollback_ns;

	if (!s->reloaded_at || !window || now - s->reloaded_at >= window) {
		s->reloaded_at = 0;
		return false;
	}
	s->reloaded_at = 0;
	if (port_reload_back(s) != 0)
		return false;
	/* handoff_gen stays: the region holds what the old version left there
	 * when it quiesced, for it to take up again (docs/reload.md). If it
	 * cannot start, the fault's policy decides, as for any fault, and
	 * starts that image again if it restarts s: the event says so. */
	s->reload_done++;
	if (vn_shard_try_start(k, s, now, now, false) != 0) {
		event(k, s, VN_RL_ROLLED_BACK, VN_RELOAD_START);
		return false;
	}
	event(k, s, VN_RL_ROLLED_BACK, VN_RELOAD_OK);
	return true;
}
