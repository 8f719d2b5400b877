/*
 * hosted.h - the hosted port's contract between the kernel process and a
 * shard process: file descriptor numbers, the control page, the turn word.
 *
 * A shard process starts with exactly these descriptors (all others closed):
 *   0                       /dev/null
 *   1, 2                    the kernel's standard output and error
 *   VN_FD_CTL               memfd of its control page
 *   VN_FD_DOORBELL          its core's doorbell: the write end of the pipe
 *                           its core's kernel thread waits on
 *   VN_FD_CHAN0 + bit       memfd of the channel whose endpoint in this shard
 *                           has notification bit `bit`
 *   VN_FD_BELL0 + bit       the doorbell of the core of that channel's other
 *                           endpoint (the doorbell a notification rings)
 *   VN_FD_HEAP              memfd of its heap, if it owns a device that does
 *                           DMA (the device model reads and writes the heap
 *                           through the kernel's mapping; nothing else does)
 *   VN_FD_POOL0 + k         memfd of the k-th buffer pool it maps, opened
 *                           read-only when it maps the pool read-only (then
 *                           no mapping of it can be made writable)
 *
 * The control page is the only memory the kernel and a shard share besides
 * the shard's channels and pools (and a DMA heap). The kernel treats all of
 * it as untrusted input: it copies what it reads once, and validates it
 * before use.
 *
 * The turn word is the shard's right to run. The kernel sets VN_TURN_SHARD
 * and futex-wakes it to hand the core over; the shard posts a call by
 * writing op/a0/a1, storing VN_TURN_KERNEL and ringing its doorbell, then
 * futex-waits until the turn is its again (or VN_TURN_EXIT: end the process).
 * The kernel takes a posted call by swapping VN_TURN_KERNEL for
 * VN_TURN_TAKEN, and only then reads it.
 *
 * A parked wait lets a peer's notification wake a sleeping shard without
 * the kernel on the way (core.c, "Parking"):
 *  - A WAIT names the rings vn_wait armed (a1: their endpoint bits). Before
 *    it rings its doorbell, the shard swaps each one's sleeping flag from
 *    VN_SLEEP_ARMED to VN_SLEEP_PARKED, then sleeps on the turn word and
 *    those flags at once (futex_waitv).
 *  - A peer whose notification finds a flag VN_SLEEP_PARKED swaps it for
 *    VN_SLEEP_WOKEN, futex-wakes the flag, and posts the notification in
 *    notify_woke, for the kernel to count; it rings no doorbell.
 *  - A shard woken so before the kernel took its call withdraws the call
 *    (VN_TURN_KERNEL to VN_TURN_SHARD): it never left its core.
 *  - The kernel, serving a WAIT that blocks, parks the shard if nothing
 *    else runs on its core: VN_TURN_TAKEN becomes VN_TURN_PARK and the
 *    core stays free. A shard woken while parked takes its core back
 *    (VN_TURN_PARK to VN_TURN_CLAIMED; claimed_at, and claimed_by, the
 *    endpoint whose flag woke it, first) and runs; the core's thread
 *    counts it as holding its core from then, at its next look, woken by
 *    that endpoint's peer. If the core is not free, the kernel sets the
 *    flags back to VN_SLEEP_ARMED.
 *  - Before the kernel gives a core to any shard, the parked one included,
 *    it takes the park back: VN_TURN_PARK to VN_TURN_TAKEN, flags to
 *    VN_SLEEP_ARMED.
 *  - A flag the kernel finds VN_SLEEP_WOKEN, parking or not, is a
 *    notification it wakes the shard for.
 *  - A flag is in memory the peer can write, so the shard believes it
 *    only where it can vouch for it. A flag found woken with nothing on
 *    its ring (a peer wakes it only after it published), a futex wake that
 *    brought no news (a late one, or a false one, whatever the flag holds
 *    now but woken with news), or a value the protocol does not make, is
 *    no notification: the shard stops listening to that
 *    flag for the rest of the wait (VN_SLEEP_DEAF, which the kernel leaves
 *    as it is and on which the peer notifies through the kernel) and
 *    sleeps on the rest; one neither armed nor parked when the shard asks
 *    is left out of the WAIT. So a peer that lies in a flag costs the shard
 *    a look, not its sleep or its core.
 *  - A peer that sets a parked flag woken and never futex-wakes it, and
 *    lives on (broken, or lying), leaves the shard asleep. The kernel's looks
 *    at a park (core.c: look_parked) take a flag found woken with news at
 *    two in a row, the shard still parked, for a notification: the kernel
 *    takes the park back and wakes the shard.
 * Each step two parties may race on is a compare-and-swap or an exchange
 * (the others are stores by the one party that holds the word then), so
 * each race has one winner.
 *
 * Notifications do not take the turn. The shard ORs bit `bit` (its endpoint
 * of the channel) into notify_req and rings VN_FD_BELL0 + bit, the doorbell
 * of the peer's core, and carries on. Every core thread, each time it runs,
 * takes (atomic exchange) the requests of every shard with a channel into
 * that core, maps each bit to a channel through the kernel's own tables and
 * lets the kernel core validate and deliver it. The request is posted before
 * the doorbell is rung and the doorbell is drained before the requests are
 * taken, so a request is never left behind unseen.
 */
#ifndef VN_HOSTED_H
#define VN_HOSTED_H

