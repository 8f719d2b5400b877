/*
 * test_pool.c - buffer pools: a handle from another shard reaches a whole
 * buffer of its pool or nothing (vanity/pool.h), and the virtio-net
 * driver's packet pool keeps its books apart from the buffers, so nothing
 * written into a shared buffer makes it hand out or take back memory that
 * is not one of its buffers (drivers/virtio_net/frame.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <vanity/pool.h>

#include "../../drivers/virtio_net/frame.h"

#define N 8

static _Alignas(4096) uint8_t region[N * 2048];

static const struct vn_pool pool = VN_POOL_INIT("frames", (uintptr_t)region, N, 11, 1);

static void handle_in_range_names_its_buffer(void **state)
{
	(void)state;
	for (uint32_t i = 0; i < N; i++) {
		struct vn_buf h = {i, 2048}, back;

		assert_ptr_equal(vn_pool_buf(&pool, h), region + i * 2048);
		assert_true(vn_pool_handle(&pool, region + i * 2048, 60, &back));
		assert_int_equal(back.index, i);
		assert_int_equal(back.len, 60);
	}
	assert_int_equal(vn_pool_buf_size(&pool), 2048);
}

static void bad_handles_are_refused(void **state)
{
	static const struct vn_buf bad[] = {
		{N, 0}, {N + 1, 60}, {UINT32_MAX, 60}, {0x80000000u, 0}, {0, 2049}, {3, UINT32_MAX},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_null(vn_pool_buf(&pool, bad[i]));
}

static void pointers_that_are_no_buffer_have_no_handle(void **state)
{
	struct vn_buf h;

	(void)state;
	assert_false(vn_pool_handle(&pool, region + 1, 0, &h));        /* inside a buffer */
	assert_false(vn_pool_handle(&pool, region + N * 2048, 0, &h)); /* just past the pool */
	assert_false(vn_pool_handle(&pool, (void *)((uintptr_t)region - 2048), 0, &h)); /* before */
	assert_false(vn_pool_handle(&pool, region, 2049, &h));         /* too long */
	assert_true(vn_pool_holds(&pool, region + N * 2048 - 1));
	assert_false(vn_pool_holds(&pool, region + N * 2048));
	assert_false(vn_pool_holds(&pool, (void *)((uintptr_t)region - 1)));
}

static void packet_pool_over_shared_buffers(void **state)
{
	struct vnet_pool p;
	uint8_t books[VNET_POOL_BOOKS(N)];
	struct vnet_pkt *got[N];

	(void)state;
	assert_int_equal(vnet_pool_init_at(&p, region, N, books, sizeof(books) - 1), 0);
	assert_int_equal(vnet_pool_init_at(&p, region + 8, N, books, sizeof(books)), 0);
	assert_int_equal(vnet_pool_init_at(&p, region, N, books, sizeof(books)), N);
	for (int i = 0; i < N; i++) {
		got[i] = vnet_pkt_alloc(&p);
		assert_non_null(got[i]);
		assert_true(vnet_pool_has(&p, got[i]));
		/* What another shard writes into a buffer changes nothing. */
		memset(got[i], 0xff, 2048);
	}
	assert_null(vnet_pkt_alloc(&p));
	for (int i = 0; i < N; i++)
		for (int j = 0; j < i; j++)
			assert_ptr_not_equal(got[i], got[j]);
	assert_true(vnet_pkt_free(&p, got[3]));
	assert_false(vnet_pkt_free(&p, got[3]));
	assert_int_equal(p.double_free, 1);
	assert_false(vnet_pkt_free(&p, (struct vnet_pkt *)(region + 100)));
	assert_false(vnet_pkt_free(&p, (struct vnet_pkt *)(region + N * 2048)));
	assert_false(vnet_pkt_free(&p, (struct vnet_pkt *)books));
	assert_int_equal(p.foreign, 3);
	assert_int_equal(p.n_free, 1);
	assert_ptr_equal(vnet_pkt_alloc(&p), got[3]);
}

static void only_a_lent_buffer_comes_back(void **state)
{
	struct vnet_pool p;
	uint8_t books[VNET_POOL_BOOKS(N)];
	struct vnet_pkt *posted, *lent;

	(void)state;
	assert_int_equal(vnet_pool_init_at(&p, region, N, books, sizeof(books)), N);
	posted = vnet_pkt_alloc(&p); /* say, on the receive ring */
	lent = vnet_pkt_alloc(&p);
	assert_true(vnet_pkt_lend(&p, lent));
	assert_false(vnet_pkt_lend(&p, lent));        /* lent already */
	assert_false(vnet_pkt_return(&p, posted));    /* never lent: refused */
	assert_false(vnet_pkt_free(&p, lent));        /* the other shard has it */
	assert_int_equal(p.bad_return, 1);
	assert_int_equal(p.double_free, 1);
	assert_int_equal(p.n_free, N - 2);
	assert_true(vnet_pkt_return(&p, lent));
	assert_false(vnet_pkt_return(&p, lent));      /* back already */
	assert_int_equal(p.bad_return, 2);
	assert_int_equal(p.n_free, N - 1);
	/* the posted buffer is never handed out twice */
	for (int i = 0; i < N - 1; i++)
		assert_ptr_not_equal(vnet_pkt_alloc(&p), posted);
	assert_null(vnet_pkt_alloc(&p));
	assert_true(vnet_pkt_free(&p, posted));
}

static void packet_pool_carved_from_a_heap(void **state)
{
	static _Alignas(64) uint8_t heap[64 * 1024 + 5];
	struct vnet_pool p;
	uint32_t n;

	(void)state;
	n = vnet_pool_init(&p, heap + 1, sizeof(heap) - 1);
	assert_int_equal(n, 31); /* 64 KiB holds 31 buffers and their books */
	assert_true((uintptr_t)p.base % 64 == 0);
	assert_true(p.base + (size_t)n * VNET_PKT_SIZE <= heap + sizeof(heap));
	assert_true((uint8_t *)p.stack >= heap + 1);
	assert_true(p.state + n <= p.base); /* the books end before the buffers */
	for (uint32_t i = 0; i < n; i++)
		assert_non_null(vnet_pkt_alloc(&p));
	assert_null(vnet_pkt_alloc(&p));
	assert_int_equal(vnet_pool_init(&p, heap, 100), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(handle_in_range_names_its_buffer),
		cmocka_unit_test(bad_handles_are_refused),
		cmocka_unit_test(pointers_that_are_no_buffer_have_no_handle),
		cmocka_unit_test(packet_pool_over_shared_buffers),
		cmocka_unit_test(only_a_lent_buffer_comes_back),
		cmocka_unit_test(packet_pool_carved_from_a_heap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
