/*
 * dev_virtio_net.c - the simulator's network card: virtio-net over
 * virtio-mmio (version 2, "modern"), backed by a host interface.
 *
 * Three parts: this file is the register file (the virtio-mmio transport's,
 * virtio 1.1, 4.2.2, decoded by the offsets and masks generated from the
 * driver's own register map: virtio_mmio_dev.h, from
 * drivers/virtio_mmio/virtio_mmio.yaml) and the worker that moves frames;
 * virtq.c is the device side of the split virtqueues, in the owner's heap,
 * which the kernel maps too (dev.h: hk_dma); net_xdp.c and net_packet.c
 * are the backends. Queue 0 receives, queue 1 transmits. Features: MAC and
 * VERSION_1, nothing else, so every buffer starts with the 12-byte
 * virtio_net_hdr_v1, which this device writes as zeros and ignores on
 * transmit.
 *
 * One worker thread, for every card of the system, moves frames between the
 * queues and each card's backend on the interface `--net DEVICE=IFNAME`
 * names (without one, the link is down: nothing arrives, transmitted frames
 * are counted and dropped). The backend is an XDP socket (net_xdp.c) where
 * AF_XDP can run on the interface, else an AF_PACKET socket (net_packet.c);
 * `backend=af_xdp|af_packet` forces one, and boot says which each card got
 * and, after a fallback, why. Either one has its rings mapped into the
 * kernel process, so frames move without a system call each: a received
 * frame is copied from the receive ring into a posted buffer, and only
 * while one is posted (so frames wait in the ring rather than being dropped
 * here); a transmitted one is copied from its chain into a transmit slot,
 * and one sendto() per batch sends them all. While frames flow it polls
 * the rings and tells the driver not to notify it (VIRTQ_USED_F_NO_NOTIFY);
 * after SPIN_NS without work it asks for notifications again, looks once
 * more, so no kick is lost, and sleeps in poll() on the kick eventfds and
 * the sockets of cards with buffers posted. An interrupt is raised after a
 * batch unless the driver suppressed it (VIRTQ_AVAIL_F_NO_INTERRUPT).
 *
 * While the owner holds its core or waits for it, its core's thread moves
 * the card's frames instead, a batch each way at every kernel entry of a
 * shard of that core, and the worker leaves the card alone (dev.h: serve;
 * vnet_serve): a polling owner and its card then share one host CPU.
 *
 * For the driver's robustness tests, `--net DEVICE=IFNAME,corrupt=N` makes
 * every Nth frame received arrive with a used length longer than its
 * buffer, as a broken device would report it; the driver must drop it.
 *
 * The driver is not trusted: every descriptor index, chain, address and
 * length is checked against the queue and the owner's heap. A bad one puts
 * the device in DEVICE_NEEDS_RESET (and raises a configuration interrupt)
 * instead of touching anything else.
 */
#define _GNU_SOURCE
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dev.h"
#include "hk.h"
#include "net_packet.h"
#include "net_xdp.h"
#include "port.h"
#include "virtio_mmio_dev.h" /* generated from drivers/virtio_mmio/virtio_mmio.yaml */
#include "virtq.h"

#define QUEUE_MAX 256u
#define NET_HDR 12u        /* struct virtio_net_hdr_v1 */
#define BATCH 32u
#define SPIN_NS 20000ull  /* poll this long without work before sleeping */
#define RETRY_MIN_NS 1000000ull    /* a send the host refused: tried again after 1 ms, */
#define RETRY_MAX_NS 100000000ull  /* doubling up to 100 ms */
#define END_DRAIN_NS 200000000ull  /* the system's end waits this long for the host */

#define F_MAC (1ull << 5)
#define F_VERSION_1 (1ull << 32)
#define FEATURES (F_MAC | F_VERSION_1)

#define S_DRIVER_OK VIRTIO_MMIO_STATUS_DRIVER_OK_MASK
#define S_FEATURES_OK VIRTIO_MMIO_STATUS_FEATURES_OK_MASK
#define S_NEEDS_RESET VIRTIO_MMIO_STATUS_DEVICE_NEEDS_RESET_MASK
#define ISR_USED VIRTIO_MMIO_INTERRUPT_STATUS_USED_BUFFER_MASK
#define ISR_CONFIG VIRTIO_MMIO_INTERRUPT_STATUS_CONFIG_CHANGE_MASK

/* Which backend a card has; --net's backend= asks for one, else AUTO. */
enum backend { BK_AUTO, BK_PACKET, BK_XDP };

static const char *const backend_name[] = {"auto", "af_packet", "af_xdp"};

