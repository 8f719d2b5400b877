/*
 * test_syscall.c - the system call table, notification delivery, device
 * interrupts, the fault policy and the watchdog
 * (runtime/core/{syscall,notify,irq,fault,kernel}.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "fixture.h"

static struct vn_sysres call(struct vn_shard *s, uint32_t op, uint64_t a0)
{
	return vn_syscall_dispatch(&fx_k, s, op, a0, 0);
}

/* Boot and make shard i the running shard of its core. */
static struct vn_shard *boot_running(uint32_t i)
{
	return fx_boot_running(i);
}

/* Put shard i to sleep in WAIT (forever). */
static void put_to_sleep(uint32_t i)
{
	struct vn_shard *s = S(i);

	if (fx_k.core[s->cfg->core].current)
		vn_sched_yield(&fx_k, fx_k.core[s->cfg->core].current);
	while (vn_sched_pick(&fx_k, s->cfg->core, 0) != s)
		vn_sched_yield(&fx_k, fx_k.core[s->cfg->core].current);
	assert_int_equal(call(s, VN_SYS_WAIT, VN_NEVER).action, VN_ACT_SWITCH);
	assert_int_equal(s->state, VN_BLOCKED);
}

static void test_bad_op(void **state)
{
	struct vn_shard *s = boot_running(0);
	struct vn_sysres r;

	(void)state;
	r = call(s, VN_SYS_COUNT, 0);
	assert_int_equal(r.value, VN_ERR(VN_ENOSYS));
	assert_int_equal(r.action, VN_ACT_CONTINUE);
	r = call(s, 0xffffffffu, 0);
	assert_true(VN_IS_ERR(r.value));
	assert_int_equal(s->st->syscalls, 2);
	assert_int_equal(s->state, VN_RUNNING);
}

static void test_notify_validation(void **state)
{
	struct vn_shard *s = boot_running(0);
	struct vn_sysres r;

	(void)state;
	r = call(s, VN_SYS_NOTIFY, 3); /* no such channel */
	assert_int_equal(r.value, VN_ERR(VN_EINVAL));
	r = call(s, VN_SYS_NOTIFY, UINT64_C(1) << 32);
	assert_int_equal(r.value, VN_ERR(VN_EINVAL));
	r = call(s, VN_SYS_NOTIFY, 2); /* 1 -> 2: not ours */
	assert_int_equal(r.value, VN_ERR(VN_EPERM));
	assert_int_equal(r.action, VN_ACT_CONTINUE);
	assert_int_equal(S(1)->pending | S(2)->pending, 0);
	assert_int_equal(s->st->notifies, 0);
}

static void test_notify_wakes_other_core_once(void **state)
{
	struct vn_shard *s;

	(void)state;
	fx_boot();
	put_to_sleep(3);
	s = vn_sched_pick(&fx_k, 0, 0);
	assert_ptr_equal(s, S(0));
	stub.kicks = 0;
	assert_int_equal(call(s, VN_SYS_NOTIFY, 0).value, 0); /* 0 -> 3 */
	assert_int_equal(S(3)->state, VN_READY);
	assert_int_equal(S(3)->pending, 1u << 0);
	assert_int_equal(stub.kicks, 1);
	assert_int_equal(stub.last_kick, 1);
	/* Already awake: the bit merges, no second kick. */
	assert_int_equal(call(s, VN_SYS_NOTIFY, 1).value, 0); /* rx side of 3 -> 0 */
	assert_int_equal(S(3)->pending, (1u << 0) | (1u << 1));
	assert_int_equal(stub.kicks, 1);
	assert_int_equal(s->st->notifies, 2);
	/* s3 runs: WAIT's result is the pending set, which is then clear. */
	assert_ptr_equal(vn_sched_pick(&fx_k, 1, 0), S(3));
	assert_int_equal(vn_shard_resume(&fx_k, S(3)), 3);
	assert_int_equal(S(3)->pending, 0);
}

static void test_notify_same_core_no_kick(void **state)
{
	struct vn_shard *s;

	(void)state;
	fx_boot();
	put_to_sleep(2); /* leaves core 0 free */
	while ((s = vn_sched_pick(&fx_k, 0, 0)) != S(1))
		vn_sched_yield(&fx_k, s);
	assert_int_equal(call(s, VN_SYS_NOTIFY, 2).value, 0); /* 1 -> 2 */
	assert_int_equal(S(2)->state, VN_READY);
	assert_int_equal(stub.kicks, 0);
	assert_int_equal(s->state, VN_RUNNING); /* notify keeps the core */
}

/* Delivered by another core than the caller's (hosted: the receiver's core
 * collects posted requests): kick the peer's core unless it is the one
 * delivering; the endpoint check is the same. */
