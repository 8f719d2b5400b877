"""Latency histograms on the host: the bucket scheme of
runtime/include/vanity/hist.h and the percentiles computed from it.

Buckets of clock ticks: values below 16 have a bucket each; above, each
power of two [2^e, 2^(e+1)) is cut into 8 equal sub-buckets of width
2^(e-3), so a value and either edge of its bucket are within 12.5 % of each
other. Values of 2^BITS ticks or more share the last (overflow) bucket.
One function serves `vanity top`, `vanity trace --stats` and the tests.
"""

import struct

SUB_BITS = 3                            # VN_HIST_SUB_BITS: 8 sub-buckets
SUB = 1 << SUB_BITS
BITS = 40                               # VN_HIST_BITS
BUCKETS = ((BITS - SUB_BITS + 1) << SUB_BITS) | 1   # VN_HIST_BUCKETS: 305
OVERFLOW = BUCKETS - 1
HEADER = struct.Struct("<QQQQ")         # struct vn_hist: reserved0, sum, max, reserved1
BYTES = HEADER.size + 8 * BUCKETS       # sizeof(struct vn_hist)
PERCENTILES = (("p50", 50.0), ("p90", 90.0), ("p99", 99.0), ("p99.9", 99.9))
MAX_RELATIVE_ERROR = 1.0 / SUB          # 12.5 %


def bucket(v):
    """vn_hist_bucket(): the bucket of v ticks."""
    if v < 2 * SUB:
        return v
    e = v.bit_length() - 1
    if e >= BITS:
        return OVERFLOW
    return ((e - SUB_BITS + 1) << SUB_BITS) | ((v >> (e - SUB_BITS)) & (SUB - 1))


def bucket_low(b):
    """The smallest value of bucket b."""
    if b < 2 * SUB:
        return b
    if b >= OVERFLOW:
        return 1 << BITS
    e = (b >> SUB_BITS) + SUB_BITS - 1
    return (SUB + (b & (SUB - 1))) << (e - SUB_BITS)


def bucket_high(b):
    """The largest value of bucket b (None: the overflow bucket has none)."""
    if b >= OVERFLOW:
        return None
    return bucket_low(b + 1) - 1


def decode(buf, source="histogram"):
    """struct vn_hist as a dict: count (the buckets' total: the struct keeps
    none), sum, max and the list of buckets."""
    from .errors import fail
    if len(buf) < BYTES:
        raise fail(f"{source}: truncated: a histogram of {len(buf)} bytes, not {BYTES}")
    _, total, vmax, _ = HEADER.unpack_from(buf)
    buckets = list(struct.unpack_from(f"<{BUCKETS}Q", buf, HEADER.size))
    return {"count": sum(buckets), "sum": total, "max": vmax, "buckets": buckets}


def percentile(buckets, q, vmax=None):
    """The value below which q percent of the samples lie, as the upper edge
    of the bucket that holds the sample of rank ceil(q/100 * n): never below
    the true value, at most 12.5 % above it; capped at vmax (the exact
    largest sample) where vmax lies in that bucket, and vmax stands for the
    overflow bucket. None when there are no samples."""
    n = sum(buckets)
    if n == 0:
        return None
    rank = max(1, -(-int(round(q * n * 1000)) // 100000))  # ceil(q/100 * n), exactly
    seen = 0
    for b, c in enumerate(buckets):
        seen += c
        if seen >= rank:
            high = bucket_high(b)
            if high is None:
                return vmax if vmax is not None and vmax >= bucket_low(b) else bucket_low(b)
            return min(high, vmax) if vmax is not None and vmax >= bucket_low(b) else high
    return vmax


def inconsistency(h):
    """Why a decoded histogram's max or sum cannot be true of its buckets,
    or None. A channel's histogram lies in memory its consumer shard writes,
    and says only what the shard says. Its writer counts a sample in its
    bucket, then in the max, then in the sum, and a reader copies the sum
    and the max before the buckets, so a live copy (or a shard stopped
    mid-sample) may show a few samples in the buckets that the max and the
    sum do not have yet: up to `lag` of them, the largest, are allowed for.
    A max above its highest bucket, or a sum above what the buckets can
    hold, no honest copy shows. Not for the kernel's run-time histograms,
    which no shard writes (their sum is the kernel's run_ticks, another
    word)."""
    buckets, vmax = h["buckets"], h["max"]
    used = [b for b, c in enumerate(buckets) if c]
    if not used:
        return None
    n = sum(buckets)
    lag = max(2, n // 100)
    top = bucket_high(used[-1])
    if top is not None and vmax > top:
        return f"max {vmax} is above its highest bucket holding a sample (up to {top})"
    if sum(buckets[b] for b in used if bucket_low(b) > vmax) > lag:
        return f"max {vmax} is below more samples than a copy in flight can hold"
    spare, in_flight = lag, 0  # the lag largest samples' low edges, from the top
    for b in reversed(used):
        k = min(buckets[b], spare)
        in_flight, spare = in_flight + k * bucket_low(b), spare - k
        if not spare:
            break
    least = sum(buckets[b] * bucket_low(b) for b in used) - in_flight
    most = None if top is None else sum(buckets[b] * bucket_high(b) for b in used)
    if "sum" in h and (h["sum"] < least or (most is not None and h["sum"] > most)):
        return f"sum {h['sum']} is outside what the buckets allow"
    return None


def summary(h, clock_hz=None, trusted=False):
    """Percentiles of a decoded histogram (decode()): {"count", "p50", "p90",
    "p99", "p99.9", "max", "mean"} in ticks, or in ns when clock_hz is given
    (then floats, rounded to 0.1 ns). Percentiles are None without samples.
    Unless trusted (the kernel's own), a max or sum the buckets contradict
    (inconsistency()) is not shown: both are None, the percentiles are the
    buckets' edges alone, and "inconsistent" says why."""
    buckets, vmax = h["buckets"], h["max"]
    n = sum(buckets)
    out = {"count": h.get("count", n)}
    why = None if trusted else inconsistency(h)
    if why:
        out["inconsistent"], vmax, h = why, None, {k: v for k, v in h.items() if k != "sum"}
    vals = {name: percentile(buckets, q, vmax) for name, q in PERCENTILES}
    vals["max"] = vmax if n else None
    vals["mean"] = (h["sum"] / n) if n and "sum" in h else None
    for k, v in vals.items():
        if v is not None and clock_hz:
            v = round(v * 1e9 / clock_hz, 1)
        out[k] = v
    return out


def inconsistent_suffix(s):
    """The note a table row of summary() s ends with when its histogram
    does not add up, else nothing."""
    return f"  (inconsistent: {s['inconsistent']})" if s.get("inconsistent") else ""


def format_ns(v):
    """A duration in ns for a column: ns, us, ms or s, 3 significant digits."""
    if v is None:
        return "-"
    for unit, div in (("s", 1e9), ("ms", 1e6), ("us", 1e3)):
        if v >= div:
            return f"{v / div:.3g}{unit}"
    return f"{v:.3g}ns"