struct vnet {
	pthread_mutex_t mu;   /* registers and queues vs the worker's batch */
	struct hk_dev *dev;
	char ifname[IF_NAMESIZE];  /* "": no backend, the link is down */
	uint32_t corrupt;          /* test knob: every Nth frame received gets a bad length */
	uint64_t corrupt_count;
	bool bad_option;           /* --net's value did not parse: boot fails */
	enum backend want;         /* --net's backend=, or AUTO */
	enum backend kind;         /* the one open: PACKET or XDP (AUTO: none, down) */
	struct net_packet pkt;     /* the backends; down without an interface */
	struct net_xdp xdp;
	int kick;             /* eventfd: QueueNotify, or a reset */
	uint32_t status, dev_sel, drv_sel, queue_sel;
	uint64_t drv_features;
	_Atomic uint32_t isr; /* InterruptStatus: 1 used buffer, 2 configuration */
	bool live;            /* DRIVER_OK and healthy: the worker may touch the queues */
	bool cfg_irq;         /* broken() raised the configuration interrupt */
	uint8_t mac[6];
	struct virtq q[2];
	uint64_t rx_frames, rx_dropped, tx_frames, tx_dropped, bad;
	/* Sending: the host took a batch and more wait (again), or it refused
	 * the last flush (retry_at, 0 if not): frames wait in the backend's
	 * ring, sent by the first flush it takes, at retry_at at the earliest. */
	bool tx_again;
	uint64_t tx_retry_at, tx_retry_ns, tx_refused_since;
	uint64_t tx_refused;  /* flushes the host refused */
	uint64_t rx_lost;     /* the AF_XDP socket's, kept when it closes (net_xdp.h) */
	_Atomic bool held;    /* its owner's core serves it, not the worker (vnet_serve) */
	uint64_t core_steps, worker_steps; /* batches each moved (VANITY_STATS=1) */
};

#define HK_MAX_NETS 16u
static struct vnet *nets[HK_MAX_NETS]; /* every card, for the one worker */
static _Atomic unsigned n_nets;

static struct vnet *net_of(struct hk_dev *d)
{
	return d->priv;
}

/* ---- the backend, one of two -------------------------------------------- */

static const uint8_t *be_rx(struct vnet *n, uint32_t *len, uint32_t *wire_len)
{
	if (n->kind == BK_XDP) {
		const uint8_t *f = net_xdp_rx(&n->xdp, len);

		*wire_len = *len; /* an XDP socket gets whole frames */
		return f;
	}
	return net_packet_rx(&n->pkt, len, wire_len);
}

static void be_rx_done(struct vnet *n)
{
	if (n->kind == BK_XDP)
		net_xdp_rx_done(&n->xdp);
	else
		net_packet_rx_done(&n->pkt);
}

static bool be_up(struct vnet *n)
{
	return n->kind == BK_XDP || (n->kind == BK_PACKET && net_packet_up(&n->pkt));
}

static uint8_t *be_tx_slot(struct vnet *n, size_t *room)
{
	if (n->kind == BK_XDP)
		return net_xdp_tx_slot(&n->xdp, room);
	return net_packet_tx_slot(&n->pkt, room);
}

/* false: the frame was not queued (net_xdp.h) */
static bool be_tx(struct vnet *n, uint32_t len)
{
	if (n->kind == BK_XDP)
		return net_xdp_tx(&n->xdp, len);
	net_packet_tx(&n->pkt, len);
	return true;
}

/* 0: all sent; 1: more wait, call again; -errno: refused, nothing sent */
static int be_tx_flush(struct vnet *n)
{
	if (n->kind == BK_XDP)
		return net_xdp_tx_flush(&n->xdp);
	return net_packet_tx_flush(&n->pkt);
}

/* Frames queued that the host has not taken yet. */
static uint32_t be_tx_waiting(struct vnet *n)
{
	if (n->kind == BK_XDP)
		return net_xdp_tx_waiting(&n->xdp);
	return n->kind == BK_PACKET ? net_packet_tx_waiting(&n->pkt) : 0;
}

/* What the worker's poll() waits on for received frames; -1: none. */
static int be_fd(struct vnet *n)
{
	return n->kind == BK_XDP ? n->xdp.fd : n->kind == BK_PACKET ? n->pkt.sock : -1;
}

/* poll() said POLLERR: the host set the socket's error (an AF_PACKET
 * socket gets ENETDOWN when its interface goes down), which poll reports
 * until it is read. Read, so the worker can sleep; the rings say the rest. */
static void be_clear_error(struct vnet *n)
{
	int err;
	socklen_t len = sizeof(err);

	if (be_fd(n) >= 0)
		(void)getsockopt(be_fd(n), SOL_SOCKET, SO_ERROR, &err, &len);
}

/* The driver broke the rules: stop, and say so with a configuration
 * interrupt, as a real device would. */
