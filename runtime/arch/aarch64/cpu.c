/*
 * cpu.c - the trap, and each CPU's scheduler loop.
 *
 * Every way into the kernel ends in a64_trap(), under the kernel lock:
 *   1. do what the trap asks (a system call, a fault, an interrupt);
 *   2. expire timeouts and check the watchdog;
 *   3. if the shard that trapped still holds its core, return to it;
 *      otherwise keep its registers (if it may run again) and hand the
 *      core to the next shard vn_sched_pick() gives, waiting in WFI while
 *      there is none.
 * Context switch is therefore a copy of the trap frame: the outgoing
 * shard's frame into its a64_shard, the incoming one's into the frame that
 * vectors.S restores, and its TTBR0 (tables + ASID) into the MMU.
 *
 * A shard (re)started during the trap has a fresh context that must not be
 * overwritten by the frame it died in: `starts` tells the two apart.
 */
#include <stddef.h>

#include "a64.h"
#include "kconsole.h"
#include "a64_time.h"
#include "port.h"
#include "vn_sched.h"

struct vn_kernel a64_kernel;
struct a64_shard a64_shards[VN_MAX_SHARDS];
static uint32_t kernel_lock;

#define K (&a64_kernel)

/* Test and test-and-set, with a pause hint while it spins. Not a ticket
 * lock: QEMU's CPUs are host threads, and a ticket lock hands the lock to
 * the next waiter in line even while the host has that waiter's thread
 * descheduled, so every hand-off waited for a host time slice (a loaded
 * host ran the pipeline example over twice as slowly). */
