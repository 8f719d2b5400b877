/*
 * hosted_arch.h - the only host-architecture detail the hosted port needs:
 * the faulting pc in a signal's ucontext, and the spin-loop hint. An
 * unknown architecture fails here, and only here.
 */
#ifndef VN_HOSTED_ARCH_H
#define VN_HOSTED_ARCH_H

#include <stdint.h>
#include <ucontext.h>

static inline uint64_t vn_ucontext_pc(const ucontext_t *uc)
{
#if defined(__x86_64__)
	return (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
#elif defined(__aarch64__)
	return (uint64_t)uc->uc_mcontext.pc;
#elif defined(__riscv)
	return (uint64_t)uc->uc_mcontext.__gregs[0];
#else
#error "hosted port: add this host's pc to vn_ucontext_pc()"
#endif
}

static inline void vn_cpu_relax(void)
{
#if defined(__x86_64__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ volatile("yield");
#endif
}

#endif /* VN_HOSTED_ARCH_H */
