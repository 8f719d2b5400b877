/*
 * test_reload.c - hot reload in the kernel core (reload.c, sha256.c): every
 * check refuses what it should and leaves the shard alone, the swap waits
 * for a clean point, a handoff asks first and honours `late`, a rollback
 * brings the old image back, and only an updater with the right may ask.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <cmocka.h>

#include <vanity/reload.h>

#include "fixture.h"

#define IFACE 0x1f2e3d4c5b6a7988ull

static struct {
	struct vn_reload_hdr h;
	uint8_t img[16];
	uint8_t extra[16];
} pkg;

/* A good image for shard `id` that runs as machine word `word`. */
static void make(uint32_t id, uint64_t word)
{
	memset(&pkg, 0, sizeof(pkg));
	pkg.h.magic = VN_RELOAD_MAGIC;
	pkg.h.version = VN_RELOAD_VERSION;
	pkg.h.hdr_size = VN_RELOAD_HDR;
	pkg.h.machine = 183;
	pkg.h.shard = id;
	pkg.h.board = 0xb0a4d;
	pkg.h.iface = IFACE;
	pkg.h.length = 16;
	memcpy(pkg.img, &word, 8);
	memcpy(pkg.img + 8, &(uint64_t){IFACE}, 8);
	vn_sha256(pkg.img, 16, pkg.h.sha256);
}

static uint32_t request(uint32_t id, uint64_t len)
{
	return vn_reload_request(&fx_k, S(id), &pkg, len, stub.now);
}

static struct vn_kernel *boot(void)
{
	struct vn_kernel *k;

	for (unsigned i = 0; i < 4; i++) {
		fx_shards[i].iface = IFACE;
		fx_shards[i].reload = (struct vn_kreload){.on = 1};
	}
	k = fx_boot();
	for (unsigned i = 0; i < 4; i++)
		S(i)->st->generation = 1;
	return k;
}

