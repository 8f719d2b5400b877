/*
 * port.c - one port of l2fwd split by port (split.yaml), built twice with
 * -DPORT=0 and -DPORT=1.
 *
 * Each shard owns one NIC and receives into the buffers of its own pool
 * (frames0 or frames1), which both shards map. A frame crosses to the
 * other shard as a handle (struct vn_buf: the buffer's index and the
 * frame's length) over a channel, and the other shard rewrites it as
 * l2fwd does (destination 02:00:00:00:00:<that port>, source its NIC's
 * MAC) and transmits that very buffer: no copy. When its NIC has sent it,
 * the buffer's handle goes back to the owner over the return channel, and
 * the owner receives into it again.
 *
 * What a shard trusts of the other: nothing it cannot check. A handle is
 * turned into memory only by vn_pool_buf, which refuses one beyond the
 * pool; a returned buffer goes back to the books only if it is one of the
 * owner's that it lent (vnet_pkt_return counts the others), so the other
 * port cannot make it hand out a buffer still on its receive ring; the
 * books themselves are in private memory; and a frame's length is read
 * once, checked, and keeps the device inside the buffer. Frames the other
 * shard scribbles on are its business: the pool is shared memory.
 *
 * It polls (mode: poll), and yields the core after every round, so the two
 * ports can share one (split.yaml puts both on core 0). With `mode: yield`
 * it yields after every round that found work too (a port that kept the
 * core while frames kept coming would leave the other port's channel to
 * fill and drop), and sleeps in vn_wait when a round found nothing to do,
 * until its NIC interrupts or the other port sends it a frame or a buffer
 * back.
 *
 * The stop frame (EtherType 0x88b5) ends the shard that receives it, after
 * it tells the other one (a handle with index STOP); each waits up to
 * DRAIN_MS for its NIC to send what it holds first.
 *
 * The frame channels have `latency: true`: the ring stamps each handle when
 * the sending port commits it and times it when this port takes it, in a
 * histogram (vanity/hist.h). The final statistics print that histogram by
 * power of two, in ns; `vanity top` (live) and `vanity trace DIR --stats`
 * (after `vanity run --trace DIR`) give its p50/p90/p99/p99.9/max.
 */
#include <string.h>

#include <vanity_shard.h>

#include "../../../drivers/virtio_net/virtio_net.h"

#define IRQ (!VN_SHARD_POLL)

#if PORT == 0
#define NIC_BASE VN_DEVICE_NIC0_BASE
#define NIC_BIT VN_NOTIFY_NIC0
#define OWN_POOL (&vn_pool_frames0)
#define PEER_POOL (&vn_pool_frames1)
#define TO_PEER (&vn_tx_from0)     /* frames we received, for the other NIC */
#define FROM_PEER (&vn_rx_from1)   /* frames it received, for ours */
#define GIVE_BACK (&vn_tx_free1)   /* its buffers, once our NIC sent them */
#define GET_BACK (&vn_rx_free0)    /* ours, once its NIC sent them */
#define N_OWN VN_POOL_FRAMES0_BUFFERS
#else
#define NIC_BASE VN_DEVICE_NIC1_BASE
#define NIC_BIT VN_NOTIFY_NIC1
#define OWN_POOL (&vn_pool_frames1)
#define PEER_POOL (&vn_pool_frames0)
#define TO_PEER (&vn_tx_from1)
#define FROM_PEER (&vn_rx_from0)
#define GIVE_BACK (&vn_tx_free0)
#define GET_BACK (&vn_rx_free1)
#define N_OWN VN_POOL_FRAMES1_BUFFERS
#endif

_Static_assert(VN_POOL_FRAMES0_SIZE == VNET_PKT_SIZE && VN_POOL_FRAMES1_SIZE == VNET_PKT_SIZE,
	       "a pool buffer is a packet buffer");

#define STOP_ETHERTYPE 0x88b5
#define STOP UINT32_MAX /* a handle's index: the other port got the stop frame */
#define MS 1000000ull
#define DRAIN_MS 1000

