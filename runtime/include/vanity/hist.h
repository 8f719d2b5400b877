/*
 * vanity/hist.h - latency histograms: HDR-style log-linear buckets of clock
 * ticks, with a bounded relative error and one writer each.
 *
 * Buckets: values below 16 ticks have a bucket each (exact); above, each
 * power of two [2^e, 2^(e+1)) is cut into 8 equal sub-buckets of width
 * 2^(e-3), so a bucket's width is at most 1/8 of its lower edge: any value
 * in it is within 12.5 % of either edge. Values of 2^VN_HIST_BITS ticks or
 * more (minutes at GHz rates) share the last bucket, whose value host tools
 * take from `max`, which is exact.
 *
 * A sample is a bucket's increment, and the sum and the maximum. The count
 * of samples is the buckets' total (vn_hist_count), kept nowhere else, so
 * no reader sees a count that disagrees with the buckets. A histogram whose
 * sum is kept elsewhere takes vn_hist_sample alone (a shard's run time: its
 * sum is struct vn_shard_stats's run_ticks).
 *
 * Used for a channel's transit time (vanity/ring.h, channels with
 * `latency: true`: the consumer adds now - the producer's stamp) and for a
 * shard's run time per activation (struct vn_obs, the kernel adds it when
 * the shard leaves its core). generator/hist.py is the host side; tests
 * hold the two equal.
 */
#ifndef VANITY_HIST_H
#define VANITY_HIST_H

#include <stddef.h>
#include <stdint.h>

#define VN_HIST_SUB_BITS 3u /* 8 sub-buckets per power of two */
#define VN_HIST_BITS 40u    /* values below 2^40 ticks are bucketed */
/* (VN_HIST_BITS - 2) * 8 buckets below 2^VN_HIST_BITS, and the overflow one. */
#define VN_HIST_BUCKETS ((VN_HIST_BITS - VN_HIST_SUB_BITS + 1u) << VN_HIST_SUB_BITS | 1u)

struct vn_hist {
	uint64_t reserved0; /* 0: the count is the buckets' total (vn_hist_count) */
	uint64_t sum;       /* of the samples' ticks (the mean is sum / count) */
	uint64_t max;       /* the largest, exactly */
	uint64_t reserved1;
	uint64_t bucket[VN_HIST_BUCKETS];
};

_Static_assert(VN_HIST_BUCKETS == 305, "histogram layout (generator/hist.py)");
_Static_assert(sizeof(struct vn_hist) == 32 + 8 * 305, "histogram layout");

/* The index of v's highest set bit (v > 0). Without a count-leading-zeros
 * instruction (riscv64 without Zbb) a binary search in registers rather
 * than libgcc's __clzdi2: a call there makes the kernel's switch path save
 * and restore every callee-saved register, whether it is taken or not. */
static inline uint32_t vn_hist_log2(uint64_t v)
{
#if defined(VN_HIST_NO_CLZ) || (defined(__riscv) && !defined(__riscv_zbb))
	uint32_t e = 0;

	if (v >> 32) {
		e += 32;
		v >>= 32;
	}
	if (v >> 16) {
		e += 16;
		v >>= 16;
	}
	if (v >> 8) {
		e += 8;
		v >>= 8;
	}
	if (v >> 4) {
		e += 4;
		v >>= 4;
	}
	if (v >> 2) {
		e += 2;
		v >>= 2;
	}
	return e + (uint32_t)(v >> 1);
#else
	return 63u - (uint32_t)__builtin_clzll(v);
#endif
}

/* The bucket of v ticks: a compare, a count of leading zeros, two shifts
 * and an add. From 16 up, with s = log2(v) - 3, v >> s is v's top four
 * bits, 8 to 15: the power of two's first bucket, (s + 1) << 3, plus its
 * sub-bucket, less 8. An index, computed in 64 bits: no extension of a
 * 32-bit result before it is used (two instructions on riscv64). */
static inline size_t vn_hist_bucket(uint64_t v)
{
	uint64_t s;

	if (v < (2u << VN_HIST_SUB_BITS))
		return (size_t)v;
	s = vn_hist_log2(v) - VN_HIST_SUB_BITS;
	if (s >= VN_HIST_BITS - VN_HIST_SUB_BITS)
		return VN_HIST_BUCKETS - 1u;
	return (size_t)((s << VN_HIST_SUB_BITS) + (v >> s));
}

/* Add one sample to the buckets and the maximum, not the sum; the
 * histogram's single writer only. */
static inline void vn_hist_sample(struct vn_hist *h, uint64_t v)
{
	h->bucket[vn_hist_bucket(v)]++;
	if (v > h->max)
		h->max = v;
}

/* Add one sample; the histogram's single writer only. */
static inline void vn_hist_add(struct vn_hist *h, uint64_t v)
{
	vn_hist_sample(h, v);
	h->sum += v;
}

/* The samples added: the buckets' total. */
static inline uint64_t vn_hist_count(const struct vn_hist *h)
{
	uint64_t n = 0;

	for (uint32_t b = 0; b < VN_HIST_BUCKETS; b++)
		n += h->bucket[b];
	return n;
}

/* A shard's own histogram to its log (runtime/lib/hist.c): "WHAT: N
 * samples, mean M ns, max X ns", then the samples by power of two. Ticks
 * become ns at the rate the clock ran since (since_ticks, since_ns): a
 * vn_clock() and a vn_now() the shard read when it started counting. */
void vn_hist_log(const char *what, const struct vn_hist *h, uint64_t since_ticks,
		 uint64_t since_ns);

#endif /* VANITY_HIST_H */
