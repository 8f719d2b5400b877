/*
 * run.c - the trap's common path, and each CPU's scheduler loop.
 *
 * Every way into the kernel ends in bm_trap(), under the kernel lock:
 *   1. do what the trap asks (arch_trap: a system call, a fault, an
 *      interrupt);
 *   2. expire timeouts and check the watchdog;
 *   3. if the shard that trapped still holds its core, return to it;
 *      otherwise hand the core to what vn_core_next() gives, waiting for an
 *      interrupt while there is none.
 * The port's vector saves a shard's registers straight into its context
 * (bm_shard.ctx, the frame bm_trap is given) and restores the frame
 * bm_trap returns: the context of the shard that holds the core then. A
 * context switch therefore copies no registers: it returns another frame
 * and puts its address space into the MMU. A shard (re)started during the
 * trap has had its context replaced by a fresh one (port_shard_start), and
 * starts from that.
 *
 * The commonest call, YIELD, has paths of its own: yield_fast when it
 * switches to another shard of the core, yield_alone when nobody else is
 * ready. They do what the steps above would, and only that, when those
 * would find nothing else to do.
 */
#include <stdio.h>

#include "bm.h"
#include "kconsole.h"
#include "port.h"
#include "vn_sched.h"

struct vn_kernel bm_kernel;
struct bm_shard bm_shards[VN_MAX_SHARDS];
struct bm_shard *bm_fp_owner[ARCH_MAX_CPUS]; /* whose FP/SIMD registers it holds */
static _Atomic uint64_t kernel_lock; /* a register's width: no extension of what a swap returns */

#define K (&bm_kernel)

/* Test and test-and-set, with a pause hint while it spins. Not a ticket
 * lock: QEMU's CPUs are host threads, and a ticket lock hands the lock to
 * the next waiter in line even while the host has that waiter's thread
 * descheduled, so every hand-off waited for a host time slice (a loaded
 * host ran the pipeline example over twice as slowly). */
static inline void lock(void)
{
	while (atomic_exchange_explicit(&kernel_lock, 1, memory_order_acquire))
		while (atomic_load_explicit(&kernel_lock, memory_order_relaxed))
			arch_relax();
}

static inline void unlock(void)
{
	vn_store_release(&kernel_lock, 0);
}

void bm_lock(void)
{
	lock();
}

/* Every way out of the lock but the YIELD paths' (which never keep a
 * line) prints what this CPU kept under it (vn_kmsg_later) next. So a CPU
 * that holds kept lines holds the lock or is printing them: finish() may
 * wait for them. */
void bm_unlock(void)
{
	unlock();
	bm_kmsg_flush(arch_cpu());
}

/* Out of line: called from every step of the loop. */
__attribute__((noinline)) uint64_t port_now(void)
{
	return arch_ticks_ns(arch_ticks());
}

void port_kick_core(uint32_t core)
{
	arch_kick(core);
}

void port_unlock(void)
{
	bm_unlock();
}

void port_lock(void)
{
	bm_lock();
}

/* The watchdog only ever stops the shard running on the CPU that checks
 * it, from inside that shard's trap: it is out of user mode already, and
 * the trap applies its fault policy (watchdog_fault). */
void port_shard_stop(struct vn_shard *s)
{
	(void)s;
}

/* Each shard's control page says whether other live shards share its
 * core (vn_port_core_shared: wait.c's spin yields to them). Written here,
 * when the core's count changes, and at boot (bm_core_live_all), not each
 * time a shard gets the core: the YIELD paths write nothing for it. A
 * restart zeroes the page (port_shard_start) before its shard is live
 * again, and becoming live calls this. The pages are reached as a load
 * reaches a shard's memory (arch_load_begin): not every one of them is in
 * the space this CPU has loaded. */
void port_core_live(uint32_t core)
{
	bool shared = vn_core_shared(K, core);
	uint64_t view = arch_load_begin();

	for (uint32_t i = 0; i < K->sys->n_shards; i++)
		if (K->shard[i].cfg->core == core)
			bm_ctl(&K->shard[i])->core_shared = shared;
	arch_load_end(view);
}