static struct vnet_dev nic;
static struct vnet_pool pool;      /* our pool's buffers, books in private memory */
static _Alignas(4) uint8_t books[VNET_POOL_BOOKS(N_OWN)];
static uint64_t bad_handles;       /* from the other port: refused */
static uint64_t lost_returns;      /* its buffers we could not give back */
static uint64_t t0_ns, t0_ticks;   /* to turn clock ticks into ns (vn_hist_log) */

static struct vn_buf returns[VNET_BURST]; /* the other port's, sent: to give back */
static uint32_t n_returns;

/* The other port's buffers our NIC has sent, back to it in one burst. The
 * return channel has a slot for every buffer of that pool, so it is full
 * only if the other port sent us a buffer twice: then it loses one. */
static void give_back(void)
{
	uint32_t sent = n_returns ? vn_send_burst(GIVE_BACK, returns, n_returns) : 0;

	lost_returns += n_returns - sent;
	n_returns = 0;
}

/* A sent buffer: ours back to the books, the other port's to the next
 * give_back. */
static void tx_done(struct vnet_dev *d, struct vnet_pkt *pkt)
{
	(void)d;
	if (vnet_pool_has(&pool, pkt))
		vnet_pkt_free(&pool, pkt);
	else if (!vn_pool_handle(PEER_POOL, pkt, 0, &returns[n_returns]))
		lost_returns++;
	else if (++n_returns == VNET_BURST)
		give_back();
}

static void open_nic(void)
{
	struct vnet_arena arena;
	size_t len;
	void *heap = vn_heap(&len);
	int r;

	vnet_arena_init(&arena, heap, len);
	r = vnet_open(&nic, NIC_BASE, PORT, &arena, IRQ ? 0 : VNET_POLL);
	if (r < 0) {
		vn_log("port %u: %s", PORT, vnet_strerror(r));
		vn_exit(1);
	}
	nic.tx_done = tx_done;
	t0_ns = vn_now();
	t0_ticks = vn_clock();
	vnet_pool_init_at(&pool, (void *)OWN_POOL->base, N_OWN, books, sizeof(books));
	if (vnet_start(&nic, &pool) < 0) {
		vn_log("port %u: no receive buffers", PORT);
		vn_exit(1);
	}
	vn_log("port %u: %u buffers of %u bytes in pool %s; %s", PORT,
	       (unsigned)pool.n_total, VNET_PKT_SIZE, OWN_POOL->name,
	       IRQ ? "interrupts" : "polling");
}

/* Our buffers the other port has sent, back to the books; how many. */
static uint32_t get_back(void)
{
	struct vn_buf h[VNET_BURST];
	uint32_t n = vn_recv_burst(GET_BACK, h, VNET_BURST);

	for (uint32_t i = 0; i < n; i++) {
		struct vnet_pkt *pkt = vn_pool_buf(OWN_POOL, h[i]);

		if (!pkt || !vnet_pkt_return(&pool, pkt))
			bad_handles++; /* none of ours, or not lent: refused */
	}
	return n;
}

/* Received frames to the other port, by handle; true on the stop frame.
 * *work counts the frames. */
static bool to_peer(unsigned *work)
{
	struct vnet_pkt *pkts[VNET_BURST];
	struct vn_buf h[VNET_BURST + 1];
	unsigned n = vnet_rx_burst(&nic, pkts, VNET_BURST), k = 0, sent;
	bool stop = false;

	*work += n;
	for (unsigned i = 0; i < n; i++) {
		/* Read once: the other port can write our buffers too. */
		uint32_t len = *(volatile uint16_t *)&pkts[i]->len;

		if (vnet_ethertype(pkts[i]->frame, len) == STOP_ETHERTYPE) {
			stop = true;
			vnet_pkt_free(&pool, pkts[i]);
		} else if (!vn_pool_handle(OWN_POOL, pkts[i], len, &h[k])) {
			nic.stats.dropped++; /* its length was changed under us */
			vnet_pkt_free(&pool, pkts[i]);
		} else {
			vnet_pkt_lend(&pool, pkts[i]); /* before the other port can see it */
			pkts[k++] = pkts[i];
		}
	}
	sent = k ? vn_send_burst(TO_PEER, h, k) : 0;
	for (unsigned i = sent; i < k; i++) {
		nic.stats.dropped++; /* the other port is behind */
		vnet_pkt_return(&pool, pkts[i]); /* never sent: it was not lent after all */
	}
	if (stop) {
		struct vn_buf s = {STOP, 0};

		while (!vn_send(TO_PEER, &s))
			vn_yield(); /* the other port drains its channel while it runs */
	}
	return stop;
}

