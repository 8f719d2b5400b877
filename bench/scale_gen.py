#!/usr/bin/python3
"""Generator time against system size (bench/run.py part 8).

For n shards and 4n channels (tests/system/scale/ring_spec.py: a ring, a
hub's fan-out and fan-in, idle channels), times each stage of `vanity gen`
in this process: parse, validate, model, render (clang-format included),
best of a few runs, in wall-clock time and in CPU time (this process's and
clang-format's: on a shared machine the wall clock also measures the
others). 1,000 shards are over the shard limit (256): that size
is generated with the generator's limits raised in this process only, to
show the growth, and `vanity check` is timed refusing it as a user sees it.
Prints one row per size and the growth ratios; --json writes the numbers.
"""

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "system" / "scale"))

import ring_spec  # noqa: E402
from generator import semantics  # noqa: E402
from generator.cli import spec_label  # noqa: E402
from generator.model import build_model  # noqa: E402
from generator.boards import BOARDS  # noqa: E402
from generator.parse import parse_file  # noqa: E402
from generator.render import render  # noqa: E402
from generator.validate import validate  # noqa: E402

SIZES = (10, 100, 256, 1000)
STAGES = ("parse", "validate", "model", "render")


def spec_for(directory, n):
    """A ring of n shards with 4n channels in all."""
    idle = 4 * n - n - 2 * ring_spec.fan(n)
    return ring_spec.write(directory, n, idle)


def _cpu():
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + kids.ru_utime + kids.ru_stime


def stages(path, board):
    c0 = _cpu()
    t = [time.perf_counter()]
    root = parse_file(path, str(path))
    t.append(time.perf_counter())
    spec, _ = validate(root, board, path.parent, ROOT)
    t.append(time.perf_counter())
    model = build_model(spec, BOARDS[spec["board"]], spec_label(path, ROOT))
    t.append(time.perf_counter())
    render(model, ROOT)
    t.append(time.perf_counter())
    return [b - a for a, b in zip(t, t[1:])] + [_cpu() - c0]


def measure(n, board, runs, work):
    path = spec_for(Path(work) / str(n), n)
    over = n > semantics.MAX_SHARDS
    saved = semantics.MAX_SHARDS, semantics.MAX_CHANNELS
    if over:
        semantics.MAX_SHARDS, semantics.MAX_CHANNELS = n, 4 * n
    try:
        best = min((stages(path, board) for _ in range(runs)), key=lambda s: s[-1])
    finally:
        semantics.MAX_SHARDS, semantics.MAX_CHANNELS = saved
    row = {"shards": n, "channels": 4 * n, "over_limit": over,
           **{s: round(v, 4) for s, v in zip(STAGES, best)}, "total": round(sum(best[:-1]), 4),
           "cpu": round(best[-1], 4)}
    if over:
        t0 = time.perf_counter()
        proc = subprocess.run(["/usr/bin/python3", str(ROOT / "vanity"), "check", str(path),
                               "--board", board], capture_output=True, text=True)
        row["check_refused_s"] = round(time.perf_counter() - t0, 3)
        row["check_error"] = proc.stderr.strip().splitlines()[0] if proc.stderr else ""
    return row


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--board", default="hosted")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--sizes", default=",".join(map(str, SIZES)))
    ap.add_argument("--json", help="write the rows here")
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="vanity-scale-") as work:
        for n in (int(x) for x in args.sizes.split(",")):
            rows.append(measure(n, args.board, args.runs, work))
    print(f"8. Generator time, board {args.board}, n shards and 4n channels "
          f"(best of {args.runs}; seconds; growth: CPU time ratio / size ratio)")
    print(f"  {'shards':>6} {'chans':>6} " + " ".join(f"{s:>9}" for s in STAGES) +
          f" {'total':>8} {'CPU':>7} {'CPU/shard':>10} {'growth':>9}")
    prev = None
    for r in rows:
        growth = "" if prev is None else \
            f"{r['cpu'] / prev['cpu']:.1f}x/{r['shards'] / prev['shards']:.1f}x"
        print(f"  {r['shards']:>6} {r['channels']:>6} " +
              " ".join(f"{r[s]:>9.3f}" for s in STAGES) +
              f" {r['total']:>8.3f} {r['cpu']:>7.3f} {1000 * r['cpu'] / r['shards']:>8.2f}ms "
              f"{growth:>9}" +
              (" (limits raised)" if r["over_limit"] else ""))
        prev = r
    for r in rows:
        if r.get("check_refused_s") is not None:
            print(f"  vanity check of {r['shards']} shards: refused in "
                  f"{r['check_refused_s']:.2f} s: {r['check_error'].split(': error: ')[-1]}")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1) + "\n")
    return rows


if __name__ == "__main__":
    main()
