/*
 * shard.c - the aarch64 shard library's own part: the clock from the
 * virtual counter, abort() by BRK (abi.h); start.S has the entry,
 * abi.h vn_syscall (inline), runtime/freestanding/shard/shard.c the rest.
 */
#include <stdlib.h>

#include <vanity.h>

#include "a64_time.h"

uint64_t vn_now(void)
{
	return vn_ticks_to_ns(a64_cntvct(), a64_cntfrq());
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
