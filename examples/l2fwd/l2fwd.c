/*
 * l2fwd: DPDK's l2fwd sample on Vanity. One run-to-completion shard owns
 * both ports: it receives a burst of up to 32 frames on port 0, rewrites
 * their MACs (destination 02:00:00:00:00:<destination port>, source the
 * transmitting port's MAC) and sends the same buffers out of port 1 (no
 * copy), then the same from port 1 to port 0.
 *
 * Per-port counters (received, sent, dropped) are printed every
 * L2FWD_STATS_MS and once more at exit, in DPDK's format. The shard exits
 * with status 0 when a frame with EtherType L2FWD_STOP_ETHERTYPE arrives on
 * either port (it is counted as received, not forwarded), or after
 * L2FWD_IDLE_EXIT_MS without a frame (0: never). Before its final
 * statistics it waits up to L2FWD_DRAIN_MS for the ports to send what they
 * hold, so "sent" at exit is what left; a frame still held then is
 * reported (tx-pending), not hidden.
 *
 * The final statistics end with each direction's latency histogram: the
 * time a frame spends in the forwarder, from the receive burst that took
 * it off the device to the transmit burst that gave it to the other port
 * (DPDK's latencystats measures the same span), by power of two, in ns.
 *
 * The spec's mode decides: a `poll` shard polls its ports and yields after
 * every round (-DL2FWD_YIELD=0: never); a `yield` shard yields after a
 * round that found frames and sleeps in vn_wait after one that found none,
 * until a port's interrupt (-DL2FWD_IRQ=0/1 overrides). The yield lets
 * another shard of the core run and a watchdog see the shard alive, and on
 * hosted it is when the core's thread moves the cards' frames
 * (docs/hosted.md, "The owner's core serves its cards").
 */
#include <vanity_shard.h>

#include "../../drivers/virtio_net/virtio_net.h"

#ifndef L2FWD_IRQ
#define L2FWD_IRQ (!VN_SHARD_POLL)
#endif
#ifndef L2FWD_STATS_MS
#define L2FWD_STATS_MS 1000
#endif
#ifndef L2FWD_IDLE_EXIT_MS
#define L2FWD_IDLE_EXIT_MS 30000
#endif
#ifndef L2FWD_DRAIN_MS
#define L2FWD_DRAIN_MS 1000
#endif
#ifndef L2FWD_YIELD /* 0: a poller that never yields, as DPDK's l2fwd */
#define L2FWD_YIELD 1
#endif
#ifndef L2FWD_MAC_UPDATING /* DPDK l2fwd's --[no-]mac-updating */
#define L2FWD_MAC_UPDATING 1
#endif
/* IEEE 802 "local experimental" EtherType 1. */
#define L2FWD_STOP_ETHERTYPE 0x88b5
#define MS 1000000ull

#define NPORTS 2

static struct vnet_dev port[NPORTS];
static struct vnet_pool pool;
static bool stop;
static struct vn_hist latency[NPORTS]; /* of frames from each port, in ticks */
static uint64_t t0_ticks, t0_ns;       /* when counting began (vn_hist_log) */

static const uintptr_t port_base[NPORTS] = {VN_DEVICE_PORT0_BASE, VN_DEVICE_PORT1_BASE};
static const vn_bits_t port_bit[NPORTS] = {VN_NOTIFY_PORT0, VN_NOTIFY_PORT1};

static void open_ports(void)
{
	struct vnet_arena arena;
	size_t heap_len, rest;
	void *heap = vn_heap(&heap_len);

	vnet_arena_init(&arena, heap, heap_len);
	for (unsigned p = 0; p < NPORTS; p++) {
		int r = vnet_open(&port[p], port_base[p], p, &arena, L2FWD_IRQ ? 0 : VNET_POLL);

		if (r < 0) {
			vn_log("port %u at %#lx: %s", p, (unsigned long)port_base[p],
			       vnet_strerror(r));
			vn_exit(1);
		}
	}
	heap = vnet_arena_rest(&arena, &rest);
	vnet_pool_init(&pool, heap, rest);
	for (unsigned p = 0; p < NPORTS; p++) {
		const uint8_t *m = port[p].mac;

		if (vnet_start(&port[p], &pool) < 0) {
			vn_log("port %u: no receive buffers", p);
			vn_exit(1);
		}
		vn_log("port %u: virtio-mmio v%u at %#lx, MAC %02x:%02x:%02x:%02x:%02x:%02x, "
		       "queues %u/%u", p, port[p].version, (unsigned long)port_base[p],
		       m[0], m[1], m[2], m[3], m[4], m[5], port[p].rx.size, port[p].tx.size);
	}
	vn_log("%u buffers of %u bytes; %s", (unsigned)pool.n_total, VNET_PKT_SIZE,
	       L2FWD_IRQ ? "interrupts" : "polling");
	t0_ticks = vn_clock();
	t0_ns = vn_now();
}

