/*
 * net_xdp.c - the AF_XDP backend of the network device models (net_xdp.h),
 * through libxdp: it loads and attaches the XDP program that redirects
 * the interface's frames into the socket (in the driver where the
 * interface supports XDP, else in the generic path), and sets up the
 * socket, its four rings and the UMEM.
 *
 * The UMEM's first RX_FRAMES frames are for receiving: all of them start
 * in the fill ring, and each goes back there as soon as the model has
 * copied its frame out. The last NET_XDP_TX_FRAMES are for transmitting:
 * a free list, which completions refill.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/if_xdp.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "net_xdp.h"

#define FRAME XSK_UMEM__DEFAULT_FRAME_SIZE
#define RX_FRAMES 1024u
#define TX_FRAMES NET_XDP_TX_FRAMES
#define AREA ((size_t)FRAME * (RX_FRAMES + TX_FRAMES))

/* libxdp and libbpf explain their failures on stderr, several lines each,
 * some of them for steps that have a fallback. The model says in one line
 * which backend a card got and why (dev_virtio_net.c), so they are quiet. */
static int quiet_xdp(enum libxdp_print_level level, const char *fmt, va_list ap)
{
	(void)level, (void)fmt, (void)ap;
	return 0;
}

static int quiet_bpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level, (void)fmt, (void)ap;
	return 0;
}

/* The socket serves receive queue 0 only: frames the interface spreads to
 * other queues would pass to the host's stack instead, and the card would
 * lose them without a word. So more than one queue is a reason to refuse. */
static unsigned rx_queues(const char *ifname)
{
	char path[64 + IF_NAMESIZE];
	unsigned n = 0;
	struct dirent *e;
	DIR *d;

	snprintf(path, sizeof(path), "/sys/class/net/%s/queues", ifname);
	d = opendir(path);
	if (!d)
		return 1; /* no sysfs to ask: let the kernel decide */
	while ((e = readdir(d)))
		n += strncmp(e->d_name, "rx-", 3) == 0;
	closedir(d);
	return n ? n : 1;
}

/* A bound AF_PACKET socket of protocol 0 receives nothing, but its
 * membership keeps the interface promiscuous, as net_packet.c's does, for
 * exactly as long as the process lives. */
static int promiscuous(const char *ifname)
{
	struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_protocol = 0};
	struct packet_mreq mr = {.mr_type = PACKET_MR_PROMISC};
	int s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);

	sll.sll_ifindex = (int)if_nametoindex(ifname);
	mr.mr_ifindex = sll.sll_ifindex;
	if (s < 0 || bind(s, (struct sockaddr *)&sll, sizeof(sll)) != 0 ||
	    setsockopt(s, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr)) != 0) {
		if (s >= 0)
			close(s);
		return -1;
	}
	return s;
}

void net_xdp_close(struct net_xdp *x)
{
	if (x->xsk)
		xsk_socket__delete(x->xsk);
	if (x->umem)
		xsk_umem__delete(x->umem);
	if (x->area)
		munmap(x->area, AREA);
	if (x->promisc >= 0)
		close(x->promisc);
	*x = NET_XDP_DOWN;
}

static int fail(struct net_xdp *x, char *why, size_t why_len, const char *step, int err)
{
	snprintf(why, why_len, "%s: %s", step, strerror(err));
	net_xdp_close(x);
	return -1;
}

