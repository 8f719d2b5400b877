/*
 * vanity.h - the shard API.
 *
 * A shard is one isolated workload. It provides vn_main() and talks to other
 * shards only through the channels the system spec gives it. Its generated
 * header <vanity_shard.h> declares exactly those channel endpoints (and
 * includes this file), so a shard cannot even name another shard's channel.
 *
 *   #include <vanity_shard.h>
 *
 *   void vn_main(void)
 *   {
 *           struct msg m;
 *           for (;;) {
 *                   while (!vn_recv(&vn_rx_requests, &m))
 *                           vn_wait(VN_FOREVER);
 *                   ...
 *           }
 *   }
 *
 * Hot path: vn_send/vn_recv and their burst and zero-copy forms are inline
 * loads and stores on the shared ring, always inlined (VN_RING_FN), so the
 * endpoint's description and the message size fold into constants wherever
 * they are called; they never enter the kernel unless the peer is a `yield`
 * shard that is asleep. The calls that ask the kernel for something enter
 * it: vn_yield, vn_wait (a poll shard's spin only every 64 rounds), vn_sleep,
 * vn_exit, vn_halt, vn_irq_ack, vn_log, the peer and reload calls, MMIO
 * calls, and vn_signal_<S> on the QEMU boards (on hosted it posts its bit
 * through the control page and rings a doorbell, as a send does).
 */
#ifndef VANITY_H
#define VANITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vanity/pool.h>
#include <vanity/ring.h>

/* A set of notification bits: bit k is the shard's k-th channel endpoint,
 * then one bit per signal it sends or receives, then one bit per device it
 * owns, in the order of the generated VN_NOTIFY_* constants. */
typedef uint64_t vn_bits_t;

#define VN_FOREVER UINT64_MAX

/* Entry point, written by the shard. Returning is vn_exit(0). */
void vn_main(void);

/* ---- channels: copying ---------------------------------------------------
 * Messages are exactly the channel's message size (VN_MSG_SIZE_<channel> in
 * the generated header). Send returns false when the ring is full, receive
 * returns false when it is empty; neither blocks. */
VN_RING_FN bool vn_send(const struct vn_tx *tx, const void *msg)
{
	return vn_tx_send(tx, msg, tx->msg_size);
}

VN_RING_FN bool vn_recv(const struct vn_rx *rx, void *msg)
{
	return vn_rx_recv(rx, msg, rx->msg_size);
}

/* Up to n messages to or from a contiguous array; returns the count moved.
 * A burst publishes once and notifies at most once. */
VN_RING_FN uint32_t vn_send_burst(const struct vn_tx *tx, const void *msgs, uint32_t n)
{
	return vn_tx_send_burst(tx, msgs, n, tx->msg_size);
}

VN_RING_FN uint32_t vn_recv_burst(const struct vn_rx *rx, void *msgs, uint32_t n)
{
	return vn_rx_recv_burst(rx, msgs, n, rx->msg_size);
}

/* ---- channels: zero-copy -------------------------------------------------
 * vn_reserve returns the next free slot (NULL when full); call it again to
 * reserve more. vn_commit publishes every slot reserved so far.
 * vn_peek returns the next unread message (NULL when none); call it again to
 * look further. vn_release frees every slot peeked so far. */
VN_RING_FN void *vn_reserve(const struct vn_tx *tx) { return vn_tx_reserve(tx); }
VN_RING_FN void vn_commit(const struct vn_tx *tx) { vn_tx_commit(tx); }
VN_RING_FN const void *vn_peek(const struct vn_rx *rx) { return vn_rx_peek(rx); }
VN_RING_FN void vn_release(const struct vn_rx *rx) { vn_rx_release(rx); }

/* Messages waiting / slots free, without blocking: at most the depth,
 * whatever the peer wrote in its index, so a shard may size an array by
 * them. */
VN_RING_FN uint32_t vn_pending(const struct vn_rx *rx)
{
	uint32_t n = vn_rx_avail(rx, UINT32_MAX);

	return n <= rx->mask ? n : rx->mask + 1u;
}

VN_RING_FN uint32_t vn_space(const struct vn_tx *tx)
{
	uint32_t n = vn_tx_space(tx, UINT32_MAX);

	return n <= tx->mask ? n : tx->mask + 1u;
}

/* ---- scheduling ---------------------------------------------------------- */

/* Let the other shards on this core run; returns when it is our turn again.
 * On bare metal, the trap instruction itself, inline. */
#if __STDC_HOSTED__
void vn_yield(void);
#else
#include <vanity/syscall.h>

static inline void vn_yield(void) { vn_syscall(VN_SYS_YIELD, 0, 0); }
#endif

/*
 * Sleep until one of this shard's input channels has a message, a full
 * output channel has space, or timeout_ns passes. Returns the channels that
 * are ready (VN_NOTIFY_* bits), or 0 on timeout. A `poll` shard, or a `yield`
 * shard with a spin budget, spins on its rings before it sleeps.
 */
vn_bits_t vn_wait(uint64_t timeout_ns);

/*
 * vn_wait for the endpoints in `watch` only (their VN_NOTIFY_* bits): the
 * others are not armed, so a message or space on them neither wakes this
 * shard nor ends the wait. A bit of theirs the kernel holds anyway (news
 * of their peer, or a notification sent while an earlier wait watched
 * them) does not end it either: it is kept, and returned by the first
 * wait that watches that endpoint (vn_wait watches all). Interrupts,
 * signals and a reload end it whatever the mask: so it may return bits
 * outside `watch`. For a return channel that need not be emptied until its
 * buffers run low: watch it only then.
 */
vn_bits_t vn_wait_on(vn_bits_t watch, uint64_t timeout_ns);
#define VN_WAIT_ALL (~(vn_bits_t)0)

