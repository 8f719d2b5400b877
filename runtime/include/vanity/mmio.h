/*
 * vanity/mmio.h - the one place a shard touches device registers.
 *
 * Generated register accessors (regmaps/<map>.h) reach memory-mapped I/O
 * only through these functions: one volatile load or store each, of exactly
 * the register's width.
 *
 * On bare metal that is a volatile load or store to the device's window,
 * which the kernel mapped into this shard only. The hosted simulator has no
 * device memory: there (VN_PORT_HOSTED) each access is one MMIO call to the
 * kernel, which checks that the address is in one of the caller's devices
 * and hands it to that device's model (arch/hosted/kernel/devices.c). On
 * bare metal, a shard one of whose devices shares its page with another
 * shard's device maps neither page; the build defines VN_MMIO_BY_KERNEL
 * for its sources (generator/build_bare.py; its generated header says so
 * too), and every access is the same MMIO call, which the kernel checks
 * and makes for it (freestanding/kernel/run.c). The driver source is the same on every
 * target.
 */
#ifndef VANITY_MMIO_H
#define VANITY_MMIO_H

#include <stdint.h>

#if defined(VN_PORT_HOSTED) || defined(VN_MMIO_BY_KERNEL)

/* runtime/lib/api.c */
uint64_t vn_mmio_call(uintptr_t addr, unsigned bytes, int write, uint64_t value);

#define VN_MMIO_ACCESSORS(bits)                                               \
	static inline uint##bits##_t vn_mmio_read##bits(uintptr_t addr)       \
	{                                                                     \
		return (uint##bits##_t)vn_mmio_call(addr, bits / 8, 0, 0);    \
	}                                                                     \
	static inline void vn_mmio_write##bits(uintptr_t addr,                \
					       uint##bits##_t value)          \
	{                                                                     \
		vn_mmio_call(addr, bits / 8, 1, value);                       \
	}

#else

#define VN_MMIO_ACCESSORS(bits)                                               \
	static inline uint##bits##_t vn_mmio_read##bits(uintptr_t addr)       \
	{                                                                     \
		return *(volatile const uint##bits##_t *)addr;                \
	}                                                                     \
	static inline void vn_mmio_write##bits(uintptr_t addr,                \
					       uint##bits##_t value)          \
	{                                                                     \
		*(volatile uint##bits##_t *)addr = value;                     \
	}

#endif

VN_MMIO_ACCESSORS(8)
VN_MMIO_ACCESSORS(16)
VN_MMIO_ACCESSORS(32)
VN_MMIO_ACCESSORS(64)

#undef VN_MMIO_ACCESSORS

#endif /* VANITY_MMIO_H */
