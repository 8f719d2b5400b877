"""Tracing end to end on every board (docs/observability.md): a traced run of
tests/system/obs/traced.yaml leaves a CTF trace that babeltrace2 decodes,
with every kernel event a system without devices can have (the console
example's traced run has the device ones: test_console.py), a user event
whose fields take every type at its extremes and come back exactly, and a
shard ring that overflowed with its dropped records counted. A trace read
with the wrong spec, or a directory that holds none, is a clear error. A
shard that writes over its own ring's header loses that ring alone.
"""

import re
import shutil
import subprocess

import pytest

from systest_lib import REPO, copy_example, copy_spec, vanity

BOARDS = ["hosted", "qemu-virt-aarch64", "qemu-virt-riscv64"]
SPEC = REPO / "tests" / "system" / "obs" / "traced.yaml"
TIMEOUT = 240

pytestmark = pytest.mark.skipif(shutil.which("babeltrace2") is None,
                                reason="babeltrace2 is not installed (make deps)")


@pytest.fixture(scope="module", params=BOARDS)
def traced(request, tmp_path_factory):
    work = tmp_path_factory.mktemp(f"traced-{request.param}")
    r = vanity("run", SPEC, "--board", request.param, "-o", work / "out",
               "--build-dir", work / "build", "--trace", work / "trace", timeout=TIMEOUT)
    bt = subprocess.run(["babeltrace2", str(work / "trace")], capture_output=True, text=True)
    return r, bt, work


def events(bt):
    return re.findall(r"\) (\w+): \{", bt.stdout)


def test_the_run_and_its_trace(traced):
    r, bt, _ = traced
    assert r.status == 0, r.report
    assert re.search(r"^vanity: trace: .*: \d+ records from 4 rings, 39 dropped", r.stderr,
                     re.M), r.report
    assert bt.returncode == 0, bt.stderr


def test_every_kernel_event_but_the_devices(traced):
    _, bt, _ = traced
    seen = set(events(bt))
    for ev in ("switch_in", "switch_out", "wake", "notify", "fault", "watchdog", "restart",
               "halt", "exit"):
        assert ev in seen, f"no {ev} event:\n{bt.stdout[-3000:]}"
    assert re.search(r"watchdog: .*\{ shard = 2, budget_ns = 50000000, late_ns = \d+ \}",
                     bt.stdout)
    assert re.search(r"restart: .*\{ shard = 2, generation = 3 \}", bt.stdout)
    assert re.search(r"halt: .*\{ shard = 0, status = 0 \}", bt.stdout)
    assert re.search(r"switch_out: .*\{ shard = 2, reason = \( \"fault\"", bt.stdout)


def test_every_wake_names_its_waker(traced):
    """Every wait in traced is for a message or for space, with no timeout,
    so each wake-up names the shard whose notification woke it: on hosted
    too, where a peer wakes a parked shard without the kernel (the shard
    says through which endpoint, docs/hosted.md)."""
    _, bt, _ = traced
    wakes = re.findall(r"\) wake: .*\{ shard = (\d+), by = (\d+) \}", bt.stdout)
    assert wakes, bt.stdout[-3000:]
    assert all(by in {"0", "1", "2"} and by != shard for shard, by in wakes), wakes


def test_user_event_fields_round_trip(traced):
    _, bt, _ = traced
    samples = [line.split("}, ", 1)[1] for line in bt.stdout.splitlines() if ") sample: " in line]
    assert samples == [
        '{ small = 255, neg = -32768, word = 4294967295, big = -9223372036854775808, '
        'kind = ( "gamma" : container = 2 ), '
        'tag = [ [0] = 0x41, [1] = 0x42, [2] = 0x43, [3] = 0x44 ] }',
        '{ small = 0, neg = 32767, word = 0, big = 9223372036854775807, '
        'kind = ( "alpha" : container = 0 ), '
        'tag = [ [0] = 0x0, [1] = 0x1, [2] = 0x2, [3] = 0x3 ] }',
        '{ small = 7, neg = -1, word = 123456789, big = -42, '
        'kind = ( "beta" : container = 1 ), '
        'tag = [ [0] = 0x77, [1] = 0x78, [2] = 0x79, [3] = 0x7A ] }',
    ], bt.stdout[-3000:]