/* One burst from src to dst; returns the frames received. */
static unsigned forward(struct vnet_dev *src, struct vnet_dev *dst)
{
	struct vnet_pkt *pkts[VNET_BURST];
	unsigned n, keep = 0, sent;
	uint64_t took;

	n = vnet_rx_burst(src, pkts, VNET_BURST);
	if (!n)
		return 0;
	took = vn_clock();
	for (unsigned i = 0; i < n; i++) {
		if (vnet_ethertype(pkts[i]->frame, pkts[i]->len) == L2FWD_STOP_ETHERTYPE) {
			stop = true;
			vnet_pkt_free(&pool, pkts[i]);
			continue;
		}
		if (L2FWD_MAC_UPDATING)
			vnet_mac_rewrite(pkts[i]->frame, dst->port, dst->mac);
		pkts[keep++] = pkts[i];
	}
	sent = keep ? vnet_tx_burst(dst, pkts, keep) : 0;
	if (sent) {
		uint64_t ticks = vn_clock() - took;

		for (unsigned i = 0; i < sent; i++)
			vn_hist_add(&latency[src->port], ticks);
	}
	for (unsigned i = sent; i < keep; i++)
		vnet_pkt_free(&pool, pkts[i]);
	dst->stats.tx_full += keep - sent;
	dst->stats.dropped += keep - sent;
	return n;
}

static void print_stats(const char *title)
{
	struct vnet_stats all = {0};

	vn_log("%s ====================================", title);
	for (unsigned p = 0; p < NPORTS; p++) {
		const struct vnet_stats *s = &port[p].stats;

		vn_log("Statistics for port %u ------------------------------", p);
		vn_log("Packets sent: %24llu", (unsigned long long)s->tx);
		vn_log("Packets received: %20llu", (unsigned long long)s->rx);
		vn_log("Packets dropped: %21llu", (unsigned long long)s->dropped);
		/* tx-pending: counted as sent, not yet sent by the device */
		vn_log("  runt %llu oversize %llu badlen %llu tx-full %llu rx-nobuf %llu "
		       "bad-used %u tx-pending %u", (unsigned long long)s->runt,
		       (unsigned long long)s->oversize, (unsigned long long)s->badlen,
		       (unsigned long long)s->tx_full, (unsigned long long)port[p].rx_nobuf,
		       port[p].rx.bad_used + port[p].tx.bad_used, vnet_tx_reclaim(&port[p]));
		all.tx += s->tx;
		all.rx += s->rx;
		all.dropped += s->dropped;
	}
	vn_log("Aggregate statistics ===============================");
	vn_log("Total packets sent: %18llu", (unsigned long long)all.tx);
	vn_log("Total packets received: %14llu", (unsigned long long)all.rx);
	vn_log("Total packets dropped: %15llu", (unsigned long long)all.dropped);
	vn_log("====================================================");
}

/* Interrupt mode: sleep until a port interrupts or timeout_ns passes. */
static void sleep_for(uint64_t timeout_ns)
{
	vn_bits_t bits = vn_wait(timeout_ns);

	for (unsigned p = 0; p < NPORTS; p++) {
		if (bits & port_bit[p]) {
			/* Quieten the device, then unmask: a frame that lands
			 * after the clear interrupts again. */
			vnet_irq_clear(&port[p]);
			vn_irq_ack(port_bit[p]);
		}
	}
}

/*
 * Waits until both ports have sent everything they were given. The stop
 * frame often arrives in the same burst as the last frames forwarded, and
 * the device sends those in its own thread after our doorbell: exiting at
 * once would end QEMU (or the hosted kernel) before it did, and the final
 * "sent" would count frames that never left. Says so if the bound is hit.
 */
static void drain(void)
{
	unsigned held = 0;

	for (unsigned p = 0; p < NPORTS; p++)
		held += vnet_tx_drain(&port[p], L2FWD_DRAIN_MS * MS);
	if (held)
		vn_log("transmit rings not drained after %u ms: %u frames counted as sent "
		       "have not left (tx-pending)", (unsigned)L2FWD_DRAIN_MS, held);
}

void vn_main(void)
{
	uint64_t now = vn_now();
	uint64_t next_stats = now + L2FWD_STATS_MS * MS, last_rx = now;

	open_ports();
	while (!stop) {
		unsigned moved = forward(&port[0], &port[1]) + forward(&port[1], &port[0]);

		now = vn_now();
		if (moved)
			last_rx = now;
		if (now >= next_stats) {
			print_stats("Port statistics");
			next_stats = now + L2FWD_STATS_MS * MS;
		}
		if (L2FWD_IDLE_EXIT_MS && now - last_rx >= L2FWD_IDLE_EXIT_MS * MS) {
			vn_log("idle for %u ms: exiting", (unsigned)L2FWD_IDLE_EXIT_MS);
			break;
		}
		if (L2FWD_IRQ && !moved)
			sleep_for(next_stats > now ? next_stats - now : 0);
		else if (L2FWD_YIELD)
			vn_yield();
	}
	drain();
	print_stats("Final statistics");
	vn_hist_log("Latency in the forwarder, port 0 to 1", &latency[0], t0_ticks, t0_ns);
	vn_hist_log("Latency in the forwarder, port 1 to 0", &latency[1], t0_ticks, t0_ns);
	vn_exit(0);
}
