/*
 * frame.h - packet buffers and the frame-handling core: pure C, no device
 * access, so it runs (and is fuzzed) on the host too.
 *
 * A packet buffer is one fixed-size block (VNET_PKT_SIZE) from a pool. The
 * frame sits at a fixed offset with room before it for the virtio-net
 * header, so a received buffer can be transmitted as it is: the driver
 * rewrites the header in place and hands the same memory to the other
 * port's transmit queue (zero-copy).
 *
 *   0         len, flags, the port it came from
 *   8         headroom: the virtio-net header ends right at the frame
 *   32        the frame, up to VNET_FRAME_CAP bytes
 *
 * A pool's books - which buffers are free - are kept apart from the
 * buffers, in memory only its shard writes: the buffers may be a Vanity
 * buffer pool (vanity/pool.h) that other shards write too, and nothing
 * they write there can make the pool hand out or take back anything but
 * its own buffers.
 */
#ifndef VANITY_DRIVERS_VNET_FRAME_H
#define VANITY_DRIVERS_VNET_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VNET_PKT_SIZE     2048u
#define VNET_FRAME_OFF    32u
#define VNET_FRAME_CAP    (VNET_PKT_SIZE - VNET_FRAME_OFF)
#define VNET_ETH_HDR      14u
/* The shortest frame forwarded: Ethernet's minimum without the FCS. */
#define VNET_FRAME_MIN    60u
/* The longest: a 1500-byte payload and the header (no VLAN tag, no FCS). */
#define VNET_FRAME_MAX    1514u
#define VNET_MAC_LEN      6u

struct vnet_pkt {
	uint16_t len;       /* frame bytes */
	uint16_t port;      /* the port it was received on */
	uint32_t flags;     /* the application's */
	uint8_t headroom[VNET_FRAME_OFF - 8];
	uint8_t frame[VNET_FRAME_CAP];
};

_Static_assert(sizeof(struct vnet_pkt) == VNET_PKT_SIZE, "one block per packet");
_Static_assert(offsetof(struct vnet_pkt, frame) == VNET_FRAME_OFF, "frame offset");
_Static_assert(VNET_FRAME_OFF - offsetof(struct vnet_pkt, headroom) >= 12,
	       "room for the virtio-net header");

struct vnet_pool {
	uint8_t *base;        /* buffer 0; the others follow it */
	uint32_t *stack;      /* the free buffers' indices (the books) */
	uint8_t *state;       /* VNET_BUF_* of each buffer (the books) */
	uint32_t n_free, n_total;
	uint32_t double_free; /* frees of a buffer already in the pool, or lent */
	uint32_t foreign;     /* frees of memory that is none of its buffers */
	uint32_t bad_return;  /* returns of a buffer that was not lent */
};

/* A buffer is the pool's (free), its shard's (held: allocated, posted to
 * a receive queue, being handled), or lent to another shard, which may
 * only give it back (vnet_pkt_lend, vnet_pkt_return). */
enum { VNET_BUF_HELD = 0, VNET_BUF_FREE = 1, VNET_BUF_LENT = 2 };

/* Bytes of books a pool of n buffers keeps. */
#define VNET_POOL_BOOKS(n) ((size_t)(n) * (sizeof(uint32_t) + 1u))

/* Where the virtio-net header of hdr_len bytes starts: right before the
 * frame, so one descriptor carries both. */
static inline uint8_t *vnet_pkt_hdr(struct vnet_pkt *pkt, uint32_t hdr_len)
{
	return (uint8_t *)pkt + VNET_FRAME_OFF - hdr_len;
}

/* Carves mem (len bytes) into the books and packet buffers; returns how
 * many buffers. */
uint32_t vnet_pool_init(struct vnet_pool *p, void *mem, size_t len);
/* A pool of the n buffers at bufs (64-byte aligned: a Vanity pool's), its
 * books in `books` (VNET_POOL_BOOKS(n) bytes of private memory); returns n,
 * or 0 if the books do not fit or bufs is misaligned. */
uint32_t vnet_pool_init_at(struct vnet_pool *p, void *bufs, uint32_t n, void *books,
			   size_t books_len);
struct vnet_pkt *vnet_pkt_alloc(struct vnet_pool *p);
/* Takes pkt back; false (and counted) if it is no buffer of this pool, is
 * free already or is lent. */
bool vnet_pkt_free(struct vnet_pool *p, struct vnet_pkt *pkt);
/* A held buffer goes to another shard; false if pkt is not one. */
bool vnet_pkt_lend(struct vnet_pool *p, struct vnet_pkt *pkt);
/* A lent buffer comes back, free; false (and counted) if pkt is not one:
 * a shard can give back only what it was lent. */
bool vnet_pkt_return(struct vnet_pool *p, struct vnet_pkt *pkt);
/* True if pkt is one of p's buffers (free or not). */
bool vnet_pool_has(const struct vnet_pool *p, const struct vnet_pkt *pkt);

/* What the receive path makes of one used buffer. */
enum vnet_verdict {
	VNET_OK,
	VNET_BADLEN,   /* the device claims more than the buffer, or less than its header */
	VNET_RUNT,     /* shorter than VNET_FRAME_MIN */
	VNET_OVERSIZE, /* longer than VNET_FRAME_MAX */
};

/*
 * Checks a received buffer: used_len is what the device wrote (its header,
 * hdr_len bytes, then the frame), buf_len the length of the buffer we gave
 * it. On VNET_OK, *frame_len is the frame's length.
 */
enum vnet_verdict vnet_rx_check(uint32_t used_len, uint32_t hdr_len, uint32_t buf_len,
				uint32_t *frame_len);

/* Per-port counters, as DPDK's l2fwd keeps them, with the drops by cause. */
struct vnet_stats {
	uint64_t rx, tx, dropped;
	uint64_t runt, oversize, badlen; /* receive drops, part of dropped */
	uint64_t tx_full;                /* transmit drops, part of dropped */
};

/* Counts one received buffer's verdict; true if the frame is good. */
bool vnet_count_rx(struct vnet_stats *s, enum vnet_verdict v);

/* l2fwd's rewrite: destination 02:00:00:00:00:<dst_port>, source src_mac.
 * The frame must be at least VNET_ETH_HDR long (vnet_rx_check saw to it). */
void vnet_mac_rewrite(uint8_t *frame, unsigned dst_port, const uint8_t src_mac[VNET_MAC_LEN]);

/* The frame's EtherType (big-endian on the wire), or 0 if it is too short. */
uint16_t vnet_ethertype(const uint8_t *frame, uint32_t len);

#endif /* VANITY_DRIVERS_VNET_FRAME_H */