/*
 * Sleep for ns nanoseconds, whatever is ready meanwhile: unlike vn_wait, a
 * message, space or interrupt does not end it. Notifications that arrive
 * during the sleep are kept and returned by the next vn_wait.
 */
void vn_sleep(uint64_t ns);

/* Monotonic time in nanoseconds. */
uint64_t vn_now(void);

/* This shard is done; the others go on. */
_Noreturn void vn_exit(int status);

/* Stop the whole system with this exit status. */
_Noreturn void vn_halt(int status);

/* ---- peers ----------------------------------------------------------------
 * When the shard at the other end of a channel restarts, stops (a fault, or
 * a spent restart budget) or exits, the kernel sets this shard's bit of that
 * endpoint (VN_NOTIFY_<endpoint>, the same bit a message or space sets) and
 * wakes it if it sleeps in vn_wait. vn_wait may thus return a channel's bit
 * while its ring has nothing new: ask vn_peer_rx / vn_peer_tx what became of
 * the peer. They fill *p and return 0, or -VN_EPERM if the endpoint is not
 * this shard's (never for a generated endpoint). A `poll` shard, which spins
 * on its rings, sees the bit only when vn_wait or vn_sleep enters the kernel;
 * it may call vn_peer_* at any time.
 *
 * The generation counts the peer's starts: 1 for its first, +1 for every
 * restart. Queued messages survive a restart in both directions: the
 * restarted shard starts with fresh memory but with its channels as they
 * were (messages it sent before are still queued for the receiver; messages
 * queued to it are delivered to the new generation). */
enum vn_peer_state {
	VN_PEER_LIVE = 0,    /* running, ready or waiting */
	VN_PEER_EXITED = 1,  /* returned, exited or halted: never runs again */
	VN_PEER_STOPPED = 2, /* stopped by a fault: never runs again */
};

struct vn_peer {
	uint32_t state;      /* enum vn_peer_state */
	uint32_t generation; /* 1 + restarts so far */
};

int vn_peer_rx(const struct vn_rx *rx, struct vn_peer *p);
int vn_peer_tx(const struct vn_tx *tx, struct vn_peer *p);
/* The same for either end of a signal: vn_peer_signal(VN_SIGNAL_<S>, &p). */
int vn_peer_signal(uint32_t signal, struct vn_peer *p);

/* ---- signals --------------------------------------------------------------
 * A signal (spec `signals:`) is a one-way notification with no ring and no
 * message. Its sender's header defines vn_signal_<S>(), which sets the
 * receiver's VN_NOTIFY_<S> bit and wakes it if it sleeps in vn_wait; several
 * signals before the receiver runs merge into one bit, as notifications do.
 * Both ends hold a bit (VN_NOTIFY_<S>), which also tells of the peer's
 * restart or stop as a channel endpoint's does. A `poll` receiver sees the
 * bit when vn_wait enters the kernel, which it does now and then while it
 * spins. On hosted, vn_signal_<S>() posts through the control page without
 * a system call; on the boards it is a NOTIFY system call. */

/* ---- hot reload (docs/reload.md) ------------------------------------------
 * A shard whose spec gives it `reload: {handoff: SIZE}` is asked before a
 * new version replaces it: vn_wait returns VN_RELOAD. Write the state the
 * next version needs into vn_handoff() and call vn_reload_quiesce(), which
 * does not return: the new version starts, with its channels and their
 * queued messages as they were, and finds the state where it was left;
 * vn_handoff_generation() says which generation wrote it (0: none, a fresh
 * start). A loop that may go long without vn_wait under load asks
 * vn_reload_pending() now and then (every few hundred messages: it is a
 * system call). A shard that does not quiesce in time is swapped anyway at
 * its next clean point, or the reload refused, as its spec's `late` says.
 *
 * An updater (`reload: {updates: [b]}`) hands the kernel a reload image
 * (vanity/reload.h) from its own memory with vn_reload(VN_RELOAD_B, image,
 * length). It returns VN_RELOAD_OK (0) when the image passed every check
 * and the swap is under way, or why not (an enum vn_reload_status; words
 * from vn_reload_why()), or -VN_EPERM without the right to that shard. */
#include <vanity/reload.h>

#define VN_RELOAD (UINT64_C(1) << VN_RELOAD_BIT)

bool vn_reload_pending(void);
void *vn_handoff(size_t *size);
uint32_t vn_handoff_generation(void);
int vn_reload_quiesce(void);
int vn_reload(uint32_t shard, const void *image, size_t length);

/* ---- devices --------------------------------------------------------------
 * A device the spec grants to this shard is mapped at VN_DEVICE_<D>_BASE
 * (VN_DEVICE_<D>_SIZE bytes; device memory, read/write, not executable).
 * When its interrupt (VN_DEVICE_<D>_IRQ) fires, the kernel masks it and
 * vn_wait returns VN_NOTIFY_<D>. Quieten the device, then acknowledge the
 * bits with vn_irq_ack to let the interrupt fire again. Returns 0, or
 * -VN_EPERM if a bit is not an interrupting device of this shard (nothing is
 * then unmasked), -VN_EINVAL for no bits, -VN_ENOSYS if the board cannot
 * deliver one of them (hosted: a device the simulator has no model of). */
int vn_irq_ack(vn_bits_t bits);

/* ---- introspection and console (not for hot paths) ----------------------- */

const char *vn_shard_name(void);

/* The shard's private heap region (the spec's `memory:`), zeroed at start;
 * its size in *size. The C library's malloc, where there is one, does not
 * use it. */
void *vn_heap(size_t *size);

/* printf-style line on the system console, prefixed with the shard's name. */
void vn_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* VANITY_H */
