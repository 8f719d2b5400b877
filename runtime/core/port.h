/*
 * port.h - what every port implements for the kernel core.
 *
 * The kernel core (this directory) is the part of Vanity that is the same on
 * every target: the run queues, the system call table, notification
 * delivery, the fault policy and the watchdog rule. It never touches a
 * register, a host system call or a clock directly; it asks its port, through
 * the handful of functions below, and nothing else. A port is the thin layer
 * that boots, switches contexts, takes traps and owns the hardware (or, on
 * the hosted port, the host processes standing in for it).
 *
 * The division of work is:
 *
 *   core decides, port does.  The core says which shard runs next on a core,
 *   whether a call may proceed, who a notification wakes and what a fault
 *   costs. The port makes it happen: it hands the CPU to a shard, stops one,
 *   starts one again, prints, and keeps time.
 *
 *   one big kernel lock.  Every vn_* function of the core must be called with
 *   the port's kernel lock held, and every port_* function below is called
 *   with it held. The core never blocks, so the lock is held for microseconds;
 *   its one long step, a reload image's SHA-256 (milliseconds a megabyte),
 *   runs with the lock dropped (port_unlock, port_lock).
 *   A single lock is the simplest thing that is correct with one scheduler per
 *   core; it is not on any channel's hot path (channels never enter the
 *   kernel), only on yield, wait, notify and faults.
 *
 *   no formatting in the core.  The core returns outcomes; the port prints
 *   the report lines. A bare-metal port may print less.
 *
 * Every port implements:
 *
 *   port_now()            monotonic time in nanoseconds.
 *   port_kick_core(c)     core c's run queue changed under another core: make
 *                         core c's scheduler look at it again soon (hosted: an
 *                         eventfd; bare metal: an IPI). One kick per wake.
 *   port_shard_log(s, n)  print the n bytes of s's log buffer as one line.
 *   port_shard_start(s)   (re)start shard s from its entry point with fresh
 *                         data, bss and stack, its channels untouched.
 *                         Returns 0, or -1 if it cannot.
 *   port_shard_stop(s)    stop s now, wherever it is (watchdog, halt). Its
 *                         death is reported back through vn_shard_fault() or
 *                         vn_shard_finish() as usual.
 *   port_core_live(c)     the number of core c's live shards changed: tell
 *                         its shards whether they share it now, where
 *                         vn_port_core_shared() reads it (vn_core_shared).
 *   port_system_event()   a shard finished or stopped, or the system halted:
 *                         look at vn_system_done(); or the last live shard
 *                         went to sleep for good: look at vn_system_stuck().
 *   port_shard_trace(s)   where the kernel sees s's trace ring (its control
 *                         region's VN_TRACE_OFFSET), for dumps.
 *   port_channel_ring(c)  where the kernel sees channel c's ring (for dumps,
 *                         and vn_rings_describe: in a port_shard_start).
 *   port_irq_unmask(irq)  let device interrupt `irq` fire again. A port masks
 *                         a device interrupt when it fires and hands it to
 *                         vn_irq_deliver(); it stays masked until the owner
 *                         acknowledges it (IRQ_ACK). Returns 0, or -1 if the
 *                         port cannot deliver that interrupt (on hosted: a
 *                         device the simulator has no model of).
 *
 * and, for crash dumps (crash.c), called while a dead shard's policy is
 * still to apply, before anything of it is restarted:
 *
 *   port_crash_open(s, g) where the dump of s's life g goes: a handle for
 *                         port_crash_write(), or NULL when no dump is wanted
 *                         (none was asked for) or none can be written (the
 *                         port says why). port_crash_close() ends it.
 *   port_crash_cpu(s, c)  what the port saw of s's CPU when it died: its
 *                         registers, the cause in words, the faulting address.
 *   port_shard_copy(s, lo, hi, buf, at)
 *                         copy the part of [lo, hi) that is s's own memory,
 *                         as it was when it died, into buf: one piece, from
 *                         *at; returns its bytes (0: none of it is s's, or
 *                         the port cannot read it).
 *   port_shard_image_hash(s)  FNV-1a 64 of s's image as it was built (the
 *                         file a host tool finds the same hash in).
 *
 * and, for hot reload (reload.c). A port keeps up to three images of a
 * shard: the one it runs, the previous one (for rollback) and a staged one.
 * port_shard_start() always starts the one it runs.
 *
 *   port_reload_copy(s, img, len)  copy the len bytes at img (a request's
 *                         image, in memory a shard or a host tool may still
 *                         write) into the kernel's own memory, where s's
 *                         staged image is kept; returns that copy, which
 *                         the kernel alone can write, or NULL if there is
 *                         no room (VN_RELOAD_NOROOM). The kernel hashes,
 *                         checks and stages the copy, and never reads img
 *                         again. The copy may be readable only until
 *                         port_reload_copy_end(), on this CPU, which the
 *                         kernel calls once after every copy it got.
 *   port_reload_over_prev(s)  whether port_reload_copy would copy over s's
 *                         previous image (its rollback target); the kernel
 *                         then checks the image where it lies first.
 *   port_reload_check(s, h, img, len, iface)
 *                         whether img (len bytes, its SHA-256 already
 *                         checked against h) is one the port can run in
 *                         s's place: h->machine and the image's own format
 *                         are this ISA's, it fits s's image region. Sets
 *                         *iface to the interface hash the image carries.
 *                         Returns a VN_RELOAD_* status (OK, ISA, SIZE,
 *                         IMAGE, NOROOM).
 *   port_reload_room(s)   the largest image s can run (its image region).
 *   port_reload_stage(s, copy, len)  the checked copy becomes s's staged
 *                         image; 0, or -1 if there is no room
 *                         (VN_RELOAD_NOROOM).
 *   port_reload_commit(s) the staged image becomes the one s runs; the one
 *                         it ran becomes the previous one.
 *   port_reload_drop(s)   forget the staged image, or the copy of one.
 *   port_reload_back(s)   the previous image becomes the one s runs again;
 *                         0, or -1 if there is none.
 *   port_reload_done(s, outcome, status)  a request for s finished: swapped,
 *                         or refused (enum vn_reload_outcome, a VN_RELOAD_*
 *                         status); the port reports it (vn_reload_say) and
 *                         answers whoever asked.
 *   port_unlock(), port_lock()  drop the kernel lock and take it back, in the
 *                         middle of a call the core is serving: the other
 *                         cores go on meanwhile, and the core checks again
 *                         what they may have changed.
 *   port_shard_view(s, addr, len)
 *                         where the kernel may read the memory s owns from
 *                         `addr` on (a reload image an updater hands over),
 *                         and *len: how many bytes of it are s's own, up to
 *                         the end of that region. NULL if addr is not s's.
 *                         The bytes may stay s's, and be written by other
 *                         shards sharing them: the kernel reads the header
 *                         once and checks only its port_reload_copy.
 *   port_shard_view_end(s) the kernel is done with what port_shard_view
 *                         gave (called only after it gave something).
 */
