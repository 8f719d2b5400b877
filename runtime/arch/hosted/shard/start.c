/*
 * start.c - a hosted shard process from exec to vn_main().
 *
 * The kernel forked and exec'd us with our control page, our core's
 * doorbell and our channels at fixed descriptors (hosted.h), pinned to our
 * core's host CPU. Here we:
 *  1. make ourselves unreadable to siblings and die with the kernel;
 *  2. map the control page, every channel, every pool we share, the heap
 *     and the stack at the addresses the generator gave us (MAP_FIXED_NOREPLACE: an address
 *     already in use is a build error, not something to paper over);
 *  3. pick up each ring where the last instance left it (a restart keeps
 *     queued messages);
 *  4. wait for our turn, and run vn_main() on the spec's stack, with a
 *     PROT_NONE guard page below it so an overflow faults.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <ucontext.h>
#include <unistd.h>

#include <vanity.h>
#include <vanity/config.h>

#include "hosted.h"
#include "sandbox.h"
#include "shard.h"

_Noreturn void vn_hosted_die(const char *what, const char *detail)
{
	/* the kernel's relay names the shard (console.c) */
	fprintf(stderr, "%s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
	_exit(125);
}

static void *map_at(uint64_t addr, uint64_t len, int prot, int flags, int fd)
{
	void *p = mmap((void *)(uintptr_t)addr, len, prot,
		       flags | MAP_FIXED_NOREPLACE, fd, 0);

	if (p == MAP_FAILED || p != (void *)(uintptr_t)addr)
		vn_hosted_die("cannot map memory", strerror(errno));
	return p;
}

static void map_private(void)
{
	int anon = MAP_PRIVATE | MAP_ANONYMOUS;
	bool shared_heap;

	map_at(vn_self.ctl, vn_self.ctl_size, PROT_READ | PROT_WRITE, MAP_SHARED, VN_FD_CTL);
	if (((struct vn_ctl *)(uintptr_t)vn_self.ctl)->magic != VN_CTL_MAGIC)
		vn_hosted_die("bad control page", NULL);
	/* A heap the kernel gave us is shared with our devices' models (DMA). */
	shared_heap = fcntl(VN_FD_HEAP, F_GETFD) >= 0;
	if (vn_self.heap_hi > vn_self.heap_lo)
		map_at(vn_self.heap_lo, vn_self.heap_hi - vn_self.heap_lo, PROT_READ | PROT_WRITE,
		       shared_heap ? MAP_SHARED : anon, shared_heap ? VN_FD_HEAP : -1);
	map_at(vn_self.stack_lo - VN_PAGE, VN_PAGE, PROT_NONE,
	       anon | MAP_NORESERVE, -1);
	map_at(vn_self.stack_lo, vn_self.stack_hi - vn_self.stack_lo,
	       PROT_READ | PROT_WRITE, anon | MAP_STACK, -1);
}

/* Each pool we map, read-only where the spec says so: then its descriptor
 * is read-only too, and the kernel refuses a writable mapping of it. */
static void map_pools(void)
{
	for (uint32_t k = 0; k < vn_self.n_pools && k < VN_FD_POOLS; k++) {
		const struct vn_pool *p = vn_self.pools[k];

		map_at(p->base, VN_PAGE_ROUND((uint64_t)p->buffers << p->shift),
		       PROT_READ | (p->writable ? PROT_WRITE : 0), MAP_SHARED,
		       VN_FD_POOL0 + (int)k);
	}
}

/* Map one ring at the address the shard was built for (fd: its bit); a
 * latency channel's stamps and histogram too. */
static void map_ring(struct vn_ring *r, uint32_t msg_size, uint32_t mask, uint32_t flags,
		     uint32_t bit)
{
	uint32_t seq = flags & VN_EP_SEQ;
	uint64_t size = VN_PAGE_ROUND(flags & VN_EP_LATENCY
					      ? VN_RING_LATENCY_BYTES(msg_size, mask + 1u, seq)
					      : VN_RING_BYTES(msg_size, mask + 1u, seq));

	map_at((uint64_t)(uintptr_t)r, size, PROT_READ | PROT_WRITE, MAP_SHARED,
	       VN_FD_CHAN0 + (int)bit);
}

/* Map every ring, then take up the endpoints from their indices. */
static void attach_channels(void)
{
	for (uint32_t i = 0; i < vn_self.n_tx; i++) {
		const struct vn_tx *tx = vn_self.tx[i];

		map_ring(tx->ring, tx->msg_size, tx->mask, tx->flags, vn_self.tx_bit[i]);
	}
	for (uint32_t i = 0; i < vn_self.n_rx; i++) {
		const struct vn_rx *rx = vn_self.rx[i];

		map_ring(rx->ring, rx->msg_size, rx->mask, rx->flags, vn_self.rx_bit[i]);
	}
	vn_attach_endpoints();
}

static void shard_entry(void)
{
	vn_main();
	vn_exit(0);
}

static void run_on_stack(void)
{
	static ucontext_t boot, entry;

	getcontext(&entry);
	entry.uc_stack.ss_sp = (void *)(uintptr_t)vn_self.stack_lo;
	entry.uc_stack.ss_size = vn_self.stack_hi - vn_self.stack_lo;
	entry.uc_link = NULL;
	makecontext(&entry, shard_entry, 0);
	swapcontext(&boot, &entry);
	vn_hosted_die("vn_main returned to the boot stack", NULL);
}

/* The kernel set our parent-death signal and the start filter before it
 * exec'd us (kernel/proc.c). argv[0] is the shard's name, which the
 * process takes too (ps, top: an exec names it after the copy of the image
 * the kernel ran, kernel/proc.c). argv[1] is the kernel's pid: if our
 * parent is no longer the kernel, it died before PDEATHSIG was set, and we
 * must not run unsupervised. */
int main(int argc, char **argv)
{
	prctl(PR_SET_DUMPABLE, 0);
	if (argc < 2 || getppid() != (pid_t)atol(argv[1]))
		_exit(125);
	prctl(PR_SET_NAME, argv[0]);
	if (vn_sandbox_install(VN_SANDBOX_RUN) != 0)
		vn_hosted_die("cannot install the shard's seccomp filter", NULL);
	map_private();
	attach_channels();
	map_pools();
	vn_hosted_fault_init();
	vn_hosted_wait_turn();
	run_on_stack();
	return 125;
}
