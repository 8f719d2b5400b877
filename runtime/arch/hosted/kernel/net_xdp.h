/*
 * net_xdp.h - a host interface as a network device model's backend over
 * AF_XDP: an XDP program on the interface redirects every frame of its
 * receive queue 0 into an XDP socket, whose rings and frame memory (the
 * UMEM) are mapped into the kernel process. Frames bypass the host's
 * network stack on the way in, and nothing takes a system call per frame
 * (one sendto() per transmitted batch, as with net_packet.h).
 *
 * The UMEM is the model's own, not the owner's heap: a frame is copied
 * once by the model between a UMEM frame and the driver's buffer, as with
 * AF_PACKET (docs/hosted.md says why). Frames are 4 KiB (as net_packet.h's
 * slots), 1024 to receive into and 1024 to transmit from: a transmit frame
 * comes back only when the host frees its copy, which on veth is after the
 * peer's stack has taken it, so on a busy host hundreds can be in flight
 * and fewer would stall the driver's transmit queue.
 *
 * The same calls as net_packet.h, so the model drives either one.
 */
#ifndef VN_HK_NET_XDP_H
#define VN_HK_NET_XDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xdp/xsk.h>

#define NET_XDP_TX_FRAMES 1024u

struct net_xdp {
	int fd;                     /* the XDP socket; -1 when not open */
	int promisc;                /* a socket holding the interface promiscuous */
	struct xsk_socket *xsk;
	struct xsk_umem *umem;
	uint8_t *area;              /* the UMEM, mapped */
	struct xsk_ring_prod fill, tx;
	struct xsk_ring_cons rx, comp;
	bool held;                  /* rx returned a frame not yet released */
	uint64_t held_addr;
	uint32_t held_len;
	uint32_t n_free;            /* transmit frames not in the kernel's hands */
	uint64_t tx_free[NET_XDP_TX_FRAMES];
	/* Never seen, by the rings' sizes; counted should the host prove
	 * otherwise (VANITY_STATS prints them with the card's counters). */
	uint64_t rx_bad;            /* descriptors outside the receive frames: dropped */
	uint64_t rx_lost;           /* receive frames the fill ring had no room for */
};

#define NET_XDP_DOWN ((struct net_xdp){.fd = -1, .promisc = -1})

/* Binds to queue 0 of ifname and makes it promiscuous; -1 and the reason
 * in why if AF_XDP cannot run there (no permission, no XDP on the
 * interface or in the host kernel, more than one receive queue). */
int net_xdp_open(struct net_xdp *x, const char *ifname, char *why, size_t why_len);
/* The next received frame, or NULL; release it with net_xdp_rx_done. */
const uint8_t *net_xdp_rx(struct net_xdp *x, uint32_t *len);
void net_xdp_rx_done(struct net_xdp *x);
/* Room for the next frame to send, or NULL while every transmit frame is
 * in flight; queue it with net_xdp_tx (false: not queued, which the ring's
 * size rules out), send with net_xdp_tx_flush. */
uint8_t *net_xdp_tx_slot(struct net_xdp *x, size_t *room);
bool net_xdp_tx(struct net_xdp *x, uint32_t len);
/* 0: the host took every frame queued; 1: it took a batch, or had no room
 * for a moment, and frames still wait (call again soon); -errno: it took
 * none (the interface is down, ...), and they wait for a later call. */
int net_xdp_tx_flush(struct net_xdp *x);
/* Frames queued that the host has not taken from the transmit ring yet:
 * what closing the socket would lose. */
uint32_t net_xdp_tx_waiting(struct net_xdp *x);
/* Closes the socket, and takes the XDP program off the interface if no
 * other socket uses it; the backend is down after. */
void net_xdp_close(struct net_xdp *x);

#endif /* VN_HK_NET_XDP_H */