static void test_notify_deliver_on(void **state)
{
	(void)state;
	fx_boot();
	put_to_sleep(3);
	stub.kicks = 0;
	assert_int_equal(vn_notify_deliver_on(&fx_k, S(0), 0, 1), 0); /* 0 -> 3, on core 1 */
	assert_int_equal(S(3)->state, VN_READY);
	assert_int_equal(S(3)->pending, 1u << 0);
	assert_int_equal(stub.kicks, 0);
	put_to_sleep(2);
	/* 1 -> 2 (core 0), on core 1 */
	assert_int_equal(vn_notify_deliver_on(&fx_k, S(1), 2, 1), 0);
	assert_int_equal(S(2)->state, VN_READY);
	assert_int_equal(stub.kicks, 1);
	assert_int_equal(stub.last_kick, 0);
	assert_int_equal(vn_notify_deliver_on(&fx_k, S(1), 0, 1), -1); /* not an endpoint */
	assert_int_equal(S(0)->pending | S(3)->pending, 1u << 0);
	assert_int_equal(stub.kicks, 1);
}

/* An interrupt sets its device's bit in the owner, wakes it, and kicks its
 * core only when delivered on another; WAIT then returns the bit. */
static void test_irq_deliver_wakes_owner(void **state)
{
	(void)state;
	fx_boot();
	put_to_sleep(3);
	stub.kicks = 0;
	assert_int_equal(vn_irq_deliver(&fx_k, 40, 1), 0); /* on the owner's core */
	assert_int_equal(S(3)->state, VN_READY);
	assert_int_equal(S(3)->pending, 1u << 2);
	assert_int_equal(stub.kicks, 0);
	assert_ptr_equal(vn_sched_pick(&fx_k, 1, 0), S(3));
	assert_int_equal(vn_shard_resume(&fx_k, S(3)), 1u << 2);
	put_to_sleep(3);
	assert_int_equal(vn_irq_deliver(&fx_k, 40, 0), 0); /* on another core */
	assert_int_equal(stub.kicks, 1);
	assert_int_equal(stub.last_kick, 1);
	assert_int_equal(vn_irq_deliver(&fx_k, 40, 0), 0); /* awake: merges, no kick */
	assert_int_equal(stub.kicks, 1);
	assert_int_equal(S(0)->pending | S(1)->pending | S(2)->pending, 0);
}

static void test_irq_unknown_ignored(void **state)
{
	(void)state;
	fx_boot();
	assert_int_equal(vn_irq_deliver(&fx_k, 33, 0), -1);
	assert_int_equal(vn_irq_deliver(&fx_k, VN_NO_IRQ, 0), -1); /* "quiet" has none */
	for (uint32_t i = 0; i < 4; i++)
		assert_int_equal(S(i)->pending, 0);
	assert_int_equal(stub.kicks, 0);
}

/* IRQ_ACK unmasks only interrupts of devices the caller owns; one bad bit
 * and nothing is unmasked. */
static void test_irq_ack(void **state)
{
	struct vn_shard *s = boot_running(3);

	(void)state;
	assert_int_equal(call(s, VN_SYS_IRQ_ACK, 1u << 2).value, 0);
	assert_int_equal(stub.unmasks, 1);
	assert_int_equal(stub.last_unmask, 40);
	assert_int_equal(call(s, VN_SYS_IRQ_ACK, 0).value, VN_ERR(VN_EINVAL));
	assert_int_equal(call(s, VN_SYS_IRQ_ACK, 1u << 0).value, VN_ERR(VN_EPERM)); /* a channel */
	assert_int_equal(call(s, VN_SYS_IRQ_ACK, (1u << 2) | (UINT64_C(1) << 63)).value,
			 VN_ERR(VN_EPERM));
	assert_int_equal(stub.unmasks, 1);
	stub.unmask_fails = 1; /* a port without device interrupts (hosted) */
	assert_int_equal(call(s, VN_SYS_IRQ_ACK, 1u << 2).value, VN_ERR(VN_ENOSYS));
}

static void test_irq_ack_wrong_owner(void **state)
{
	struct vn_shard *s = boot_running(0);

	(void)state;
	stub.unmasks = 0;
	/* Bit 2 of shard 0 is dev0 (irq 41), never shard 3's dev3. */
	assert_int_equal(call(s, VN_SYS_IRQ_ACK, 1u << 2).value, 0);
	assert_int_equal(stub.last_unmask, 41);
	s = boot_running(1);
	stub.unmasks = 0;
	assert_int_equal(call(s, VN_SYS_IRQ_ACK, 1u << 2).value, VN_ERR(VN_EPERM)); /* not its */
	assert_int_equal(call(s, VN_SYS_IRQ_ACK, 1u << 1).value, VN_ERR(VN_EPERM)); /* no irq */
	assert_int_equal(stub.unmasks, 0);
}

/* A restarted owner never saw the bit of an interrupt that fired before it
 * died: its interrupts are unmasked again, as at boot. */