#ifndef VN_PORT_H
#define VN_PORT_H

#include <stdint.h>

#include <stdbool.h>

struct vn_shard;

/* A dead shard's CPU, as its port saw it (port_crash_cpu). */
#define VN_CRASH_MAX_REGS 34u /* aarch64's pr_reg: x0-x30, sp, pc, pstate */
#define VN_CRASH_MAX_FP 528u  /* aarch64's NT_FPREGSET */

struct vn_crash_cpu {
	uint32_t machine;   /* ELF e_machine of regs */
	uint32_t n_regs;    /* 64-bit words in regs, an ELF core's pr_reg; 0: none */
	uint64_t regs[VN_CRASH_MAX_REGS];
	uint32_t fp_len;    /* bytes in fp, an ELF core's NT_FPREGSET; 0: none */
	uint8_t fp[VN_CRASH_MAX_FP];
	uint64_t pc, sp;
	bool has_addr;
	uint64_t addr;      /* the faulting address, if has_addr */
	uint64_t code;      /* the port's raw cause */
	char cause[96];     /* in words */
};

uint64_t port_now(void);
void port_unlock(void);
void port_lock(void);
void port_kick_core(uint32_t core);
void port_shard_log(struct vn_shard *s, uint32_t len);
int port_shard_start(struct vn_shard *s);
void port_shard_stop(struct vn_shard *s);
void port_core_live(uint32_t core);
void port_system_event(void);
int port_irq_unmask(uint32_t irq);
const void *port_shard_trace(const struct vn_shard *s);
void *port_channel_ring(uint32_t channel);
void *port_crash_open(const struct vn_shard *s, uint32_t generation);
int port_crash_write(void *f, const void *p, uint64_t len);
void port_crash_close(void *f, int err);
void port_crash_cpu(const struct vn_shard *s, struct vn_crash_cpu *c);
uint64_t port_shard_copy(const struct vn_shard *s, uint64_t lo, uint64_t hi, void *buf,
			 uint64_t *at);
uint64_t port_shard_image_hash(const struct vn_shard *s);

struct vn_reload_hdr;
uint32_t port_reload_check(const struct vn_shard *s, const struct vn_reload_hdr *h,
			   const uint8_t *img, uint64_t len, uint64_t *iface);
uint64_t port_reload_room(const struct vn_shard *s);
const uint8_t *port_reload_copy(struct vn_shard *s, const uint8_t *img, uint64_t len);
void port_reload_copy_end(void);
bool port_reload_over_prev(const struct vn_shard *s);
int port_reload_stage(struct vn_shard *s, const uint8_t *img, uint64_t len);
void port_reload_commit(struct vn_shard *s);
void port_reload_drop(struct vn_shard *s);
int port_reload_back(struct vn_shard *s);
void port_reload_done(const struct vn_shard *s, uint32_t outcome, uint32_t status);
const void *port_shard_view(const struct vn_shard *s, uint64_t addr, uint64_t *len);
void port_shard_view_end(const struct vn_shard *s);

#endif /* VN_PORT_H */