static void broken(struct vnet *n, const char *why)
{
	if (!(n->status & S_NEEDS_RESET))
		hk_msg("virtio-net '%s': %s; device needs reset", n->dev->kd->name, why);
	n->live = false;
	n->bad++;
	n->status |= S_NEEDS_RESET;
	atomic_fetch_or(&n->isr, ISR_CONFIG);
	n->cfg_irq = true;
}

/* The chain at head, header included (virtq_chain); -1, and the device is
 * broken, for a bad one. */
static long chain(struct vnet *n, struct virtq *q, uint16_t head, bool write,
		  struct iovec *iov, int *niov)
{
	const char *why;
	long total = virtq_chain(q, n->dev, head, write, iov, niov, &why);

	if (total < 0)
		return broken(n, why), -1;
	if (total < NET_HDR)
		return broken(n, "buffer shorter than the virtio-net header"), -1;
	return total;
}

/* Whether q holds a buffer for the card. An index more than the queue's
 * size ahead of the entries the card took would have it take old entries
 * again: the driver broke the rules. */
static bool has_avail(struct vnet *n, struct virtq *q)
{
	uint16_t ahead = virtq_avail_ahead(q);

	if (ahead > q->num)
		broken(n, "available index more than the queue's size ahead");
	return ahead && ahead <= q->num;
}

/* ---- moving frames ------------------------------------------------------- */

/* Up to BATCH frames from the receive ring into posted buffers. A frame
 * longer than its buffer is handed over empty, and the driver drops it as
 * a runt; the device counts it too. A frame longer than the backend's
 * frame never gets here: AF_PACKET truncates it to its slot (then it is
 * handed over empty, as above), AF_XDP's host kernel drops a frame over
 * 3840 bytes (its 4 KiB UMEM frame less the headroom) and counts it in
 * the socket's statistics, not the device's. */
static unsigned rx_batch(struct vnet *n, bool *irq)
{
	struct virtq *q = &n->q[0];
	unsigned done = 0;

	while (done < BATCH && n->live && has_avail(n, q)) {
		/* No offloads; num_buffers (the last field) is 1. */
		static const uint8_t net_hdr[NET_HDR] = {[10] = 1};
		struct iovec iov[VIRTQ_CHAIN_MAX];
		uint16_t head = virtq_next(q);
		uint32_t len, wire_len;
		const uint8_t *frame = be_rx(n, &len, &wire_len);
		int niov;

		if (!frame)
			break;
		if (chain(n, q, head, true, iov, &niov) < 0)
			break;
		if (len < wire_len || !virtq_scatter(iov, niov, NET_HDR, frame, len)) {
			len = 0;
			n->rx_dropped++;
		}
		if (n->corrupt && ++n->corrupt_count % n->corrupt == 0)
			len = 0x10000u; /* more than any buffer: the driver must refuse it */
		be_rx_done(n);
		virtq_scatter(iov, niov, 0, net_hdr, NET_HDR);
		virtq_put_used(q, head, NET_HDR + len);
		n->rx_frames++;
		done++;
	}
	*irq |= done && virtq_wants_interrupt(q);
	return done;
}

/* Sends what the ring holds, if there is reason to: frames queued now, or
 * a full ring, or what the last call left (more to send, or a refusal).
 * The host refuses while the interface is down (ENETDOWN): the frames stay
 * in the ring and are tried again after RETRY_MIN_NS, doubling up to
 * RETRY_MAX_NS, so a link that stays down costs no CPU (sleep_until_work
 * sleeps until then) and one that comes back is used within RETRY_MAX_NS.
 * The first refusal and the recovery are reported. */
static void tx_flush(struct vnet *n, bool reason)
{
	uint64_t now;
	int r;

	if (!reason && !n->tx_again && !n->tx_retry_at)
		return;
	now = port_now();
	if (n->tx_retry_at && now < n->tx_retry_at)
		return;
	r = be_tx_flush(n);
	n->tx_again = r > 0;
	if (r >= 0) {
		if (n->tx_retry_at)
			hk_msg("virtio-net '%s': sending on '%s' again, after %.1f s refused",
			       n->dev->kd->name, n->ifname,
			       (double)(now - n->tx_refused_since) / 1e9);
		n->tx_retry_at = 0;
		return;
	}
	n->tx_refused++;
	if (!n->tx_retry_at) {
		hk_msg("virtio-net '%s': cannot send on '%s': %s; its frames wait, tried "
		       "again every %llu ms at most", n->dev->kd->name, n->ifname, strerror(-r),
		       RETRY_MAX_NS / 1000000);
		n->tx_refused_since = now;
		n->tx_retry_ns = RETRY_MIN_NS;
	} else if (2 * n->tx_retry_ns < RETRY_MAX_NS) {
		n->tx_retry_ns *= 2;
	} else {
		n->tx_retry_ns = RETRY_MAX_NS;
	}
	n->tx_retry_at = now + n->tx_retry_ns;
}

