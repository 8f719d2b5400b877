/*
 * vq_barrier.h - the memory ordering a split virtqueue needs, in one place
 * (virtio v1.1, 2.6.13 "Supplying Buffers to The Device" and 2.6.14
 * "Receiving Used Buffers From The Device").
 *
 * The device is another observer of normal, cache-coherent memory (QEMU's
 * virtio-mmio devices are "dma-coherent"), so the ring needs only the
 * barriers one CPU needs against another, plus ordering between ring memory
 * and the device's registers around a doorbell or a status read:
 *
 *   vq_wmb()     descriptors and ring entries before the avail index;
 *   vq_rmb()     the used index before the used entries it covers;
 *   vq_mb()      the avail index store before reading the device's
 *                "no notify" flag (a store then a load: only a full
 *                barrier orders those);
 *   vq_io_wmb()  ring stores before an MMIO store (the doorbell);
 *   vq_io_rmb()  an MMIO load (InterruptStatus) before ring loads.
 *
 * The MMIO variants reach the outer shareable domain on aarch64, where
 * device memory lives, and name the I/O space on riscv (fence's "o"/"i").
 * Elsewhere (the host, for fuzzing and the hosted simulator) C11 fences do.
 */
#ifndef VANITY_DRIVERS_VQ_BARRIER_H
#define VANITY_DRIVERS_VQ_BARRIER_H

#if defined(__aarch64__)

#define vq_mb()     __asm__ volatile("dmb ish" ::: "memory")
#define vq_rmb()    __asm__ volatile("dmb ishld" ::: "memory")
#define vq_wmb()    __asm__ volatile("dmb ishst" ::: "memory")
#define vq_io_wmb() __asm__ volatile("dmb oshst" ::: "memory")
#define vq_io_rmb() __asm__ volatile("dmb oshld" ::: "memory")

#elif defined(__riscv)

#define vq_mb()     __asm__ volatile("fence rw, rw" ::: "memory")
#define vq_rmb()    __asm__ volatile("fence r, r" ::: "memory")
#define vq_wmb()    __asm__ volatile("fence w, w" ::: "memory")
#define vq_io_wmb() __asm__ volatile("fence w, o" ::: "memory")
#define vq_io_rmb() __asm__ volatile("fence i, r" ::: "memory")

#else

#include <stdatomic.h>

#define vq_mb()     atomic_thread_fence(memory_order_seq_cst)
#define vq_rmb()    atomic_thread_fence(memory_order_acquire)
#define vq_wmb()    atomic_thread_fence(memory_order_release)
#define vq_io_wmb() atomic_thread_fence(memory_order_seq_cst)
#define vq_io_rmb() atomic_thread_fence(memory_order_seq_cst)

#endif

#endif /* VANITY_DRIVERS_VQ_BARRIER_H */
