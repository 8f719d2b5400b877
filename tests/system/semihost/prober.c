/*
 * A semihosting call from user mode: with PROBE_OPEN, SYS_OPEN of
 * PROBE_PATH for writing (then SYS_WRITE0 of a line into QEMU's stdout);
 * without, SYS_EXIT with status 77. Each is the call the kernel's own
 * semihosting makes (runtime/arch/aarch64/semihost.c: hlt #0xf000; riscv64:
 * the slli/ebreak/srai sequence), and QEMU must refuse it from a shard.
 */
#include <vanity_shard.h>

static uint64_t semihost(uint64_t op, const void *arg)
{
#if defined(__aarch64__)
	register uint64_t r0 __asm__("x0") = op;
	register uint64_t r1 __asm__("x1") = (uint64_t)(uintptr_t)arg;

	__asm__ volatile("hlt #0xf000" : "+r"(r0) : "r"(r1) : "memory");
#else
	register uint64_t r0 __asm__("a0") = op;
	register uint64_t r1 __asm__("a1") = (uint64_t)(uintptr_t)arg;

	__asm__ volatile(".option push\n\t.option norvc\n\t"
			 "slli zero, zero, 0x1f\n\tebreak\n\tsrai zero, zero, 7\n\t"
			 ".option pop" : "+r"(r0) : "r"(r1) : "memory");
#endif
	return r0;
}

void vn_main(void)
{
#ifdef PROBE_OPEN
	static const char path[] = PROBE_PATH;
	static const char line[] = "a shard wrote through semihosting\n";
	uint64_t open[3] = {(uint64_t)(uintptr_t)path, 4 /* "w" */, sizeof(path) - 1};

	vn_log("opening a host file");
	vn_log("semihosting answered %lld", (long long)semihost(0x01, open));
	semihost(0x04, line);
#else
	uint64_t status[2] = {0x20026 /* ADP_Stopped_ApplicationExit */, 77};

	vn_log("ending QEMU");
	semihost(0x18, status);
	vn_log("semihosting returned");
#endif
	for (;;)
		vn_yield();
}
