/*
 * shard.c - the riscv64 shard library's own part: the clock from the
 * `time` CSR, abort() by ebreak (abi.h); start.S has the entry,
 * abi.h vn_syscall (inline), runtime/freestanding/shard/shard.c the rest.
 */
#include <stdlib.h>

#include <vanity.h>

#include "abi.h"
#include "rv64_time.h"

uint64_t vn_now(void)
{
	return vn_ticks_to_ns(rv64_rdtime(), RV64_TIMEBASE);
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
