"""Latency histograms end to end on every board (docs/observability.md):
tests/system/latency/latency.yaml sends 300 messages on a channel with
`latency: true` (100 each by copy, burst and zero-copy) and takes them by
copy, burst and zero-copy. Its histogram counts exactly those 300, the
other channel has none, the percentiles are ordered and sane, and each
shard's run-time histogram holds one sample per activation, summing to its
run time."""

import json

import pytest

from systest_lib import REPO, vanity

from generator import hist, obs

BOARDS = ["hosted", "qemu-virt-aarch64", "qemu-virt-riscv64"]
SPEC = REPO / "tests" / "system" / "latency" / "latency.yaml"
TIMEOUT = 240
SENT = 300


@pytest.fixture(scope="module", params=BOARDS)
def run(request, tmp_path_factory):
    work = tmp_path_factory.mktemp(f"latency-{request.param}")
    r = vanity("run", SPEC, "--board", request.param, "-o", work / "out",
               "--build-dir", work / "build", "--trace", work / "trace", timeout=TIMEOUT)
    return r, work


def test_the_run_ends_well_and_names_the_percentiles(run):
    r, _ = run
    assert r.status == 0, r.report
    assert "receiver took 300 messages" in r.report
    assert f"vanity: latency: timed: {SENT} messages, p50 " in r.stderr, r.report
    assert "latency: done" not in r.stderr


def test_the_channel_histogram_counts_every_message(run):
    r, work = run
    s = vanity("trace", work / "trace", "--stats", "--json")
    assert s.status == 0, s.report
    stats = json.loads(s.stdout)
    assert list(stats["channels"]) == ["timed"]  # `done` has no histogram
    t = stats["channels"]["timed"]
    assert t["count"] == SENT
    order = [t[k] for k in ("p50", "p90", "p99", "p99.9", "max")]
    assert order == sorted(order), t
    assert 0 < t["max"] < 30e9, t          # ns: a transit under 30 s
    assert t["p50"] <= t["mean"] * 8 + 1000, t
    dump = obs.read_dump(work / "trace" / ".vanity.raw")
    h = obs.channel_hists(dump)
    assert set(h) == {0}
    assert sum(h[0]["buckets"]) == h[0]["count"] == SENT


def test_the_run_time_histogram_counts_activations(run):
    _, work = run
    dump = obs.read_dump(work / "trace" / ".vanity.raw")
    k = obs.decode_obs(dump.find(obs.DUMP_OBS)[-1].data)
    assert len(k.run_hists) == 2
    for st, h in zip(k.shards, k.run_hists):
        assert st["activations"] > 0
        assert h["count"] == sum(h["buckets"]) == st["activations"]
        assert h["sum"] == st["run_ticks"]  # the sum is kept once, in the counters
        assert h["max"] <= st["run_ticks"] <= h["max"] * st["activations"]
        s = hist.summary(h, k.clock_hz)
        assert s["p50"] <= s["p99"] <= s["max"]


def test_the_stats_table(run):
    _, work = run
    s = vanity("trace", work / "trace", "--stats")
    assert s.status == 0, s.report
    lines = s.stdout.splitlines()
    assert lines[0] == "latency: channel transit time"
    assert lines[1].split() == ["COUNT", "P50", "P90", "P99", "P99.9", "MAX", "MEAN"]
    assert lines[2].split()[:2] == ["timed", str(SENT)]
    assert "latency: shard run time per activation" in lines
