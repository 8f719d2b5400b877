/*
 * stub_port.c - a recording port for host unit tests of the kernel core:
 * a settable clock, and a log of every port call the core makes.
 */
#include "stub_port.h"

#include <assert.h>

#include <vanity/reload.h>

struct stub_port stub;

void stub_reset(void)
{
	memset(&stub, 0, sizeof(stub));
}

uint64_t port_now(void)
{
	return stub.now;
}

void port_unlock(void)
{
	assert(!stub.unlocked);
	stub.unlocked = 1;
	stub.unlocks++;
	if (stub.meanwhile)
		stub.meanwhile();
}

void port_lock(void)
{
	assert(stub.unlocked);
	if (stub.relocking)
		stub.relocking();
	stub.unlocked = 0;
}

void port_kick_core(uint32_t core)
{
	stub.kicks++;
	stub.last_kick = core;
}

void port_shard_log(struct vn_shard *s, uint32_t len)
{
	stub.logs++;
	stub.last_log_shard = s->cfg->id;
	stub.last_log_len = len;
}

int port_shard_start(struct vn_shard *s)
{
	stub.starts++;
	stub.last_start = s->cfg->id;
	return stub.start_fails || (stub.unstartable && stub.running == stub.unstartable) ? -1 : 0;
}

void port_shard_stop(struct vn_shard *s)
{
	stub.stops++;
	stub.last_stop = s->cfg->id;
}

void port_core_live(uint32_t core)
{
	stub.core_live++;
	stub.last_core_live = core;
}

void port_system_event(void)
{
	stub.events++;
}

int port_irq_unmask(uint32_t irq)
{
	stub.unmasks++;
	stub.last_unmask = irq;
	return stub.unmask_fails ? -1 : 0;
}

const void *port_shard_trace(const struct vn_shard *s)
{
	(void)s;
	return NULL;
}

void *port_channel_ring(uint32_t channel)
{
	(void)channel;
	return NULL;
}

/* Crash dumps: into stub.dump when a test asks for them. The CPU is an
 * aarch64 one with x<i> = i, pc 0x1000, sp 0x8000, a fault at 0x9000; the
 * shard's memory reads as its address's low byte. */
void *port_crash_open(const struct vn_shard *s, uint32_t generation)
{
	(void)s;
	(void)generation;
	stub.crash_opens++;
	stub.dump_len = 0;
	return stub.take_dumps ? &stub : NULL;
}

int port_crash_write(void *f, const void *p, uint64_t len)
{
	struct stub_port *st = f;

	if (len > sizeof(st->dump) - st->dump_len)
		return -1;
	memcpy(st->dump + st->dump_len, p, len);
	st->dump_len += len;
	return 0;
}

void port_crash_close(void *f, int err)
{
	((struct stub_port *)f)->dump_closed_err = err;
}

void port_crash_cpu(const struct vn_shard *s, struct vn_crash_cpu *c)
{
	(void)s;
	c->machine = 183;
	c->n_regs = 34;
	for (uint32_t i = 0; i < 34; i++)
		c->regs[i] = i;
	c->pc = 0x1000;
	c->sp = 0x8000;
	c->has_addr = true;
	c->addr = 0x9000;
	c->code = 0x92000047;
	strcpy(c->cause, "data abort");
}

uint64_t port_shard_copy(const struct vn_shard *s, uint64_t lo, uint64_t hi, void *buf,
			 uint64_t *at)
{
	(void)s;
	if (stub.copies < 4) {
		stub.copy_lo[stub.copies] = lo;
		stub.copy_hi[stub.copies] = hi;
	}
	stub.copies++;
	for (uint64_t a = lo; a < hi; a++)
		((uint8_t *)buf)[a - lo] = (uint8_t)a;
	*at = lo;
	return hi - lo;
}

uint64_t port_shard_image_hash(const struct vn_shard *s)
{
	return 0x1234000 + s->cfg->id;
}

uint32_t port_reload_check(const struct vn_shard *s, const struct vn_reload_hdr *h,
			   const uint8_t *img, uint64_t len, uint64_t *iface)
{
	(void)s;
	if (h->machine != 183)
		return VN_RELOAD_ISA;
	if (len != 16)
		return len > 16 ? VN_RELOAD_SIZE : VN_RELOAD_IMAGE;
	memcpy(iface, img + 8, 8);
	return VN_RELOAD_OK;
}

uint64_t port_reload_room(const struct vn_shard *s)
{
	(void)s;
	return 16;
}

const uint8_t *port_reload_copy(struct vn_shard *s, const uint8_t *img, uint64_t len)
{
	(void)s;
	if (stub.copy_fails || len > sizeof(stub.reload_copy))
		return NULL;
	memcpy(stub.reload_copy, img, len);
	stub.reload_copies++;
	stub.copy_open++;
	return stub.reload_copy;
}

void port_reload_copy_end(void)
{
	assert(stub.copy_open);
	stub.copy_open--;
}

bool port_reload_over_prev(const struct vn_shard *s)
{
	(void)s;
	return stub.over_prev;
}

/* What it stages is the kernel's copy, never the caller's image. */
int port_reload_stage(struct vn_shard *s, const uint8_t *img, uint64_t len)
{
	(void)s, (void)len;
	assert(img == stub.reload_copy);
	if (stub.stage_fails)
		return -1;
	stub.staged++;
	memcpy(&stub.stage_word, img, 8);
	return 0;
}

void port_reload_commit(struct vn_shard *s)
{
	(void)s;
	stub.committed++;
	stub.previous = stub.running;
	stub.running = stub.stage_word;
}

void port_reload_drop(struct vn_shard *s)
{
	(void)s;
	stub.dropped++;
}

int port_reload_back(struct vn_shard *s)
{
	(void)s;
	stub.backs++;
	stub.running = stub.previous;
	return 0;
}

/* The updater's memory: stub.view, at address 0x10000. */
const void *port_shard_view(const struct vn_shard *s, uint64_t addr, uint64_t *len)
{
	(void)s;
	if (addr < 0x10000 || addr >= 0x10000 + sizeof(stub.view))
		return NULL;
	*len = 0x10000 + sizeof(stub.view) - addr;
	stub.views_open++;
	return stub.view + (addr - 0x10000);
}

void port_shard_view_end(const struct vn_shard *s)
{
	(void)s;
	assert(stub.views_open > 0);
	stub.views_open--;
}

void port_reload_done(const struct vn_shard *s, uint32_t outcome, uint32_t status)
{
	(void)s;
	stub.reload_outcome = outcome;
	stub.reload_said = status;
}