void bm_core_live_all(void)
{
	for (uint32_t c = 0; c < K->sys->n_cores; c++)
		port_core_live(c);
}

/* Every change of the system's state happens in a trap, and every trap
 * ends by choosing what its CPU runs next: trap() asks vn_core_next()
 * unless the shard that trapped still holds its core, and the YIELD paths
 * take the queue's head. */
void port_system_event(void)
{
}

/* Only the owner's acknowledgement unmasks a device interrupt again. */
int port_irq_unmask(uint32_t irq)
{
	arch_irq_unmask(irq);
	return 0;
}

/* LOG: the text is taken out of s's control page under the lock, and
 * printed without it. A byte is a device write, a line up to 1 KiB of
 * them: a shard that logs without end must not keep every other core
 * from the kernel meanwhile. s stays in its call on this CPU. */
void port_shard_log(struct vn_shard *s, uint32_t len)
{
	char text[VN_LOG_MAX];
	const volatile char *log = bm_ctl(s)->log;
	uint64_t was = arch_user_begin(); /* s's own page */

	len = len < VN_LOG_MAX ? len : VN_LOG_MAX;
	for (uint32_t i = 0; i < len; i++)
		text[i] = log[i];
	arch_user_end(was);
	bm_unlock();
	vn_kshard_log(s->cfg->name, text, len);
	lock();
}

/* One register access for s (VN_SYS_MMIO) in the window of a device it
 * owns, of exactly the width asked, aligned: the way a shard reaches a
 * device whose page it shares with another shard's device, which neither
 * may map (vanity/mmio.h). 0; BM_SIGSEGV if it is none of that; BM_SIGBUS
 * if the device refused it (a width it does not take: the port's
 * arch_kmmio survives the bus error). */
static int mmio(const struct vn_shard *s, uint64_t a0, uint64_t a1, uint64_t *value)
{
	const struct vn_ksystem *sys = K->sys;
	uint64_t addr = VN_MMIO_ADDR(a0);
	unsigned bytes = VN_MMIO_BYTES(a0);

	if (VN_MMIO_BAD(a0) || addr % bytes || addr >= ARCH_MMIO_END)
		return BM_SIGSEGV; /* the boot kept every window below ARCH_MMIO_END */
	for (uint32_t i = 0; i < sys->n_devices; i++) {
		const struct vn_kdevice *d = &sys->devices[i];
		uint64_t was;
		int err;

		if (d->shard != s->cfg->id || d->size < bytes || addr < d->base ||
		    addr - d->base > d->size - bytes)
			continue;
		was = arch_user_begin(); /* s's own device, if its space maps it */
		*value = 0;
		err = arch_kmmio(addr, (unsigned)(a0 >> 56 & 3), VN_MMIO_WRITE(a0), a1, value);
		arch_user_end(was);
		return err ? BM_SIGBUS : 0;
	}
	return BM_SIGSEGV;
}

/* An MMIO call of s: made, or s faulted as the access itself would have
 * faulted it. Out of line, so the other calls' path stays as short. */
static __attribute__((noinline, cold)) void mmio_call(struct arch_frame *f, struct vn_shard *s,
						      uint64_t a0, uint64_t a1)
{
	uint64_t value;
	int sig;

	s->st->syscalls++;
	sig = mmio(s, a0, a1, &value);
	if (sig == 0) {
		arch_frame_ret(f, value);
		return;
	}
	bm_fault_say(s, sig == BM_SIGBUS ? "MMIO call refused by the device"
					 : "MMIO call outside its devices",
		     "", true, VN_MMIO_ADDR(a0), arch_frame_pc(f));
	bm_fault(s, sig);
}

/* s made a call beyond its authority (VN_ACT_FAULT): it faults. Out of
 * line, so that bm_syscall keeps no registers for it. */
