/*
 * vanity/pool.h - buffer pools: zero-copy hand-over of buffers between
 * shards (docs/shard-api.md, "Buffer pools").
 *
 * A pool is `buffers` buffers of 2^shift bytes each, one after the other in
 * a region that exactly the shards the spec lists map: read-write (`rw:`)
 * or read-only (`ro:`). No other shard maps it. A shard's devices reach
 * it with their owner's rights where the board can say so: the hosted
 * simulator's models never write a pool their owner maps read-only; the
 * QEMU boards have no IOMMU, so there the driver must give a device only
 * what it may write. Its generated header declares each pool it maps as
 * `vn_pool_<name>`, a constant the compiler folds.
 *
 * A buffer changes hands as a handle, struct vn_buf, sent over a channel
 * declared with `pool: <name>`. A handle is data from another shard: turn it
 * into memory only with vn_pool_buf, which refuses (NULL) an index beyond
 * the pool or a length beyond a buffer, so what a handle reaches is always
 * a whole buffer of that pool and nothing else.
 *
 * The trust model: every shard that maps a pool read-write can write every
 * buffer of it at any time, whoever holds it. The kernel keeps the pool
 * from everyone else; who owns which buffer when is the shards' protocol
 * (typically one shard allocates, the others hand buffers back over a
 * channel). Keep what must not be forged - free lists, lengths you act on -
 * in private memory, and read a buffer's bytes once before you check them.
 */
#ifndef VANITY_POOL_H
#define VANITY_POOL_H

#include <stdbool.h>
#include <stdint.h>

/* A buffer's handle: its index in the pool and the bytes in use. */
struct vn_buf {
	uint32_t index;
	uint32_t len;
};

/* A pool as a shard maps it (its generated header's vn_pool_<name>). */
struct vn_pool {
	uintptr_t base;     /* buffer 0 */
	uint32_t buffers;
	uint32_t shift;     /* a buffer is 1 << shift bytes */
	uint32_t writable;  /* this shard maps it read-write */
	const char *name;
};

#define VN_POOL_INIT(name_, base_, buffers_, shift_, writable_)                 \
	{ .base = (base_), .buffers = (buffers_), .shift = (shift_),             \
	  .writable = (writable_), .name = (name_) }

static inline uint32_t vn_pool_buf_size(const struct vn_pool *p)
{
	return 1u << p->shift;
}

/* The buffer a handle names, or NULL if it names none of this pool. */
static inline void *vn_pool_buf(const struct vn_pool *p, struct vn_buf b)
{
	if (b.index >= p->buffers || b.len > vn_pool_buf_size(p))
		return (void *)0;
	return (void *)(p->base + ((uintptr_t)b.index << p->shift));
}

/* The handle of the buffer that starts at `buf`, with `len` bytes in use;
 * false if buf is not the start of one of this pool's buffers or len does
 * not fit it. */
static inline bool vn_pool_handle(const struct vn_pool *p, const void *buf, uint32_t len,
				  struct vn_buf *out)
{
	uintptr_t off = (uintptr_t)buf - p->base;

	if ((uintptr_t)buf < p->base || off & (vn_pool_buf_size(p) - 1) ||
	    off >> p->shift >= p->buffers || len > vn_pool_buf_size(p))
		return false;
	out->index = (uint32_t)(off >> p->shift);
	out->len = len;
	return true;
}

/* True if p holds the byte at `addr` (any byte of any of its buffers). */
static inline bool vn_pool_holds(const struct vn_pool *p, const void *addr)
{
	uintptr_t a = (uintptr_t)addr;

	return a >= p->base && (a - p->base) >> p->shift < p->buffers;
}

#endif /* VANITY_POOL_H */
