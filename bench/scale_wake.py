#!/usr/bin/python3
"""Guest instructions per hop of a token ring, 2 shards against 256
(bench/run.py part 9): is the kernel's per-call cost independent of the
number of shards?

Builds tests/system/scale's ring (ring_spec.py, ring.c) of each size and
boots it on both QEMU boards under -icount shift=0, where the guest clock
advances 1 ns per instruction. Shard s0 logs the clock ticks its 20 laps
took; a hop is one shard's receive, send (a notification to a shard
sleeping on the other core), wait, and the wake-up and switch that follow,
so ticks x (1e9 / clock Hz) / hops is instructions per hop. Shards
alternate between two cores, so every hop crosses cores, at every size.
The 256-shard build takes minutes; later runs reuse it.
"""

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "system" / "scale"))
import ring_spec  # noqa: E402

GUEST_HZ = {"qemu-virt-aarch64": 62500000, "qemu-virt-riscv64": 10000000}
TICKS = re.compile(r"ring-ticks hops=(\d+) ticks=(\d+)")


def measure(board, n, work):
    d = Path(work) / board / str(n)
    spec = ring_spec.write(d / "src", n)
    base = ["/usr/bin/python3", str(ROOT / "vanity")]
    where = [str(spec), "--board", board, "-o", str(d / "out"), "--build-dir", str(d / "build")]
    proc = subprocess.run(base + ["build", *where], capture_output=True, text=True)
    if proc.returncode != 0:
        return {"why": (proc.stderr.strip().splitlines() or ["build failed"])[-1]}
    proc = subprocess.run(base + ["run", *where, "--", "-icount", "shift=0"],
                          capture_output=True, text=True, timeout=1800,
                          env=dict(os.environ, VANITY_QEMU_TIMEOUT="1700"))
    m = TICKS.search(proc.stdout)
    if proc.returncode != 0 or not m:
        return {"why": (proc.stdout + proc.stderr).strip().splitlines()[-1:]}
    hops, ticks = int(m.group(1)), int(m.group(2))
    per_hop = ticks * 1e9 / GUEST_HZ[board] / hops
    return {"hops": hops, "ticks": ticks, "per_hop": round(per_hop, 1),
            "resolution": round(1e9 / GUEST_HZ[board] / hops, 3)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="2,256")
    ap.add_argument("--work", default=str(ROOT / "build" / "bench" / "scale"))
    ap.add_argument("--json", help="write the results here")
    args = ap.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")]
    res = {b: {n: measure(b, n, args.work) for n in sizes} for b in GUEST_HZ}
    print("9. Guest instructions per ring hop (send, cross-core wake, switch, "
          "receive), QEMU -icount shift=0")
    print(f"  {'board':<20} " + " ".join(f"{f'{n} shards':>12}" for n in sizes) + "  ratio")
    for board, row in res.items():
        cells = [f"{row[n]['per_hop']:>12.1f}" if "per_hop" in row[n] else f"{'n/a':>12}"
                 for n in sizes]
        ok = all("per_hop" in row[n] for n in sizes)
        ratio = f"{row[sizes[-1]]['per_hop'] / row[sizes[0]]['per_hop']:.2f}" if ok else ""
        print(f"  {board:<20} " + " ".join(cells) + f"  {ratio}")
        for n in sizes:
            if "why" in row[n]:
                print(f"    {n} shards: {row[n]['why']}")
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=1) + "\n")
    return res


if __name__ == "__main__":
    main()
