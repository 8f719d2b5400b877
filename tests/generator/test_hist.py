"""Latency histograms on the host (generator/hist.py): the bucket function
held equal to runtime/include/vanity/hist.h, its edges and relative error,
and the percentiles computed from buckets."""

import itertools
import random
import subprocess

import pytest

from vanity_testlib import REPO

from generator import hist, model


def test_small_values_are_exact():
    for v in range(16):
        assert hist.bucket(v) == v
        assert hist.bucket_low(v) == hist.bucket_high(v) == v


def test_every_bucket_edge():
    for b in range(hist.BUCKETS - 1):
        lo, hi = hist.bucket_low(b), hist.bucket_high(b)
        assert hist.bucket(lo) == b and hist.bucket(hi) == b
        if b:
            assert hist.bucket(lo - 1) == b - 1
        assert hi - lo + 1 <= max(1, lo // 8)  # width <= 12.5 % of the low edge
    assert hist.bucket((1 << hist.BITS) - 1) == hist.BUCKETS - 2
    assert hist.bucket(1 << hist.BITS) == hist.OVERFLOW
    assert hist.bucket(2**64 - 1) == hist.OVERFLOW
    assert hist.BUCKETS == 305 and hist.BYTES == 2472


def test_relative_error_is_bounded_over_random_values():
    rng = random.Random(11)
    for _ in range(20000):
        v = rng.randrange(1, 1 << rng.randrange(1, hist.BITS))
        b = hist.bucket(v)
        assert hist.bucket_low(b) <= v <= hist.bucket_high(b)
        assert (hist.bucket_high(b) - v) <= v * hist.MAX_RELATIVE_ERROR
        assert (v - hist.bucket_low(b)) <= v * hist.MAX_RELATIVE_ERROR


BUCKET_C = r"""
#include <stdio.h>
#include <vanity/hist.h>
int main(void)
{
	unsigned long long v;

	while (scanf("%llu", &v) == 1)
		printf("%u\n", vn_hist_bucket(v));
	return 0;
}
"""


# VN_HIST_NO_CLZ: the binary search riscv64 without Zbb compiles instead of
# a count of leading zeros.
@pytest.mark.parametrize("defs", [[], ["-DVN_HIST_NO_CLZ"]])
def test_python_buckets_are_hist_h(tmp_path, defs):
    src, exe = tmp_path / "b.c", tmp_path / "b"
    src.write_text(BUCKET_C)
    subprocess.run(["gcc", "-std=gnu11", "-O2", *defs, "-I", str(REPO / "runtime/include"),
                    str(src), "-o", str(exe)], check=True)
    rng = random.Random(7)
    values = list(range(300)) + [2**64 - 1, 1 << 40, (1 << 40) - 1]
    values += [rng.randrange(0, 1 << rng.randrange(1, 64)) for _ in range(5000)]
    for b in range(hist.BUCKETS - 1):
        values += [hist.bucket_low(b), hist.bucket_high(b)]
    out = subprocess.run([str(exe)], input="\n".join(map(str, values)) + "\n",
                         capture_output=True, text=True, check=True).stdout.split()
    assert [int(x) for x in out] == [hist.bucket(v) for v in values]


def _hist(values):
    buckets = [0] * hist.BUCKETS
    for v in values:
        buckets[hist.bucket(v)] += 1
    return {"count": len(values), "sum": sum(values), "max": max(values), "buckets": buckets}


def test_percentiles_are_within_the_bucket_error():
    rng = random.Random(3)
    values = [int(rng.lognormvariate(8, 1.5)) for _ in range(10001)]
    s = hist.summary(_hist(values))
    ordered = sorted(values)
    for name, q in hist.PERCENTILES:
        exact = ordered[-(-int(q * 1000) * len(values) // 100000) - 1]
        assert exact <= s[name] <= exact + exact * hist.MAX_RELATIVE_ERROR, name
    assert s["max"] == ordered[-1] and s["count"] == len(values)
    assert s["p50"] <= s["p90"] <= s["p99"] <= s["p99.9"] <= s["max"]
    assert abs(s["mean"] - sum(values) / len(values)) < 1e-6


def test_percentiles_of_exact_values_and_edge_cases():
    s = hist.summary(_hist([5] * 99 + [12]))
    assert (s["p50"], s["p90"], s["p99"], s["p99.9"], s["max"]) == (5, 5, 5, 12, 12)
    # capped by the exact max, also in the overflow bucket
    s = hist.summary(_hist([1000, 1 << 50]))
    assert s["p50"] == hist.bucket_high(hist.bucket(1000)) and s["p99"] == 1 << 50
    empty = hist.summary({"count": 0, "sum": 0, "max": 0, "buckets": [0] * hist.BUCKETS})
    assert empty["count"] == 0 and empty["p50"] is None and empty["max"] is None
    # ns from ticks: 1 GHz -> 1 tick per ns; 100 MHz -> 10 ns per tick
    assert hist.summary(_hist([7]), clock_hz=100_000_000)["p50"] == 70.0


def test_model_ring_offsets_are_ring_h(tmp_path):
    src = tmp_path / "ring.c"
    checks = []
    for (m, d), q in itertools.product(((8, 256), (24, 8), (1514, 64), (64, 2), (3, 4096),
                                        (60, 16)), (0, 1)):
        checks.append(f"_Static_assert(VN_RING_STRIDE({m}, {q}) == "
                      f"{model.ring_stride(m, q)}, \"stride\");")
        checks.append(f"_Static_assert(VN_RING_BYTES({m}, {d}, {q}) == "
                      f"{model.ring_bytes(m, d, False, q)}, \"bytes\");")
        checks.append(f"_Static_assert(VN_RING_STAMPS_OFFSET({m}, {d}, {q}) == "
                      f"{model.ring_stamps_offset(m, d, q)}, \"stamps\");")
        checks.append(f"_Static_assert(VN_RING_HIST_OFFSET({m}, {d}, {q}) == "
                      f"{model.ring_hist_offset(m, d, q)}, \"hist\");")
        checks.append(f"_Static_assert(VN_RING_LATENCY_BYTES({m}, {d}, {q}) == "
                      f"{model.ring_bytes(m, d, True, q)}, \"latency bytes\");")
    src.write_text("#include <vanity/ring.h>\n" + "\n".join(checks) + "\n")
    proc = subprocess.run(["gcc", "-std=gnu11", "-fsyntax-only", "-I",
                           str(REPO / "runtime/include"), str(src)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