static void test_irq_unmasked_on_restart(void **state)
{
	(void)state;
	boot_running(3);
	fx_shards[3].on_fault = VN_FAULT_RESTART;
	assert_int_equal(vn_irq_deliver(&fx_k, 40, 1), 0);
	assert_int_equal(vn_shard_fault(&fx_k, S(3), 0, 139), VN_FAULT_RESTARTED);
	assert_int_equal(S(3)->pending, 0);
	assert_int_equal(stub.unmasks, 1);
	assert_int_equal(stub.last_unmask, 40);
}

static void test_bad_device_table(void **state)
{
	struct vn_kdevice bad = {.name = "bad", .shard = 4, .bit = 0, .irq = 40};
	struct vn_ksystem sys = fx_system;

	(void)state;
	sys.devices = &bad;
	sys.n_devices = 1;
	assert_int_equal(vn_kernel_init(&fx_k, &sys, &fx_obs), -1); /* no shard 4 */
	bad.shard = 0;
	bad.bit = 64;
	assert_int_equal(vn_kernel_init(&fx_k, &sys, &fx_obs), -1);
	bad.bit = 63;
	assert_int_equal(vn_kernel_init(&fx_k, &sys, &fx_obs), 0);
}

static void test_wait(void **state)
{
	struct vn_shard *s = boot_running(3);
	struct vn_sysres r;

	(void)state;
	s->pending = 5;
	r = call(s, VN_SYS_WAIT, 1000);
	assert_int_equal(r.value, 5); /* pending: returns at once */
	assert_int_equal(r.action, VN_ACT_CONTINUE);
	assert_int_equal(s->pending, 0);
	r = call(s, VN_SYS_WAIT, 0); /* zero timeout: a poll */
	assert_int_equal(r.value, 0);
	assert_int_equal(r.action, VN_ACT_CONTINUE);
	stub.now = 1000;
	r = call(s, VN_SYS_WAIT, 500);
	assert_int_equal(r.action, VN_ACT_SWITCH);
	assert_int_equal(s->deadline, 1500);
	assert_int_equal(vn_sched_expire(&fx_k, 1, 1499), 1500);
	vn_sched_expire(&fx_k, 1, 1500);
	assert_ptr_equal(vn_sched_pick(&fx_k, 1, 1500), s);
	assert_int_equal(vn_shard_resume(&fx_k, s), 0); /* timed out */
	assert_int_equal(s->st->waits, 1); /* only the wait that slept */
	/* A huge timeout saturates instead of wrapping. */
	call(s, VN_SYS_WAIT, VN_NEVER - 10);
	assert_int_equal(s->deadline, VN_NEVER);
}

static void test_yield(void **state)
{
	struct vn_shard *s = boot_running(0);

	(void)state;
	assert_int_equal(call(s, VN_SYS_YIELD, 0).action, VN_ACT_SWITCH);
	assert_int_equal(s->state, VN_READY);
	assert_ptr_equal(fx_k.core[0].head, S(1));
	assert_ptr_equal(fx_k.core[0].tail, s);
	assert_int_equal(s->st->yields, 1);
}

static void test_log(void **state)
{
	struct vn_shard *s = boot_running(1);

	(void)state;
	assert_int_equal(call(s, VN_SYS_LOG, VN_LOG_MAX + 1).value, VN_ERR(VN_EINVAL));
	assert_int_equal(stub.logs, 0);
	assert_int_equal(call(s, VN_SYS_LOG, 12).value, 0);
	assert_int_equal(stub.logs, 1);
	assert_int_equal(stub.last_log_len, 12);
}

static void test_exit_and_status(void **state)
{
	struct vn_sysres r;

	(void)state;
	r = call(boot_running(0), VN_SYS_EXIT, 0x104); /* status is 8 bits */
	assert_int_equal(r.action, VN_ACT_EXIT);
	assert_int_equal(S(0)->exit_status, 4);
	assert_int_equal(S(0)->state, VN_FINISHED);
	assert_null(fx_k.core[0].current);
	assert_false(vn_system_done(&fx_k));
	vn_shard_finish(&fx_k, S(1), 9);
	vn_shard_finish(&fx_k, S(2), 0);
	vn_shard_finish(&fx_k, S(3), 0);
	assert_true(vn_system_done(&fx_k));
	assert_int_equal(vn_system_status(&fx_k), 4); /* the first non-zero */
}