#include <linux/futex.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <vanity/syscall.h>

#define VN_PAGE 4096u
#define VN_PAGE_ROUND(x) (((x) + VN_PAGE - 1) & ~(uint64_t)(VN_PAGE - 1))

#define VN_FD_CTL 3
#define VN_FD_DOORBELL 4
#define VN_FD_CHAN0 5
#define VN_FD_BELL0 (VN_FD_CHAN0 + 64)
#define VN_FD_HEAP (VN_FD_BELL0 + 64) /* only a shard whose device does DMA */
#define VN_FD_POOL0 (VN_FD_HEAP + 1)
#define VN_FD_POOLS 16                 /* VN_MAX_SHARD_POOLS (vanity/config.h) */

#define VN_CTL_MAGIC 0x6c74436eu /* "nCtl" */

enum vn_turn {
	VN_TURN_KERNEL = 0, /* the kernel's move: a call is posted, or not started */
	VN_TURN_SHARD = 1,  /* the shard holds its core */
	VN_TURN_EXIT = 2,   /* the shard must end its process now */
	VN_TURN_PARK = 3,   /* in WAIT, parked: it may take its core back itself */
	VN_TURN_CLAIMED = 4, /* it did: a peer woke it while parked */
	VN_TURN_TAKEN = 5,  /* the kernel took the call posted, and serves it */
};

/* The hosted port's values of a ring's rx_sleeping and tx_sleeping. The
 * ring code sets VN_SLEEP_ARMED and 0 and notifies on any other value
 * (vanity/ring.h); the others are the parked wait's. */
enum vn_sleep_flag {
	VN_SLEEP_ARMED = 1,  /* notify through the kernel */
	VN_SLEEP_WOKEN = 2,  /* a peer woke the parked shard directly */
	VN_SLEEP_PARKED = 3, /* the shard is parked: wake it directly */
	VN_SLEEP_DEAF = 4,   /* the shard stopped listening to the flag for
				this wait: notify through the kernel, which
				leaves it as it is */
};

/* Written by the shard's fault handler just before it dies: what killed
 * it, and for its crash dump (runtime/core/crash.c) its registers as an ELF
 * core's pr_reg, its FP state, a window of its stack from below sp and the
 * code around the pc. The kernel reads it once the process is gone. */
#define VN_CRASH_CTX_REGS 34u
#define VN_CRASH_CTX_FP 512u
/* What this host's fault handler saves (shard/fault.c): pr_reg's words,
 * and the FP state where the layout is the context's own (x86-64's
 * FXSAVE area). The kernel takes a record with these counts, or none. */
#if defined(__x86_64__)
#define VN_CRASH_HOST_REGS 27u
#define VN_CRASH_HOST_FP 512u
#elif defined(__aarch64__)
#define VN_CRASH_HOST_REGS 34u
#define VN_CRASH_HOST_FP 0u
#else /* riscv64 */
#define VN_CRASH_HOST_REGS 32u
#define VN_CRASH_HOST_FP 0u
#endif
#define VN_CRASH_CTX_STACK 1536u
#define VN_CRASH_CTX_CODE 128u

struct vn_crash {
	uint32_t valid;
	int32_t signo;
	int32_t code;
	uint32_t pad;
	uint64_t addr;
	uint64_t pc;
	uint64_t sp;
	uint32_t n_regs;              /* words in regs; 0: none saved */
	uint32_t fp_len;              /* bytes in fp */
	uint64_t regs[VN_CRASH_CTX_REGS];
	uint64_t stack_lo;            /* the window of the stack in stack[] */
	uint32_t stack_len;
	uint32_t code_len;            /* bytes at code_lo in code[] */
	uint64_t code_lo;
	uint8_t fp[VN_CRASH_CTX_FP];
	uint8_t stack[VN_CRASH_CTX_STACK];
	uint8_t code_bytes[VN_CRASH_CTX_CODE];
};

struct vn_ctl {
	uint32_t magic;
	_Atomic uint32_t turn;        /* enum vn_turn; futex word */
	uint32_t op;                  /* request, written by the shard */
	uint32_t core_shared;         /* kernel: other live shards on this core */
	uint64_t a0, a1;
	uint64_t ret;                 /* response, written by the kernel */
	uint64_t pending;             /* kernel: notification bits not yet taken */
	uint64_t claimed_at;          /* shard: vn_now() when it took a park back */
	uint32_t claimed_by;          /* shard: then, the endpoint bit it found woken */
	/* Notification requests, one bit per endpoint of the shard (the shard
	 * ORs, the kernel exchanges with 0); on its own cache line. */
	_Alignas(64) _Atomic uint64_t notify_req;
	_Atomic uint64_t notify_woke; /* the same, for parked peers woken directly */
	_Alignas(64) struct vn_crash crash;
	char log[VN_LOG_MAX];
};

_Static_assert(sizeof(struct vn_ctl) <= VN_PAGE, "control page overflows");

static inline long vn_futex_wait(_Atomic uint32_t *w, uint32_t val)
{
	return syscall(SYS_futex, w, FUTEX_WAIT, val, NULL, NULL, 0);
}

static inline long vn_futex_wake(_Atomic uint32_t *w)
{
	return syscall(SYS_futex, w, FUTEX_WAKE, 1, NULL, NULL, 0);
}

#endif /* VN_HOSTED_H */
