/*
 * port.c - one port of l2fwd split by port (split.yaml), built twice with
 * -DPORT=0 and -DPORT=1.
 *
 * Each shard owns one NIC. What it receives it copies into the channel to
 * the other port's shard; what arrives on the channel from the other port
 * it copies into a buffer of its own pool, rewrites as l2fwd does
 * (destination 02:00:00:00:00:<this port>, source this NIC's MAC) and
 * transmits. A shard's buffers are memory only its own device may reach,
 * so a frame cannot change hands without a copy. The stop frame (EtherType
 * 0x88b5) ends the shard that receives it, after it tells the other one;
 * each waits up to DRAIN_MS for its NIC to send what it holds first.
 *
 * Both channels have `latency: true`: the ring stamps each frame when the
 * sending port commits it and times it when this port peeks it, in a
 * histogram (vanity/hist.h). The final statistics print that histogram by
 * power of two, in ns; `vanity top` (live) and `vanity trace DIR --stats`
 * (after `vanity run --trace DIR`) give its p50/p90/p99/p99.9/max.
 */
#include <string.h>

#include <vanity_shard.h>

#include "../../../drivers/virtio_net/virtio_net.h"

#if PORT == 0
#define NIC_BASE VN_DEVICE_NIC0_BASE
#define TO_PEER (&vn_tx_from0)
#define FROM_PEER (&vn_rx_from1)
#else
#define NIC_BASE VN_DEVICE_NIC1_BASE
#define TO_PEER (&vn_tx_from1)
#define FROM_PEER (&vn_rx_from0)
#endif

#define STOP_ETHERTYPE 0x88b5
#define MSG_STOP 1u /* the other port got the stop frame */
#define MS 1000000ull
#define DRAIN_MS 1000

struct fwd_msg {
	uint16_t len;
	uint16_t flags;
	uint8_t frame[VNET_FRAME_MAX];
};

_Static_assert(sizeof(struct fwd_msg) <= VN_MSG_SIZE_FROM0, "a frame fits a message");

static struct vnet_dev nic;
static struct vnet_pool pool;
static uint64_t t0_ns, t0_ticks; /* to turn clock ticks into ns */

/* ticks of vn_clock() in ns, from the rate seen since open_nic(). */
static uint64_t ticks_ns(uint64_t ticks)
{
	uint64_t dt = vn_clock() - t0_ticks, dns = vn_now() - t0_ns;
	uint64_t ps_per_tick = dt ? dns * 1000u / dt : 0;

	return ticks * ps_per_tick / 1000u;
}

/* The transit time of the frames from the other port: count, mean, max,
 * and the histogram's buckets summed by power of two. */
static void print_latency(void)
{
	const struct vn_hist *h = FROM_PEER->hist;
	uint64_t n = h->count;

	vn_log("Latency from port %u: %llu frames, mean %llu ns, max %llu ns", 1 - PORT,
	       (unsigned long long)n, (unsigned long long)(n ? ticks_ns(h->sum / n) : 0),
	       (unsigned long long)ticks_ns(h->max));
	for (uint32_t b = 0; b < VN_HIST_BUCKETS;) {
		/* buckets 0..15 (exact ticks), then 8 per power of two */
		uint32_t end = b < 16 ? 16 : b + 8 > VN_HIST_BUCKETS ? VN_HIST_BUCKETS : b + 8;
		uint64_t c = 0;

		for (uint32_t i = b; i < end; i++)
			c += h->bucket[i];
		if (c && end < VN_HIST_BUCKETS)
			vn_log("  below %12llu ns: %llu",
			       (unsigned long long)ticks_ns(1ull << (end / 8 + 2)),
			       (unsigned long long)c);
		else if (c)
			vn_log("  beyond: %llu", (unsigned long long)c);
		b = end;
	}
}

