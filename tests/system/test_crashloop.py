"""A restart policy at work on every board (tests/system/crashloop): looper
dies at the start of every life; its policy allows 4 restarts within 2 s,
held back 10, 20, 40 and 40 ms, then applies `then` (stop, halt, or
restart a group). Everything is judged from the kernel's trace, in the
board's own time: no restart runs before its backoff, worker (same core)
runs while looper is held, and the escalation is the configured one.

The QEMU boards run with -icount, so that guest time is the guest's own:
without it, QEMU's clock follows the host's, and the host time QEMU spends
translating the kernel's fault path the first time it runs passes between
the moment the policy reads the clock and the FAULT event's stamp.
"""

import re
import shutil
import subprocess

import pytest

from systest_lib import HERE, copy_spec, shard_of, vanity

BOARDS = ["hosted", "qemu-virt-aarch64", "qemu-virt-riscv64"]
SPEC = HERE / "crashloop" / "crashloop.yaml"
LOOPER, WORKER, BUDDY = 0, 1, 2
DELAYS = [0.010, 0.020, 0.040, 0.040]  # floor 10 ms doubled per restart, ceiling 40 ms
EARLY = 0.0002   # the fault event is stamped just after the time the policy used
LATE = 0.100     # a loaded host may run the board late; never early
TIMEOUT = 240
ICOUNT = ["--", "-icount", "shift=auto,sleep=on"]

pytestmark = pytest.mark.skipif(shutil.which("babeltrace2") is None,
                                reason="babeltrace2 is not installed (make deps)")

EVENT = re.compile(r"^\[(\d+\.\d+)\] \([^)]*\) (\w+): \{[^}]*\}, \{ (.*) \}$")


def events(trace):
    """[(seconds, name, {field: int})] from babeltrace2, in time order."""
    bt = subprocess.run(["babeltrace2", "--clock-seconds", str(trace)], capture_output=True,
                        text=True, check=True)
    out = []
    for line in bt.stdout.splitlines():
        m = EVENT.match(line)
        if m:
            fields = {k: int(v) for k, v in re.findall(r"(\w+) = (-?\d+)", m[3])}
            out.append((float(m[1]), m[2], fields))
    return out


def of(evs, name, shard):
    return [e for e in evs if e[1] == name and e[2].get("shard") == shard]


def first_after(evs, name, shard, t):
    return next(e[0] for e in evs if e[0] > t and e[1] == name and e[2].get("shard") == shard)


def run(board, work, then):
    def edit(doc):
        shard_of(doc, "looper")["on_fault"]["then"] = then
    spec = copy_spec(SPEC, work / "src", edit)
    r = vanity("run", spec, "--board", board, "-o", work / "out", "--build-dir",
               work / "build", "--trace", work / "trace",
               *(ICOUNT if board != "hosted" else []), timeout=TIMEOUT)
    return r, events(work / "trace")


def check_burst(r, evs, faults):
    """Each fault of `faults` but the last was followed by a restart held
    back by its delay, while worker ran."""
    for i, (t, delay) in enumerate(zip(faults, DELAYS)):
        back = first_after(evs, "switch_in", LOOPER, t[0])
        held = back - t[0]
        assert delay - EARLY <= held <= delay + LATE, \
            f"restart {i + 1}: held {held * 1000:.3f} ms, backoff {delay * 1000:.0f} ms{r.report}"
        ran = [e for e in of(evs, "switch_in", WORKER) if t[0] < e[0] < back]
        if delay >= 0.020:  # worker sleeps 3 ms a round: it runs in every long hold
            assert ran, f"worker did not run while looper was held {held:.3f} s{r.report}"


@pytest.fixture(scope="module", params=BOARDS)
def board(request):
    return request.param


def test_stop(board, tmp_path):
    r, evs = run(board, tmp_path, "stop")
    assert r.status == 1, r.report
    faults = of(evs, "fault", LOOPER)
    assert len(faults) == 5, r.report
    assert [e[2]["generation"] for e in of(evs, "restart", LOOPER)] == [2, 3, 4, 5], r.report
    check_burst(r, evs, faults)
    assert re.search(r"shard 'looper': on_fault=restart, restarted 4 times within 2 s, "
                     r"gave up: stopped; 2 other shards running", r.stderr), r.report
    assert re.fullmatch(r"ran \d+ rounds; looper stopped at generation 5",
                        r.log("worker")[-1]), r.report
    assert not of(evs, "switch_in", LOOPER) or \
        of(evs, "switch_in", LOOPER)[-1][0] < faults[-1][0], r.report


def test_halt(board, tmp_path):
    r, evs = run(board, tmp_path, "halt")
    assert r.status == 139, r.report  # 128 + SIGSEGV, the fault that spent the budget
    faults = of(evs, "fault", LOOPER)
    assert len(faults) == 5, r.report
    check_burst(r, evs, faults)
    [halt] = [e for e in evs if e[1] == "halt"] or [None]
    assert halt and halt[2] == {"shard": LOOPER, "status": 139}, r.report
    assert halt[0] >= faults[-1][0], r.report
    assert "shard 'looper': on_fault=restart, restarted 4 times within 2 s, gave up: " \
           "halting the system" in r.stderr, r.report
    assert not r.log("worker"), r.report


def test_group(board, tmp_path):
    """Spent, looper restarts with buddy at once (no backoff), with a fresh
    budget; spent again, it is stopped: the group restart happens once."""
    r, evs = run(board, tmp_path, {"restart": ["buddy"]})
    assert r.status == 1, r.report
    faults = of(evs, "fault", LOOPER)
    assert len(faults) == 10, r.report
    assert [e[2]["generation"] for e in of(evs, "restart", LOOPER)] == list(range(2, 11)), \
        r.report
    [buddy] = of(evs, "restart", BUDDY) or [None]
    assert buddy and buddy[2]["generation"] == 2, r.report
    group = of(evs, "restart", LOOPER)[4]
    assert faults[4][0] <= buddy[0] and faults[4][0] <= group[0] < faults[5][0], r.report
    check_burst(r, evs, faults[:5])
    check_burst(r, evs, faults[5:])
    assert r.log("buddy") == ["life", "life"], r.report
    assert "shard 'looper': on_fault=restart, restarted 4 times within 2 s, restarting " \
           "its group" in r.stderr, r.report
    assert re.search(r"shard 'looper': on_fault=restart, restarted 4 times within 2 s, "
                     r"gave up: stopped; 2 other shards running", r.stderr), r.report
    assert re.fullmatch(r"ran \d+ rounds; looper stopped at generation 10",
                        r.log("worker")[-1]), r.report
