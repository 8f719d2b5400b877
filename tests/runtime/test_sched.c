/*
 * test_sched.c - the per-core run queue (runtime/core/sched.c) and the
 * loop's decisions (vn_sched.h, runtime/core/turn.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"

/* Run whatever is picked, then yield it; return the id picked. */
static uint32_t run_and_yield(struct vn_kernel *k, uint32_t core)
{
	struct vn_shard *s = vn_sched_pick(k, core, 0);

	assert_non_null(s);
	assert_int_equal(s->state, VN_RUNNING);
	assert_ptr_equal(k->core[core].current, s);
	vn_sched_yield(k, s);
	return s->cfg->id;
}

static void test_round_robin(void **state)
{
	struct vn_kernel *k = fx_boot();
	uint32_t want[] = {0, 1, 2, 0, 1, 2, 0};

	(void)state;
	for (unsigned i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_int_equal(run_and_yield(k, 0), want[i]);
}

/* What a YIELD leaves, whichever path took it: everything but the clock's
 * readings (run time, record stamps), which the two paths take apart. */
struct yield_seen {
	uint32_t next, state[4], st_state[4], queue[4], n_queue;
	bool held[4], waiting[4];
	uint64_t value, pending[4], syscalls[4], yields[4], activations[4], ran_since;
	uint64_t hist_count, head;
	struct vn_trace_rec rec[2];
};

static void yield_seen(struct vn_kernel *k, struct vn_shard *n, uint64_t value,
		       struct yield_seen *y)
{
	struct vn_trace_ring *r = &k->obs->core[0].ring;
	uint64_t h = atomic_load(&r->head);

	memset(y, 0, sizeof(*y));
	y->next = n->cfg->id;
	y->value = value;
	y->ran_since = n->ran_since;
	assert_ptr_equal(k->core[0].current, n);
	for (struct vn_shard *q = k->core[0].head; q; q = q->next)
		y->queue[y->n_queue++] = q->cfg->id;
	if (y->n_queue)
		assert_int_equal(k->core[0].tail->cfg->id, y->queue[y->n_queue - 1]);
	else
		assert_null(k->core[0].tail);
	for (uint32_t i = 0; i < 3; i++) {
		const struct vn_shard *s = &k->shard[i];

		y->state[i] = s->state;
		y->st_state[i] = s->st->state;
		y->held[i] = s->held;
		y->waiting[i] = s->waiting;
		y->pending[i] = s->pending;
		y->syscalls[i] = s->st->syscalls;
		y->yields[i] = s->st->yields;
		y->activations[i] = s->st->activations;
	}
	y->hist_count = vn_hist_count(&k->obs->run_hist[0]);
	y->head = h;
	for (uint32_t i = 0; i < 2; i++) {
		y->rec[i] = vn_trace_recs(r)[(h - 2 + i) % VN_TRACE_CORE_RECS];
		y->rec[i].ts = 0;
	}
}

/* s0 runs and yields; s1, woken from a WAIT with bits pending, is next.
 * `others`: how many other shards are ready (2: s1 and s2; 1: s1 alone;
 * 0: nobody, and s0 has the core again). */
static void yield_both_ways(int others, struct yield_seen *slow, struct yield_seen *fast)
{
	for (int way = 0; way < 2; way++) {
		struct vn_kernel *k = fx_boot();
		struct vn_shard *s, *n;
		uint64_t value;

		if (others < 2)
			vn_sched_remove(k, S(2), VN_STOPPED);
		if (others < 1)
			vn_sched_remove(k, S(1), VN_STOPPED);
		s = vn_sched_pick(k, 0, 10);
		assert_ptr_equal(s, S(0));
		S(1)->waiting = true;
		S(1)->pending = 0x5;
		if (way == 0) {
			struct vn_sysres r = vn_syscall_dispatch(k, s, VN_SYS_YIELD, 0, 0);

			assert_int_equal(r.action, VN_ACT_SWITCH);
			n = vn_sched_pick(k, 0, 77);
			value = vn_shard_resume(k, n);
			yield_seen(k, n, value, slow);
		} else if (others) {
			n = vn_sched_yield_fast(k, &k->core[0], 77, vn_clock(), &value);
			yield_seen(k, n, value, fast);
		} else {
			value = vn_sched_yield_alone(k, &k->core[0], 77, vn_clock());
			yield_seen(k, s, value, fast);
		}
	}
}

/* The YIELD path of the bare-metal kernel (vn_sched_yield_fast) does what
 * the call then the pick do, effect for effect. */
static void test_yield_fast_is_yield_then_pick(void **state)
{
	struct yield_seen slow, fast;

	(void)state;
	for (int others = 1; others <= 2; others++) {
		yield_both_ways(others, &slow, &fast);
		assert_int_equal(fast.next, 1);
		assert_int_equal(fast.value, 0x5);
		assert_int_equal(fast.ran_since, 77);
		assert_int_equal(fast.n_queue, others);
		assert_int_equal(fast.queue[fast.n_queue - 1], 0);
		assert_int_equal(fast.rec[0].id, VN_KEV_SWITCH_OUT);
		assert_int_equal(fast.rec[0].data[2], VN_SW_YIELD);
		assert_int_equal(fast.rec[1].id, VN_KEV_SWITCH_IN);
		assert_int_equal(fast.rec[1].data[0], 1);
		assert_memory_equal(&slow, &fast, sizeof(slow));
	}
}

/* With nobody else ready (vn_sched_yield_alone), the same: s0 ends one
 * activation and starts the next, both recorded, and runs on. */
static void test_yield_alone_is_yield_then_pick(void **state)
{
	struct yield_seen slow, fast;

	(void)state;
	yield_both_ways(0, &slow, &fast);
	assert_int_equal(fast.next, 0);
	assert_int_equal(fast.value, 0);
	assert_int_equal(fast.ran_since, 77);
	assert_int_equal(fast.n_queue, 0);
	assert_int_equal(fast.state[0], VN_RUNNING);
	assert_int_equal(fast.st_state[0], VN_RUNNING);
	assert_int_equal(fast.yields[0], 1);
	assert_int_equal(fast.activations[0], 2);
	assert_int_equal(fast.hist_count, 1);
	assert_int_equal(fast.rec[0].id, VN_KEV_SWITCH_OUT);
	assert_int_equal(fast.rec[0].data[0], 0);
	assert_int_equal(fast.rec[0].data[2], VN_SW_YIELD);
	assert_int_equal(fast.rec[1].id, VN_KEV_SWITCH_IN);
	assert_int_equal(fast.rec[1].data[0], 0);
	assert_memory_equal(&slow, &fast, sizeof(slow));
}

static void test_one_at_a_time(void **state)
{
	struct vn_kernel *k = fx_boot();

	(void)state;
	assert_non_null(vn_sched_pick(k, 0, 0));
	assert_null(vn_sched_pick(k, 0, 0)); /* the core is taken */
	assert_non_null(vn_sched_pick(k, 1, 0)); /* another core is not */
}

static void test_blocked_skipped_and_wake_order(void **state)
{
	struct vn_kernel *k = fx_boot();
	struct vn_shard *s;

	(void)state;
	s = vn_sched_pick(k, 0, 0); /* s0 */
	vn_sched_block(k, s, VN_NEVER);
	assert_int_equal(run_and_yield(k, 0), 1);
	assert_int_equal(run_and_yield(k, 0), 2);
	assert_int_equal(run_and_yield(k, 0), 1); /* s0 skipped */
	assert_true(vn_sched_wake(k, S(0)));
	assert_false(vn_sched_wake(k, S(0))); /* only a blocked shard wakes */
	/* Queue was 2, 1; s0 joins at the back. */
	assert_int_equal(run_and_yield(k, 0), 2);
	assert_int_equal(run_and_yield(k, 0), 1);
	assert_int_equal(run_and_yield(k, 0), 0);
}

static void test_stopped_never_picked(void **state)
{
	struct vn_kernel *k = fx_boot();

	(void)state;
	fx_check_live(k);
	vn_sched_remove(k, S(1), VN_STOPPED);      /* while queued */
	fx_check_live(k);
	struct vn_shard *s = vn_sched_pick(k, 0, 0); /* s0 */
	vn_sched_remove(k, s, VN_FINISHED);        /* while running */
	fx_check_live(k);
	assert_false(vn_core_shared(k, 0));
	assert_null(k->core[0].current);
	for (int i = 0; i < 4; i++)
		assert_int_equal(run_and_yield(k, 0), 2);
	assert_false(vn_sched_wake(k, S(1)));
	vn_sched_remove(k, S(2), VN_STOPPED);
	vn_sched_remove(k, S(2), VN_STOPPED);      /* twice: counted once */
	fx_check_live(k);
	assert_null(vn_sched_pick(k, 0, 0));
	assert_false(vn_shard_live(S(0)));
	assert_int_equal(vn_core_live_shards(k, 0), 0);
	assert_int_equal(vn_core_live_shards(k, 1), 1);
	assert_false(vn_system_done(k));
	vn_sched_remove(k, S(3), VN_FINISHED);
	fx_check_live(k);
	assert_true(vn_system_done(k));
}

static void test_per_core(void **state)
{
	struct vn_kernel *k = fx_boot();

	(void)state;
	for (int i = 0; i < 3; i++)
		assert_int_equal(run_and_yield(k, 1), 3);
	assert_int_equal(run_and_yield(k, 0), 0);
	vn_sched_remove(k, S(3), VN_FINISHED);
	assert_null(vn_sched_pick(k, 1, 0));
	assert_int_equal(run_and_yield(k, 0), 1);
}

/* The end of the system closes the activations still running, so each
 * shard's run-time histogram holds one sample per activation. */
static void test_end_counts_every_activation(void **state)
{
	struct vn_kernel *k = fx_boot();

	(void)state;
	run_and_yield(k, 0);
	vn_sched_pick(k, 0, 0);    /* s1 still runs on core 0 when the system ends */
	vn_sched_pick(k, 1, 0);    /* s3 on core 1 */
	vn_system_halt(k, 0);
	vn_sched_end(k);
	for (uint32_t i = 0; i < 4; i++)
		assert_int_equal(vn_hist_count(&k->obs->run_hist[i]), S(i)->st->activations);
	assert_int_equal(S(1)->st->activations, 1);
	assert_int_equal(S(3)->st->activations, 1);
	assert_int_equal(S(1)->state, VN_RUNNING); /* as it was when the system ended */
}

static void test_expire(void **state)
{
	struct vn_kernel *k = fx_boot();

	(void)state;
	vn_sched_block(k, vn_sched_pick(k, 0, 0), 100); /* s0 until 100 */
	vn_sched_block(k, vn_sched_pick(k, 0, 0), 50);  /* s1 until 50 */
	vn_sched_block(k, vn_sched_pick(k, 1, 0), 10);  /* s3, other core */
	assert_int_equal(vn_sched_expire(k, 0, 10), 50);
	assert_int_equal(S(3)->state, VN_BLOCKED); /* not core 0's business */
	assert_int_equal(vn_sched_expire(k, 0, 60), 100);
	assert_int_equal(S(1)->state, VN_READY);
	assert_int_equal(vn_sched_expire(k, 0, 100), VN_NEVER);
	assert_int_equal(run_and_yield(k, 0), 2);
	assert_int_equal(run_and_yield(k, 0), 1);
	assert_int_equal(run_and_yield(k, 0), 0);
}

/* The watchdog deadline is one tick past the budget: the first time at
 * which vn_watchdog() stops the shard, on every port. */
static void test_watchdog_deadline(void **state)
{
	struct vn_kernel *k = fx_boot();
	struct vn_shard *s;

	(void)state;
	fx_watchdog(0, 1000);
	s = vn_sched_pick(k, 0, 500);
	assert_int_equal(vn_watchdog_deadline(k, 0), 1501);
	assert_null(vn_watchdog(k, 0, 1500));
	assert_int_equal(vn_core_deadline(k, 0, 1500), 1501);
	assert_ptr_equal(vn_watchdog(k, 0, 1501), s);
	assert_int_equal(vn_watchdog_deadline(k, 0), VN_NEVER); /* fired */
	assert_int_equal(vn_watchdog_deadline(k, 1), VN_NEVER); /* nothing runs */
}

/* The port hears of each change of a core's live count, for that core,
 * and of nothing else: not of a switch, nor a wait (port_core_live: the
 * bare-metal kernel tells the core's shards whether they share it then,
 * and not on the YIELD path). */
static void test_core_live_told(void **state)
{
	struct vn_kernel *k = fx_boot();
	struct vn_shard *s;

	(void)state;
	assert_int_equal(run_and_yield(k, 0), 0);
	vn_sched_block(k, vn_sched_pick(k, 0, 0), VN_NEVER); /* s1 waits */
	assert_int_equal(stub.core_live, 0);
	s = vn_sched_pick(k, 1, 0);
	vn_shard_finish(k, s, 0);
	assert_int_equal(stub.core_live, 1);
	assert_int_equal(stub.last_core_live, 1);
	assert_false(vn_core_shared(k, 1));
	vn_shard_finish(k, vn_sched_pick(k, 0, 0), 0); /* s2 */
	assert_int_equal(stub.core_live, 2);
	assert_int_equal(stub.last_core_live, 0);
	assert_true(vn_core_shared(k, 0)); /* s0 ready, s1 waiting */
	fx_check_live(k);
}

/* The next deadline is the earlier of a wait's and the watchdog's, and the
 * waits due are woken on the way. */
static void test_core_deadline(void **state)
{
	struct vn_kernel *k = fx_boot();

	(void)state;
	fx_watchdog(2, 1000);
	vn_sched_block(k, vn_sched_pick(k, 0, 0), 300); /* s0 until 300 */
	vn_sched_block(k, vn_sched_pick(k, 0, 0), 5000); /* s1 until 5000 */
	vn_sched_pick(k, 0, 100);                        /* s2 runs from 100 */
	assert_int_equal(vn_core_deadline(k, 0, 200), 300);
	assert_int_equal(vn_core_deadline(k, 0, 300), 1101);
	assert_int_equal(S(0)->state, VN_READY);
	assert_int_equal(vn_core_deadline(k, 1, 300), VN_NEVER);
}

/* What a core with nothing running does: run the head of its queue, idle,
 * report itself stuck, or end the system. */
static void test_core_next(void **state)
{
	struct vn_kernel *k = fx_boot();
	struct vn_shard *next;

	(void)state;
	assert_int_equal(vn_core_next(k, 0, 0, &next), VN_NEXT_RUN);
	assert_ptr_equal(next, S(0));
	vn_sched_block(k, S(0), VN_NEVER);
	assert_int_equal(vn_core_next(k, 0, 0, &next), VN_NEXT_RUN);
	vn_sched_remove(k, next, VN_FINISHED);
	assert_int_equal(vn_core_next(k, 0, 0, &next), VN_NEXT_RUN);
	vn_sched_remove(k, next, VN_FINISHED);
	assert_int_equal(vn_core_next(k, 0, 0, &next), VN_NEXT_IDLE); /* s3 may wake s0 */
	assert_null(next);
	vn_system_halt(k, 3);
	assert_int_equal(vn_core_next(k, 0, 0, &next), VN_NEXT_DONE);
	assert_null(next);
}

static void test_core_next_stuck(void **state)
{
	struct vn_kernel *k = fx_boot();
	struct vn_shard *next;

	(void)state;
	vn_sched_block(k, S(1), VN_NEVER);
	vn_sched_block(k, S(2), VN_NEVER);
	vn_sched_remove(k, S(0), VN_FINISHED); /* 0 and 3 own interrupts */
	vn_sched_remove(k, S(3), VN_FINISHED);
	assert_int_equal(vn_core_next(k, 0, 0, &next), VN_NEXT_STUCK);
	assert_null(next);
}

static void test_bad_tables(void **state)
{
	struct vn_ksystem bad = fx_system;
	struct vn_kchannel ch[3];

	(void)state;
	memcpy(ch, fx_channels, sizeof(ch));
	ch[1].to_bit = 64;
	bad.channels = ch;
	assert_int_equal(vn_kernel_init(&fx_k, &bad, &fx_obs), -1);
	bad = fx_system;
	bad.n_cores = 1; /* shard 3 is on core 1 */
	assert_int_equal(vn_kernel_init(&fx_k, &bad, &fx_obs), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_robin),
		cmocka_unit_test(test_one_at_a_time),
		cmocka_unit_test(test_blocked_skipped_and_wake_order),
		cmocka_unit_test(test_stopped_never_picked),
		cmocka_unit_test(test_per_core),
		cmocka_unit_test(test_end_counts_every_activation),
		cmocka_unit_test(test_expire),
		cmocka_unit_test(test_watchdog_deadline),
		cmocka_unit_test(test_core_live_told),
		cmocka_unit_test(test_core_deadline),
		cmocka_unit_test(test_core_next),
		cmocka_unit_test(test_core_next_stuck),
		cmocka_unit_test(test_bad_tables),
		cmocka_unit_test(test_yield_fast_is_yield_then_pick),
		cmocka_unit_test(test_yield_alone_is_yield_then_pick),
	};

	return cmocka_run_group_tests_name("sched", tests, NULL, NULL);
}