static __attribute__((noinline, cold)) void refused(struct arch_frame *f, struct vn_shard *s)
{
	bm_fault_say(s, VN_HALT_REFUSED, "", false, 0, arch_frame_pc(f));
	bm_fault(s, BM_SIGSEGV);
}

/* s, the running shard of this CPU, asked for `op`. An op wider than 32
 * bits is refused, not truncated into a valid one. An MMIO call outside
 * the caller's devices faults it, as an access to an unmapped page would,
 * and so does one the device refuses, as the access itself would, and a
 * call beyond its authority (VN_ACT_FAULT). */
void bm_syscall(struct arch_frame *f, struct vn_shard *s, uint64_t op, uint64_t a0,
		uint64_t a1)
{
	uint32_t op32 = op > UINT32_MAX ? UINT32_MAX : (uint32_t)op;
	struct vn_sysres r;

	if (op32 == VN_SYS_MMIO) {
		mmio_call(f, s, a0, a1);
		return;
	}
	r = vn_syscall_dispatch(K, s, op32, a0, a1);
	if (r.action == VN_ACT_CONTINUE)
		arch_frame_ret(f, r.value);
	else if (r.action == VN_ACT_FAULT)
		refused(f, s);
}

/* "shard 'x' faulted: what (detail) at addr, pc pc": the port's words,
 * kept for the crash dump too. */
void bm_fault_say(const struct vn_shard *s, const char *what, const char *detail,
		  bool has_addr, uint64_t addr, uint64_t pc)
{
	struct bm_shard *b = bm_of(s);

	snprintf(b->cause, sizeof(b->cause), "%s%s", what, detail);
	b->has_addr = has_addr;
	b->fault_addr = addr;
	if (has_addr)
		vn_kmsg("shard '%s' faulted: %s%s at %#llx, pc %#llx", s->cfg->name, what,
			detail, (unsigned long long)addr, (unsigned long long)pc);
	else
		vn_kmsg("shard '%s' faulted: %s%s, pc %#llx", s->cfg->name, what, detail,
			(unsigned long long)pc);
}

static void fault_at(struct vn_shard *s, uint64_t now, int signal)
{
	vn_fault_say(K, s, vn_shard_fault(K, s, now, 128 + signal), vn_kmsg);
}

/* s died of a fault the port has reported: apply its policy. */
void bm_fault(struct vn_shard *s, int signal)
{
	fault_at(s, port_now(), signal);
}

static void watchdog_fault(struct vn_shard *s, uint64_t now)
{
	vn_kmsg("shard '%s' watchdog: ran %llu ms without yielding", s->cfg->name,
		(unsigned long long)((now - s->ran_since) / 1000000));
	fault_at(s, now, BM_SIGKILL);
}

/* s, running on cpu, used FP/SIMD while it was off: the registers become
 * s's, and the instruction runs again when the trap returns. False, and
 * nothing changed, if s has fp: false: the port reports the instruction
 * as an illegal one (SIGILL) and applies its policy. */
bool bm_fp_claim(struct arch_frame *f, struct vn_shard *s, uint32_t cpu)
{
	struct bm_shard *b = bm_of(s), *owner = bm_fp_owner[cpu];

	if (bm_layout[s->cfg->id].no_fp)
		return false;
	if (owner != b) {
		if (owner) {
			arch_fp_save(&owner->fp, &owner->ctx);
			arch_fp_disown(&owner->ctx);
		}
		arch_fp_load(&b->fp);
		bm_fp_owner[cpu] = b;
	}
	arch_fp_allow(f);
	return true;
}

static _Noreturn void finish(void)
{
	int status = vn_system_status(K);

	vn_sched_end(K);
	bm_obs_end();
	vn_kconsole_last();
	bm_kmsg_flush_all();
	vn_kmsg("system '%s' exited with status %d", K->sys->name, status);
	arch_exit(status);
}

/* Wait timeouts, then the watchdog of the running shard; the time it
 * took them at. */
