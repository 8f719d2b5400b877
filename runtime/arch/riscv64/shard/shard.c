/*
 * shard.c - the riscv64 shard library: system calls by ecall, the clock
 * from the `time` CSR, the log buffer in the control page (abi.h).
 *
 * As on aarch64, a notification is a system call: one ecall on the
 * sender's own core, and the kernel kicks the receiver's hart (an SBI IPI)
 * if the receiver sleeps there.
 */
#include <stdlib.h>

#include <vanity.h>
#include <vanity/config.h>
#include <vanity/syscall.h>

#include "abi.h"
#include "rv64_time.h"

#define CTL ((struct rv64_ctl *)(uintptr_t)vn_self.ctl)

void vn_rv64_shard_main(void);

uint64_t vn_syscall(uint32_t op, uint64_t a0, uint64_t a1)
{
	register uint64_t x10 __asm__("a0") = a0;
	register uint64_t x11 __asm__("a1") = a1;
	register uint64_t x17 __asm__("a7") = op;

	__asm__ volatile("ecall" : "+r"(x10) : "r"(x11), "r"(x17) : "memory");
	return x10;
}

/* Called by vn_tx_commit/vn_rx_release only when the peer sleeps. */
void vn_notify(uint32_t channel)
{
	vn_syscall(VN_SYS_NOTIFY, channel, 0);
}

uint64_t vn_now(void)
{
	return vn_ticks_to_ns(rv64_rdtime(), RV64_TIMEBASE);
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
	__asm__ volatile("nop" ::: "memory");
}

/* The kernel reports it as "breakpoint (abort)" (t6 tells it from any
 * other ebreak) and applies the shard's fault policy, as for any other
 * fault. */
_Noreturn void abort(void)
{
	for (;;)
		__asm__ volatile("li t6, %0\n\tebreak" :: "i"(RV64_ABORT_MARK) : "t6");
}

void vn_rv64_shard_main(void)
{
	if (!vn_attach_endpoints()) {
		vn_log("a channel does not match this build");
		vn_exit(125);
	}
	vn_main();
	vn_exit(0);
}