int net_xdp_open(struct net_xdp *x, const char *ifname, char *why, size_t why_len)
{
	struct xsk_umem_config ucfg = {.fill_size = RX_FRAMES, .comp_size = TX_FRAMES,
				       .frame_size = FRAME};
	/* Wake-ups only when the kernel asks for them (XDP_USE_NEED_WAKEUP):
	 * no system call for a fill ring the kernel is still reading. */
	struct xsk_socket_config scfg = {.rx_size = RX_FRAMES, .tx_size = TX_FRAMES,
					 .bind_flags = XDP_USE_NEED_WAKEUP};
	unsigned queues = rx_queues(ifname);
	uint32_t idx;
	int err;

	*x = NET_XDP_DOWN;
	libxdp_set_print(quiet_xdp);
	libbpf_set_print(quiet_bpf);
	if (if_nametoindex(ifname) == 0)
		return fail(x, why, why_len, "no such interface", errno);
	if (queues > 1) {
		snprintf(why, why_len, "%u receive queues, and an XDP socket serves one", queues);
		return -1;
	}
	x->area = mmap(NULL, AREA, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (x->area == MAP_FAILED) {
		x->area = NULL;
		return fail(x, why, why_len, "UMEM", errno);
	}
	/* Shards are forked from this process (proc.c) and exec at once: a
	 * UMEM pinned by its registration would otherwise be copied into
	 * every child at fork, for nothing. */
	(void)madvise(x->area, AREA, MADV_DONTFORK);
	err = xsk_umem__create(&x->umem, x->area, AREA, &x->fill, &x->comp, &ucfg);
	if (err) {
		x->umem = NULL;
		return fail(x, why, why_len, "UMEM", -err);
	}
	err = xsk_socket__create(&x->xsk, ifname, 0, x->umem, &x->rx, &x->tx, &scfg);
	if (err) {
		x->xsk = NULL;
		return fail(x, why, why_len, "XDP socket", -err);
	}
	x->promisc = promiscuous(ifname);
	if (x->promisc < 0)
		return fail(x, why, why_len, "promiscuous mode", errno);
	if (xsk_ring_prod__reserve(&x->fill, RX_FRAMES, &idx) != RX_FRAMES)
		return fail(x, why, why_len, "fill ring", ENOSPC);
	for (uint32_t i = 0; i < RX_FRAMES; i++)
		*xsk_ring_prod__fill_addr(&x->fill, idx + i) = (uint64_t)i * FRAME;
	xsk_ring_prod__submit(&x->fill, RX_FRAMES);
	for (uint32_t i = 0; i < TX_FRAMES; i++)
		x->tx_free[x->n_free++] = (uint64_t)(RX_FRAMES + i) * FRAME;
	x->fd = xsk_socket__fd(x->xsk);
	return 0;
}

/* The host wrote addr and len: a frame it placed past its own UMEM frame,
 * or outside the receive frames, would be its bug; the copy out must not
 * follow it. */
static bool rx_desc_ok(uint64_t addr, uint32_t len)
{
	return addr < (uint64_t)RX_FRAMES * FRAME && len <= FRAME - addr % FRAME;
}

const uint8_t *net_xdp_rx(struct net_xdp *x, uint32_t *len)
{
	const struct xdp_desc *d;
	uint32_t idx;

	if (x->fd < 0)
		return NULL;
	while (!x->held) {
		if (!xsk_ring_cons__peek(&x->rx, 1, &idx)) {
			/* Nothing came: if the kernel ran out of buffers
			 * and said so, tell it there are more. */
			if (xsk_ring_prod__needs_wakeup(&x->fill))
				(void)recvfrom(x->fd, NULL, 0, MSG_DONTWAIT, NULL, NULL);
			return NULL;
		}
		d = xsk_ring_cons__rx_desc(&x->rx, idx);
		x->held = true;
		x->held_addr = d->addr;
		x->held_len = d->len;
		if (!rx_desc_ok(x->held_addr, x->held_len)) {
			x->rx_bad++; /* dropped, not handed over */
			net_xdp_rx_done(x);
		}
	}
	*len = x->held_len;
	return x->area + x->held_addr;
}

void net_xdp_rx_done(struct net_xdp *x)
{
	uint32_t idx;

	if (!x->held)
		return;
	xsk_ring_cons__release(&x->rx, 1);
	x->held = false;
	if (x->held_addr >= (uint64_t)RX_FRAMES * FRAME)
		return; /* no frame of ours: nothing to give back */
	/* The fill ring has an entry for every receive frame, so there is
	 * room; a frame it had none for is lost to receiving, and counted. */
	if (xsk_ring_prod__reserve(&x->fill, 1, &idx) != 1) {
		x->rx_lost++;
		return;
	}
	*xsk_ring_prod__fill_addr(&x->fill, idx) = x->held_addr - x->held_addr % FRAME;
	xsk_ring_prod__submit(&x->fill, 1);
}

/* Transmit frames the kernel is done with, back on the free list. */
static void reclaim(struct net_xdp *x)
{
	uint32_t idx, n = xsk_ring_cons__peek(&x->comp, TX_FRAMES, &idx);

	for (uint32_t i = 0; i < n && x->n_free < TX_FRAMES; i++) {
		uint64_t addr = *xsk_ring_cons__comp_addr(&x->comp, idx + i);

		x->tx_free[x->n_free++] = addr - addr % FRAME;
	}
	if (n)
		xsk_ring_cons__release(&x->comp, n);
}

uint8_t *net_xdp_tx_slot(struct net_xdp *x, size_t *room)
{
	if (x->fd < 0)
		return NULL;
	if (!x->n_free)
		reclaim(x);
	if (!x->n_free)
		return NULL;
	*room = FRAME;
	return x->area + x->tx_free[x->n_free - 1];
}

bool net_xdp_tx(struct net_xdp *x, uint32_t len)
{
	struct xdp_desc *d;
	uint32_t idx;

	/* The ring has a descriptor for every transmit frame, and this one
	 * was free (net_xdp_tx_slot): the reservation cannot fail. Should it,
	 * the frame stays free and the caller counts it dropped. */
	if (xsk_ring_prod__reserve(&x->tx, 1, &idx) != 1)
		return false;
	d = xsk_ring_prod__tx_desc(&x->tx, idx);
	d->addr = x->tx_free[--x->n_free];
	d->len = len;
	d->options = 0;
	xsk_ring_prod__submit(&x->tx, 1);
	return true;
}

/* The kernel sends a bounded batch per call and says EAGAIN when some
 * are left, EBUSY when it dropped one (the interface has no carrier),
 * ENOBUFS when its socket buffer is full for a moment: all call again. Any
 * other error (ENETDOWN while the interface is down; EMSGSIZE from older
 * kernels for a frame over the MTU) took nothing: the descriptors stay in
 * the ring, and the caller tries again later (dev_virtio_net.c backs off). */
int net_xdp_tx_flush(struct net_xdp *x)
{
	if (x->fd < 0 || !xsk_ring_prod__needs_wakeup(&x->tx))
		return 0;
	if (sendto(x->fd, NULL, 0, MSG_DONTWAIT, NULL, 0) >= 0)
		return 0;
	if (errno == EAGAIN || errno == EBUSY || errno == ENOBUFS || errno == EINTR)
		return 1;
	return -errno;
}

uint32_t net_xdp_tx_waiting(struct net_xdp *x)
{
	if (x->fd < 0)
		return 0;
	return x->tx.size - xsk_prod_nb_free(&x->tx, x->tx.size);
}
