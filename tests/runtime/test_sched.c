/*
 * test_sched.c - the per-core run queue (runtime/core/sched.c) and the
 * loop's decisions (vn_sched.h, runtime/core/turn.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

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
	vn_sched_remove(k, S(1), VN_STOPPED);      /* while queued */
	struct vn_shard *s = vn_sched_pick(k, 0, 0); /* s0 */
	vn_sched_remove(k, s, VN_FINISHED);        /* while running */
	assert_null(k->core[0].current);
	for (int i = 0; i < 4; i++)
		assert_int_equal(run_and_yield(k, 0), 2);
	assert_false(vn_sched_wake(k, S(1)));
	vn_sched_remove(k, S(2), VN_STOPPED);
	assert_null(vn_sched_pick(k, 0, 0));
	assert_false(vn_shard_live(S(0)));
	assert_int_equal(vn_core_live_shards(k, 0), 0);
	assert_int_equal(vn_core_live_shards(k, 1), 1);
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
		assert_int_equal(k->obs->run_hist[i].count, S(i)->st->activations);
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
	fx_shards[0].watchdog_ns = 1000;
	s = vn_sched_pick(k, 0, 500);
	assert_int_equal(vn_watchdog_deadline(k, 0), 1501);
	assert_null(vn_watchdog(k, 0, 1500));
	assert_int_equal(vn_core_deadline(k, 0, 1500), 1501);
	assert_ptr_equal(vn_watchdog(k, 0, 1501), s);
	assert_int_equal(vn_watchdog_deadline(k, 0), VN_NEVER); /* fired */
	assert_int_equal(vn_watchdog_deadline(k, 1), VN_NEVER); /* nothing runs */
}

/* The next deadline is the earlier of a wait's and the watchdog's, and the
 * waits due are woken on the way. */
static void test_core_deadline(void **state)
{
	struct vn_kernel *k = fx_boot();

	(void)state;
	fx_shards[2].watchdog_ns = 1000;
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
		cmocka_unit_test(test_core_deadline),
		cmocka_unit_test(test_core_next),
		cmocka_unit_test(test_core_next_stuck),
		cmocka_unit_test(test_bad_tables),
	};

	return cmocka_run_group_tests_name("sched", tests, NULL, NULL);
}