void a64_lock(void)
{
	while (__atomic_exchange_n(&kernel_lock, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(&kernel_lock, __ATOMIC_RELAXED))
			__asm__ volatile("yield");
}

void a64_unlock(void)
{
	__atomic_store_n(&kernel_lock, 0, __ATOMIC_RELEASE);
}

uint64_t port_now(void)
{
	return vn_ticks_to_ns(a64_cntvct(), a64_cntfrq());
}

void port_kick_core(uint32_t core)
{
	a64_gic_sgi(core);
}

/* The watchdog only ever stops the shard running on the CPU that checks
 * it, from inside that shard's trap: it is off EL0 already, and the trap
 * applies its fault policy (a64_watchdog_fault). */
void port_shard_stop(struct vn_shard *s)
{
	(void)s;
}

/* Every change of the system's state happens in a trap, and every trap
 * ends in resume(), which looks at vn_system_done() first. */
void port_system_event(void)
{
}

static _Noreturn void finish(void)
{
	int status = vn_system_status(K);

	vn_kmsg("system '%s' exited with status %d", K->sys->name, status);
	a64_exit(status);
}

/* Only the owner's acknowledgement unmasks a device interrupt again. */
int port_irq_unmask(uint32_t irq)
{
	a64_gic_unmask(irq);
	return 0;
}

/* Acknowledge every pending interrupt. A kick (SGI) only makes us look at
 * the run queue again, which the caller does anyway; the timer is switched
 * off here and re-armed for the next deadline before we leave. A device
 * interrupt (SPI) is masked, then becomes its owner's notification. */
static void irq_poll(uint32_t cpu)
{
	for (;;) {
		uint32_t iar = a64_gic_ack(), id = iar & 0x3ffu;

		if (id >= 1020)
			return;
		if (id == A64_PPI_VTIMER)
			a64_timer_set(VN_NEVER);
		if (id >= A64_SPI_FIRST) {
			a64_gic_mask(id);
			vn_irq_deliver(K, id, cpu);
		}
		a64_gic_eoi(iar);
	}
}

/* Wait timeouts, then the watchdog of the running shard. */
static void events(uint32_t cpu)
{
	uint64_t now = port_now();
	struct vn_shard *w;

	vn_sched_expire(K, cpu, now);
	w = vn_watchdog(K, cpu, now);
	if (w)
		a64_watchdog_fault(w, now);
}

/* Arm the timer for this core's next deadline: a wait timing out, or the
 * running shard's watchdog budget running out. */
static void arm_timer(uint32_t cpu)
{
	uint64_t next = vn_sched_expire(K, cpu, port_now());
	struct vn_shard *s = K->core[cpu].current;

	if (s && s->cfg->watchdog_ns && !s->watchdog_fired &&
	    s->ran_since + s->cfg->watchdog_ns + 1 < next)
		next = s->ran_since + s->cfg->watchdog_ns + 1;
	a64_timer_set(next);
}

/* Nothing to run: sleep until an interrupt is pending (WFI wakes for it
 * even with IRQs masked), then take what it brought. */
static void idle(uint32_t cpu)
{
	arm_timer(cpu);
	/* Arming expires the waits already due. A shard it made ready would
	 * otherwise sleep with us: no timer left, no kick coming. Every other
	 * way a shard of ours becomes ready (another core's kick, a device)
	 * is an interrupt, and a pending one ends WFI at once. */
	if (vn_sched_runnable(K, cpu))
		return;
	a64_unlock();
	__asm__ volatile("dsb sy\n\twfi" ::: "memory");
	a64_lock();
	irq_poll(cpu);
	events(cpu);
}

/* Give the core to s: its registers into the frame, its tables into the
 * MMU, the result of its last call into x0. */
static void load(struct a64_frame *f, struct vn_shard *s, uint32_t cpu)
{
	struct a64_shard *a = a64_of(s);
	struct a64_ctl *ctl = (struct a64_ctl *)(uintptr_t)a64_layout[s->cfg->id].ctl;

	*f = a->ctx;
	f->x[0] = vn_shard_resume(K, s);
	a64_set_ttbr(a->ttbr);
	ctl->core_shared = vn_core_live_shards(K, cpu) > 1;
}

static void resume(struct a64_frame *f, uint32_t cpu, struct vn_shard *prev,
		   uint32_t starts)
{
	struct vn_shard *next;

	if (vn_system_done(K))
		finish();
	if (prev && K->core[cpu].current == prev) {
		arm_timer(cpu);
		return;
	}
	if (prev && vn_shard_live(prev) && a64_of(prev)->starts == starts)
		a64_of(prev)->ctx = *f;
	for (;;) {
		if (vn_system_done(K))
			finish();
		next = vn_sched_pick(K, cpu, port_now());
		if (next)
			break;
		if (vn_system_stuck(K))
			vn_kreport_stuck(K);
		idle(cpu);
	}
	load(f, next, cpu);
	arm_timer(cpu);
}

static void syscall(struct a64_frame *f, struct vn_shard *s)
{
	/* An op wider than 32 bits is refused, not truncated into a valid one. */
	uint32_t op = f->x[8] > UINT32_MAX ? UINT32_MAX : (uint32_t)f->x[8];
	struct vn_sysres r = vn_syscall_dispatch(K, s, op, f->x[0], f->x[1]);

	if (r.action == VN_ACT_CONTINUE)
		f->x[0] = r.value;
}

static void sync(struct a64_frame *f, struct vn_shard *s)
{
	uint64_t esr, far;

	__asm__ volatile("mrs %0, esr_el1" : "=r"(esr));
	__asm__ volatile("mrs %0, far_el1" : "=r"(far));
	if (s && (esr >> 26) == 0x15) /* SVC from AArch64 */
		syscall(f, s);
	else if (s)
		a64_fault(s, f, esr, far);
}

void a64_trap(struct a64_frame *f, uint32_t kind)
{
	uint32_t cpu = a64_cpu(), starts;
	struct vn_shard *s;

	a64_lock();
	s = K->core[cpu].current;
	starts = s ? a64_of(s)->starts : 0;
	if (kind == A64_TRAP_SYNC) {
		sync(f, s);
	} else if (kind == A64_TRAP_SERROR && s) {
		a64_fault(s, f, (uint64_t)0x2f << 26, 0);
	} else if (kind == A64_TRAP_IRQ) {
		irq_poll(cpu);
	}
	events(cpu);
	resume(f, cpu, s, starts);
	a64_unlock();
}