/* Up to BATCH frames from the transmit queue into the transmit ring, then
 * one sendto() for all of them. A frame the host would refuse (shorter than
 * an Ethernet header, longer than a slot) is dropped and counted; while the
 * ring is full the rest wait in the queue. */
static unsigned tx_batch(struct vnet *n, bool *irq)
{
	struct virtq *q = &n->q[1];
	unsigned done = 0, queued = 0;
	bool full = false;

	while (done < BATCH && n->live && has_avail(n, q)) {
		bool up = be_up(n);
		size_t room = 0, len = SIZE_MAX;
		uint8_t *slot = up ? be_tx_slot(n, &room) : NULL;
		uint16_t head = virtq_next(q);
		struct iovec iov[VIRTQ_CHAIN_MAX];
		int niov;

		if (up && !slot) {
			full = true; /* the rest wait: for the host, or a flush */
			break;
		}
		if (chain(n, q, head, false, iov, &niov) < 0)
			break;
		if (slot)
			len = virtq_gather(slot, room, iov, niov, NET_HDR);
		if (len < ETH_HLEN || len == SIZE_MAX || !be_tx(n, (uint32_t)len)) {
			n->tx_dropped++; /* link down, runt, oversize, or not queued */
		} else {
			n->tx_frames++;
			queued++;
		}
		virtq_put_used(q, head, 0);
		done++;
	}
	tx_flush(n, queued || full);
	*irq |= done && virtq_wants_interrupt(q);
	return done;
}

/* One card's turn: move what there is, raise its line if that is due. The
 * owner's core (by_core) serves it at every kernel entry, so the driver
 * need not notify it. */
static unsigned step(struct vnet *n, bool by_core)
{
	bool irq = false;
	unsigned moved = 0;

	pthread_mutex_lock(&n->mu);
	if (n->live) {
		if (by_core) {
			virtq_set_notify(&n->q[0], false);
			virtq_set_notify(&n->q[1], false);
		}
		moved += tx_batch(n, &irq);
		moved += rx_batch(n, &irq);
		if (moved)
			++*(by_core ? &n->core_steps : &n->worker_steps);
	}
	if (irq)
		atomic_fetch_or(&n->isr, ISR_USED);
	irq |= n->cfg_irq;
	n->cfg_irq = false;
	pthread_mutex_unlock(&n->mu);
	if (irq)
		hk_dev_raise(n->dev);
	return moved;
}

/* The cards the worker serves: vnet_start publishes each after its slot. */
static unsigned cards(void)
{
	return atomic_load_explicit(&n_nets, memory_order_acquire);
}

/* Whether a live card has transmit work now; if it waits for a retry of a
 * refused send, *wake_at is made no later than that. */
static bool tx_work(struct vnet *n, uint64_t *wake_at)
{
	if (n->tx_retry_at) {
		if (n->tx_retry_at < *wake_at)
			*wake_at = n->tx_retry_at;
		return false; /* frames queued meanwhile wait with the rest */
	}
	return virtq_has_avail(&n->q[1]) || n->tx_again;
}

static bool held(struct vnet *n)
{
	return atomic_load_explicit(&n->held, memory_order_acquire);
}

/* Every card of the worker's idle for a while (those their owners' cores
 * hold are not its): ask their drivers for kicks again, look once more (a
 * buffer posted before they saw the flag is found here), and sleep until a
 * kick (a core handing a card back kicks it too: vnet_serve), a frame for a
 * posted buffer or a refused send's retry. */
