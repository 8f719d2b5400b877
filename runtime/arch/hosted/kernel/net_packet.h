/*
 * net_packet.h - a host interface as a network device model's backend:
 * an AF_PACKET socket with TPACKET_V2 rings mapped into the kernel, so
 * frames move without a system call each (one sendto() per transmitted
 * batch). Frame slots are 4 KiB (an MTU up to about 4000): 1024 to
 * receive into and 256 to transmit from.
 */
#ifndef VN_HK_NET_PACKET_H
#define VN_HK_NET_PACKET_H

#include <stddef.h>
#include <stdint.h>

struct net_packet {
	int sock;                   /* -1: no interface, the link is down */
	uint8_t *rx_ring, *tx_ring; /* the socket's rings, mapped */
	uint32_t rx_head, tx_head;  /* next frame slot of each */
};

#define NET_PACKET_DOWN ((struct net_packet){.sock = -1})

/* Binds to ifname, promiscuous, its own transmissions not looped back. */
int net_packet_open(struct net_packet *p, const char *ifname);
/* The next received frame, or NULL; release it with net_packet_rx_done. */
const uint8_t *net_packet_rx(struct net_packet *p, uint32_t *len, uint32_t *wire_len);
void net_packet_rx_done(struct net_packet *p);
/* True if bound to an interface: without one, frames are dropped. */
static inline int net_packet_up(const struct net_packet *p)
{
	return p->tx_ring != NULL;
}

/* Room for the next frame to send (*room bytes) on an interface that is
 * up, or NULL while the ring is full. Queue it with net_packet_tx, send
 * what is queued with net_packet_tx_flush. */
uint8_t *net_packet_tx_slot(struct net_packet *p, size_t *room);
void net_packet_tx(struct net_packet *p, uint32_t len);
/* 0: the host took every frame queued; 1: it had no room for some for a
 * moment (call again soon); -errno: it took none (the interface is down,
 * ...), and they wait in the ring for a later call. */
int net_packet_tx_flush(struct net_packet *p);
/* Frames queued that the host has not taken yet (not even begun to
 * send): what the process's end would lose. */
uint32_t net_packet_tx_waiting(struct net_packet *p);

#endif /* VN_HK_NET_PACKET_H */
