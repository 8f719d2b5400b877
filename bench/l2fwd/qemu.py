"""The split design against run-to-completion on the QEMU boards (part of
make bench-l2fwd; `/usr/bin/python3 bench/l2fwd/qemu.py` alone).

For each board, examples/l2fwd and examples/l2fwd/split boot side by
side, each under its own QEMU with two virtio-net devices on UDP sockets
of this host (tests/system/test_l2fwd.py's Forwarder: -netdev dgram).
Then ROUNDS rounds, each a pair of measurements, one of each design in
turn (the order alternating from round to round): the design's machine
is resumed (QMP `cont`), takes FRAMES 60-byte frames into port 0 with at
most WINDOW of them in flight (sent and not yet out of port 1; below
both the 256-entry rings and QEMU's socket buffer, so none is lost), and
is paused again (QMP `stop`, which also stops its clock). Its rate is
FRAMES over the time from the first frame sent to the last received,
and the round's ratio split / l2fwd. A host that slows down for a
while slows both halves of a round, not one design. Only the running
machine's vCPU spins, and where this script may use CPUs 0 and 1, both
machines run on CPU 1 and the sender and receiver on CPU 0: the designs
never compete with the script for a CPU, nor with each other.

Each board is measured at two guest speeds:
  full     QEMU's TCG as it is: here QEMU's emulated NICs (its I/O
           thread and the host's UDP path) are the bottleneck, not the
           guest's CPU;
  slowed   the same with -singlestep (QEMU 7.2, Debian 12's; later
           QEMUs spell it -accel tcg,one-insn-per-tb=on): one guest
           instruction per translated block, no chaining, so that every
           instruction costs the host about the same, and more than it
           did: the guest's CPU is a larger part of a frame's cost, and
           the designs' own work per frame shows.

The verdict is on the median of the rounds' ratios, with its 95 %
confidence interval from the order statistics (distribution-free): met
when the whole interval is at or above 0.9, not met when it is all
below, unsettled otherwise (no verdict below six rounds). The absolute
rates are QEMU's (TCG, -netdev dgram, a Python sender), not hardware's:
read the ratio.
"""

import math
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "tests" / "system"))
sys.path.insert(0, str(REPO))
import test_l2fwd as t  # noqa: E402
from generator import live  # noqa: E402
from systest_lib import processes  # noqa: E402

BOARDS = ["qemu-virt-aarch64", "qemu-virt-riscv64"]
DESIGNS = {"l2fwd": (t.SPEC, r"^\[fwd\] \d+ buffers of", 1),
           "split": (t.SPLIT, r"^\[port\d\] port \d: \d+ buffers of", 2)}
SPEEDS = {"full": (), "slowed": ("-singlestep",)}
ROUNDS = max(2, int(os.environ.get("L2FWD_QEMU_ROUNDS", "40")))  # quartiles need two
FRAMES = int(os.environ.get("L2FWD_QEMU_FRAMES", "4000"))
WINDOW = 128
WARM = 256   # frames sent after each resume, before the measured ones
AIM = 0.9


def ready(fwd, pattern, count, timeout=t.READY_TIMEOUT):
    deadline = time.monotonic() + timeout
    while len(re.findall(pattern, fwd.output(), re.M)) < count:
        if fwd.proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the forwarder did not come up{fwd.report()}")
        time.sleep(0.1)


