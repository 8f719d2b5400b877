/*
 * obs.c - what the kernel records for host tools: its counters and its
 * events (vanity/trace.h), in the struct vn_obs the port hands to
 * vn_kernel_init().
 *
 * A kernel event goes to the trace ring of the core its shard belongs to,
 * whichever CPU records it; every writer holds the kernel lock, so each
 * ring has one writer at a time. Records are stamped with vn_clock(), the
 * counter the shards stamp theirs with, so one trace orders both. The
 * writers are inline, in kernel.h.
 */
#include <string.h>

#include "kernel.h"
#include "port.h"

void vn_obs_init(struct vn_kernel *k, struct vn_obs *o)
{
	const struct vn_ksystem *sys = k->sys;

	memset(o, 0, sizeof(*o));
	o->version = VN_OBS_VERSION;
	o->schema_hash = sys->schema_hash;
	o->n_shards = sys->n_shards;
	o->n_channels = sys->n_channels;
	o->n_cores = sys->n_cores;
	for (uint32_t c = 0; c < VN_OBS_MAX_CORES; c++)
		vn_trace_ring_init(&o->core[c].ring, VN_TRACE_CORE_RECS, VN_TRACE_CORE | c);
	k->obs = o;
}

/* The magic last, once the port has set up everything host tools read
 * (the clock's rate, the shards' trace rings, the channels' rings): a
 * tool that reads the object while the system boots (vanity top over
 * QMP) finds no magic yet, and says the system is not up, rather than
 * taking a half-made header for a corrupt one. */
void vn_obs_publish(struct vn_obs *o)
{
	__atomic_store_n(&o->magic, VN_OBS_MAGIC, __ATOMIC_RELEASE);
}

/* A line per shard (syscalls, yields, waits that slept, notifications
 * sent, restarts: its vn_shard_stats), then one per channel with a ring
 * (head and tail as the kernel sees them). */
void vn_stats_report(const struct vn_kernel *k, void (*say)(const char *fmt, ...))
{
	const struct vn_ksystem *sys = k->sys;

	for (uint32_t i = 0; i < sys->n_shards; i++) {
		const struct vn_shard_stats *st = k->shard[i].st;

		say("stats: shard '%s': syscalls %llu yields %llu waits %llu notifies %llu "
		    "restarts %llu", sys->shards[i].name, (unsigned long long)st->syscalls,
		    (unsigned long long)st->yields, (unsigned long long)st->waits,
		    (unsigned long long)st->notifies, (unsigned long long)st->restarts);
	}
	for (uint32_t i = 0; i < sys->n_channels; i++) {
		const struct vn_ring *r;

		if (!vn_kchannel_ring(&sys->channels[i]))
			continue; /* a signal: no ring */
		r = port_channel_ring(i);
		say("stats: channel '%s': head %llu tail %llu", sys->channels[i].name,
		    (unsigned long long)atomic_load(&r->head),
		    (unsigned long long)atomic_load(&r->tail));
	}
}

void vn_trace_ring_init(struct vn_trace_ring *r, uint32_t n_recs, uint32_t owner)
{
	r->magic = VN_TRACE_MAGIC;
	r->n_recs = n_recs;
	r->owner = owner;
	r->rec_size = sizeof(struct vn_trace_rec);
}
