/*
 * cpu.c - the trap, and each hart's scheduler loop (as aarch64/cpu.c).
 *
 * Every way into the kernel ends in rv64_trap(), under the kernel lock:
 *   1. do what the trap asks (a system call, a fault, an interrupt);
 *   2. expire timeouts and check the watchdog;
 *   3. if the shard that trapped still holds its core, return to it;
 *      otherwise keep its registers (if it may run again) and hand the
 *      core to the next shard vn_sched_pick() gives, waiting in WFI while
 *      there is none.
 * The kernel works on its own table (ASID 0), which maps all RAM S-only,
 * so it reads and writes shard pages without ever setting sstatus.SUM;
 * leaving, it installs the satp (root table + ASID) of the shard that now
 * holds the hart. Context switch is a copy of the trap frame. `starts` tells a shard (re)started during the
 * trap from the frame it died in.
 */
#include <stddef.h>

#include "rv64.h"
#include "kconsole.h"
#include "rv64_time.h"
#include "port.h"
#include "vn_sched.h"

struct vn_kernel rv64_kernel;
struct rv64_shard rv64_shards[VN_MAX_SHARDS];
static uint32_t kernel_lock;

#define K (&rv64_kernel)

#define CAUSE_ECALL_U 8u
#define IRQ_S_SOFT 1u
#define IRQ_S_TIMER 5u
#define IRQ_S_EXT 9u

/* Test and test-and-set, with a pause hint while it spins. Not a ticket
 * lock: QEMU's CPUs are host threads, and a ticket lock hands the lock to
 * the next waiter in line even while the host has that waiter's thread
 * descheduled, so every hand-off waited for a host time slice (a loaded
 * host ran the pipeline example over twice as slowly). */
void rv64_lock(void)
{
	while (__atomic_exchange_n(&kernel_lock, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(&kernel_lock, __ATOMIC_RELAXED))
			__asm__ volatile(".insn i 0x0f, 0, x0, x0, 0x010"); /* pause */
}

void rv64_unlock(void)
{
	__atomic_store_n(&kernel_lock, 0, __ATOMIC_RELEASE);
}

uint64_t port_now(void)
{
	return vn_ticks_to_ns(rv64_rdtime(), RV64_TIMEBASE);
}

void port_kick_core(uint32_t core)
{
	rv64_ipi(core);
}

/* As on aarch64: the watchdog only stops the shard running on the hart
 * that checks it, from inside that shard's trap. */
void port_shard_stop(struct vn_shard *s)
{
	(void)s;
}

void port_system_event(void)
{
}

static _Noreturn void finish(void)
{
	int status = vn_system_status(K);

	vn_kmsg("system '%s' exited with status %d", K->sys->name, status);
	rv64_exit(status);
}

int port_irq_unmask(uint32_t irq)
{
	rv64_plic_unmask(irq);
	return 0;
}

/* Take every pending interrupt. A kick (SSIP) only makes us look at the
 * run queue again; the timer is switched off here and re-armed for the
 * next deadline before we leave; a device interrupt (PLIC) is masked, then
 * becomes its owner's notification. */
static void irq_poll(uint32_t cpu)
{
	uint64_t sip = csr_read(sip);
	uint32_t irq;

	if (sip & SIP_SSIP)
		csr_clear(sip, SIP_SSIP);
	if (sip & SIP_STIP)
		rv64_timer_set(VN_NEVER);
	while ((irq = rv64_plic_claim(cpu)) != 0) {
		rv64_plic_mask(irq);
		vn_irq_deliver(K, irq, cpu);
		rv64_plic_complete(cpu, irq);
	}
}

static void events(uint32_t cpu)
{
	uint64_t now = port_now();
	struct vn_shard *w;

	vn_sched_expire(K, cpu, now);
	w = vn_watchdog(K, cpu, now);
	if (w)
		rv64_watchdog_fault(w, now);
}

static void arm_timer(uint32_t cpu)
{
	uint64_t next = vn_sched_expire(K, cpu, port_now());
	struct vn_shard *s = K->core[cpu].current;

	if (s && s->cfg->watchdog_ns && !s->watchdog_fired &&
	    s->ran_since + s->cfg->watchdog_ns + 1 < next)
		next = s->ran_since + s->cfg->watchdog_ns + 1;
	rv64_timer_set(next);
}

/* Nothing to run: sleep until an interrupt is pending (WFI wakes for one
 * enabled in sie even with sstatus.SIE clear), then take what it brought. */
static void idle(uint32_t cpu)
{
	arm_timer(cpu);
	/* Arming expires the waits already due. A shard it made ready would
	 * otherwise sleep with us: no timer left, no kick coming. Every other
	 * way a shard of ours becomes ready (another core's kick, a device)
	 * is an interrupt, and a pending one ends WFI at once. */
	if (vn_sched_runnable(K, cpu))
		return;
	rv64_unlock();
	__asm__ volatile("fence\n\twfi" ::: "memory");
	rv64_lock();
	irq_poll(cpu);
	events(cpu);
}

static void load(struct rv64_frame *f, struct vn_shard *s, uint32_t cpu)
{
	struct rv64_shard *a = rv64_of(s);
	struct rv64_ctl *ctl = (struct rv64_ctl *)(uintptr_t)rv64_layout[s->cfg->id].ctl;

	*f = a->ctx;
	f->x[10] = vn_shard_resume(K, s);
	ctl->core_shared = vn_core_live_shards(K, cpu) > 1;
}

static void resume(struct rv64_frame *f, uint32_t cpu, struct vn_shard *prev,
		   uint32_t starts)
{
	struct vn_shard *next;

	if (vn_system_done(K))
		finish();
	if (prev && K->core[cpu].current == prev) {
		arm_timer(cpu);
		return;
	}
	if (prev && vn_shard_live(prev) && rv64_of(prev)->starts == starts)
		rv64_of(prev)->ctx = *f;
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

static void syscall(struct rv64_frame *f, struct vn_shard *s)
{
	uint32_t op = f->x[17] > UINT32_MAX ? UINT32_MAX : (uint32_t)f->x[17];
	struct vn_sysres r;

	f->sepc += 4; /* past the ecall, whatever happens next */
	r = vn_syscall_dispatch(K, s, op, f->x[10], f->x[11]);
	if (r.action == VN_ACT_CONTINUE)
		f->x[10] = r.value;
}

void rv64_trap(struct rv64_frame *f, uint32_t kind)
{
	uint32_t cpu = rv64_cpu(), starts;
	uint64_t scause = csr_read(scause), stval = csr_read(stval);
	struct vn_shard *s;

	rv64_lock();
	rv64_set_satp(rv64_kernel_satp);
	s = K->core[cpu].current;
	starts = s ? rv64_of(s)->starts : 0;
	if (kind == RV64_TRAP_USER) {
		if (scause & CAUSE_IRQ)
			irq_poll(cpu);
		else if (s && scause == CAUSE_ECALL_U)
			syscall(f, s);
		else if (s)
			rv64_fault(s, f, scause, stval);
	}
	events(cpu);
	resume(f, cpu, s, starts);
	rv64_set_satp(rv64_of(K->core[cpu].current)->satp);
	rv64_unlock();
}