def frames(n):
    """n minimum-size frames into port 0, four flows."""
    return [t.data_frame(t.MAC[0], i % t.N_FLOWS, i // t.N_FLOWS, 0)[:60] for i in range(n)]


def windowed(fwd, reader, batch):
    """Sends batch into port 0, never more than WINDOW ahead of what has
    come out of port 1; returns (frames out, frames/s)."""
    base = len(reader.frames)
    t0 = time.monotonic()
    for i, f in enumerate(batch):
        deadline = time.monotonic() + 5
        while base + i - len(reader.frames) >= WINDOW and time.monotonic() < deadline:
            time.sleep(0.0002)
        fwd.send(0, f)
    reader.wait_for(base + len(batch), 5)
    got = len(reader.frames) - base
    return got, (got / max(reader.times[-1] - t0, 1e-6) if got else 0.0)


def qemu_threads(session):
    """The thread ids of the QEMU process of a system's session."""
    tids = []
    for pid, p in processes().items():
        if p[3] == session and p[0].startswith("qemu-system"):
            tids += [int(x) for x in os.listdir(f"/proc/{pid}/task")]
    return tids


def median_ci(xs):
    """The median of xs and its 95 % confidence interval: the order
    statistics x(j) and x(n+1-j), j the largest with P(B < j) <= 0.025
    for B ~ Binomial(n, 1/2); None for the interval below 6 values, where
    even the smallest and the largest cover the median less surely."""
    s, n = sorted(xs), len(xs)
    j, below = 0, 0.0
    while j < n // 2 and below + math.comb(n, j) / 2 ** n <= 0.025:
        below += math.comb(n, j) / 2 ** n
        j += 1
    return statistics.median(s), (s[j - 1], s[n - j]) if j else None


def compare(board, speed, tmp):
    """Both designs on board at speed: ({design: [rate]}, [ratio], lost)."""
    fwd, qmp, readers = {}, {}, {}
    every_cpu = os.sched_getaffinity(0)
    pin = {0, 1} <= every_cpu
    rates, ratios, lost = {d: [] for d in DESIGNS}, [], 0
    try:
        for d, (spec, _, _) in DESIGNS.items():
            fwd[d] = t.Forwarder(board, spec, tmp / f"{board}-{speed}-{d}",
                                 qemu_args=SPEEDS[speed])
        for d, (_, pattern, count) in DESIGNS.items():
            ready(fwd[d], pattern, count)
            qmp[d] = live.Qmp(live.qmp_socket(fwd[d].build / "build"))
            qmp[d].command("stop")
            if pin:
                for tid in qemu_threads(fwd[d].proc.pid):
                    try:
                        os.sched_setaffinity(tid, {1})
                    except OSError:
                        pass  # a thread that has ended
        if pin:
            os.sched_setaffinity(0, {0})  # and the reader threads made below
        for d in DESIGNS:
            readers[d] = t.Reader(fwd[d].host[1])
            readers[d].start()
        warm, batch = frames(WARM), frames(FRAMES)
        for k in range(ROUNDS):
            for d in (DESIGNS if k % 2 == 0 else reversed(DESIGNS)):
                qmp[d].command("cont")
                windowed(fwd[d], readers[d], warm)
                got, rate = windowed(fwd[d], readers[d], batch)
                qmp[d].command("stop")
                rates[d].append(rate)
                lost += len(batch) - got
            ratios.append(rates["split"][-1] / rates["l2fwd"][-1] if rates["l2fwd"][-1] else 0)
    finally:
        os.sched_setaffinity(0, every_cpu)
        for q in qmp.values():
            q.close()
        for r in readers.values():
            r.stop()
        for f in fwd.values():
            f.close()
    return rates, ratios, lost


def main():
    results = {}
    with tempfile.TemporaryDirectory(prefix="vanity-l2fwd-qemu.") as tmp:
        for board in BOARDS:
            for speed in SPEEDS:
                print(f"bench-l2fwd: l2fwd and split side by side on {board}, {speed} speed, "
                      f"{ROUNDS} rounds ...", flush=True)
                results[board, speed] = compare(board, speed, Path(tmp))
    print(f"\nQEMU boards: both designs booted side by side, {ROUNDS} rounds of one "
          f"measurement each, {FRAMES} 60-byte frames into port 0 with at most {WINDOW} "
          f"in flight; the rates are medians (quartiles)\n")
    print(f"{'board':<18} {'speed':<7} {'l2fwd kframes/s':>22} {'split kframes/s':>22} "
          f"{'split / l2fwd [95% CI]':>24} {'rounds < 0.9':>12}  aim >= 0.9x")
    for (board, speed), (rates, ratios, lost) in results.items():
        col = []
        for d in DESIGNS:
            q = statistics.quantiles(rates[d], n=4)
            col.append(f"{statistics.median(rates[d]) / 1e3:5.1f} ({q[0] / 1e3:.1f}..{q[2] / 1e3:.1f})")
        med, ci = median_ci(ratios)
        if ci is None:
            ratio, verdict = f"{med:.2f}x", "no verdict (fewer than 6 rounds)"
        else:
            ratio = f"{med:.2f}x [{ci[0]:.2f}..{ci[1]:.2f}]"
            verdict = "met" if ci[0] >= AIM else "not met" if ci[1] < AIM else "unsettled"
        below = sum(x < AIM for x in ratios)
        print(f"{board:<18} {speed:<7} {col[0]:>22} {col[1]:>22} {ratio:>24} "
              f"{f'{below} of {len(ratios)}':>12}  {verdict}"
              + (f" ({lost} frames lost)" if lost else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