/* Frames from the other port out of this NIC; true when it has stopped.
 * *work counts the frames. */
static bool from_peer(unsigned *work)
{
	struct vnet_pkt *pkts[VNET_BURST];
	struct vn_buf h[VNET_BURST];
	uint32_t n = vn_recv_burst(FROM_PEER, h, VNET_BURST);
	unsigned k = 0, sent;
	bool stop = false;

	*work += n;
	for (uint32_t i = 0; i < n; i++) {
		struct vnet_pkt *p = vn_pool_buf(PEER_POOL, h[i]);

		if (h[i].index == STOP) {
			stop = true;
		} else if (!p || h[i].len > VNET_FRAME_MAX || h[i].len < VNET_ETH_HDR) {
			bad_handles++;
			nic.stats.dropped++;
		} else {
			p->len = (uint16_t)h[i].len;
			vnet_mac_rewrite(p->frame, PORT, nic.mac);
			pkts[k++] = p;
		}
	}
	sent = k ? vnet_tx_burst(&nic, pkts, k) : 0;
	for (unsigned i = sent; i < k; i++)
		tx_done(&nic, pkts[i]); /* not queued: back to the other port */
	give_back(); /* what the burst reclaimed, and those */
	nic.stats.tx_full += k - sent;
	nic.stats.dropped += k - sent;
	return stop;
}

static void print_stats(const char *title)
{
	const struct vnet_stats *s = &nic.stats;
	unsigned pending = vnet_tx_reclaim(&nic);

	give_back(); /* what that reclaimed */
	vn_log("%s ====================================", title);
	vn_log("Statistics for port %u ------------------------------", PORT);
	vn_log("Packets sent: %24llu", (unsigned long long)s->tx);
	vn_log("Packets received: %20llu", (unsigned long long)s->rx);
	vn_log("Packets dropped: %21llu", (unsigned long long)s->dropped);
	vn_log("  runt %llu oversize %llu badlen %llu tx-full %llu rx-nobuf %llu tx-pending %u",
	       (unsigned long long)s->runt, (unsigned long long)s->oversize,
	       (unsigned long long)s->badlen, (unsigned long long)s->tx_full,
	       (unsigned long long)nic.rx_nobuf, pending);
	vn_log("  pool %s: %u of %u free; refused handles %llu (returns of buffers not lent "
	       "%u), lost returns %llu", OWN_POOL->name, (unsigned)pool.n_free,
	       (unsigned)pool.n_total, (unsigned long long)bad_handles,
	       (unsigned)pool.bad_return, (unsigned long long)lost_returns);
}

void vn_main(void)
{
	uint64_t next_stats = vn_now() + 1000 * MS;
	bool stop = false;

	open_nic();
	while (!stop) {
		unsigned work = get_back();
		uint64_t now;

		stop = to_peer(&work);
		stop |= from_peer(&work);
		now = vn_now();
		if (now >= next_stats) {
			print_stats("Port statistics");
			next_stats = now + 1000 * MS;
		} else if (!IRQ || work) {
			vn_yield(); /* a round each: the ports may share a core */
		} else if (!stop) {
			/* Quieten the device, then unmask: a frame that lands
			 * after the clear interrupts again. */
			if (vn_wait(next_stats - now) & NIC_BIT) {
				vnet_irq_clear(&nic);
				vn_irq_ack(NIC_BIT);
			}
		}
	}
	/* What the NIC holds leaves only if the system outlives its sending. */
	if (vnet_tx_drain(&nic, DRAIN_MS * MS))
		vn_log("transmit ring not drained after %u ms (tx-pending)", DRAIN_MS);
	print_stats("Final statistics");
	vn_hist_log(PORT == 0 ? "Latency from port 1" : "Latency from port 0", FROM_PEER->hist,
		    t0_ticks, t0_ns);
	vn_exit(0);
}
