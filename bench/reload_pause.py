#!/usr/bin/python3
"""The pause a hot reload causes, and what it costs the rest of the system
(bench/run.py part 10).

bench/reload/reload.yaml streams messages src -> worker -> sink as fast as
they go, and osrc -> odst on other cores. Each board runs it twice, side by
side in one bench run: once untouched, once with `vanity reload` swapping
worker between two builds (VERSION=2 and VERSION=1) every RELOAD_EVERY
seconds; worker quiesces into its handoff region each time. The sink logs
the gap between the old version's last message and the new version's
first: the pause, p50/p99/max over the reloads. The other stream's rate
with reloads over its rate without is what a reload costs the shards it
does not touch (1.00: nothing). Both runs must lose and reorder nothing.

On the QEMU boards the times are QEMU's virtual clock without -icount
(host time, roughly): a reload there includes the host tool's round trip
through the door, which the guest does not see as a pause.
"""

import argparse
import json
import re
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from generator import reload as reloader  # noqa: E402
from generator.boards import BOARDS as BOARD_RECORDS  # noqa: E402
SPEC = ROOT / "bench" / "reload" / "reload.yaml"
BOARDS = ["hosted", "qemu-virt-aarch64", "qemu-virt-riscv64"]
GAP = re.compile(r"^\[sink\] reload-gap (\d+) ns$", re.M)
STREAM = re.compile(r"^\[(sink|odst)\] \w+ stream: (\d+) messages in (\d+) us, (\d+) out of order",
                    re.M)
RELOAD_EVERY = 0.25


def vanity(*args, timeout=600):
    return subprocess.run(["/usr/bin/python3", str(ROOT / "vanity"), *map(str, args)],
                          capture_output=True, text=True, timeout=timeout)


def sources(work, version):
    """A copy of the spec with worker's VERSION, beside a link to tests/."""
    src = work / f"v{version}" / "bench" / "reload"
    src.mkdir(parents=True, exist_ok=True)
    link = work / f"v{version}" / "tests"
    if not link.exists():
        link.symlink_to(ROOT / "tests")
    for f in ("src.c", "sink.c"):
        (src / f).write_text((SPEC.parent / f).read_text())
    (src / "reload.yaml").write_text(
        SPEC.read_text().replace("-DVERSION=1", f"-DVERSION={version}"))
    return src / "reload.yaml"


def run(board, work, spec, images, reloads):
    common = ["--board", board, "-o", work / "out", "--build-dir", work / "build"]
    proc = subprocess.Popen(["/usr/bin/python3", str(ROOT / "vanity"), "run", str(spec),
                             *map(str, common)], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    text, done = [], []

    def read():
        for line in proc.stdout:
            text.append(line)

    t = threading.Thread(target=read, daemon=True)
    t.start()
    deadline = time.monotonic() + 300
    while not any("[worker] version 1 up" in x for x in text):
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            return {"why": "the system did not start: " + "".join(text)[-300:]}
        time.sleep(0.05)
    # The door, from this process: `vanity reload --image` does the same, plus
    # a Python start-up per reload that would load the host's CPUs.
    manifest = json.loads((work / "out" / "manifest.json").read_text())
    shard = next(s["id"] for s in manifest["shards"] if s["name"] == "worker")
    pkgs = [Path(p).read_bytes() for p in images]
    for i in range(reloads):
        if proc.poll() is not None:
            break
        try:
            status, _, _ = reloader.send(BOARD_RECORDS[board], work / "build", manifest,
                                         pkgs[i % 2], shard, 30)
        except Exception as exc:  # the system ended under us: count what was done
            text.append(f"reload {i}: {exc}\n")
            break
        if status == 0:
            done.append(i)
        time.sleep(RELOAD_EVERY)
    proc.wait(timeout=600)
    t.join(timeout=5)
    out = "".join(text)
    streams = {m[1]: {"n": int(m[2]), "us": int(m[3]), "lost": int(m[4])}
               for m in STREAM.finditer(out)}
    if proc.returncode != 0 or set(streams) != {"sink", "odst"}:
        return {"why": f"exit {proc.returncode}: " + out[-300:]}
    gaps = [int(g) for g in GAP.findall(out)]
    return {"reloads": len(done), "gaps_ns": gaps, "streams": streams,
            "log": [x for x in text if not x.startswith("[worker] version")][-60:]}


def measure(board, work, reloads):
    work = Path(work) / board
    v1, v2 = sources(work, 1), sources(work, 2)
    images = []
    for spec, name in ((v2, "v2"), (v1, "v1")):
        path = work / f"{name}.vrl"
        r = vanity("reload", spec, "worker", "--board", board, "--build-dir",
                   work / f"img-{name}", "--write", path)
        if r.returncode != 0:
            return {"why": (r.stderr.strip().splitlines() or ["build failed"])[-1]}
        images.append(path)
    r = vanity("build", v1, "--board", board, "-o", work / "out", "--build-dir", work / "build")
    if r.returncode != 0:
        return {"why": (r.stderr.strip().splitlines() or ["build failed"])[-1]}
    quiet = run(board, work, v1, images, 0)
    busy = run(board, work, v1, images, reloads)
    if "why" in quiet or "why" in busy:
        return {"why": quiet.get("why") or busy.get("why")}

    def rate(res, who):
        s = res["streams"][who]
        return s["n"] / s["us"] * 1e6 if s["us"] else 0.0

    gaps = sorted(busy["gaps_ns"])
    q = statistics.quantiles(gaps, n=100, method="inclusive") if len(gaps) >= 2 else gaps * 99
    return {"reloads": busy["reloads"], "swaps_seen": len(gaps),
            "p50_us": round(q[49] / 1e3, 1) if gaps else None,
            "p99_us": round(q[98] / 1e3, 1) if gaps else None,
            "max_us": round(gaps[-1] / 1e3, 1) if gaps else None,
            "other_rate": rate(busy, "odst"), "other_rate_quiet": rate(quiet, "odst"),
            "other_ratio": round(rate(busy, "odst") / rate(quiet, "odst"), 3),
            "stream_ratio": round(rate(busy, "sink") / rate(quiet, "sink"), 3),
            "lost": busy["streams"]["sink"]["lost"] + busy["streams"]["odst"]["lost"],
            "streams": busy["streams"], "log": busy["log"]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--boards", default=",".join(BOARDS))
    ap.add_argument("--reloads", type=int, default=16)
    ap.add_argument("--work", default=str(ROOT / "build" / "bench" / "reload"))
    ap.add_argument("--json", help="write the results here")
    args = ap.parse_args()
    res = {b: measure(b, args.work, args.reloads) for b in args.boards.split(",")}
    print("10. Hot reload: the pause on the reloaded shard's stream, and the other "
          "shards' throughput (bench/reload; quiet run vs one with reloads)")
    print(f"{'board':<20}{'reloads':>8}{'p50':>10}{'p99':>10}{'max':>10}"
          f"{'others':>9}{'stream':>9}{'lost':>6}")
    for b, r in res.items():
        if "why" in r:
            print(f"{b:<20}n/a: {str(r['why'])[:200]}")
            continue
        print(f"{b:<20}{r['swaps_seen']:>8}{r['p50_us']:>8}us{r['p99_us']:>8}us"
              f"{r['max_us']:>8}us{r['other_ratio']:>9.3f}{r['stream_ratio']:>9.3f}"
              f"{r['lost']:>6}")
    print("others, stream: messages per second with reloads / without "
          "(the untouched pair, and the reloaded shard's own stream)")
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
