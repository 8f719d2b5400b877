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

void vn_kev(struct vn_kernel *k, uint32_t core, uint16_t id, const void *fields, uint32_t len)
{
	struct vn_trace_ring *r = &k->obs->core[core % VN_OBS_MAX_CORES].ring;
	uint64_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
	struct vn_trace_rec *rec = &vn_trace_recs(r)[h % VN_TRACE_CORE_RECS];

	rec->ts = vn_clock();
	rec->id = id;
	memset(rec->data, 0, sizeof(rec->data));
	memcpy(rec->data, fields, len < VN_TRACE_DATA ? len : VN_TRACE_DATA);
	atomic_store_explicit(&r->head, h + 1, memory_order_release);
}

/* An event about shard s, with `more` after its id. */
void vn_kev_shard(struct vn_kernel *k, const struct vn_shard *s, uint16_t id,
		  const void *more, uint32_t len)
{
	uint8_t f[VN_TRACE_DATA];
	uint16_t sid = (uint16_t)s->cfg->id;

	memcpy(f, &sid, 2);
	if (len > VN_TRACE_DATA - 2)
		len = VN_TRACE_DATA - 2;
	if (len) /* more may be NULL then, and memcpy's arguments never are */
		memcpy(f + 2, more, len);
	vn_kev(k, s->cfg->core, id, f, 2 + len);
}
