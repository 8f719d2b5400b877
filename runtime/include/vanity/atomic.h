/*
 * vanity/atomic.h - the store-release every single-writer index of Vanity
 * is published with: a channel ring's head, tail and sequence words
 * (ring.h), a trace ring's head (trace.h), the bare-metal kernel's lock.
 *
 * It is atomic_store_explicit(p, v, memory_order_release), but on riscv64
 * with GCC before 13, which makes that an AMO swap (`fence iorw,ow;
 * amoswap.d`, with an add first for an address at an offset): there it is
 * the RVWMO mapping of a store-release, which later GCCs emit, a fence
 * and a plain store (`fence rw,w; sd`), one instruction fewer and no AMO.
 */
#ifndef VANITY_ATOMIC_H
#define VANITY_ATOMIC_H

#include <stdatomic.h>
#include <stdint.h>

static inline __attribute__((always_inline)) void vn_store_release(_Atomic uint64_t *p,
								   uint64_t v)
{
#if defined(__riscv) && defined(__GNUC__) && !defined(__clang__) && __GNUC__ < 13
	/* a plain store after the fence: an _Atomic uint64_t is a uint64_t
	 * to GCC, and a volatile store keeps the compiler's own addressing
	 * (an offset, a symbol's low part) */
	__asm__ volatile("fence rw, w" ::: "memory");
	*(volatile uint64_t *)(void *)p = v;
#else
	atomic_store_explicit(p, v, memory_order_release);
#endif
}

#endif /* VANITY_ATOMIC_H */