static void sleep_until_work(void)
{
	struct pollfd fds[2 * HK_MAX_NETS];
	struct vnet *of[2 * HK_MAX_NETS];
	bool kick[2 * HK_MAX_NETS];
	uint64_t junk, wake_at = UINT64_MAX, now;
	nfds_t nfds = 0;
	bool work = false;

	for (unsigned i = 0; i < cards(); i++) {
		struct vnet *n = nets[i];

		kick[nfds] = true;
		fds[nfds++] = (struct pollfd){.fd = n->kick, .events = POLLIN};
		if (held(n))
			continue;
		pthread_mutex_lock(&n->mu);
		if (n->live) {
			virtq_set_notify(&n->q[0], true);
			virtq_set_notify(&n->q[1], true);
			work |= tx_work(n, &wake_at);
			if (virtq_has_avail(&n->q[0]) && be_fd(n) >= 0) {
				kick[nfds] = false;
				of[nfds] = n;
				fds[nfds++] = (struct pollfd){.fd = be_fd(n), .events = POLLIN};
			}
		}
		pthread_mutex_unlock(&n->mu);
	}
	now = port_now();
	if (!work && wake_at == UINT64_MAX)
		poll(fds, nfds, -1);
	else if (!work && wake_at > now)
		poll(fds, nfds, (int)((wake_at - now + 999999) / 1000000));
	for (nfds_t i = 0; i < nfds; i++) {
		if (kick[i] && (fds[i].revents & POLLIN)) {
			(void)!read(fds[i].fd, &junk, sizeof(junk));
		} else if (!kick[i] && (fds[i].revents & POLLERR)) {
			pthread_mutex_lock(&of[i]->mu);
			be_clear_error(of[i]);
			pthread_mutex_unlock(&of[i]->mu);
		}
	}
	for (unsigned i = 0; i < cards(); i++) {
		struct vnet *n = nets[i];

		pthread_mutex_lock(&n->mu);
		if (n->live) {
			virtq_set_notify(&n->q[0], false);
			virtq_set_notify(&n->q[1], false);
		}
		pthread_mutex_unlock(&n->mu);
	}
}

/* One worker for every card its owner's core does not hold: it polls while
 * any has frames moving, so a forwarder's two ports cost one polling
 * thread, not two. */
static void *worker(void *arg)
{
	uint64_t idle_since = port_now();

	(void)arg;
	for (;;) {
		unsigned moved = 0;
		bool mine = false;

		for (unsigned i = 0; i < cards(); i++) {
			if (held(nets[i]))
				continue;
			mine = true;
			moved += step(nets[i], false);
		}
		if (moved) {
			idle_since = port_now();
		} else if (!mine || port_now() - idle_since > SPIN_NS) {
			sleep_until_work();
			idle_since = port_now();
		}
	}
	return NULL;
}

/* ---- the backend ---------------------------------------------------------- */

/* AF_XDP first unless af_packet was asked for; where it cannot run, an
 * explicit backend=af_xdp fails the boot, AUTO falls back to AF_PACKET.
 * One line says which backend the card got, and after a fallback why, so
 * a slower card is never a mystery. */
static int open_backend(struct vnet *n)
{
	const char *name = n->dev->kd->name;
	char why[160] = "";

	if (!n->ifname[0])
		return 0;
	if (n->want != BK_PACKET) {
		if (net_xdp_open(&n->xdp, n->ifname, why, sizeof(why)) == 0) {
			n->kind = BK_XDP;
			hk_msg("virtio-net '%s': interface '%s', backend af_xdp", name, n->ifname);
			return 0;
		}
		if (n->want == BK_XDP) {
			hk_msg("virtio-net '%s': cannot use interface '%s' with backend af_xdp: %s",
			       name, n->ifname, why);
			return -1;
		}
	}
	if (net_packet_open(&n->pkt, n->ifname) != 0) {
		hk_msg("virtio-net '%s': cannot use interface '%s': %m", name, n->ifname);
		return -1;
	}
	n->kind = BK_PACKET;
	if (why[0])
		hk_msg("virtio-net '%s': interface '%s', backend af_packet (af_xdp: %s)", name,
		       n->ifname, why);
	else
		hk_msg("virtio-net '%s': interface '%s', backend af_packet", name, n->ifname);
	return 0;
}

/* ---- registers ------------------------------------------------------------ */

static void device_reset(struct vnet *n)
{
	n->live = false;
	n->status = n->dev_sel = n->drv_sel = n->queue_sel = 0;
	n->drv_features = 0;
	atomic_store(&n->isr, 0);
	memset(n->q, 0, sizeof(n->q));
}

/* One "KEY=VALUE" after the interface's name; false if it is not one. */
static bool parse_key(struct vnet *n, const char *kv, size_t len)
{
	char buf[32];
	char end;

	if (len >= sizeof(buf))
		return false;
	memcpy(buf, kv, len);
	buf[len] = '\0';
	if (sscanf(buf, "corrupt=%u%c", &n->corrupt, &end) == 1)
		return true;
	for (enum backend b = BK_PACKET; b <= BK_XDP; b++)
		if (strncmp(buf, "backend=", 8) == 0 && strcmp(buf + 8, backend_name[b]) == 0)
			return n->want = b, true;
	return false;
}

/* "IFNAME[,backend=af_xdp|af_packet][,corrupt=N]" from --net DEVICE=...;
 * a bad option is reported and fails the boot (vnet_start). */
