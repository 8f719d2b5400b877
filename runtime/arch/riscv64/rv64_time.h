/*
 * rv64_time.h - the `time` CSR as nanoseconds, for the kernel and the
 * shards alike (U-mode may read it: the kernel sets scounteren.TM). QEMU
 * virt's timebase is 10 MHz; the kernel checks the device tree says so
 * (cpu.c) and refuses to boot otherwise.
 */
#ifndef VN_RV64_TIME_H
#define VN_RV64_TIME_H

#include <stdint.h>

#include <vn_ticks.h>

#define RV64_TIMEBASE 10000000ull

static inline uint64_t rv64_rdtime(void)
{
	uint64_t t;

	__asm__ volatile("rdtime %0" : "=r"(t) :: "memory");
	return t;
}

#endif /* VN_RV64_TIME_H */