static void test_halt(void **state)
{
	(void)state;
	/* Without `halt: true` the call is the caller's fault, and halts nothing. */
	assert_int_equal(call(boot_running(3), VN_SYS_HALT, 7).action, VN_ACT_FAULT);
	assert_false(fx_k.halted);
	assert_false(vn_system_done(&fx_k));
	boot_running(3);
	fx_shards[3].may_halt = 1; /* after the boot, which clears it */
	assert_int_equal(call(S(3), VN_SYS_HALT, 7).action, VN_ACT_HALT);
	assert_true(vn_system_done(&fx_k));
	vn_system_halt(&fx_k, 9); /* the first halt wins */
	assert_int_equal(vn_system_status(&fx_k), 7);
	/* Faults after a halt change nothing. */
	assert_int_equal(vn_shard_fault(&fx_k, S(0), 0, 139), VN_FAULT_IGNORED);
}

/* Stuck: every live shard asleep for good, none owning an interrupting
 * device. Shards 0 and 3 own one each, so only once they are gone can the
 * others' endless sleep be diagnosed; the WAIT that completes it raises a
 * system event for the port to report. */
static void test_stuck(void **state)
{
	(void)state;
	fx_boot();
	put_to_sleep(1);
	put_to_sleep(2);
	assert_false(vn_system_stuck(&fx_k)); /* 0 and 3 are ready */
	vn_shard_finish(&fx_k, S(0), 0);
	assert_int_equal(S(3)->pending, 3); /* told that its peer exited */
	S(3)->pending = 0;                  /* (a WAIT takes them) */
	put_to_sleep(3);
	assert_false(vn_system_stuck(&fx_k)); /* 3's device may interrupt */
	vn_shard_finish(&fx_k, S(3), 0);
	assert_true(vn_system_stuck(&fx_k));
	assert_false(vn_system_done(&fx_k)); /* a diagnosis, not an end */
	S(2)->pending = 1;                   /* a bit not yet taken: not stuck */
	assert_false(vn_system_stuck(&fx_k));
	S(2)->pending = 0;
	S(2)->deadline = 5;                  /* a timeout will wake it */
	assert_false(vn_system_stuck(&fx_k));
}

static void test_stuck_event(void **state)
{
	(void)state;
	fx_boot();
	vn_shard_finish(&fx_k, S(0), 0);
	vn_shard_finish(&fx_k, S(3), 0);
	put_to_sleep(1);
	stub.events = 0;
	put_to_sleep(2);                     /* the last one: now stuck */
	assert_true(vn_system_stuck(&fx_k));
	assert_int_equal(stub.events, 1);
}

static void test_fault_stop(void **state)
{
	(void)state;
	boot_running(0);
	stub.crash_opens = 0;
	assert_int_equal(vn_shard_fault(&fx_k, S(0), 0, 139), VN_FAULT_STOPPED);
	assert_int_equal(S(0)->state, VN_STOPPED);
	assert_int_equal(stub.crash_opens, 1); /* its crash dump was asked for */
	/* A second report of the same death is ignored, and dumps nothing. */
	assert_int_equal(vn_shard_fault(&fx_k, S(0), 0, 139), VN_FAULT_IGNORED);
	assert_int_equal(stub.crash_opens, 1);
	assert_null(fx_k.core[0].current);
	for (uint32_t i = 1; i < 4; i++)
		vn_shard_finish(&fx_k, S(i), 0);
	assert_true(vn_system_done(&fx_k));
	assert_int_equal(vn_system_status(&fx_k), 1);
}

static void test_fault_halt(void **state)
{
	(void)state;
	fx_boot();
	fx_shards[2].on_fault = VN_FAULT_HALT;
	assert_int_equal(vn_shard_fault(&fx_k, S(2), 0, 139), VN_FAULT_HALTED);
	assert_true(vn_system_done(&fx_k));
	assert_int_equal(vn_system_status(&fx_k), 139);
}

/* Five restarts inside a second are allowed; the sixth fault stops it. A
 * shard that faults rarely is restarted for ever. */
static void test_fault_restart_budget(void **state)
{
	(void)state;
	boot_running(3);
	fx_shards[3].on_fault = VN_FAULT_RESTART;
	S(3)->pending = 4;
	for (unsigned i = 1; i <= 5; i++) {
		stub.now = i * 100000000ull;
		assert_int_equal(vn_shard_fault(&fx_k, S(3), stub.now, 139),
				 VN_FAULT_RESTARTED);
		assert_int_equal(S(3)->state, VN_READY);
		assert_int_equal(S(3)->st->restarts, i);
		assert_int_equal(stub.starts, i);
		fx_check_live(&fx_k); /* stopped, then live again */
	}
	assert_int_equal(S(3)->pending, 0);
	stub.now = 600000000ull;
	assert_int_equal(vn_shard_fault(&fx_k, S(3), stub.now, 139), VN_FAULT_GAVE_UP);
	assert_int_equal(S(3)->state, VN_STOPPED);
	assert_int_equal(stub.starts, 5);
	fx_check_live(&fx_k);

	boot_running(3);
	fx_shards[3].on_fault = VN_FAULT_RESTART;
	for (unsigned i = 1; i <= 20; i++)
		assert_int_equal(vn_shard_fault(&fx_k, S(3), i * 300000000ull, 139),
				 VN_FAULT_RESTARTED);
	stub.start_fails = 1;
	assert_int_equal(vn_shard_fault(&fx_k, S(3), 99000000000ull, 139),
			 VN_FAULT_START_FAILED);
	assert_int_equal(S(3)->state, VN_STOPPED);
}