static void parse_option(struct vnet *n, const char *opt)
{
	const char *comma, *kv;
	size_t len;

	if (!opt)
		return;
	comma = strchr(opt, ',');
	len = comma ? (size_t)(comma - opt) : strlen(opt);
	for (kv = comma; kv && !n->bad_option; kv = comma) {
		kv++;
		comma = strchr(kv, ',');
		n->bad_option = !parse_key(n, kv, comma ? (size_t)(comma - kv) : strlen(kv));
	}
	if (len == 0 || len >= sizeof(n->ifname) || n->bad_option) {
		hk_msg("virtio-net '%s': --net %s=%s: want "
		       "IFNAME[,backend=af_xdp|af_packet][,corrupt=N]", n->dev->kd->name,
		       n->dev->kd->name, opt);
		n->bad_option = true;
		return;
	}
	memcpy(n->ifname, opt, len);
}

static void vnet_reset(struct hk_dev *d)
{
	struct vnet *n = net_of(d);

	if (!n) {
		n = calloc(1, sizeof(*n));
		if (!n)
			abort();
		pthread_mutex_init(&n->mu, NULL);
		n->dev = d;
		n->pkt = NET_PACKET_DOWN;
		n->xdp = NET_XDP_DOWN;
		n->kick = -1;
		parse_option(n, hk_dev_option(d->kd->name));
		/* A locally administered address, one per device. */
		memcpy(n->mac, (uint8_t[]){0x52, 0x54, 0x00, 0x56, 0x4e, 0x00}, 6);
		n->mac[5] = (uint8_t)(d->kd - hk_kernel.sys->devices);
		d->priv = n;
	}
	pthread_mutex_lock(&n->mu);
	device_reset(n);
	pthread_mutex_unlock(&n->mu);
}

static int vnet_start(struct hk_dev *d)
{
	struct vnet *n = net_of(d);
	unsigned i;
	pthread_t t;

	n->kick = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (n->bad_option || n->kick < 0 || open_backend(n) != 0)
		return -1;
	if (!n->ifname[0])
		hk_msg("virtio-net '%s': no --net %s=IFNAME, the link is down", d->kd->name,
		       d->kd->name);
	i = atomic_load_explicit(&n_nets, memory_order_relaxed); /* only boot adds */
	if (i == HK_MAX_NETS)
		return hk_msg("more than %u virtio-net cards", HK_MAX_NETS), -1;
	/* The worker may be running: the card's slot first, then the count
	 * that lets it look there. */
	nets[i] = n;
	atomic_store_explicit(&n_nets, i + 1, memory_order_release);
	if (i == 0 && pthread_create(&t, NULL, worker, NULL) != 0)
		return hk_msg("virtio-net: cannot start the worker: %m"), -1;
	return 0;
}

static void set_status(struct vnet *n, uint32_t v)
{
	if (v == 0) {
		device_reset(n);
		return;
	}
	/* Only a reset clears a bit (virtio 1.1, 2.1.2), and NEEDS_RESET is
	 * the device's to set. Else a driver could drop DRIVER_OK while the
	 * worker runs, resize the queues under it (queue_write) and send its
	 * DMA past the rings it mapped; or set DRIVER_OK again and revive a
	 * device that needs a reset. */
	v = (v & ~(uint32_t)S_NEEDS_RESET) | n->status;
	if ((v & S_FEATURES_OK) && !(n->status & S_FEATURES_OK) &&
	    ((n->drv_features & ~FEATURES) || !(n->drv_features & F_VERSION_1)))
		v &= ~(uint32_t)S_FEATURES_OK; /* refused: the driver reads it back */
	if ((v & S_DRIVER_OK) && !(n->status & S_DRIVER_OK)) {
		n->status = v;
		if (!(v & S_FEATURES_OK) || !virtq_map(&n->q[0], n->dev, QUEUE_MAX) ||
		    !virtq_map(&n->q[1], n->dev, QUEUE_MAX))
			return broken(n, "DRIVER_OK without valid features and queues (rings "
				      "in the owner's heap)");
		n->live = true;
		return;
	}
	n->status = v;
}

static uint32_t config_byte(struct vnet *n, uint64_t off)
{
	return off < 6 ? n->mac[off] : 0;
}

