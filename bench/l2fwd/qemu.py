"""The split design against run-to-completion on the QEMU boards (part of
make bench-l2fwd; `/usr/bin/python3 bench/l2fwd/qemu.py` alone).

For each board, examples/l2fwd and examples/l2fwd/split boot in turn
under QEMU with two virtio-net devices on UDP sockets of this host
(tests/system/test_l2fwd.py's Forwarder: -netdev dgram). Each gets ROUNDS
bursts of FRAMES frames into port 0 as fast as the host sends them; the
rate is what comes out of port 1 per second, from the first frame sent to
the last received, and `delivered` the share of the frames sent that came
out. Both designs run the same driver on the same emulated CPUs, so their
ratio is the design's cost; the absolute rates are QEMU's (TCG, its
-netdev dgram backend and a Python sender), not hardware's.

The designs boot alternately, PAIRS times each (l2fwd, split, l2fwd,
split, ...), and each pair gives a ratio, split / l2fwd of the medians of
its two boots' bursts: a host that slows down for a while slows both
designs of a pair rather than one. Prints one row per board and design
(the median and spread of all its bursts), each pair's ratio, and their
median with the verdict.
"""

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
import test_l2fwd as t  # noqa: E402

BOARDS = ["qemu-virt-aarch64", "qemu-virt-riscv64"]
DESIGNS = {"l2fwd": (t.SPEC, r"^\[fwd\] \d+ buffers of", 1),
           "split": (t.SPLIT, r"^\[port\d\] port \d: \d+ buffers of", 2)}
ROUNDS = int(os.environ.get("L2FWD_QEMU_ROUNDS", "5"))
FRAMES = int(os.environ.get("L2FWD_QEMU_FRAMES", "2000"))
PAIRS = int(os.environ.get("L2FWD_QEMU_PAIRS", "2"))


def ready(fwd, pattern, count, timeout=t.READY_TIMEOUT):
    deadline = time.monotonic() + timeout
    while len(re.findall(pattern, fwd.output(), re.M)) < count:
        if fwd.proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the forwarder did not come up{fwd.report()}")
        time.sleep(0.1)


def measure(board, design, work):
    spec, pattern, count = DESIGNS[design]
    fwd = t.Forwarder(board, spec, work)
    readers = [t.Reader(s) for s in fwd.host]
    try:
        for r in readers:
            r.start()
        ready(fwd, pattern, count)
        t.burst_throughput(fwd, readers, 200)  # warm up
        return [t.burst_throughput(fwd, readers, FRAMES) for _ in range(ROUNDS)]
    finally:
        for r in readers:
            r.stop()
        fwd.close()


def main():
    rates, ratios = {}, {}
    with tempfile.TemporaryDirectory(prefix="vanity-l2fwd-qemu.") as tmp:
        for board in BOARDS:
            for i in range(PAIRS):
                med = {}
                for design in DESIGNS:
                    print(f"bench-l2fwd: {design} on {board} ({i + 1} of {PAIRS}) ...",
                          flush=True)
                    runs = measure(board, design, Path(tmp) / f"{board}-{design}-{i}")
                    rates.setdefault((board, design), []).extend(runs)
                    med[design] = statistics.median(rate for _, rate in runs)
                ratios.setdefault(board, []).append(
                    med["split"] / med["l2fwd"] if med["l2fwd"] else 0)
    print(f"\nQEMU boards: {PAIRS} boots of each design, alternated, each {ROUNDS} bursts "
          f"of {FRAMES} frames (60-1514 bytes) into port 0, as fast as this host sends them\n")
    print(f"{'board':<20} {'design':<7} {'kframes/s':>10} {'spread':>16} {'delivered':>10}")
    for (board, design), runs in rates.items():
        r = [rate for _, rate in runs]
        got = sum(n for n, _ in runs) / (FRAMES * len(runs))
        print(f"{board:<20} {design:<7} {statistics.median(r) / 1e3:10.1f} "
              f"{min(r) / 1e3:7.1f}..{max(r) / 1e3:<7.1f} {got:10.1%}")
    for board in BOARDS:
        r = ratios[board]
        ratio, met = statistics.median(r), sum(x >= 0.9 for x in r)
        print(f"{board}: split / l2fwd {ratio:.2f}x (pairs: "
              f"{', '.join(f'{x:.2f}' for x in r)}; aim >= 0.9x: "
              f"{'met' if ratio >= 0.9 else 'not met'}, in {met} of {len(r)} pairs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
