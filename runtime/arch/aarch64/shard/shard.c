/*
 * shard.c - the aarch64 shard library: system calls by SVC, the clock from
 * the virtual counter, the log buffer in the control page (abi.h).
 *
 * Unlike hosted, a notification is a system call: it is one SVC on the
 * sender's own core, and the kernel kicks the receiver's CPU (an SGI) if
 * the receiver sleeps there.
 */
#include <stdlib.h>

#include <vanity.h>
#include <vanity/config.h>
#include <vanity/syscall.h>

#include "abi.h"
#include "a64_time.h"

#define CTL ((struct a64_ctl *)(uintptr_t)vn_self.ctl)

void vn_a64_shard_main(void);

uint64_t vn_syscall(uint32_t op, uint64_t a0, uint64_t a1)
{
	register uint64_t x0 __asm__("x0") = a0;
	register uint64_t x1 __asm__("x1") = a1;
	register uint64_t x8 __asm__("x8") = op;

	__asm__ volatile("svc #0" : "+r"(x0) : "r"(x1), "r"(x8) : "memory");
	return x0;
}

/* Called by vn_tx_commit/vn_rx_release only when the peer sleeps. */
void vn_notify(uint32_t channel)
{
	vn_syscall(VN_SYS_NOTIFY, channel, 0);
}

uint64_t vn_now(void)
{
	return vn_ticks_to_ns(a64_cntvct(), a64_cntfrq());
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
	__asm__ volatile("yield" ::: "memory");
}

/* The kernel reports it as "breakpoint (abort)" and applies the
 * shard's fault policy, as for any other fault. */
_Noreturn void abort(void)
{
	for (;;)
		__asm__ volatile("brk #0xab");
}

void vn_a64_shard_main(void)
{
	if (!vn_attach_endpoints()) {
		vn_log("a channel does not match this build");
		vn_exit(125);
	}
	vn_main();
	vn_exit(0);
}
