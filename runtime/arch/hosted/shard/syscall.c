/*
 * syscall.c - the hosted shard's way into the kernel, and its clock.
 *
 * A call is posted in the control page, the core's doorbell is rung, and the
 * shard sleeps on its turn word until the kernel hands the core back. The
 * kernel thread of our core runs on our host CPU, so the round trip is two
 * same-CPU wake-ups, never a cross-CPU one.
 *
 * A notification is not a call: it is posted in the control page and the
 * doorbell of the peer's core is rung directly; we keep our core (hosted.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <time.h>
#include <unistd.h>

#include <vanity.h>
#include <vanity/config.h>
#include <vanity/mmio.h>

#include "hosted.h"
#include "hosted_arch.h"
#include "shard.h"

#define CTL ((struct vn_ctl *)(uintptr_t)vn_self.ctl)

/* Sleep until the kernel gives us the core (or tells us to end). */
void vn_hosted_wait_turn(void)
{
	uint32_t t;

	while ((t = atomic_load_explicit(&CTL->turn, memory_order_acquire)) ==
	       VN_TURN_KERNEL)
		vn_futex_wait(&CTL->turn, VN_TURN_KERNEL);
	if (t != VN_TURN_SHARD)
		_exit((int)(CTL->ret & 0xff));
}

uint64_t vn_syscall(uint32_t op, uint64_t a0, uint64_t a1)
{
	static const uint64_t one = 1;
	struct vn_ctl *ctl = CTL;

	ctl->op = op;
	ctl->a0 = a0;
	ctl->a1 = a1;
	atomic_store_explicit(&ctl->turn, VN_TURN_KERNEL, memory_order_release);
	while (write(VN_FD_DOORBELL, &one, sizeof(one)) < 0 && errno == EINTR)
		;
	vn_hosted_wait_turn();
	return ctl->ret;
}

static void ring_bell(int fd)
{
	static const uint64_t one = 1;

	while (write(fd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
}

/* Called by vn_tx_commit/vn_rx_release only when the peer sleeps, and by
 * every vn_signal_<name>(). The request is visible before the doorbell
 * rings (the OR is a full barrier), and the peer's core drains its
 * doorbell before it takes the requests. */
void vn_notify(uint32_t channel)
{
	int bit = -1;

	for (uint32_t i = 0; i < vn_self.n_tx && bit < 0; i++)
		if (vn_self.tx[i]->channel == channel)
			bit = (int)vn_self.tx_bit[i];
	for (uint32_t i = 0; i < vn_self.n_rx && bit < 0; i++)
		if (vn_self.rx[i]->channel == channel)
			bit = (int)vn_self.rx_bit[i];
	for (uint32_t i = 0; i < vn_self.n_sig && bit < 0; i++)
		if (vn_self.sig[i] == channel)
			bit = (int)vn_self.sig_bit[i];
	if (bit < 0) {
		/* Not one of ours: the kernel refuses it. */
		vn_syscall(VN_SYS_NOTIFY, channel, 0);
		return;
	}
	atomic_fetch_or_explicit(&CTL->notify_req, UINT64_C(1) << bit,
				 memory_order_seq_cst);
	ring_bell(VN_FD_BELL0 + bit);
}

uint64_t vn_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

char *vn_port_log_buf(void)
{
	return CTL->log;
}

bool vn_port_core_shared(void)
{
	return *(volatile uint32_t *)&CTL->core_shared != 0;
}

void vn_port_relax(void)
{
	vn_cpu_relax();
}