def test_an_overflowing_ring_keeps_the_newest_and_counts_the_rest(traced):
    """talker's ring holds 64 records: 100 ticks and 3 samples overflow it
    by 39, so ticks 39..99 remain, in order, and babeltrace2 is told."""
    _, bt, _ = traced
    ticks = [int(n) for n in re.findall(r"\) tick: .*\{ n = (\d+) \}", bt.stdout)]
    assert ticks == list(range(39, 100)), ticks
    assert re.search(r"discarded 39 events .* within stream \".*shard0_talker\"", bt.stderr,
                     re.S), bt.stderr


def test_tracing_off_records_nothing_of_the_shard(traced):
    """echo has trace: 0: no ring, no stream; the kernel still records it."""
    _, bt, work = traced
    assert not (work / "trace" / "shard1_echo").exists()
    assert re.search(r"switch_in: .*\{ shard = 1 \}", bt.stdout)


def test_perfetto(traced):
    _, _, work = traced
    r = vanity("trace", work / "trace", "--perfetto", work / "p.json")
    assert r.status == 0, r.report
    import json
    slices = {e["name"] for e in json.loads((work / "p.json").read_text())["traceEvents"]
              if e["ph"] == "X"}
    assert slices == {"talker", "echo", "crasher"}


@pytest.mark.parametrize("board", BOARDS)
def test_a_shard_that_garbles_its_ring_loses_its_ring_alone(board, tmp_path):
    """crasher writes over its trace ring's header as it starts (its
    -DGARBLE_TRACE): the run and its trace complete, the trace says which
    ring it left out and why, and babeltrace2 reads the kernel's rings and
    talker's, whole."""
    def edit(doc):
        crasher = next(s for s in doc["shards"] if s["name"] == "crasher")
        crasher["cflags"] = ["-DGARBLE_TRACE"]
    spec = copy_spec(SPEC, tmp_path / "src", edit)
    r = vanity("run", spec, "--board", board, "-o", tmp_path / "out",
               "--build-dir", tmp_path / "build", "--trace", tmp_path / "trace",
               timeout=TIMEOUT)
    assert r.status == 0, r.report
    assert "vanity: warning: trace ring shard2_crasher left out: corrupt: trace ring magic " \
        "0x5a5a5a5a, expected 0x72546e56" in r.stderr.splitlines(), r.report
    assert re.search(r"^vanity: trace: .*: \d+ records from 3 rings, 39 dropped", r.stderr,
                     re.M), r.report
    bt = subprocess.run(["babeltrace2", str(tmp_path / "trace")], capture_output=True,
                        text=True)
    assert bt.returncode == 0, bt.stderr
    assert {"switch_in", "fault", "halt", "sample", "tick"} <= set(events(bt)), bt.stdout[-3000:]
    t = vanity("trace", tmp_path / "trace")
    assert t.status == 0 and "left out: corrupt: trace ring magic" in t.stderr, t.report


def test_wrong_spec_and_bad_directory(traced, tmp_path):
    r, _, work = traced
    board = re.search(r"system 'traced' \(([\w-]+)\)", r.stderr)[1]
    other = copy_example(SPEC, tmp_path, lambda doc: doc["events"][1]["fields"].append(
        {"name": "m", "type": "u8"}))
    r = vanity("gen", other, "--board", board, "-o", tmp_path / "out")
    assert r.status == 0, r.report
    r = vanity("trace", work / "trace", "--spec", other, "--board", board, "-o", tmp_path / "out")
    assert r.status != 0 and "schema hash" in r.stderr and "Traceback" not in r.stderr, r.report
    (tmp_path / "empty").mkdir()
    r = vanity("trace", tmp_path / "empty")
    assert r.status != 0 and r.stderr.startswith("vanity: error: ") and \
        "Traceback" not in r.stderr, r.report
