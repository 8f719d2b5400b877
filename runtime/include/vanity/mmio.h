/*
 * vanity/mmio.h - the one place a shard touches device registers.
 *
 * Generated register accessors (regmaps/<map>.h) reach memory-mapped I/O
 * only through these functions: one volatile load or store each, of exactly
 * the register's width. A hosted device model can replace this header to
 * redirect every access without touching the accessors.
 */
#ifndef VANITY_MMIO_H
#define VANITY_MMIO_H

#include <stdint.h>

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

VN_MMIO_ACCESSORS(8)
VN_MMIO_ACCESSORS(16)
VN_MMIO_ACCESSORS(32)
VN_MMIO_ACCESSORS(64)

#undef VN_MMIO_ACCESSORS

#endif /* VANITY_MMIO_H */