/* The backoff doubles from the floor per restart still in the window, and
 * stops at the ceiling without overflowing; no floor, no backoff. */
static void test_restart_delay(void **state)
{
	const struct vn_krestart p = {.budget = 5, .floor_ns = 1000000, .ceiling_ns = 100000000};
	const struct vn_krestart none = {.budget = 5};

	(void)state;
	assert_int_equal(vn_restart_delay(&p, 0), 1000000);
	assert_int_equal(vn_restart_delay(&p, 1), 2000000);
	assert_int_equal(vn_restart_delay(&p, 6), 64000000);
	assert_int_equal(vn_restart_delay(&p, 7), 100000000);
	assert_int_equal(vn_restart_delay(&p, 200), 100000000);
	assert_int_equal(vn_restart_delay(&none, 3), 0);
}

static void restart_policy(uint32_t i, uint32_t budget, uint64_t window, uint64_t floor,
			   uint64_t ceiling, uint32_t then)
{
	fx_shards[i].on_fault = VN_FAULT_RESTART;
	fx_shards[i].restart = (struct vn_krestart){
		.budget = budget, .then = then, .window_ns = window,
		.floor_ns = floor, .ceiling_ns = ceiling,
	};
}

/* A restarted shard is held for its backoff: its core runs the others, a
 * notification only leaves its bit pending, and the deadline frees it. */
static void test_restart_backoff_holds(void **state)
{
	(void)state;
	boot_running(3);
	restart_policy(3, 3, 1000, 10, 35, VN_FAULT_STOP);
	assert_int_equal(vn_shard_fault(&fx_k, S(3), 100, 139), VN_FAULT_RESTARTED);
	assert_int_equal(S(3)->state, VN_BLOCKED);
	assert_true(S(3)->held);
	assert_int_equal(vn_core_deadline(&fx_k, 1, 100), 110);
	assert_false(vn_system_stuck(&fx_k));
	/* shard 0 notifies it over channel 0 during the hold */
	while (vn_sched_pick(&fx_k, 0, 100) != S(0))
		vn_sched_yield(&fx_k, fx_k.core[0].current);
	assert_int_equal(call(S(0), VN_SYS_NOTIFY, 0).value, 0);
	assert_int_equal(S(3)->state, VN_BLOCKED);
	assert_int_equal(S(3)->pending, 1);
	assert_null(vn_sched_pick(&fx_k, 1, 105));
	assert_int_equal(vn_sched_expire(&fx_k, 1, 109), 110);
	assert_int_equal(S(3)->state, VN_BLOCKED);
	assert_int_equal(vn_sched_expire(&fx_k, 1, 110), VN_NEVER);
	assert_int_equal(S(3)->state, VN_READY);
	assert_false(S(3)->held);
	assert_int_equal(vn_shard_resume(&fx_k, S(3)), 0); /* a fresh start, not a WAIT */
	assert_int_equal(S(3)->pending, 1);                /* kept for its first WAIT */
	/* 1 restart in the window: 20; 2: 40, capped at 35; then the budget of
	 * 3 is spent and it stops. */
	assert_ptr_equal(vn_sched_pick(&fx_k, 1, 110), S(3));
	assert_int_equal(vn_shard_fault(&fx_k, S(3), 120, 139), VN_FAULT_RESTARTED);
	assert_int_equal(S(3)->deadline, 140);
	vn_sched_expire(&fx_k, 1, 140);
	assert_ptr_equal(vn_sched_pick(&fx_k, 1, 140), S(3));
	assert_int_equal(vn_shard_fault(&fx_k, S(3), 150, 139), VN_FAULT_RESTARTED);
	assert_int_equal(S(3)->deadline, 185);
	assert_int_equal(vn_shard_fault(&fx_k, S(3), 190, 139), VN_FAULT_GAVE_UP);
	assert_int_equal(S(3)->state, VN_STOPPED);
	assert_int_equal(S(3)->st->restarts, 3);
}

/* Restarts older than the window no longer count: the budget and the
 * backoff start over. */