static uint64_t events(uint32_t cpu)
{
	uint64_t now = port_now();
	struct vn_shard *w;

	vn_sched_expire(K, cpu, now);
	w = vn_watchdog(K, cpu, now);
	if (w)
		watchdog_fault(w, now);
	return now;
}

/* CPU 0 of a system with a reload door, after events(): look at the door
 * if it is time (bm_door_poll), and make the next look one of the core's
 * times to wake at: c->wake_at, which may be early, never late, is made
 * no later than it. events() left wake_at the waits' own again
 * (vn_sched_expire), or, when no wait has a deadline, a look's time
 * already past, which VN_NEVER replaces. So the YIELD path has one time
 * to compare, and arms the timer for the door too. */
static void door(void)
{
	struct vn_core *c = &K->core[0];

	bm_door_poll();
	if (!c->timed)
		c->wake_at = VN_NEVER;
	if (bm_door_next < c->wake_at)
		c->wake_at = bm_door_next;
}

/* arm_timer() on CPU 0 of a system with a reload door: the timer no later
 * than the door's latest next look (BM_DOOR_POLL_NS after the last one,
 * which bm_door_next follows by a tenth of that), or a shard that holds
 * the core without a call, or an idle core, would leave a request there
 * until the watchdog, or for ever. And the deadline's rescan of the waits
 * (a timed wait is under way) has set c->wake_at to theirs again: the
 * door's next look is made one of its times once more (door()), or a
 * YIELD would not look at the door until the longest wait on the core had
 * run out. Out of line, so that the timer of a core without a door is set
 * as if there were none, with no stack frame for the door's checks. */
static __attribute__((noinline)) void arm_timer_door(uint64_t now)
{
	struct vn_core *c = &K->core[0];
	uint64_t at = vn_core_deadline(K, 0, now);
	uint64_t due = bm_door_next - BM_DOOR_POLL_NS / 10 + BM_DOOR_POLL_NS;

	if (bm_door_next < c->wake_at)
		c->wake_at = bm_door_next;
	arch_timer_set(due < at ? due : at);
}

/* Arm the timer for this core's next deadline, as of `now` (a time read
 * in this trap: an earlier one arms no later). */
static inline void arm_timer(uint32_t cpu, uint64_t now)
{
	if (cpu == 0 && bm_door_size)
		arm_timer_door(now);
	else
		arch_timer_set(vn_core_deadline(K, cpu, now));
}

/* Nothing to run: sleep until an interrupt is pending (it ends the wait
 * even masked), then take what it brought. CPU 0 of a system with a
 * reload door wakes at least every BM_DOOR_POLL_NS to look at it. */
static void idle(uint32_t cpu)
{
	arm_timer(cpu, port_now());
	/* Arming expires the waits already due. A shard it made ready would
	 * otherwise sleep with us: no timer left, no kick coming. Every other
	 * way a shard of ours becomes ready (another core's kick, a device)
	 * is an interrupt, and a pending one ends the wait at once. */
	if (vn_sched_runnable(K, cpu))
		return;
	bm_unlock();
	arch_wait();
	bm_lock();
	arch_irq_poll(cpu);
	events(cpu);
	if (cpu == 0 && bm_door_size)
		door();
}

/* Give the core to s: the result of its last call into its frame, its
 * address space into the MMU, FP/SIMD on if the CPU holds its registers.
 * Its frame is what the trap returns to. */
static struct bm_shard *load(struct vn_shard *s, uint32_t cpu)
{
	struct bm_shard *b = bm_of(s);

	arch_frame_ret(&b->ctx, vn_shard_resume(K, s));
	if (bm_asid_reuse)
		arch_switch_reuse(cpu, b->space.token);
	else
		arch_switch(b->space.token);
	arch_fp_switch(&b->ctx, bm_fp_owner[cpu] == b);
	return b;
}

/* The trap's end: b's shard holds the core (its space is the CPU's, or
 * goes in now under a shared ASID), the lock released, the lines this
 * trap kept printed (vn_kmsg_later), its frame to return to. */