static uint64_t vnet_read(struct hk_dev *d, uint64_t off, uint32_t bytes)
{
	struct vnet *n = net_of(d);
	struct virtq *q;
	uint64_t v = 0;

	pthread_mutex_lock(&n->mu);
	q = &n->q[n->queue_sel < 2 ? n->queue_sel : 0];
	if (off >= VIRTIO_MMIO_CONFIG_OFFSET) {
		for (uint32_t i = 0; i < bytes; i++)
			v |= (uint64_t)config_byte(n, off - VIRTIO_MMIO_CONFIG_OFFSET + i)
			     << (8 * i);
	} else {
		switch (off) {
		case VIRTIO_MMIO_MAGIC_OFFSET: v = VIRTIO_MMIO_MAGIC_RESET; break;
		case VIRTIO_MMIO_VERSION_OFFSET: v = 2; break;   /* modern */
		case VIRTIO_MMIO_DEVICE_ID_OFFSET: v = 1; break; /* network card */
		case VIRTIO_MMIO_VENDOR_ID_OFFSET: v = 0x59544e56; break; /* "VNTY" */
		case VIRTIO_MMIO_DEVICE_FEATURES_OFFSET:
			v = n->dev_sel < 2 ? (uint32_t)(FEATURES >> (32 * n->dev_sel)) : 0;
			break;
		case VIRTIO_MMIO_QUEUE_NUM_MAX_OFFSET: v = n->queue_sel < 2 ? QUEUE_MAX : 0; break;
		case VIRTIO_MMIO_QUEUE_READY_OFFSET: v = n->queue_sel < 2 ? q->ready : 0; break;
		case VIRTIO_MMIO_INTERRUPT_STATUS_OFFSET: v = atomic_load(&n->isr); break;
		case VIRTIO_MMIO_STATUS_OFFSET: v = n->status; break;
		case VIRTIO_MMIO_CONFIG_GENERATION_OFFSET: v = 0; break;
		default: break;
		}
	}
	pthread_mutex_unlock(&n->mu);
	return v;
}

static void set_low(uint64_t *addr, uint32_t v)
{
	*addr = (*addr & ~0xffffffffull) | v;
}

static void set_high(uint64_t *addr, uint32_t v)
{
	*addr = (*addr & 0xffffffffull) | (uint64_t)v << 32;
}

static void queue_write(struct vnet *n, uint64_t off, uint32_t v)
{
	struct virtq *q = &n->q[n->queue_sel];

	if (n->status & S_DRIVER_OK)
		return; /* queues are set up before DRIVER_OK only */
	switch (off) {
	case VIRTIO_MMIO_QUEUE_NUM_OFFSET: q->num = v; break;
	case VIRTIO_MMIO_QUEUE_READY_OFFSET:
		q->ready = v & VIRTIO_MMIO_QUEUE_READY_READY_MASK;
		break;
	case VIRTIO_MMIO_QUEUE_DESC_LOW_OFFSET: set_low(&q->desc_addr, v); break;
	case VIRTIO_MMIO_QUEUE_DESC_HIGH_OFFSET: set_high(&q->desc_addr, v); break;
	case VIRTIO_MMIO_QUEUE_DRIVER_LOW_OFFSET: set_low(&q->avail_addr, v); break;
	case VIRTIO_MMIO_QUEUE_DRIVER_HIGH_OFFSET: set_high(&q->avail_addr, v); break;
	case VIRTIO_MMIO_QUEUE_DEVICE_LOW_OFFSET: set_low(&q->used_addr, v); break;
	case VIRTIO_MMIO_QUEUE_DEVICE_HIGH_OFFSET: set_high(&q->used_addr, v); break;
	}
}

static void vnet_write(struct hk_dev *d, uint64_t off, uint32_t bytes, uint64_t value)
{
	struct vnet *n = net_of(d);
	uint32_t v = (uint32_t)value;

	(void)bytes;
	pthread_mutex_lock(&n->mu);
	switch (off) {
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL_OFFSET: n->dev_sel = v; break;
	case VIRTIO_MMIO_DRIVER_FEATURES_OFFSET:
		if (n->drv_sel < 2)
			n->drv_features =
				(n->drv_features & ~(0xffffffffull << (32 * n->drv_sel))) |
				(uint64_t)v << (32 * n->drv_sel);
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL_OFFSET: n->drv_sel = v; break;
	case VIRTIO_MMIO_QUEUE_SEL_OFFSET: n->queue_sel = v; break;
	case VIRTIO_MMIO_QUEUE_NUM_OFFSET:
	case VIRTIO_MMIO_QUEUE_READY_OFFSET:
	case VIRTIO_MMIO_QUEUE_DESC_LOW_OFFSET:
	case VIRTIO_MMIO_QUEUE_DESC_HIGH_OFFSET:
	case VIRTIO_MMIO_QUEUE_DRIVER_LOW_OFFSET:
	case VIRTIO_MMIO_QUEUE_DRIVER_HIGH_OFFSET:
	case VIRTIO_MMIO_QUEUE_DEVICE_LOW_OFFSET:
	case VIRTIO_MMIO_QUEUE_DEVICE_HIGH_OFFSET:
		if (n->queue_sel < 2)
			queue_write(n, off, v);
		break;
	case VIRTIO_MMIO_QUEUE_NOTIFY_OFFSET:
		hk_eventfd_ring(n->kick);
		break;
	case VIRTIO_MMIO_INTERRUPT_ACK_OFFSET: atomic_fetch_and(&n->isr, ~v); break;
	case VIRTIO_MMIO_STATUS_OFFSET: set_status(n, v); break;
	default: break;
	}
	pthread_mutex_unlock(&n->mu);
	if (off == VIRTIO_MMIO_STATUS_OFFSET)
		hk_eventfd_ring(n->kick); /* the worker looks at the new state */
}