static void test_restart_window_slides(void **state)
{
	(void)state;
	boot_running(3);
	restart_policy(3, 2, 1000, 10, 1000, VN_FAULT_STOP);
	assert_int_equal(vn_shard_fault(&fx_k, S(3), 0, 139), VN_FAULT_RESTARTED);
	assert_int_equal(vn_shard_fault(&fx_k, S(3), 500, 139), VN_FAULT_RESTARTED);
	assert_int_equal(S(3)->deadline, 520);
	assert_int_equal(vn_restart_recent(S(3), 999), 2);
	assert_int_equal(vn_restart_recent(S(3), 1000), 1);
	assert_int_equal(vn_shard_fault(&fx_k, S(3), 1200, 139), VN_FAULT_RESTARTED);
	assert_int_equal(S(3)->deadline, 1220); /* one (at 500) still in the window */
	assert_int_equal(vn_shard_fault(&fx_k, S(3), 1400, 139), VN_FAULT_GAVE_UP);
	/* the scalar on_fault: restart: five, no backoff */
	boot_running(3);
	fx_shards[3].on_fault = VN_FAULT_RESTART;
	assert_int_equal(vn_shard_fault(&fx_k, S(3), 7, 139), VN_FAULT_RESTARTED);
	assert_int_equal(S(3)->state, VN_READY);
}

/* then: halt ends the system with the fault's status once the budget is
 * spent. */
static void test_restart_then_halt(void **state)
{
	(void)state;
	boot_running(3);
	restart_policy(3, 1, 1000, 0, 0, VN_FAULT_HALT);
	assert_int_equal(vn_shard_fault(&fx_k, S(3), 0, 134), VN_FAULT_RESTARTED);
	assert_false(fx_k.halted);
	assert_int_equal(vn_shard_fault(&fx_k, S(3), 1, 134), VN_FAULT_GAVE_UP_HALT);
	assert_true(fx_k.halted);
	assert_int_equal(vn_system_status(&fx_k), 134);
}

/* then: a group. Spent, the shard restarts with its group (a stopped one
 * too), each with a fresh budget and no backoff, and the others on the
 * core are left alone; spent again, it is stopped. */
static void test_restart_then_group(void **state)
{
	static const uint16_t group[] = {1, 2};

	(void)state;
	boot_running(1);
	restart_policy(1, 1, 1000, 50, 50, VN_FAULT_GROUP);
	fx_shards[1].restart.group = group;
	fx_shards[1].restart.n_group = 2;
	vn_sched_remove(&fx_k, S(2), VN_STOPPED); /* shard 2 died before */
	assert_int_equal(vn_shard_fault(&fx_k, S(1), 0, 139), VN_FAULT_RESTARTED);
	assert_int_equal(S(1)->deadline, 50);
	assert_int_equal(stub.starts, 1);
	assert_int_equal(vn_shard_fault(&fx_k, S(1), 10, 139), VN_FAULT_GROUP_RESTARTED);
	assert_int_equal(stub.starts, 3);
	assert_int_equal(S(1)->state, VN_READY);
	assert_int_equal(S(2)->state, VN_READY);
	assert_int_equal(S(2)->st->generation, 2);
	assert_int_equal(S(0)->st->generation, 1);
	assert_int_equal(S(0)->state, VN_READY);
	/* the fresh budget: one restart, backed off again */
	while (vn_sched_pick(&fx_k, 0, 20) != S(1))
		vn_sched_yield(&fx_k, fx_k.core[0].current);
	assert_int_equal(vn_shard_fault(&fx_k, S(1), 20, 139), VN_FAULT_RESTARTED);
	assert_int_equal(S(1)->deadline, 70);
	assert_int_equal(vn_shard_fault(&fx_k, S(1), 30, 139), VN_FAULT_GAVE_UP);
	assert_int_equal(S(1)->state, VN_STOPPED);
	assert_int_equal(S(2)->state, VN_READY);
	assert_int_equal(stub.starts, 4);
}

/* Groups past the 64th shard: a system of 70, with 64 and 65 on core 1
 * and the others on core 0. A spent budget restarts the shards of the
 * group and no other, whatever their ids: not 64 and 65 for 0 and 1. */
static void test_restart_groups_of_many(void **state)
{
	static struct vn_kshard big[70];
	static const uint16_t low[] = {0, 1}, high[] = {67, 66};
	static const struct vn_ksystem sys = {
		.name = "big", .board = "test", .n_cores = 2, .n_shards = 70, .shards = big,
	};
	const struct vn_krestart r = {.budget = 1, .then = VN_FAULT_GROUP,
				      .window_ns = 1000000000ull, .n_group = 2};

	(void)state;
	stub_reset();
	for (uint16_t i = 0; i < 70; i++)
		big[i] = (struct vn_kshard){.name = "s", .id = i, .core = i == 64 || i == 65,
					    .on_fault = VN_FAULT_STOP};
	big[0].on_fault = big[67].on_fault = VN_FAULT_RESTART;
	big[0].restart = big[67].restart = r;
	big[0].restart.group = low;
	big[67].restart.group = high;
	assert_int_equal(vn_kernel_init(&fx_k, &sys, &fx_obs), 0);
	for (uint32_t i = 0; i < 70; i += 67) {
		assert_int_equal(vn_shard_fault(&fx_k, &fx_k.shard[i], 0, 139),
				 VN_FAULT_RESTARTED);
		assert_int_equal(vn_shard_fault(&fx_k, &fx_k.shard[i], 0, 139),
				 VN_FAULT_GROUP_RESTARTED);
	}
	for (uint32_t i = 0; i < 70; i++)
		assert_int_equal(fx_k.shard[i].st->restarts,
				 i == 0 || i == 67 ? 2 : i == 1 || i == 66 ? 1 : 0);
	assert_int_equal(stub.starts, 6);
}

