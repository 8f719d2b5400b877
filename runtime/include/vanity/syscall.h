/*
 * vanity/syscall.h - the system call ABI between a shard and the kernel.
 *
 * Twelve calls, each (op, a0, a1) -> one 64-bit result. How a call reaches the
 * kernel is the port's business (hosted: a request in the control page and a
 * doorbell, in the shard library; bare metal: a trap, inline from the port's
 * abi.h), so each port supplies vn_syscall(). The kernel validates every
 * argument before it acts on it.
 *
 * Results: WAIT returns notification bits and never fails. Every other call
 * returns 0 on success or VN_ERR(e); test with VN_IS_ERR().
 */
#ifndef VANITY_SYSCALL_H
#define VANITY_SYSCALL_H

#include <stdint.h>

enum vn_sysop {
	VN_SYS_YIELD = 0,  /* give up the core; returns when it is ours again */
	VN_SYS_WAIT = 1,   /* a0 = timeout ns; returns pending bits, 0 on timeout
			    * (a1 = the endpoints whose rings vn_wait armed:
			    * the hosted port may park on them, hosted.h) */
	VN_SYS_NOTIFY = 2, /* a0 = channel id; the caller must be an endpoint
			    * (the hosted port posts notifications without
			    * a call: see arch/hosted/hosted.h) */
	VN_SYS_EXIT = 3,   /* a0 = status; does not return */
	VN_SYS_HALT = 4,   /* a0 = status; stops the whole system */
	VN_SYS_LOG = 5,    /* a0 = length of the text in the log buffer */
	VN_SYS_IRQ_ACK = 6, /* a0 = device notification bits, each of a device
			     * the caller owns that has an interrupt: unmask
			     * those interrupts again */
	VN_SYS_MMIO = 7,    /* one register access to a device the caller
			     * owns: on hosted answered by the simulator's
			     * device model; on bare metal made by the kernel,
			     * for a shard whose device shares a page with
			     * another shard's (vanity/mmio.h). a0 = address |
			     * VN_MMIO_OP(bytes, write), a1 = value to write;
			     * returns the value read (0 for a write). An
			     * access outside the caller's devices faults the
			     * caller. */
	VN_SYS_PEER = 8,    /* a0 = channel id; the caller must be an endpoint
			     * (VN_EPERM otherwise, VN_EINVAL out of range).
			     * Returns the other endpoint's shard state and
			     * generation: VN_PEER_STATE(r), VN_PEER_GEN(r) */
	VN_SYS_RELOAD = 9,  /* a0 = shard id, a1 = address of a reload image
			     * (vanity/reload.h) in the caller's memory; the
			     * caller needs the spec's `updates` right to that
			     * shard (VN_EPERM). Returns an enum
			     * vn_reload_status: VN_RELOAD_OK when the image
			     * passed every check and the swap is under way */
	VN_SYS_QUIESCE = 10, /* the caller was asked to quiesce (VN_RELOAD_BIT)
			      * and its state is in its handoff region: swap
			      * it now. Does not return, but with VN_EINVAL
			      * when no reload of the caller waits */
	VN_SYS_HANDOFF = 11, /* the generation whose state the caller's handoff
			      * region holds (it quiesced into it), 0: none */
	VN_SYS_COUNT
};

/* MMIO's a0: log2 of the access size in bits 56-57, write in bit 58. */
#define VN_MMIO_OP(bytes, write)                                              \
	((uint64_t)((bytes) == 8 ? 3 : (bytes) == 4 ? 2 : (bytes) == 2 ? 1 : 0) \
		 << 56 |                                                      \
	 (uint64_t)!!(write) << 58)
#define VN_MMIO_ADDR(a0) ((a0) & ((UINT64_C(1) << 56) - 1))
#define VN_MMIO_BYTES(a0) (1u << ((a0) >> 56 & 3))
#define VN_MMIO_WRITE(a0) ((a0) >> 58 & 1)
#define VN_MMIO_BAD(a0) ((a0) >> 59)

/* PEER's result: a VN_SYS_PEER_* state (vanity.h's enum vn_peer_state) in
 * bits 32-39, the peer's generation (1 for its first start, +1 per restart)
 * in bits 0-31. */
#define VN_SYS_PEER_LIVE 0u    /* running, ready or waiting */
#define VN_SYS_PEER_EXITED 1u  /* returned, exited, or halted: never runs again */
#define VN_SYS_PEER_STOPPED 2u /* stopped by a fault (or a spent restart budget) */
#define VN_PEER_STATE(r) ((uint32_t)((r) >> 32 & 0xff))
#define VN_PEER_GEN(r) ((uint32_t)(r))

/* Error codes, returned as VN_ERR(code) (that is, -code). */
#define VN_ENOSYS 1u /* no such call */
#define VN_EINVAL 2u /* argument out of range */
#define VN_EPERM 3u  /* not allowed for this shard */

#define VN_ERR(e) ((uint64_t)0 - (uint64_t)(e))
#define VN_IS_ERR(r) ((r) >= VN_ERR(4095))

/* Longest LOG text in bytes (the log buffer holds this much). */
#define VN_LOG_MAX 1024u

#include <stdbool.h>

/*
 * Supplied by each port's shard library, for runtime/lib (the portable part
 * of the shard library) and nobody else:
 *   vn_syscall          enter the kernel with one call: on bare metal
 *                       (a freestanding build) the trap instruction
 *                       itself, inline, from the port's abi.h; on hosted,
 *                       a function;
 *   vn_port_log_buf     the VN_LOG_MAX-byte buffer LOG takes its text from;
 *   vn_port_core_shared true while other live shards share our core (a
 *                       spinning shard must then yield now and then);
 *   vn_port_relax       a pause hint for spin loops (may do nothing).
 */
#if __STDC_HOSTED__
uint64_t vn_syscall(uint32_t op, uint64_t a0, uint64_t a1);
#endif
char *vn_port_log_buf(void);
bool vn_port_core_shared(void);
void vn_port_relax(void);

#if !__STDC_HOSTED__
#include <abi.h> /* the bare-metal port's: vn_syscall */
#endif

#endif /* VANITY_SYSCALL_H */