static inline struct arch_frame *leave(uint32_t cpu, struct bm_shard *b)
{
	if (bm_asid_reuse)
		arch_trap_leave_reuse(cpu, b->space.token);
	unlock();
	bm_kmsg_flush(cpu);
	return &b->ctx;
}

/* The trap's end when the trapping shard left the core: to the next one
 * vn_core_next() gives, idling until there is one. Out of line, so that
 * the trap that returns to its shard keeps no registers for this loop. */
static __attribute__((noinline)) struct arch_frame *next_shard(uint32_t cpu)
{
	struct vn_shard *next;

	for (;;) {
		uint64_t now = port_now();

		switch (vn_core_next(K, cpu, now, &next)) {
		case VN_NEXT_RUN: {
			struct bm_shard *b = load(next, cpu);

			arm_timer(cpu, now);
			return leave(cpu, b);
		}
		case VN_NEXT_DONE:
			finish();
		case VN_NEXT_STUCK:
			vn_kreport_stuck(K);
			/* fall through */
		case VN_NEXT_IDLE:
			idle(cpu);
		}
	}
}

/* The common path (the comment at the top), under the lock, in the
 * trapping shard's space (or the kernel's, under a shared ASID:
 * bm_trap_reuse): back to s, if it still holds the core, else to the next
 * shard. */
static __attribute__((noinline)) struct arch_frame *trap(struct arch_frame *f, uint32_t cpu,
							 uint32_t kind, struct vn_shard *s)
{
	uint64_t now;

	if (kind != BM_TRAP_START)
		arch_trap(f, s, cpu, kind);
	now = events(cpu);
	if (cpu == 0 && bm_door_size)
		door();
	if (!s || K->core[cpu].current != s || vn_system_done(K))
		return next_shard(cpu);
	arm_timer(cpu, now);
	return leave(cpu, bm_of(s));
}

/* yield_fast's end when the timer must be set earlier: out of line, so
 * that the YIELD path itself calls nothing and keeps no registers. */
static __attribute__((noinline, cold)) struct arch_frame *yield_leave_timed(struct bm_shard *b,
									 uint64_t at)
{
	arch_timer_set(at);
	unlock();
	return &b->ctx;
}

/* The YIELD paths, yield_fast and yield_alone, and what they share. The
 * running shard s of core c (CPU cpu) made a YIELD (frame f), no reload
 * is under way there and the system is not halted (bm_trap checked). If
 * the common path would find nothing else to do, give the core to the
 * head of the queue here, or back to s when nobody else is ready, and
 * return the frame to return to; otherwise take the common path. What the
 * common path would do, and why skipping the rest is the same:
 *   - the call: vn_sched_yield_fast() is the YIELD and the pick, and
 *     vn_sched_yield_alone() the pick of s again (their comments);
 *   - timeouts: none is due before c->wake_at, so vn_sched_expire would
 *     wake nobody;
 *   - the watchdog: the common path checks it after the call, when s is
 *     off its core already, so never on a YIELD;
 *   - reloads: none is under way on the core (c->reloads), so neither the
 *     pick nor the deadline would swap one;
 *   - the system is not halted, and s is live: finish() cannot be due;
 *   - the control pages' core_shared: no shard's life begins or ends, so
 *     port_core_live() has nothing to write;
 *   - the door: CPU 0 looks at it only once bm_door_next has passed,
 *     and c->wake_at is no later than that (door());
 *   - s again: its space, and whether it may use FP/SIMD, are still
 *     loaded;
 *   - the timer: the deadline is the earliest of c->wake_at (no later than
 *     the next timeout) and the next shard's watchdog, as
 *     vn_core_deadline() would give with no reload under way.
 *
 * yield_late: whether the common path has work due, which they skip.
 * Both take f and cpu in trap()'s order, which they tail-call when it is:
 * they stay in the registers they came in. The kind is ARCH_TRAP_SYNC:
 * arch_trap_call finds a call in no other. */
static inline bool yield_late(uint64_t wake_at, uint64_t now)
{
	return now >= wake_at;
}