/* A table the generator would never write fails at boot. */
static void test_restart_tables_checked(void **state)
{
	static const uint16_t across[] = {0, 3}, pair[] = {0, 1}, led_by_1[] = {1, 0},
			      no_shard[] = {0, 4};

	(void)state;
	fx_boot();
	fx_shards[0].on_fault = VN_FAULT_RESTART;
	fx_shards[0].restart.budget = VN_RESTART_MAX + 1;
	assert_int_equal(vn_kernel_init(&fx_k, &fx_system, &fx_obs), -1);
	fx_shards[0].restart.budget = 0;
	assert_int_equal(vn_kernel_init(&fx_k, &fx_system, &fx_obs), -1);
	fx_shards[0].restart.budget = 5;
	fx_shards[0].restart.then = VN_FAULT_GROUP;
	fx_shards[0].restart.n_group = 2;
	fx_shards[0].restart.group = across; /* shard 3 is on core 1 */
	assert_int_equal(vn_kernel_init(&fx_k, &fx_system, &fx_obs), -1);
	fx_shards[0].restart.group = led_by_1; /* the faulting shard restarts first */
	assert_int_equal(vn_kernel_init(&fx_k, &fx_system, &fx_obs), -1);
	fx_shards[0].restart.group = no_shard;
	assert_int_equal(vn_kernel_init(&fx_k, &fx_system, &fx_obs), -1);
	fx_shards[0].restart.n_group = 0;
	assert_int_equal(vn_kernel_init(&fx_k, &fx_system, &fx_obs), -1);
	fx_shards[0].restart.n_group = 2;
	fx_shards[0].restart.group = pair;
	assert_int_equal(vn_kernel_init(&fx_k, &fx_system, &fx_obs), 0);
	fx_shards[0].on_fault = VN_FAULT_STOP;
}

/* The data of the newest kernel event of `core`, which must be `id`. */
static void last_kev(uint32_t core, uint16_t id, uint8_t *data)
{
	struct vn_trace_ring *r = &fx_obs.core[core].ring;
	uint64_t h = atomic_load(&r->head);
	const struct vn_trace_rec *rec = &vn_trace_recs(r)[(h - 1) % VN_TRACE_CORE_RECS];

	assert_true(h > 0);
	assert_int_equal(rec->id, id);
	memcpy(data, rec->data, VN_TRACE_DATA);
}

