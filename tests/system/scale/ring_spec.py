#!/usr/bin/python3
"""The spec of a token ring of N shards (ring.c), with IDLE idle channels
besides the ring's, for the scale tests (tests/system/test_scale.py,
tests/generator/test_gen_scale.py). As a command, it prints one:
ring_spec.py N [IDLE] > DIR/ring.yaml, beside a copy of ring.c."""

import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def spec(n, idle=0, cores=2, name=None):
    """The spec text: shards s0..s{n-1} on cores 0..cores-1 in turn, ring
    channels r<i> from s<i> to s<i+1>, and idle channels i<j> spread over
    the shards (i<j> joins s<j % n> to s<(j + 1 + j // n % (n - 1)) % n>, so
    every shard has about 2 * idle / n of them; 31 * n fill every shard's
    64 notification bits)."""
    lines = ["vanity: 1", f"system: {name or f'ring{n}'}", "shards:"]
    for i in range(n):
        flags = [f"-DTX=vn_tx_r{i}", f"-DRX=vn_rx_r{(i - 1) % n}", f"-DN_SHARDS={n}u"]
        if i == 0:
            flags.append("-DFIRST=1")
        lines += [f"  - name: s{i}", "    sources: [ring.c]", f"    core: {i % cores}",
                  f"    cflags: [{', '.join(flags)}]"]
    lines.append("channels:")
    for i in range(n):
        lines.append(f"  - {{name: r{i}, from: s{i}, to: s{(i + 1) % n}, message: 8, depth: 4}}")
    for j in range(idle):
        a, b = j % n, (j + 1 + j // n % (n - 1)) % n
        lines.append(f"  - {{name: i{j}, from: s{a}, to: s{b}, message: 8, depth: 4}}")
    return "\n".join(lines) + "\n"


def write(directory, n, idle=0, cores=2):
    """Writes directory/ring.yaml and ring.c; returns the spec's path."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    shutil.copy(HERE / "ring.c", directory / "ring.c")
    path = directory / "ring.yaml"
    path.write_text(spec(n, idle, cores))
    return path


def largest(board, workdir, top):
    """The most shards, at most top, of a ring the validator accepts on
    board, by bisection over specs written under workdir."""
    import argparse
    if str(HERE.parents[2]) not in sys.path:
        sys.path.insert(0, str(HERE.parents[2]))
    from generator.cli import load
    from generator.errors import SpecError
    lo, hi = 2, top + 1               # lo is accepted, hi is not
    while hi - lo > 1:
        mid = (lo + hi) // 2
        try:
            load(argparse.Namespace(spec=str(write(Path(workdir) / str(mid), mid)),
                                    board=board))
            lo = mid
        except SpecError:
            hi = mid
    return lo


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]]
    sys.stdout.write(spec(*args))
