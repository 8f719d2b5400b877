/*
 * hist.c - vn_hist_log(): a shard's latency histogram (vanity/hist.h) in
 * its log, for the statistics it prints itself. Host tools read the
 * histograms the system declares (channels with `latency: true`, shards'
 * run times) from memory instead: docs/observability.md.
 */
#include <vanity.h>
#include <vanity/clock.h>
#include <vanity/hist.h>

void vn_hist_log(const char *what, const struct vn_hist *h, uint64_t since_ticks,
		 uint64_t since_ns)
{
	uint64_t dt = vn_clock() - since_ticks, dns = vn_now() - since_ns;
	uint64_t ps = dt ? dns * 1000u / dt : 0; /* per tick */
	uint64_t n = vn_hist_count(h);

	vn_log("%s: %llu samples, mean %llu ns, max %llu ns", what, (unsigned long long)n,
	       (unsigned long long)(n ? h->sum / n * ps / 1000u : 0),
	       (unsigned long long)(h->max * ps / 1000u));
	for (uint32_t b = 0; b < VN_HIST_BUCKETS;) {
		/* buckets 0..15 (exact ticks), then 8 per power of two */
		uint32_t end = b < 16 ? 16 : b + 8 > VN_HIST_BUCKETS ? VN_HIST_BUCKETS : b + 8;
		uint64_t c = 0;

		for (uint32_t i = b; i < end; i++)
			c += h->bucket[i];
		if (c && end < VN_HIST_BUCKETS)
			vn_log("  below %12llu ns: %llu",
			       (unsigned long long)((1ull << (end / 8 + 2)) * ps / 1000u),
			       (unsigned long long)c);
		else if (c)
			vn_log("  beyond: %llu", (unsigned long long)c);
		b = end;
	}
}
