/*
 * reader.c - checks each buffer owner hands over against its pattern,
 * hands it back, refuses handles no pool holds, and then writes a buffer
 * of the pool it maps read-only: a fault. On hosted it first tries to make
 * that pool writable through the host (mprotect, a new mapping of its
 * descriptor), which the host refuses: the descriptor is read-only; and to
 * set up an io_uring, whose opens could reopen it, which the sandbox
 * refuses.
 */
#ifdef VN_PORT_HOSTED
#define _GNU_SOURCE
#include <errno.h>
#include <linux/io_uring.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hosted.h"
#endif

#include <vanity_shard.h>

#include "common.h"

#ifdef VN_PORT_HOSTED
static void try_host(void)
{
	void *p = (void *)vn_pool_blocks.base;
	int prot = mprotect(p, 4096, PROT_READ | PROT_WRITE) == 0 ? 0 : errno;
	void *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, VN_FD_POOL0, 0);
	int map = m != MAP_FAILED ? 0 : errno;
	struct io_uring_params params = {0};
	/* io_uring's opens are beyond seccomp's sight: the sandbox refuses it */
	long ring = syscall(__NR_io_uring_setup, 4, &params);
	int uring = ring >= 0 ? 0 : errno;

	vn_log("host: mprotect %s, mmap %s, io_uring %s", prot == EACCES ? "refused" : "ALLOWED",
	       map == EACCES ? "refused" : "ALLOWED", uring == EPERM ? "refused" : "ALLOWED");
}
#else
static void try_host(void)
{
}
#endif

void vn_main(void)
{
	uint32_t good = 0, bad_bytes = 0, refused = 0;
	unsigned char *spare = vn_pool_buf(&vn_pool_spare, (struct vn_buf){0, 64});

	spare[0] = 1; /* a read-write pool of its own: writable */
	for (;;) {
		struct vn_buf h;
		const unsigned char *p;

		if (!vn_recv(&vn_rx_full, &h)) {
			vn_wait(VN_FOREVER);
			continue;
		}
		if (h.index == STOP_INDEX)
			break;
		p = vn_pool_buf(VN_POOL_OF_FULL, h);
		if (!p) {
			refused++;
			continue;
		}
		for (uint32_t j = 0; j < h.len; j++)
			bad_bytes += p[j] != pattern(h.index, j);
		good++;
		while (!vn_send(&vn_tx_back, &h))
			vn_wait(VN_FOREVER);
	}
	vn_log("%u buffers read, %u bad bytes, %u handles refused; writing one now", good,
	       bad_bytes, refused);
	try_host();
	*(volatile unsigned char *)vn_pool_buf(&vn_pool_blocks, (struct vn_buf){5, 1}) = 0;
	vn_log("wrote a read-only pool");
}