/* The end of both: n (b) holds c now, since `now`; `wake_at` is c's. */
static inline struct arch_frame *yield_leave(struct vn_shard *n, struct bm_shard *b,
					     const struct vn_core *c, uint64_t now,
					     uint64_t wake_at)
{
	uint64_t at = vn_shard_watchdog_deadline_since(n, now);

	at = at < wake_at ? at : wake_at;
	if (at < c->timer_at) /* a later one would not be set */
		return yield_leave_timed(b, at);
	unlock();
	return &b->ctx;
}

/* Nobody else is ready on c: s, the caller, has it again. */
static __attribute__((noinline)) struct arch_frame *yield_alone(struct arch_frame *f,
								size_t cpu, struct vn_core *c)
{
	uint64_t ticks = arch_ticks(), now = arch_ticks_ns(ticks), wake_at = c->wake_at;
	struct vn_shard *s = c->current;
	struct bm_shard *b = bm_of(s);

	if (yield_late(wake_at, now))
		return trap(f, cpu, ARCH_TRAP_SYNC, s);
	arch_call_done(f);
	arch_frame_ret(f, vn_sched_yield_alone(K, c, now, ticks));
	return yield_leave(s, b, c, now, wake_at);
}

/* Another shard of c is ready: it takes the core. */
static __attribute__((noinline)) struct arch_frame *yield_fast(struct arch_frame *f,
							       size_t cpu, struct vn_core *c)
{
	uint64_t ticks = arch_ticks(), now = arch_ticks_ns(ticks), wake_at = c->wake_at;
	uint64_t value;
	struct vn_shard *n;
	struct bm_shard *b;

	if (yield_late(wake_at, now))
		return trap(f, cpu, ARCH_TRAP_SYNC, c->current);
	arch_call_done(f);
	n = vn_sched_yield_fast(K, c, now, ticks, &value);
	b = bm_of(n);
	arch_frame_ret(&b->ctx, value);
	arch_switch(b->space.token);
	arch_fp_switch(&b->ctx, bm_fp_owner[cpu] == b);
	return yield_leave(n, b, c, now, wake_at);
}

/* The frame f (a shard's context, or NULL when a CPU starts) trapped, for
 * `kind`; returns the frame to return to. No work of its own: the
 * YIELD path or the common path, each with what it needs. */
static inline __attribute__((always_inline)) struct arch_frame *enter(struct arch_frame *f,
								     uint32_t kind)
{
	size_t cpu = arch_cpu(); /* an index: no extension on the way */
	struct vn_core *c = &K->core[cpu];
	struct vn_shard *s;

	lock();
	s = c->current;
	if (s && kind != BM_TRAP_START && !c->reloads && !K->halted &&
	    arch_trap_call(f, kind) == VN_SYS_YIELD)
		return c->head ? yield_fast(f, cpu, c) : yield_alone(f, cpu, c);
	return trap(f, cpu, kind, s);
}

struct arch_frame *bm_trap(struct arch_frame *f, uint32_t kind)
{
	return enter(f, kind);
}

/* bm_trap for a trap of kind ARCH_TRAP_SYNC, the one that may be a system
 * call (the port's vector enters it for that kind): with the kind known,
 * its tests on the way to the YIELD path fold away. */
struct arch_frame *bm_trap_sync(struct arch_frame *f)
{
	return enter(f, ARCH_TRAP_SYNC);
}

/* bm_trap, while the shards' spaces share an ASID (space.c: bm_asid_plan;
 * the port's trap entry calls this one then): always the common path,
 * whose switches drop the shared ASID's TLB entries (the port's *_reuse
 * hooks). The YIELD path's switch does not, and bm_trap is not made to
 * look: where the ASIDs fit, that path stays as it is. */
struct arch_frame *bm_trap_reuse(struct arch_frame *f, uint32_t kind)
{
	uint32_t cpu = arch_cpu();

	lock();
	arch_trap_enter_reuse(cpu);
	return trap(f, cpu, kind, K->core[cpu].current);
}
