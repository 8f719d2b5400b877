#!/usr/bin/python3
"""The spec of a token ring of N shards with a hub (ring.c), and IDLE idle
channels besides, for the scale tests (tests/system/test_scale.py,
tests/generator/test_gen_scale.py) and the generator benchmark (bench/run.py
part 8). As a command, it prints one:
ring_spec.py N [IDLE] > DIR/ring.yaml, beside a copy of ring.c.

Shard s0 is also a hub: after the ring it fans work out to workers s1..sF
and in again (F = fan(n)). A shard has at most 64 notification bits, so one
hub serves at most 31 workers beside its two ring endpoints; a design with
more tenants gives them several hubs."""

import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
MAX_FAN = 31   # (64 notification bits - 2 ring endpoints) / 2


def fan(n):
    """How many workers the hub s0 has in a ring of n shards."""
    return min(n - 1, MAX_FAN)


def spec(n, idle=0, cores=2, name=None):
    """The spec text: shards s0..s{n-1} on cores 0..cores-1 in turn, ring
    channels r<i> from s<i> to s<i+1>, fan-out channels o<k> from s0 to s<k>
    and fan-in channels f<k> back, and idle channels i<j> spread over the
    shards but the hub, whose bits the fan-out fills: with m = n - 1, i<j>
    joins s<1 + j % m> to s<1 + (j + 1 + j // m % (m - 1)) % m>, so each has
    about 2 * idle / m of them; 4,096 channels in all leave every shard but
    the hub at most 34 endpoints at 256 shards."""
    f = fan(n)
    lines = ["vanity: 1", f"system: {name or f'ring{n}'}", "shards:"]
    for i in range(n):
        flags = [f"-DTX=vn_tx_r{i}", f"-DRX=vn_rx_r{(i - 1) % n}", f"-DN_SHARDS={n}u"]
        if i == 0:
            flags += ["-DFIRST=1", "-DFANS=" + "".join(f"F({k})" for k in range(1, f + 1))]
        elif i <= f:
            flags += [f"-DFAN_TX=vn_tx_f{i}", f"-DFAN_RX=vn_rx_o{i}", f"-DFAN={i}u"]
        lines += [f"  - name: s{i}", "    sources: [ring.c]", f"    core: {i % cores}",
                  f"    cflags: [{', '.join(flags)}]"]
        if i == 0:
            lines.append("    halt: true  # it ends the system (vn_halt)")
    lines.append("channels:")
    for i in range(n):
        lines.append(f"  - {{name: r{i}, from: s{i}, to: s{(i + 1) % n}, message: 8, depth: 4}}")
    for k in range(1, f + 1):
        lines.append(f"  - {{name: o{k}, from: s0, to: s{k}, message: 8, depth: 4}}")
        lines.append(f"  - {{name: f{k}, from: s{k}, to: s0, message: 8, depth: 4}}")
    m = n - 1
    for j in range(idle):
        a, b = 1 + j % m, 1 + (j + 1 + j // m % (m - 1)) % m
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


def done_line(n):
    """What s0 logs when the ring and the fan-out both completed."""
    return f"[s0] 20 laps of {n} shards, token {20 * n}; 8 rounds through {fan(n)} workers"


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]]
    sys.stdout.write(spec(*args))
