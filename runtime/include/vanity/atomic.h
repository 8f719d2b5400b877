/*
 * vanity/atomic.h - the orderings every single-writer index of Vanity is
 * published and read with: a channel ring's head, tail and sequence words
 * and its sleep flags (ring.h), a trace ring's head (trace.h), the
 * bare-metal kernel's lock.
 *
 * Each is its stdatomic call, but on riscv64 with GCC before 13, whose
 * mappings are stronger than the memory model asks: a store-release is
 * `fence iorw,ow; amoswap.d` (with an add first for an
 * address at an offset), a relaxed store an AMO swap, and a load-acquire
 * a load and a full fence (`fence iorw,iorw`), which orders device I/O
 * and every later store too. There they are the RVWMO mappings that
 * later GCCs emit: `fence rw,w; sd`, a plain store, and `ld; fence r,rw`.
 * (QEMU runs every FENCE as a full barrier: the QEMU board times both
 * the same.)
 */
#ifndef VANITY_ATOMIC_H
#define VANITY_ATOMIC_H

#include <stdatomic.h>
#include <stdint.h>

#if defined(__riscv) && defined(__GNUC__) && !defined(__clang__) && __GNUC__ < 13
#define VN_ATOMIC_RVWMO 1 /* the mappings by hand (above) */
#else
#define VN_ATOMIC_RVWMO 0
#endif

static inline __attribute__((always_inline)) void vn_store_release(_Atomic uint64_t *p,
								   uint64_t v)
{
#if VN_ATOMIC_RVWMO
	/* a plain store after the fence: an _Atomic uint64_t is a uint64_t
	 * to GCC, and a volatile store keeps the compiler's own addressing
	 * (an offset, a symbol's low part) */
	__asm__ volatile("fence rw, w" ::: "memory");
	*(volatile uint64_t *)(void *)p = v;
#else
	atomic_store_explicit(p, v, memory_order_release);
#endif
}

static inline __attribute__((always_inline)) uint64_t vn_load_acquire(const _Atomic uint64_t *p)
{
#if VN_ATOMIC_RVWMO
	uint64_t v = *(const volatile uint64_t *)(const void *)p;

	__asm__ volatile("fence r, rw" ::: "memory");
	return v;
#else
	return atomic_load_explicit(p, memory_order_acquire);
#endif
}

/* A flag's relaxed store (a ring's sleep flags: a fence follows each that
 * must be ordered). */
static inline __attribute__((always_inline)) void vn_store_relaxed32(_Atomic uint32_t *p,
								     uint32_t v)
{
#if VN_ATOMIC_RVWMO
	*(volatile uint32_t *)(void *)p = v;
#else
	atomic_store_explicit(p, v, memory_order_relaxed);
#endif
}

#endif /* VANITY_ATOMIC_H */
