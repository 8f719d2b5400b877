/*
 * dump.c - the kernel's record as one byte stream (vanity/trace.h, "dumps
 * and snapshots"): what `vanity run --trace` leaves at the end of a run and
 * what `vanity top` and `vanity peek` read from a running system.
 *
 * It only reads: the counters and the kernel's trace rings (`o`: the
 * kernel's struct vn_obs, or a copy the port took under the kernel lock),
 * each tracing shard's ring and each channel's header (and one channel's
 * slots for a peek), and hands them to the port's writer in chunks. Nothing
 * here takes the lock: the shards write their rings and channels as it
 * reads, and a reader of a ring that may move discards what its head says
 * was rewritten. Ring memory is
 * reached through the port (port_shard_trace, port_channel_ring), because
 * the kernel does not always see a shard's memory where the shard does.
 */
#include <stddef.h>

#include "kernel.h"
#include "port.h"

/* One chunk: its header, its bytes, zeros to a multiple of 8 (crash.c too). */
int vn_dump_chunk(vn_dump_write_fn *w, void *ctx, uint32_t kind, uint32_t index,
		  const void *p, uint64_t len, uint64_t addr)
{
	static const uint8_t pad[8];
	struct vn_dump_chunk c = {.kind = kind, .index = index, .addr = addr, .len = len};

	if (w(ctx, &c, sizeof(c)) || w(ctx, p, len))
		return -1;
	return len % 8 ? w(ctx, pad, 8 - len % 8) : 0;
}

/* Write the stream, with the counters and kernel rings of `o` (k->obs or a
 * copy of it); with peek < n_channels also that channel's slots. Returns
 * 0, or -1 if the writer failed. */
int vn_dump(struct vn_kernel *k, const struct vn_obs *o, vn_dump_write_fn *w, void *ctx,
	    uint32_t peek)
{
	const struct vn_ksystem *sys = k->sys;
	struct vn_dump_hdr h = {.magic = VN_DUMP_MAGIC, .schema_hash = o->schema_hash,
				.clock_hz = o->clock_hz, .now = vn_clock()};
	int err = w(ctx, &h, sizeof(h));

	/* Each chunk's address is the kernel's, a copy's or not. */
	err |= vn_dump_chunk(w, ctx, VN_DUMP_OBS, 0, o, offsetof(struct vn_obs, core),
			     (uint64_t)(uintptr_t)k->obs);
	for (uint32_t c = 0; c < sys->n_cores && !err; c++)
		err |= vn_dump_chunk(w, ctx, VN_DUMP_CORE_TRACE, c, &o->core[c], sizeof(o->core[c]),
				     (uint64_t)(uintptr_t)&k->obs->core[c]);
	for (uint32_t i = 0; i < sys->n_shards && !err; i++) {
		const struct vn_kshard *s = &sys->shards[i];

		if (s->trace_recs)
			err |= vn_dump_chunk(w, ctx, VN_DUMP_SHARD_TRACE, i,
					     port_shard_trace(&k->shard[i]),
					     VN_TRACE_RING_BYTES(s->trace_recs),
					     s->ctl + VN_TRACE_OFFSET);
	}
	for (uint32_t i = 0; i < sys->n_channels && !err; i++) {
		const struct vn_kchannel *c = &sys->channels[i];
		const uint8_t *ring = port_channel_ring(i);

		if (!vn_kchannel_ring(c))
			continue; /* a signal: its counters are in the obs chunk */
		err |= vn_dump_chunk(w, ctx, VN_DUMP_RING, i, ring, VN_RING_SLOTS_OFFSET, c->addr);
		if (c->latency && !err) {
			uint64_t off = VN_RING_HIST_OFFSET(c->msg_size, c->depth, c->sequenced);

			err |= vn_dump_chunk(w, ctx, VN_DUMP_HIST, i, ring + off,
					     sizeof(struct vn_hist), c->addr + off);
		}
		if (i == peek && !err)
			err |= vn_dump_chunk(w, ctx, VN_DUMP_SLOTS, i, ring + VN_RING_SLOTS_OFFSET,
					     vn_kchannel_stride(c) * c->depth,
					     c->addr + VN_RING_SLOTS_OFFSET);
	}
	return err ? -1 : 0;
}
