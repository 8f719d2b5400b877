/*
 * fixture.h - a small system for kernel-core unit tests:
 *   shards 0,1,2 on core 0; shard 3 on core 1 (all yield, policy per test);
 *   channel 0: 0 -> 3 (bits 0 / 0), channel 1: 3 -> 0 (bits 1 / 1),
 *   channel 2: 1 -> 2 (bits 0 / 0);
 *   devices: "dev3" of shard 3 (bit 2, irq 40), "dev0" of shard 0 (bit 2,
 *   irq 41), "quiet" of shard 1 (bit 1, no irq).
 */
#ifndef FIXTURE_H
#define FIXTURE_H

#include "kernel.h"
#include "stub_port.h"
#include "vn_sched.h"

static struct vn_kshard fx_shards[] = {
	{.name = "s0", .id = 0, .core = 0},
	{.name = "s1", .id = 1, .core = 0},
	{.name = "s2", .id = 2, .core = 0},
	{.name = "s3", .id = 3, .core = 1},
};

static const struct vn_kchannel fx_channels[] = {
	{.name = "c0", .id = 0, .from = 0, .to = 3, .from_bit = 0, .to_bit = 0},
	{.name = "c1", .id = 1, .from = 3, .to = 0, .from_bit = 1, .to_bit = 1},
	{.name = "c2", .id = 2, .from = 1, .to = 2, .from_bit = 0, .to_bit = 0},
};

static const struct vn_kdevice fx_devices[] = {
	{.name = "dev3", .shard = 3, .bit = 2, .irq = 40, .base = 0x9010000, .size = 0x1000},
	{.name = "dev0", .shard = 0, .bit = 2, .irq = 41, .base = 0x9020000, .size = 0x1000},
	{.name = "quiet", .shard = 1, .bit = 1, .irq = VN_NO_IRQ, .base = 0x9030000,
	 .size = 0x1000},
};

static const struct vn_ksystem fx_system = {
	.name = "fixture", .board = "test", .n_cores = 2, .n_shards = 4,
	.n_channels = 3, .shards = fx_shards, .channels = fx_channels,
	.n_devices = 3, .devices = fx_devices,
	.board_hash = 0xb0a4d, /* what test_reload's images say */
};

static struct vn_kernel fx_k;
static struct vn_obs fx_obs;

static inline struct vn_kernel *fx_boot(void)
{
	stub_reset();
	for (unsigned i = 0; i < 4; i++) {
		fx_shards[i].on_fault = VN_FAULT_STOP;
		fx_shards[i].restart = (struct vn_krestart){
			.budget = 5, .then = VN_FAULT_STOP, .window_ns = 1000000000ull,
		}; /* what on_fault: restart means without a policy */
		fx_shards[i].watchdog_ns = 0;
		fx_shards[i].may_halt = 0;
	}
	if (vn_kernel_init(&fx_k, &fx_system, &fx_obs) != 0)
		return NULL;
	return &fx_k;
}

#define S(i) (&fx_k.shard[i])

/* Shard i's spec gives it a watchdog of ns, as if it had at boot (the
 * kernel keeps its budget from then: vn_watchdog_rearm). */
static inline void fx_watchdog(uint32_t i, uint64_t ns)
{
	fx_shards[i].watchdog_ns = ns;
	vn_watchdog_rearm(S(i));
}

/* The live counts the kernel keeps (set_state) are what a scan of the
 * shards finds, on every core and in all (cmocka's asserts: include
 * cmocka.h first). */
static inline void fx_check_live(const struct vn_kernel *k)
{
	uint32_t all = 0, core[VN_MAX_CORES] = {0};

	for (uint32_t i = 0; i < k->sys->n_shards; i++)
		if (vn_shard_live(&k->shard[i])) {
			core[k->shard[i].cfg->core]++;
			all++;
		}
	assert_int_equal(vn_live_shards(k), all);
	for (uint32_t c = 0; c < VN_MAX_CORES; c++) {
		assert_int_equal(vn_core_live_shards(k, c), core[c]);
		assert_int_equal(vn_core_shared(k, c), core[c] > 1);
	}
	assert_int_equal(vn_system_done(k), k->halted || all == 0);
}

/* Boot and make shard i the running shard of its core (cmocka's asserts:
 * include cmocka.h first). */
static inline struct vn_shard *fx_boot_running(uint32_t i)
{
	struct vn_kernel *k = fx_boot();
	struct vn_shard *s;

	while ((s = vn_sched_pick(k, fx_shards[i].core, stub.now)) != S(i)) {
		assert_non_null(s);
		vn_sched_yield(k, s);
	}
	return s;
}

#endif