/* The system is over: an XDP socket's program comes off the interface,
 * which would otherwise stay in XDP mode after the kernel exits. Under the
 * card's lock (a batch in progress finishes first) and with the card down
 * after it, so the worker, which may still be running, never touches the
 * rings again (it holds the lock for every step, and then sees no
 * backend). The shards are stopped, so what the driver queued to send is
 * all there will be: it goes out first, through the ring, which the host
 * empties a batch per call (AF_XDP) or as it has socket memory (ENOBUFS),
 * for END_DRAIN_NS at most. Frames the host refuses, or has not taken by
 * then, are lost with the process: said, with how many. */
static void vnet_end(struct hk_dev *d)
{
	struct vnet *n = net_of(d);
	uint64_t until = port_now() + END_DRAIN_NS;
	uint32_t left, queued;
	bool irq = false;
	int r;

	if (!n)
		return;
	pthread_mutex_lock(&n->mu);
	for (;;) {
		if (n->live)
			tx_batch(n, &irq); /* what fits in the ring; nobody takes the interrupt */
		r = be_tx_flush(n);
		left = be_tx_waiting(n);
		queued = n->live ? virtq_avail_count(&n->q[1]) : 0;
		if (r < 0 || (!left && !queued) || port_now() >= until)
			break;
		usleep(50);
	}
	if ((left || queued) && r < 0)
		hk_msg("virtio-net '%s': %u frames never sent: '%s' refused them (%s)",
		       d->kd->name, left + queued, n->ifname, strerror(-r));
	else if (left || queued)
		hk_msg("virtio-net '%s': %u frames never sent: '%s' did not take them within "
		       "%llu ms", d->kd->name, left + queued, n->ifname, END_DRAIN_NS / 1000000);
	if (n->kind == BK_XDP) {
		n->kind = BK_AUTO;
		n->rx_dropped += n->xdp.rx_bad;
		n->rx_lost += n->xdp.rx_lost;
		net_xdp_close(&n->xdp);
	}
	pthread_mutex_unlock(&n->mu);
}

/* VANITY_STATS=1: the card's counters, at exit (after vnet_end, which
 * adds the AF_XDP socket's own: bad descriptors count as dropped). */
static void vnet_stats(struct hk_dev *d)
{
	struct vnet *n = net_of(d);

	if (!n)
		return;
	pthread_mutex_lock(&n->mu);
	hk_msg("stats: virtio-net '%s': rx %llu rx-dropped %llu tx %llu tx-dropped %llu "
	       "tx-refused %llu bad %llu", d->kd->name, (unsigned long long)n->rx_frames,
	       (unsigned long long)n->rx_dropped,
	       (unsigned long long)n->tx_frames, (unsigned long long)n->tx_dropped,
	       (unsigned long long)n->tx_refused, (unsigned long long)n->bad);
	if (n->rx_lost)
		hk_msg("stats: virtio-net '%s': %llu receive frames lost to a full fill ring",
		       d->kd->name, (unsigned long long)n->rx_lost);
	hk_msg("stats: virtio-net '%s': batches moved by the owner's core %llu, by the "
	       "worker %llu", d->kd->name, (unsigned long long)n->core_steps,
	       (unsigned long long)n->worker_steps);
	pthread_mutex_unlock(&n->mu);
}

/* The owner's core serves the card (dev.h): a batch each way now, and the
 * worker leaves it alone until the core lets it go, when the kick wakes
 * the worker to take it back. */
static void vnet_serve(struct hk_dev *d, bool mine)
{
	struct vnet *n = net_of(d);

	if (!n)
		return;
	if (!mine) {
		atomic_store_explicit(&n->held, false, memory_order_release);
		hk_eventfd_ring(n->kick);
		return;
	}
	atomic_store_explicit(&n->held, true, memory_order_release);
	step(n, true);
}

static bool vnet_irq(struct hk_dev *d, uint64_t now)
{
	(void)now;
	return atomic_load(&net_of(d)->isr) != 0;
}

const struct hk_model hk_virtio_net = {
	.compatible = "virtio,mmio",
	.dma = true,
	.reset = vnet_reset,
	.start = vnet_start,
	.read = vnet_read,
	.write = vnet_write,
	.irq_level = vnet_irq,
	.end = vnet_end,
	.stats = vnet_stats,
	.serve = vnet_serve,
};
