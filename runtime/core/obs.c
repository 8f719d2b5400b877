/*
 * obs.c - what the kernel records for host tools: its counters and its
 * events (vanity/trace.h), in the struct vn_obs the port hands to
 * vn_kernel_init().
 *
 * A kernel event goes to the trace ring of the core its shard belongs to,
 * whichever CPU records it; every writer holds the kernel lock, so each
 * ring has one writer at a time. Records are stamped with vn_clock(), the
 * counter the shards stamp theirs with, so one trace orders both.
 */
#include <string.h>

#include <vanity/clock.h>

#include "kernel.h"

void vn_obs_init(struct vn_kernel *k, struct vn_obs *o)
{
	const struct vn_ksystem *sys = k->sys;

	memset(o, 0, sizeof(*o));
	o->magic = VN_OBS_MAGIC;
	o->version = VN_OBS_VERSION;
	o->schema_hash = sys->schema_hash;
	o->n_shards = sys->n_shards;
	o->n_channels = sys->n_channels;
	o->n_cores = sys->n_cores;
	for (uint32_t c = 0; c < VN_OBS_MAX_CORES; c++)
		vn_trace_ring_init(&o->core[c].ring, VN_TRACE_CORE_RECS, VN_TRACE_CORE | c);
	k->obs = o;
}

void vn_trace_ring_init(struct vn_trace_ring *r, uint32_t n_recs, uint32_t owner)
{
	r->magic = VN_TRACE_MAGIC;
	r->n_recs = n_recs;
	r->owner = owner;
	r->rec_size = sizeof(struct vn_trace_rec);
}

/* One record on core's ring: `a` then `b` as its fields (cut at
 * VN_TRACE_DATA bytes, the rest zero). It is built in registers and stored
 * as four words, then published: two of these are on every switch, so no
 * call and no byte-wise zeroing. */
static void record(struct vn_kernel *k, uint32_t core, uint16_t id, const uint8_t *a,
		   uint32_t na, const uint8_t *b, uint32_t nb)
{
	struct vn_trace_ring *r = &k->obs->core[core % VN_OBS_MAX_CORES].ring;
	uint64_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
	uint64_t *to = (uint64_t *)(void *)&vn_trace_recs(r)[h % VN_TRACE_CORE_RECS];
	union {
		struct vn_trace_rec rec;
		uint64_t w[4];
	} u = {.rec = {.ts = vn_clock(), .id = id}};
	uint32_t n = 0;

	for (uint32_t i = 0; i < na && n < VN_TRACE_DATA; i++)
		u.rec.data[n++] = a[i];
	for (uint32_t i = 0; i < nb && n < VN_TRACE_DATA; i++)
		u.rec.data[n++] = b[i];
	for (uint32_t i = 0; i < 4; i++)
		to[i] = u.w[i];
	atomic_store_explicit(&r->head, h + 1, memory_order_release);
}

void vn_kev(struct vn_kernel *k, uint32_t core, uint16_t id, const void *fields, uint32_t len)
{
	record(k, core, id, fields, len, NULL, 0);
}

/* An event about shard s, with `more` (len bytes; NULL if none) after its
 * id. */
void vn_kev_shard(struct vn_kernel *k, const struct vn_shard *s, uint16_t id,
		  const void *more, uint32_t len)
{
	uint16_t sid = (uint16_t)s->cfg->id;

	record(k, s->cfg->core, id, (const uint8_t *)&sid, 2, more, len);
}
