/*
 * hosted_arch.h - the only host-architecture detail the hosted port needs:
 * the faulting pc in a signal's ucontext, the spin-loop hint and the
 * seccomp architecture. An
 * unknown architecture fails here, and only here.
 */
#ifndef VN_HOSTED_ARCH_H
#define VN_HOSTED_ARCH_H

#include <linux/audit.h>
#include <stdint.h>
#include <ucontext.h>

/* The seccomp architecture a shard's filter checks for. */
#if defined(__x86_64__)
#define VN_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define VN_AUDIT_ARCH AUDIT_ARCH_AARCH64
#elif defined(__riscv) && __riscv_xlen == 64
#define VN_AUDIT_ARCH AUDIT_ARCH_RISCV64
#else
#error "hosted port: add this host's AUDIT_ARCH"
#endif

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