static void open_nic(void)
{
	struct vnet_arena arena;
	size_t len, rest;
	void *heap = vn_heap(&len);
	int r;

	vnet_arena_init(&arena, heap, len);
	r = vnet_open(&nic, NIC_BASE, PORT, &arena, VNET_POLL);
	if (r < 0) {
		vn_log("port %u: %s", PORT, vnet_strerror(r));
		vn_exit(1);
	}
	t0_ns = vn_now();
	t0_ticks = vn_clock();
	heap = vnet_arena_rest(&arena, &rest);
	vnet_pool_init(&pool, heap, rest);
	if (vnet_start(&nic, &pool) < 0) {
		vn_log("port %u: no receive buffers", PORT);
		vn_exit(1);
	}
	vn_log("port %u: %u buffers of %u bytes; polling", PORT, (unsigned)pool.n_total,
	       VNET_PKT_SIZE);
}

/* Received frames to the other port's channel; true on the stop frame. */
static bool to_peer(void)
{
	struct vnet_pkt *pkts[VNET_BURST];
	unsigned n = vnet_rx_burst(&nic, pkts, VNET_BURST);
	bool stop = false;

	for (unsigned i = 0; i < n; i++) {
		struct fwd_msg *m;

		if (vnet_ethertype(pkts[i]->frame, pkts[i]->len) == STOP_ETHERTYPE) {
			stop = true;
		} else if (!(m = vn_reserve(TO_PEER))) {
			nic.stats.dropped++; /* the other port is behind */
		} else {
			m->len = pkts[i]->len;
			m->flags = 0;
			memcpy(m->frame, pkts[i]->frame, pkts[i]->len);
		}
		vnet_pkt_free(&pool, pkts[i]);
	}
	if (stop) {
		struct fwd_msg *m;

		while (!(m = vn_reserve(TO_PEER)))
			; /* the other port drains its channel while it runs */
		m->len = 0;
		m->flags = MSG_STOP;
	}
	vn_commit(TO_PEER);
	return stop;
}

/* Frames from the other port out of this NIC; true when it has stopped. */
static bool from_peer(void)
{
	struct vnet_pkt *pkts[VNET_BURST];
	const struct fwd_msg *m;
	unsigned k = 0, sent;
	bool stop = false;

	while (k < VNET_BURST && !stop && (m = vn_peek(FROM_PEER))) {
		struct vnet_pkt *p;

		if (m->flags & MSG_STOP) {
			stop = true;
		} else if (m->len > VNET_FRAME_MAX || !(p = vnet_pkt_alloc(&pool))) {
			nic.stats.dropped++;
		} else {
			memcpy(p->frame, m->frame, m->len);
			p->len = m->len;
			vnet_mac_rewrite(p->frame, PORT, nic.mac);
			pkts[k++] = p;
		}
	}
	vn_release(FROM_PEER);
	sent = k ? vnet_tx_burst(&nic, pkts, k) : 0;
	for (unsigned i = sent; i < k; i++)
		vnet_pkt_free(&pool, pkts[i]);
	nic.stats.tx_full += k - sent;
	nic.stats.dropped += k - sent;
	return stop;
}

static void print_stats(const char *title)
{
	const struct vnet_stats *s = &nic.stats;

	vn_log("%s ====================================", title);
	vn_log("Statistics for port %u ------------------------------", PORT);
	vn_log("Packets sent: %24llu", (unsigned long long)s->tx);
	vn_log("Packets received: %20llu", (unsigned long long)s->rx);
	vn_log("Packets dropped: %21llu", (unsigned long long)s->dropped);
	vn_log("  runt %llu oversize %llu badlen %llu tx-full %llu rx-nobuf %llu tx-pending %u",
	       (unsigned long long)s->runt, (unsigned long long)s->oversize,
	       (unsigned long long)s->badlen, (unsigned long long)s->tx_full,
	       (unsigned long long)nic.rx_nobuf, vnet_tx_reclaim(&nic));
}

void vn_main(void)
{
	uint64_t next_stats = vn_now() + 1000 * MS;
	bool stop = false;

	open_nic();
	while (!stop) {
		stop = to_peer();
		stop |= from_peer();
		if (vn_now() >= next_stats) {
			print_stats("Port statistics");
			next_stats = vn_now() + 1000 * MS;
		}
	}
	/* What the NIC holds leaves only if the system outlives its sending. */
	if (vnet_tx_drain(&nic, DRAIN_MS * MS))
		vn_log("transmit ring not drained after %u ms (tx-pending)", DRAIN_MS);
	print_stats("Final statistics");
	print_latency();
	vn_exit(0);
}
