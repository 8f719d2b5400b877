/*
 * net_packet.c - the AF_PACKET backend of the network device models
 * (net_packet.h).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "net_packet.h"

#define SLOT 4096u
#define RX_SLOTS 1024u
#define TX_SLOTS 256u
#define TX_DATA TPACKET_ALIGN(sizeof(struct tpacket2_hdr))

static struct tpacket2_hdr *rx_slot(struct net_packet *p)
{
	return (struct tpacket2_hdr *)(p->rx_ring + (size_t)p->rx_head * SLOT);
}

static struct tpacket2_hdr *tx_slot(struct net_packet *p)
{
	return (struct tpacket2_hdr *)(p->tx_ring + (size_t)p->tx_head * SLOT);
}

static uint32_t slot_status(struct tpacket2_hdr *h)
{
	return atomic_load_explicit((_Atomic uint32_t *)&h->tp_status, memory_order_acquire);
}

static void slot_give(struct tpacket2_hdr *h, uint32_t status)
{
	atomic_store_explicit((_Atomic uint32_t *)&h->tp_status, status, memory_order_release);
}

static int map_rings(struct net_packet *p)
{
	int version = TPACKET_V2;
	struct tpacket_req rx = {.tp_block_size = SLOT, .tp_block_nr = RX_SLOTS,
				 .tp_frame_size = SLOT, .tp_frame_nr = RX_SLOTS};
	struct tpacket_req tx = {.tp_block_size = SLOT, .tp_block_nr = TX_SLOTS,
				 .tp_frame_size = SLOT, .tp_frame_nr = TX_SLOTS};
	void *map;

	if (setsockopt(p->sock, SOL_PACKET, PACKET_VERSION, &version, sizeof(version)) != 0 ||
	    setsockopt(p->sock, SOL_PACKET, PACKET_RX_RING, &rx, sizeof(rx)) != 0 ||
	    setsockopt(p->sock, SOL_PACKET, PACKET_TX_RING, &tx, sizeof(tx)) != 0)
		return -1;
	map = mmap(NULL, (size_t)SLOT * (RX_SLOTS + TX_SLOTS), PROT_READ | PROT_WRITE,
		   MAP_SHARED, p->sock, 0);
	if (map == MAP_FAILED)
		return -1;
	/* the frames in it stay out of the shard processes forked from here */
	(void)madvise(map, (size_t)SLOT * (RX_SLOTS + TX_SLOTS), MADV_DONTFORK);
	p->rx_ring = map;
	p->tx_ring = p->rx_ring + (size_t)SLOT * RX_SLOTS;
	return 0;
}

int net_packet_open(struct net_packet *p, const char *ifname)
{
	struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL)};
	struct packet_mreq mr = {.mr_type = PACKET_MR_PROMISC};
	int one = 1;

	sll.sll_ifindex = (int)if_nametoindex(ifname);
	mr.mr_ifindex = sll.sll_ifindex;
	/* Protocol 0 until bound, so no frame of another interface slips in;
	 * the rings before the bind, so every frame goes through them.
	 * PACKET_LOSS: a frame the host refuses (longer than the interface's
	 * MTU) is dropped by the host; without it, the host would stop at
	 * that slot, and the frames behind it wait until the ring wrapped. */
	p->sock = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (sll.sll_ifindex == 0 || p->sock < 0 ||
	    setsockopt(p->sock, SOL_PACKET, PACKET_LOSS, &one, sizeof(one)) != 0 ||
	    map_rings(p) != 0 || bind(p->sock, (struct sockaddr *)&sll, sizeof(sll)) != 0 ||
	    setsockopt(p->sock, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)) != 0 ||
	    setsockopt(p->sock, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr)) != 0)
		return -1;
	return 0;
}

const uint8_t *net_packet_rx(struct net_packet *p, uint32_t *len, uint32_t *wire_len)
{
	struct tpacket2_hdr *h;

	if (!p->rx_ring || !(slot_status(h = rx_slot(p)) & TP_STATUS_USER))
		return NULL;
	*len = h->tp_snaplen;
	*wire_len = h->tp_len;
	return (const uint8_t *)h + h->tp_mac;
}

void net_packet_rx_done(struct net_packet *p)
{
	slot_give(rx_slot(p), TP_STATUS_KERNEL);
	p->rx_head = (p->rx_head + 1) % RX_SLOTS;
}

uint8_t *net_packet_tx_slot(struct net_packet *p, size_t *room)
{
	struct tpacket2_hdr *h;
	uint32_t status;

	h = tx_slot(p);
	status = slot_status(h);
	if (status != TP_STATUS_AVAILABLE && status != TP_STATUS_WRONG_FORMAT)
		return NULL;
	*room = SLOT - TX_DATA;
	return (uint8_t *)h + TX_DATA;
}

void net_packet_tx(struct net_packet *p, uint32_t len)
{
	struct tpacket2_hdr *h = tx_slot(p);

	h->tp_len = len;
	slot_give(h, TP_STATUS_SEND_REQUEST);
	p->tx_head = (p->tx_head + 1) % TX_SLOTS;
}

/* One call sends every frame queued, unless the host runs out of room
 * (ENOBUFS, EAGAIN): the rest wait, and the caller calls again. Any other
 * error (ENETDOWN while the interface is down) took nothing: the frames
 * stay in the ring, and the caller tries again later (dev_virtio_net.c
 * backs off). */
int net_packet_tx_flush(struct net_packet *p)
{
	if (p->sock < 0 || sendto(p->sock, NULL, 0, MSG_DONTWAIT, NULL, 0) >= 0)
		return 0;
	if (errno == EAGAIN || errno == ENOBUFS || errno == EINTR)
		return 1;
	return -errno;
}

uint32_t net_packet_tx_waiting(struct net_packet *p)
{
	uint32_t n = 0;

	for (uint32_t i = 0; p->tx_ring && i < TX_SLOTS; i++) {
		struct tpacket2_hdr *h = (struct tpacket2_hdr *)(p->tx_ring + (size_t)i * SLOT);

		n += slot_status(h) == TP_STATUS_SEND_REQUEST;
	}
	return n;
}
