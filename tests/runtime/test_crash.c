/*
 * test_crash.c - the kernel core's crash dump (runtime/core/crash.c) against
 * the stub port: a fault writes one dump, in the documented chunk order
 * (vanity/trace.h), with the port's view of the CPU, the windows it asked
 * the port for, the counters as they are after the fault, and the core's
 * kernel ring; a watchdog stop says so; a port that takes no dump is never
 * written to.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "fixture.h"

struct chunk {
	struct vn_dump_chunk h;
	const uint8_t *p;
};

/* The chunks of stub.dump, after checking its header; returns how many. */
static unsigned chunks(struct chunk *out, unsigned max)
{
	const struct vn_dump_hdr *h = (const void *)stub.dump;
	uint64_t pos = sizeof(*h);
	unsigned n = 0;

	assert_true(stub.dump_len >= sizeof(*h));
	assert_true(h->magic == VN_CRASH_MAGIC);
	while (pos < stub.dump_len && n < max) {
		memcpy(&out[n].h, stub.dump + pos, sizeof(out[n].h));
		out[n].p = stub.dump + pos + sizeof(out[n].h);
		pos += sizeof(out[n].h) + ((out[n].h.len + 7) & ~7ull);
		n++;
	}
	assert_int_equal(pos, stub.dump_len);
	return n;
}

/* Shard i running, and the port taking dumps. */
static struct vn_shard *boot_running(uint32_t i)
{
	struct vn_shard *s = fx_boot_running(i);

	stub.take_dumps = 1;
	return s;
}

static void test_fault_dump(void **state)
{
	struct chunk c[16];
	struct vn_crash_rec rec;
	const uint32_t kinds[] = {VN_DUMP_CRASH, VN_DUMP_REGS, VN_DUMP_MEM, VN_DUMP_MEM,
				  VN_DUMP_STATS, VN_DUMP_CORE_TRACE};
	struct vn_shard_stats st;
	unsigned n;

	(void)state;
	boot_running(3);
	assert_int_equal(vn_shard_fault(&fx_k, S(3), 0, 139), VN_FAULT_STOPPED);
	assert_int_equal(stub.dump_closed_err, 0);
	n = chunks(c, 16);
	assert_int_equal(n, sizeof(kinds) / sizeof(kinds[0]));
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(c[i].h.kind, kinds[i]);
	assert_int_equal(c[0].h.len, sizeof(rec));
	memcpy(&rec, c[0].p, sizeof(rec));
	assert_int_equal(rec.shard, 3);
	assert_int_equal(rec.generation, 1);
	assert_int_equal(rec.signal, 11);
	assert_int_equal(rec.flags, VN_CRASH_HAS_REGS | VN_CRASH_HAS_ADDR);
	assert_true(rec.addr == 0x9000 && rec.pc == 0x1000 && rec.sp == 0x8000);
	assert_true(rec.code == 0x92000047 && rec.image_hash == 0x1234003);
	assert_int_equal(rec.machine, 183);
	assert_int_equal(rec.core, 1);
	assert_string_equal(rec.shard_name, "s3");
	assert_string_equal(rec.cause, "data abort");
	/* The registers, as the port gave them. */
	assert_int_equal(c[1].h.index, 183);
	assert_int_equal(c[1].h.len, 34 * 8);
	assert_true(((const uint64_t *)c[1].p)[33] == 33);
	/* The stack around sp, then around the faulting address. */
	assert_int_equal(stub.copies, 2);
	assert_true(stub.copy_lo[0] == 0x8000 - VN_CRASH_BELOW_SP);
	assert_true(stub.copy_hi[0] == 0x8000 + VN_CRASH_ABOVE_SP);
	assert_true(stub.copy_lo[1] == 0x9000 - VN_CRASH_AROUND);
	assert_true(stub.copy_hi[1] == 0x9000 + VN_CRASH_AROUND);
	assert_int_equal(c[2].h.index, VN_CRASH_MEM_STACK);
	assert_true(c[2].h.addr == 0x8000 - VN_CRASH_BELOW_SP);
	assert_int_equal(c[2].p[0], (uint8_t)(0x8000 - VN_CRASH_BELOW_SP));
	assert_int_equal(c[3].h.index, VN_CRASH_MEM_FAULT);
	/* Its counters count this fault; its core's kernel ring has the event. */
	memcpy(&st, c[4].p, sizeof(st));
	assert_int_equal(c[4].h.index, 3);
	assert_true(st.faults == 1);
	assert_int_equal(c[5].h.index, 1);
	assert_int_equal(c[5].h.len, sizeof(struct vn_core_trace));
	{
		const struct vn_core_trace *t = (const void *)c[5].p;
		uint64_t head = atomic_load(&t->ring.head);

		assert_true(head >= 1);
		assert_int_equal(t->rec[(head - 1) % VN_TRACE_CORE_RECS].id, VN_KEV_FAULT);
	}
}

static void test_watchdog_dump(void **state)
{
	struct chunk c[16];
	struct vn_crash_rec rec;

	(void)state;
	boot_running(0);
	fx_watchdog(0, 1000);
	assert_ptr_equal(vn_watchdog(&fx_k, 0, S(0)->ran_since + 2000), S(0));
	vn_shard_fault(&fx_k, S(0), 0, 128 + 9);
	chunks(c, 16);
	memcpy(&rec, c[0].p, sizeof(rec));
	assert_true(rec.flags & VN_CRASH_WATCHDOG);
	assert_int_equal(rec.signal, 9);
	assert_string_equal(rec.cause, "watchdog: held its core past its budget");
}

static void test_no_dump_when_the_port_takes_none(void **state)
{
	(void)state;
	boot_running(0);
	stub.take_dumps = 0;
	vn_shard_fault(&fx_k, S(0), 0, 139);
	assert_int_equal(stub.crash_opens, 1);
	assert_int_equal(stub.dump_len, 0);
	assert_int_equal(stub.copies, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fault_dump),
		cmocka_unit_test(test_watchdog_dump),
		cmocka_unit_test(test_no_dump_when_the_port_takes_none),
	};

	return cmocka_run_group_tests_name("crash", tests, NULL, NULL);
}