static void hex(const uint8_t d[32], char out[65])
{
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void test_sha256_vectors(void **state)
{
	static char million[1000000];
	uint8_t d[32];
	char h[65];

	(void)state;
	vn_sha256("", 0, d);
	hex(d, h);
	assert_string_equal(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	vn_sha256("abc", 3, d);
	hex(d, h);
	assert_string_equal(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	/* 56 bytes: the length no longer fits the first block's padding */
	vn_sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, d);
	hex(d, h);
	assert_string_equal(h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	memset(million, 'a', sizeof(million));
	vn_sha256(million, sizeof(million), d);
	hex(d, h);
	assert_string_equal(h, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

/* Each broken image is refused with its reason, and nothing changes. */
static void test_refusals(void **state)
{
	struct { const char *what; uint32_t want; } cases[] = {
		{"truncated", VN_RELOAD_TRUNCATED}, {"magic", VN_RELOAD_FORMAT},
		{"digest", VN_RELOAD_DIGEST}, {"board", VN_RELOAD_BOARD},
		{"shard", VN_RELOAD_SHARD}, {"isa", VN_RELOAD_ISA},
		{"iface", VN_RELOAD_IFACE}, {"header iface", VN_RELOAD_IFACE},
		{"signed", VN_RELOAD_SIGNED},
		{"size", VN_RELOAD_SIZE}, {"off", VN_RELOAD_OFF},
	};

	(void)state;
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t len = sizeof(pkg.h) + 16;
		const char *w = cases[i].what;

		boot();
		make(1, 7);
		if (!strcmp(w, "truncated"))
			len -= 1;
		else if (!strcmp(w, "magic"))
			pkg.h.magic ^= 1;
		else if (!strcmp(w, "digest"))
			pkg.img[3] ^= 0x40;
		else if (!strcmp(w, "board"))
			pkg.h.board++;
		else if (!strcmp(w, "shard"))
			pkg.h.shard = 2;
		else if (!strcmp(w, "isa"))
			pkg.h.machine = 243;
		else if (!strcmp(w, "header iface"))
			pkg.h.iface++; /* the image's own is right */
		else if (!strcmp(w, "signed"))
			pkg.h.sig_kind = 1;
		else if (!strcmp(w, "off"))
			fx_shards[1].reload.on = 0;
		else if (!strcmp(w, "size")) {
			pkg.h.length = 32;
			len += 16;
			vn_sha256(pkg.img, 32, pkg.h.sha256);
		} else {
			memcpy(pkg.img + 8, &(uint64_t){IFACE + 1}, 8);
			vn_sha256(pkg.img, 16, pkg.h.sha256);
		}
		assert_int_equal(request(1, len), cases[i].want);
		assert_int_equal(S(1)->reload_status, cases[i].want);
		assert_int_equal(S(1)->reload, VN_RELOAD_IDLE);
		assert_int_equal(fx_k.core[0].reloads, 0);
		assert_int_equal(stub.staged, 0);
		assert_int_equal(stub.starts, 0);
		assert_int_equal(S(1)->st->generation, 1);
		assert_int_equal(S(1)->state, VN_READY);
	}
	assert_string_equal(vn_reload_why(VN_RELOAD_IFACE),
			    "its interface (channels, devices, memory, events) differs from "
			    "the running system's");
}

/* Accepted: nothing happens until the shard is off its core; then the
 * staged image runs, the generation goes up and the peers hear of it. */
static void test_swap_at_a_clean_point(void **state)
{
	struct vn_shard *s = fx_boot_running(0);

	(void)state;
	boot();
	s = S(0);
	assert_ptr_equal(vn_sched_pick(&fx_k, 0, 0), s);
	make(0, 0xabc);
	assert_int_equal(request(0, sizeof(pkg.h) + 16), VN_RELOAD_OK);
	assert_int_equal(s->reload, VN_RELOAD_DUE);
	assert_int_equal(stub.staged, 1);
	assert_int_equal(request(0, sizeof(pkg.h) + 16), VN_RELOAD_BUSY);
	vn_core_deadline(&fx_k, 0, 0); /* it holds the core: not yet */
	assert_int_equal(stub.committed, 0);
	vn_sched_yield(&fx_k, s);
	s->pending |= UINT64_C(1) << 2; /* dev0's interrupt fired: masked, not yet taken */
	assert_non_null(vn_sched_pick(&fx_k, 0, 0)); /* the pick swaps first */
	assert_true(s->pending >> 2 & 1); /* the new version takes it, and acknowledges */
	assert_int_equal(stub.unmasks, 0);
	assert_int_equal(stub.committed, 1);
	assert_int_equal(stub.running, 0xabc);
	assert_int_equal(s->st->generation, 2);
	assert_int_equal(s->reload, VN_RELOAD_IDLE);
	assert_int_equal(s->reload_status, VN_RELOAD_OK);
	assert_int_equal(s->reload_done, 1);
	assert_int_equal(fx_k.core[0].reloads, 0);
	assert_int_equal(s->handoff_gen, 0);
	/* its peer on channel 0, shard 3, got its endpoint bit */
	assert_true(S(3)->pending & 1);
}

/* A shard with a handoff is asked first; it quiesces and the new version
 * finds the old generation. */
static void test_handoff(void **state)
{
	struct vn_shard *s;

	(void)state;
	boot();
	fx_shards[2].reload.quiesce_ns = 1000;
	s = S(2);
	make(2, 5);
	assert_int_equal(request(2, sizeof(pkg.h) + 16), VN_RELOAD_OK);
	assert_int_equal(s->reload, VN_RELOAD_ASKED);
	assert_true(s->pending >> VN_RELOAD_BIT & 1);
	assert_int_equal(vn_core_deadline(&fx_k, 0, 0), 1000);
	assert_int_equal(stub.committed, 0);
	/* it runs, sees the bit, and quiesces */
	while (vn_sched_pick(&fx_k, 0, 10) != s)
		vn_sched_yield(&fx_k, fx_k.core[0].current);
	assert_int_equal(vn_reload_quiesce(&fx_k, s, 20), 0);
	assert_int_equal(stub.committed, 1);
	assert_int_equal(s->handoff_gen, 1);
	assert_int_equal(s->st->generation, 2);
	assert_false(s->pending >> VN_RELOAD_BIT & 1);
	/* asked again when nothing waits: refused */
	assert_true(VN_IS_ERR(vn_reload_quiesce(&fx_k, s, 30)));
}

static void test_late(void **state)
{
	(void)state;
	/* late: swap: the bound passes, it is swapped without its state */
	boot();
	fx_shards[2].reload.quiesce_ns = 1000;
	make(2, 5);
	assert_int_equal(request(2, sizeof(pkg.h) + 16), VN_RELOAD_OK);
	vn_core_deadline(&fx_k, 0, 999);
	assert_int_equal(stub.committed, 0);
	vn_core_deadline(&fx_k, 0, 1000);
	assert_int_equal(stub.committed, 1);
	assert_int_equal(S(2)->handoff_gen, 0);
	assert_int_equal(S(2)->reload_status, VN_RELOAD_OK);
	/* late: refuse: dropped, and the running version goes on */
	boot();
	fx_shards[2].reload.quiesce_ns = 1000;
	fx_shards[2].reload.late = VN_RELOAD_LATE_REFUSE;
	make(2, 5);
	assert_int_equal(request(2, sizeof(pkg.h) + 16), VN_RELOAD_OK);
	vn_core_deadline(&fx_k, 0, 1000);
	assert_int_equal(stub.committed, 0);
	assert_int_equal(stub.dropped, 1);
	assert_int_equal(S(2)->reload_status, VN_RELOAD_LATE);
	assert_int_equal(S(2)->st->generation, 1);
	assert_int_equal(fx_k.core[0].reloads, 0);
}

/* A fault within the window rolls back once; a later one is its policy's. */
static void test_rollback(void **state)
{
	struct vn_shard *s;

	(void)state;
	boot();
	fx_shards[1].reload.rollback_ns = 1000000;
	fx_shards[1].on_fault = VN_FAULT_STOP;
	s = S(1);
	make(1, 9);
	stub.now = 100;
	assert_int_equal(request(1, sizeof(pkg.h) + 16), VN_RELOAD_OK);
	vn_core_deadline(&fx_k, 0, 100);
	assert_int_equal(stub.running, 9);
	while (vn_sched_pick(&fx_k, 0, 200) != s)
		vn_sched_yield(&fx_k, fx_k.core[0].current);
	assert_int_equal(vn_shard_fault(&fx_k, s, 200, 139), VN_FAULT_ROLLED_BACK);
	assert_int_equal(stub.backs, 1);
	assert_int_equal(stub.running, 0);
	assert_int_equal(s->st->generation, 3);
	assert_true(vn_shard_live(s));
	/* the old version faults too: now the policy applies */
	while (vn_sched_pick(&fx_k, 0, 300) != s)
		vn_sched_yield(&fx_k, fx_k.core[0].current);
	assert_int_equal(vn_shard_fault(&fx_k, s, 300, 139), VN_FAULT_STOPPED);
	assert_int_equal(stub.backs, 1);

	/* the old image cannot start: the fault's policy decides, once (its
	 * restart, on the old image; one report of the stop, not two) */
	boot();
	fx_shards[1].reload.rollback_ns = 1000000;
	fx_shards[1].on_fault = VN_FAULT_RESTART;
	fx_shards[1].restart = (struct vn_krestart){.budget = 4, .window_ns = 1000000000};
	s = S(1);
	make(1, 9);
	stub.now = 100;
	assert_int_equal(request(1, sizeof(pkg.h) + 16), VN_RELOAD_OK);
	vn_core_deadline(&fx_k, 0, 100);
	while (vn_sched_pick(&fx_k, 0, 200) != s)
		vn_sched_yield(&fx_k, fx_k.core[0].current);
	stub.unstartable = 0;
	stub.start_fails = 1;
	{
		unsigned starts = stub.starts, events = stub.events;

		assert_int_equal(vn_shard_fault(&fx_k, s, 200, 139), VN_FAULT_START_FAILED);
		assert_int_equal(stub.starts, starts + 2); /* the rollback's, the policy's */
		assert_int_equal(stub.events, events + 1);
	}
	assert_int_equal(stub.backs, 1);
	assert_int_equal(stub.running, 0);
	assert_int_equal(s->st->restarts, 1);
	assert_int_equal(s->state, VN_STOPPED);
	assert_int_equal(s->reload_done, 2); /* the swap, the rollback (its event) */
}

/* A new image that cannot start (hosted: no process for it) is refused
 * after the commit: the image before it runs again, with the state it
 * handed over, and nothing counts as a fault. If that cannot start
 * either, the shard is stopped, and the refusal says so. */
static void test_start_fails(void **state)
{
	struct vn_shard *s;

	(void)state;
	boot();
	fx_shards[2].reload.quiesce_ns = 1000;
	fx_shards[2].reload.rollback_ns = 1000000;
	s = S(2);
	stub.unstartable = 7;
	make(2, 7);
	assert_int_equal(request(2, sizeof(pkg.h) + 16), VN_RELOAD_OK);
	while (vn_sched_pick(&fx_k, 0, 10) != s)
		vn_sched_yield(&fx_k, fx_k.core[0].current);
	assert_int_equal(vn_reload_quiesce(&fx_k, s, 20), 0);
	assert_int_equal(stub.committed, 1);
	assert_int_equal(stub.backs, 1);
	assert_int_equal(stub.running, 0);
	assert_int_equal(s->reload_status, VN_RELOAD_START);
	assert_int_equal(stub.reload_outcome, VN_RL_REFUSED);
	assert_int_equal(s->reload, VN_RELOAD_IDLE);
	assert_int_equal(fx_k.core[0].reloads, 0);
	assert_int_equal(s->st->generation, 2); /* one start: the old image's */
	assert_int_equal(s->handoff_gen, 1);    /* what it wrote as it quiesced */
	assert_true(vn_shard_live(s));
	assert_false(fx_k.any_fault);
	assert_int_equal(vn_system_status(&fx_k), 0);
	/* no rollback window: a fault now is its policy's */
	assert_int_equal(s->reloaded_at, 0);
	assert_string_equal(vn_reload_why(VN_RELOAD_START),
			    "the new image did not start; the one before it runs again");

	/* neither starts: stopped, and said */
	boot();
	s = S(2);
	stub.unstartable = 7;
	make(2, 7);
	assert_int_equal(request(2, sizeof(pkg.h) + 16), VN_RELOAD_OK);
	stub.start_fails = 1;
	vn_core_deadline(&fx_k, 0, 0);
	assert_int_equal(stub.committed, 1);
	assert_int_equal(stub.backs, 1);
	assert_int_equal(s->reload_status, VN_RELOAD_STOPPED);
	assert_int_equal(s->state, VN_STOPPED);
	assert_true(fx_k.any_fault);
	assert_int_equal(s->st->generation, 1);
	assert_int_equal(fx_k.core[0].reloads, 0);
}

/* A fault while a reload waits drops it; the policy applies as usual. */
static void test_fault_cancels(void **state)
{
	struct vn_shard *s = NULL;

	(void)state;
	boot();
	fx_shards[0].reload.quiesce_ns = 1000;
	while ((s = vn_sched_pick(&fx_k, 0, 0)) != S(0))
		vn_sched_yield(&fx_k, s);
	make(0, 4);
	assert_int_equal(request(0, sizeof(pkg.h) + 16), VN_RELOAD_OK);
	assert_int_equal(vn_shard_fault(&fx_k, s, 10, 139), VN_FAULT_STOPPED);
	assert_int_equal(stub.dropped, 1);
	assert_int_equal(s->reload_status, VN_RELOAD_FAULTED);
	assert_int_equal(fx_k.core[0].reloads, 0);
}

/* A shard that has exited stays so: a request for it is refused, and one
 * accepted before it exited is cancelled, never swapped in. A shard a
 * fault stopped may still be reloaded (a repaired version). */
static void test_exited_refused(void **state)
{
	struct vn_shard *s;

	(void)state;
	boot();
	s = S(0);
	fx_shards[0].reload.quiesce_ns = 1000;
	make(0, 5);
	assert_int_equal(request(0, sizeof(pkg.h) + 16), VN_RELOAD_OK);
	assert_int_equal(s->reload, VN_RELOAD_ASKED);
	vn_shard_finish(&fx_k, s, 0);
	assert_int_equal(s->reload, VN_RELOAD_IDLE);
	assert_int_equal(s->reload_status, VN_RELOAD_EXITED);
	assert_int_equal(fx_k.core[0].reloads, 0);
	vn_core_deadline(&fx_k, 0, 1000000); /* past its quiesce bound: no swap */
	assert_int_equal(stub.committed, 0);
	assert_int_equal(s->state, VN_FINISHED);
	assert_int_equal(request(0, sizeof(pkg.h) + 16), VN_RELOAD_EXITED);
	assert_int_equal(s->state, VN_FINISHED);
	assert_string_equal(vn_reload_why(VN_RELOAD_EXITED),
			    "the shard has exited; restart the system to run it again");

	s = S(1);
	make(1, 6);
	vn_shard_fault(&fx_k, s, 10, 139); /* on_fault stop: stopped, not finished */
	assert_int_equal(s->state, VN_STOPPED);
	assert_int_equal(request(1, sizeof(pkg.h) + 16), VN_RELOAD_OK);
}

/* The digest runs with the kernel lock dropped; what other cores do
 * meanwhile is seen after. Another request for the shard is BUSY; a fault
 * of the shard cancels the request; a halt refuses it. */
static void another_request(void)
{
	assert_int_equal(S(0)->reload, VN_RELOAD_CHECKING);
	assert_int_equal(request(0, sizeof(pkg.h) + 16), VN_RELOAD_BUSY);
}

static void fault_it(void)
{
	assert_int_equal(vn_shard_fault(&fx_k, S(0), 10, 139), VN_FAULT_STOPPED);
}

static void halt_it(void)
{
	vn_system_halt_by(&fx_k, NULL, 3);
}

/* A halt, then another request for the shard: BUSY, like any other while
 * one is under way; refused for the halt, it would end the first one (and
 * drop what it stages) under the core still hashing it. */
static void halt_and_again(void)
{
	halt_it();
	another_request();
	assert_int_equal(S(0)->reload, VN_RELOAD_CHECKING);
}

/* A fault cancels the request, and another request for the shard starts
 * its digest before the first one's ends. */
static void fault_and_again(void)
{
	fault_it();
	S(0)->reload = VN_RELOAD_CHECKING;
}

static void test_digest_unlocked(void **state)
{
	void (*const meanwhile[])(void) = {another_request, fault_it, halt_it, fault_and_again,
					   halt_and_again};
	const uint32_t want[] = {VN_RELOAD_OK, VN_RELOAD_FAULTED, VN_RELOAD_HALTED,
				 VN_RELOAD_FAULTED, VN_RELOAD_HALTED};
	/* the other request's, in the fourth case */
	const uint32_t step[] = {VN_RELOAD_DUE, VN_RELOAD_IDLE, VN_RELOAD_IDLE,
				 VN_RELOAD_CHECKING, VN_RELOAD_IDLE};

	(void)state;
	for (unsigned i = 0; i < 5; i++) {
		boot();
		make(0, 9);
		stub.meanwhile = meanwhile[i];
		assert_int_equal(request(0, sizeof(pkg.h) + 16), want[i]);
		assert_int_equal(stub.unlocks, 1);
		assert_false(stub.unlocked);
		assert_int_equal(S(0)->reload_status, want[i]);
		assert_int_equal(stub.staged, want[i] == VN_RELOAD_OK);
		assert_int_equal(S(0)->reload, step[i]);
		assert_int_equal(fx_k.core[0].reloads, want[i] == VN_RELOAD_OK);
	}
	/* A refusal by the header alone never drops the lock. */
	boot();
	make(0, 9);
	pkg.h.magic ^= 1;
	assert_int_equal(request(0, sizeof(pkg.h) + 16), VN_RELOAD_FORMAT);
	assert_int_equal(stub.unlocks, 0);
}

/* The caller's image is memory other cores may write while the kernel
 * has the lock dropped for the digest: here it is rewritten into another
 * good-looking image just as the digest ends. The kernel checks and stages
 * its own copy, made before the digest: what it hashed is what it stages. */
static void rewrite(void)
{
	uint64_t word = 0x666;

	memcpy(pkg.img, &word, 8);
}

static void test_checks_its_own_copy(void **state)
{
	(void)state;
	boot();
	make(0, 9);
	stub.relocking = rewrite;
	assert_int_equal(request(0, sizeof(pkg.h) + 16), VN_RELOAD_OK);
	assert_int_equal(stub.reload_copies, 1);
	assert_int_equal(stub.copy_open, 0);
	assert_int_equal(stub.staged, 1);
	assert_int_equal(stub.stage_word, 9);
	/* Rewritten before the copy is made: the copy is what is checked,
	 * and the digest refuses it. */
	boot();
	make(0, 9);
	stub.meanwhile = NULL;
	stub.relocking = NULL;
	memcpy(pkg.img, &(uint64_t){0x666}, 8);
	assert_int_equal(request(0, sizeof(pkg.h) + 16), VN_RELOAD_DIGEST);
	assert_int_equal(stub.staged, 0);
	assert_int_equal(stub.dropped, 1);
	assert_int_equal(stub.copy_open, 0);
	/* No room for a copy: refused, nothing hashed. */
	boot();
	make(0, 9);
	stub.copy_fails = 1;
	assert_int_equal(request(0, sizeof(pkg.h) + 16), VN_RELOAD_NOROOM);
	assert_int_equal(stub.unlocks, 0);
	assert_int_equal(stub.copy_open, 0);
}

/* A copy over the previous image (the rollback target) is made only once
 * the image passed the checks where it lies: an image refused for what it
 * is leaves the rollback target alone. Then the copy is checked again. */
static void test_over_prev_checks_first(void **state)
{
	(void)state;
	boot();
	make(0, 9);
	stub.over_prev = 1;
	pkg.img[0] ^= 1; /* its digest no longer matches */
	assert_int_equal(request(0, sizeof(pkg.h) + 16), VN_RELOAD_DIGEST);
	assert_int_equal(stub.reload_copies, 0);
	assert_int_equal(stub.unlocks, 1);
	boot();
	make(0, 9);
	stub.over_prev = 1;
	assert_int_equal(request(0, sizeof(pkg.h) + 16), VN_RELOAD_OK);
	assert_int_equal(stub.reload_copies, 1);
	assert_int_equal(stub.unlocks, 2);
	assert_int_equal(stub.stage_word, 9);
	/* Rewritten after the first digest, before the copy: the copy's
	 * digest refuses it. */
	boot();
	make(0, 9);
	stub.over_prev = 1;
	stub.relocking = rewrite;
	assert_int_equal(request(0, sizeof(pkg.h) + 16), VN_RELOAD_DIGEST);
	assert_int_equal(stub.reload_copies, 1);
	assert_int_equal(stub.staged, 0);
	assert_int_equal(stub.copy_open, 0);
}

/* RELOAD: only with the right, only from the caller's own memory. */
static void test_updater_call(void **state)
{
	static const uint16_t may[] = {3};
	struct vn_shard *s = NULL;
	struct vn_sysres r;

	(void)state;
	boot();
	fx_shards[1].reload.updates = may;
	fx_shards[1].reload.n_updates = 1;
	while ((s = vn_sched_pick(&fx_k, 0, 0)) != S(1))
		vn_sched_yield(&fx_k, s);
	make(3, 6);
	memcpy(stub.view + 64, &pkg, sizeof(pkg.h) + 16);
	r = vn_syscall_dispatch(&fx_k, s, VN_SYS_RELOAD, 2, 0x10000 + 64);
	assert_int_equal(r.value, VN_ERR(VN_EPERM));
	r = vn_syscall_dispatch(&fx_k, s, VN_SYS_RELOAD, 3, 0x20000);
	assert_int_equal(r.value, VN_ERR(VN_EINVAL));
	r = vn_syscall_dispatch(&fx_k, s, VN_SYS_RELOAD, 3, 0x10000 + 64);
	assert_int_equal(r.value, VN_RELOAD_OK);
	assert_int_equal(r.action, VN_ACT_CONTINUE);
	assert_int_equal(stub.views_open, 0); /* the port's view of it ended */
	assert_int_equal(S(3)->reload, VN_RELOAD_DUE);
	assert_int_equal(fx_k.core[1].reloads, 1);
	assert_int_equal(stub.last_kick, 1);
	r = vn_syscall_dispatch(&fx_k, s, VN_SYS_HANDOFF, 0, 0);
	assert_int_equal(r.value, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha256_vectors),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_swap_at_a_clean_point),
		cmocka_unit_test(test_handoff),
		cmocka_unit_test(test_late),
		cmocka_unit_test(test_rollback),
		cmocka_unit_test(test_start_fails),
		cmocka_unit_test(test_fault_cancels),
		cmocka_unit_test(test_exited_refused),
		cmocka_unit_test(test_digest_unlocked),
		cmocka_unit_test(test_updater_call),
		cmocka_unit_test(test_checks_its_own_copy),
		cmocka_unit_test(test_over_prev_checks_first),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