static uint64_t u64_at(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static void test_watchdog(void **state)
{
	uint8_t f[VN_TRACE_DATA];
	struct vn_shard *s;

	(void)state;
	fx_boot();
	fx_watchdog(0, 100);
	stub.now = 1000;
	s = vn_sched_pick(&fx_k, 0, stub.now);
	assert_null(vn_watchdog(&fx_k, 0, 1100)); /* exactly at budget: fine */
	assert_ptr_equal(vn_watchdog(&fx_k, 0, 1107), s);
	last_kev(0, VN_KEV_WATCHDOG, f);
	assert_memory_equal(f, "\0\0", 2);             /* shard 0 */
	assert_int_equal(u64_at(f + 2), 100);          /* budget_ns */
	assert_int_equal(u64_at(f + 10), 7);           /* late_ns: 1107 - 1000 - 100 */
	assert_int_equal(stub.stops, 1);
	assert_int_equal(stub.last_stop, 0);
	assert_null(vn_watchdog(&fx_k, 0, 5000)); /* fires once */
	/* No watchdog: never interrupted. */
	vn_sched_remove(&fx_k, s, VN_STOPPED);
	s = vn_sched_pick(&fx_k, 0, 0);
	assert_null(vn_watchdog(&fx_k, 0, UINT64_MAX));
	assert_int_equal(stub.stops, 1);
}

/* PEER: in range, an endpoint of the channel, or it is refused. */
static void test_peer_validation(void **state)
{
	struct vn_shard *s = boot_running(0);
	struct vn_sysres r;

	(void)state;
	r = call(s, VN_SYS_PEER, 3); /* no such channel */
	assert_int_equal(r.value, VN_ERR(VN_EINVAL));
	r = call(s, VN_SYS_PEER, UINT64_C(1) << 32);
	assert_int_equal(r.value, VN_ERR(VN_EINVAL));
	r = call(s, VN_SYS_PEER, 2); /* 1 -> 2: not ours */
	assert_int_equal(r.value, VN_ERR(VN_EPERM));
	assert_int_equal(r.action, VN_ACT_CONTINUE);
	r = call(s, VN_SYS_PEER, 0); /* 0 -> 3: the peer is 3, first start */
	assert_false(VN_IS_ERR(r.value));
	assert_int_equal(VN_PEER_STATE(r.value), VN_SYS_PEER_LIVE);
	assert_int_equal(VN_PEER_GEN(r.value), 1);
	r = call(s, VN_SYS_PEER, 1); /* 3 -> 0, as the receiver */
	assert_int_equal(VN_PEER_GEN(r.value), 1);
	assert_int_equal(s->state, VN_RUNNING);
}

/* A restart wakes the sleeping peer with the bits of both shared channels'
 * endpoints; PEER then reads generation 2. Stopping it reads STOPPED. */
static void test_peer_restart_and_stop(void **state)
{
	struct vn_sysres r;

	(void)state;
	boot_running(1);
	fx_shards[3].on_fault = VN_FAULT_RESTART;
	put_to_sleep(0);
	assert_int_equal(vn_shard_fault(&fx_k, S(3), 0, 139), VN_FAULT_RESTARTED);
	assert_int_equal(S(0)->state, VN_READY);
	assert_int_equal(S(0)->pending, 3); /* c0's from bit 0, c1's to bit 1 */
	assert_int_equal(S(1)->pending | S(2)->pending | S(3)->pending, 0);
	assert_int_equal(vn_shard_resume(&fx_k, S(0)), 3);
	r = call(S(0), VN_SYS_PEER, 1);
	assert_int_equal(VN_PEER_STATE(r.value), VN_SYS_PEER_LIVE);
	assert_int_equal(VN_PEER_GEN(r.value), 2);
	fx_shards[3].on_fault = VN_FAULT_STOP;
	assert_int_equal(vn_shard_fault(&fx_k, S(3), 1, 139), VN_FAULT_STOPPED);
	assert_int_equal(S(0)->pending, 3);
	r = call(S(0), VN_SYS_PEER, 0);
	assert_int_equal(VN_PEER_STATE(r.value), VN_SYS_PEER_STOPPED);
	assert_int_equal(VN_PEER_GEN(r.value), 2);
}

/* An exit tells the peer too; a shard with no channel tells nobody. */
static void test_peer_exit(void **state)
{
	struct vn_sysres r;

	(void)state;
	call(boot_running(2), VN_SYS_EXIT, 0);
	assert_int_equal(S(1)->pending, 1); /* c2's from bit 0 */
	assert_int_equal(S(0)->pending | S(3)->pending, 0);
	r = call(S(1), VN_SYS_PEER, 2);
	assert_int_equal(VN_PEER_STATE(r.value), VN_SYS_PEER_EXITED);
	assert_int_equal(VN_PEER_GEN(r.value), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_op),
		cmocka_unit_test(test_notify_validation),
		cmocka_unit_test(test_peer_validation),
		cmocka_unit_test(test_peer_restart_and_stop),
		cmocka_unit_test(test_peer_exit),
		cmocka_unit_test(test_notify_wakes_other_core_once),
		cmocka_unit_test(test_notify_deliver_on),
		cmocka_unit_test(test_notify_same_core_no_kick),
		cmocka_unit_test(test_irq_deliver_wakes_owner),
		cmocka_unit_test(test_irq_unknown_ignored),
		cmocka_unit_test(test_irq_ack),
		cmocka_unit_test(test_irq_ack_wrong_owner),
		cmocka_unit_test(test_irq_unmasked_on_restart),
		cmocka_unit_test(test_bad_device_table),
		cmocka_unit_test(test_wait),
		cmocka_unit_test(test_yield),
		cmocka_unit_test(test_log),
		cmocka_unit_test(test_exit_and_status),
		cmocka_unit_test(test_halt),
		cmocka_unit_test(test_stuck),
		cmocka_unit_test(test_stuck_event),
		cmocka_unit_test(test_fault_stop),
		cmocka_unit_test(test_fault_halt),
		cmocka_unit_test(test_fault_restart_budget),
		cmocka_unit_test(test_restart_delay),
		cmocka_unit_test(test_restart_backoff_holds),
		cmocka_unit_test(test_restart_window_slides),
		cmocka_unit_test(test_restart_then_halt),
		cmocka_unit_test(test_restart_then_group),
		cmocka_unit_test(test_restart_groups_of_many),
		cmocka_unit_test(test_restart_tables_checked),
		cmocka_unit_test(test_watchdog),
	};

	return cmocka_run_group_tests_name("syscall", tests, NULL, NULL);
}
