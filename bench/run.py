#!/usr/bin/python3
"""Run the Vanity benchmarks and print one table per part plus the aims.

Parts (all side by side with the peers a user would pick instead):
  1. channel throughput   build/bench/tput      (2 processes, CPU 0 -> CPU 1)
     and the message fill alone (build/bench/sfwd-fill0, -fill1)
  2. instructions / pair  build/bench/icount    under valgrind --tool=callgrind
  3. poll-mode round trip build/bench/rtt       (Vanity rings vs raw cache line)
  4. wake-up round trip   build/bench/futex_rtt and `./vanity run bench/wake/*.yaml`

Run from anywhere; it builds first (make -C bench). Raw results are kept in
build/bench/results.json. Numbers are never invented: a part that cannot run
says so.
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PEERS = ["vanity", "rte_ring", "ck_ring", "boost_spsc"]
CASES = ["8B-single", "8B-burst32", "64B-single", "64B-burst32"]
# Prefix of the functions each peer's instructions are counted in (icount.c).
PAIR_FUNCS = {"vanity": "vanity", "rte_ring": "rte", "ck_ring": "ck",
              "boost_spsc": "boost"}
WAKE_SPECS = [("spin 0us", "bench/wake/wake.yaml", 0),
              ("spin 50us", "bench/wake/wake_spin.yaml", 50)]
WAKE_RE = re.compile(r"wake-rtt min=(\d+) p50=(\d+) p99=(\d+) ns")


def kv(line):
    """'tag a=1 b=x' -> {'a': '1', 'b': 'x'}"""
    return dict(f.split("=", 1) for f in line.split()[1:] if "=" in f)


def run(cmd, timeout=600, **kw):
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, **kw)


def check(proc, what):
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        sys.exit("bench: %s failed (exit %d)" % (what, proc.returncode))
    return proc.stdout


def table(title, header, rows):
    widths = [max(len(str(r[i])) for r in [header] + rows)
              for i in range(len(header))]
    print("\n" + title)
    for i, r in enumerate([header] + rows):
        print("  " + "  ".join(str(c).rjust(w) if j else str(c).ljust(w)
                               for j, (c, w) in enumerate(zip(r, widths))))
        if i == 0:
            print("  " + "  ".join("-" * w for w in widths))


# ---- 1. throughput ----------------------------------------------------------

def part_tput(build, reps, n8, n64, tries):
    out = check(run([os.path.join(build, "tput"), "-r", str(reps),
                     "-n", str(n8), "-m", str(n64), "-t", str(tries)]),
                "tput")
    samples, clean, spins, retries = {}, {}, {}, {}
    for line in out.splitlines():
        if not line.startswith("tput "):
            continue
        r = kv(line)
        if int(r["bad"]) != 0:
            sys.exit("bench: %s %s: %s messages failed the check"
                     % (r["peer"], r["case"], r["bad"]))
        k = (r["case"], r["peer"])
        samples.setdefault(k, []).append(float(r["mmsgs"]))
        clean.setdefault(k, []).append(int(r["preempt"]) == 0)
        spins.setdefault(k, []).append((float(r["pspin"]), float(r["cspin"])))
        retries[k] = retries.get(k, 0) + int(r["retries"])

    def rounds(c, peers):
        """Indices of the rounds in which no run of `peers` was preempted,
        or every round when fewer than 3 are (then marked '~')."""
        idx = [i for i in range(reps)
               if all(clean[(c, p)][i] for p in peers)]
        return (idx, "") if len(idx) >= 3 else (list(range(reps)), "~")

    def ratio(c, p, qs):
        """Median over rounds of p / (the best of qs in that round): runs of
        one round are milliseconds to seconds apart, so a slow phase of the
        (shared, virtualised) machine hits both sides of a ratio alike."""
        idx, mark = rounds(c, [p] + qs)
        return (statistics.median(
            samples[(c, p)][i] / max(samples[(c, q)][i] for q in qs)
            for i in idx), mark)

    med, ratios, marks = {}, {}, {}
    for c in CASES:
        for p in PEERS:
            v = samples[(c, p)]
            cv = [x for x, ok in zip(v, clean[(c, p)]) if ok]
            med[(c, p)] = statistics.median(cv if len(cv) >= 3 else v)
            for q in ("rte_ring", "boost_spsc"):
                key = "%s/%s/%s" % (c, p, q)
                ratios[key], marks[key] = ratio(c, p, [q])
        others = [q for q in PEERS if q != "vanity"]
        key = "%s/vanity/best" % c
        ratios[key], marks[key] = ratio(c, "vanity", others)
    rows = []
    for c in CASES:
        for p in PEERS:
            v = samples[(c, p)]
            ps = statistics.median(x for x, _ in spins[(c, p)])
            cs = statistics.median(x for _, x in spins[(c, p)])
            kr, kb = "%s/%s/rte_ring" % (c, p), "%s/%s/boost_spsc" % (c, p)
            rows.append([c, p, "%.1f" % med[(c, p)],
                         "%.0f-%.0f" % (min(v), max(v)),
                         "%.2f%s" % (ratios[kr], marks[kr]),
                         "%.2f%s" % (ratios[kb], marks[kb]),
                         "%.2f/%.2f" % (ps, cs),
                         "%d/%d" % (reps - sum(clean[(c, p)]), retries[(c, p)])])
    table("1. Channel throughput, CPU 0 -> CPU 1, depth 1024, Mmsg/s "
          "(%d interleaved rounds; median of the runs nobody preempted;\n"
          "   ratios: median of per-round ratios over the rounds with no "
          "preempted run, '~' when fewer than 3 such rounds;\n"
          "   spins: sends finding the ring full / receives finding it empty, "
          "per message;\n   preempted: kept runs still preempted / runs "
          "thrown away and rerun)" % reps,
          ["case", "peer", "Mmsg/s", "range", "x rte", "x boost",
           "spins p/c", "preempted"], rows)
    return {"median": {"%s/%s" % k: v for k, v in med.items()},
            "ratios": ratios, "marks": marks,
            "samples": {"%s/%s" % k: v for k, v in samples.items()},
            "clean": {"%s/%s" % k: v for k, v in clean.items()},
            "spins": {"%s/%s" % k: v for k, v in spins.items()},
            "retries": {"%s/%s" % k: v for k, v in retries.items()}}


# ---- 1b. the message fill alone ------------------------------------------------

def part_fill(build):
    res = {}
    for fill in (0, 1):
        out = check(run([os.path.join(build, "sfwd-fill%d" % fill)]),
                    "sfwd-fill%d" % fill)
        for line in out.splitlines():
            if line.startswith("sfwd "):
                r = kv(line)
                res["%s/%s" % (r["fill"], r["slots"])] = float(r["ns_per_msg"])
    table("1b. The 64-byte message fill and copy alone, one CPU, ns per "
          "message (bench/exp/sfwd.c)",
          ["fill", "slots in L1", "slots missing"],
          [["8-byte stores (old)", "%.2f" % res["0/l1"], "%.2f" % res["0/miss"]],
           ["16-byte stores", "%.2f" % res["1/l1"], "%.2f" % res["1/miss"]]])
    return res


# ---- 2. instructions per send+receive ----------------------------------------

def part_icount(build, n):
    if not shutil.which("valgrind"):
        print("\n2. Instructions per send+receive: not available (no valgrind)")
        return None
    res = {}
    for mode in ("pairs", "stream"):
        for p in PEERS:
            outfile = os.path.join(build, "callgrind.%s.%s.out" % (p, mode))
            check(run(["valgrind", "--tool=callgrind",
                       "--toggle-collect=%s_%s8" % (PAIR_FUNCS[p], mode),
                       "--callgrind-out-file=" + outfile,
                       os.path.join(build, "icount"), p, mode, str(n)]),
                  "icount %s %s" % (p, mode))
            with open(outfile) as f:
                m = re.search(r"^summary:\s+(\d+)", f.read(), re.M)
            res.setdefault(mode, {})[p] = int(m.group(1)) / n
    best = {m: min(v for p, v in r.items() if p != "vanity")
            for m, r in res.items()}
    table("2. Instructions per 8-byte send+receive (callgrind, %d messages; "
          "includes the same fill/check loop for all)\n"
          "   pairs: send 1, receive 1 (ring empty after each)   "
          "stream: 32 sends then 32 receives" % n,
          ["peer", "pairs", "x best", "stream", "x best"],
          [[p, "%.1f" % res["pairs"][p],
            "%.2f" % (res["pairs"][p] / best["pairs"]),
            "%.1f" % res["stream"][p],
            "%.2f" % (res["stream"][p] / best["stream"])] for p in PEERS])
    return res


# ---- 3. poll-mode round trip --------------------------------------------------

def part_rtt(build, n, rounds):
    out = check(run([os.path.join(build, "rtt"), "-n", str(n),
                     "-r", str(rounds)]), "rtt")
    res = {}
    for line in out.splitlines():
        if line.startswith("rtt "):
            r = kv(line)
            res[r["mode"]] = {k: float(r[k]) for k in ("min", "p50", "p99")}
    floor = res["raw"]["p50"]
    table("3. Poll-mode round trip, CPU 0 <-> CPU 1, ns (%d x %d samples, "
          "each the mean of 8 back-to-back round trips)" % (rounds, n),
          ["path", "min", "p50", "p99", "p50 x raw"],
          [[m, "%.1f" % res[m]["min"], "%.1f" % res[m]["p50"],
            "%.1f" % res[m]["p99"], "%.2f" % (res[m]["p50"] / floor)]
           for m in ("raw", "vanity8", "vanity64")])
    return res


# ---- 4. wake-up round trip ----------------------------------------------------

def parse_wake(text):
    m = WAKE_RE.search(text)
    return {"min": float(m.group(1)), "p50": float(m.group(2)),
            "p99": float(m.group(3))} if m else None


def vanity_wake(spec):
    """Run one wake spec on the hosted simulator; (result, reason)."""
    exe = os.path.join(ROOT, "vanity")
    if not os.access(exe, os.X_OK):
        return None, "hosted runtime not built: no ./vanity"
    try:
        name = os.path.splitext(os.path.basename(spec))[0]
        work = os.path.join(ROOT, "build", "bench", "wake", name)
        proc = run(["/usr/bin/python3", "./vanity", "run", spec,
                    "-o", os.path.join(work, "out"),
                    "--build-dir", os.path.join(work, "build")], timeout=120)
    except subprocess.TimeoutExpired:
        return None, "`./vanity run %s` timed out" % spec
    res = parse_wake(proc.stdout + proc.stderr)
    if proc.returncode != 0 or res is None:
        tail = (proc.stdout + proc.stderr).strip().splitlines()[-1:] or [""]
        return None, "`./vanity run %s` exit %d: %s" % (spec, proc.returncode,
                                                       tail[0])
    return res, None


def part_wake(build, n):
    res, rows = {}, []
    for label, spec, spin in WAKE_SPECS:
        fx = parse_wake(check(run([os.path.join(build, "futex_rtt"), "-n",
                                   str(n), "-s", str(spin)]), "futex_rtt"))
        vn, why = vanity_wake(spec)
        res[label] = {"futex": fx, "vanity": vn, "why": why}
        rows.append(["futex", label] + ["%.1f" % (fx[k] / 1e3)
                                        for k in ("min", "p50", "p99")] + [""])
        if vn:
            rows.append(["vanity", label] + ["%.1f" % (vn[k] / 1e3)
                                             for k in ("min", "p50", "p99")]
                        + ["%.2f" % (vn["p50"] / fx["p50"])])
    table("4. Wake-up round trip, CPU 0 <-> CPU 1, both sides sleep, us",
          ["path", "wait", "min", "p50", "p99", "p50 x futex"], rows)
    for label, r in res.items():
        if r["vanity"] is None:
            print("  vanity wake-up (%s): not available (%s)" % (label, r["why"]))
    return res


# ---- 5. aims --------------------------------------------------------------------

def aims(results):
    rows = []

    def add(name, value, target, met):
        rows.append([name, value, target, "met" if met else "NOT met"])

    def na(name, target, why):
        rows.append([name, "n/a", target, "not measured: " + why])

    tp = results.get("tput", {})
    t, mk = tp.get("ratios"), tp.get("marks", {})
    if t:
        def ratio(case, peer):
            key = "%s/vanity/%s" % (case, peer)
            return t[key], mk.get(key, "")
        for case, peer, name, target in (
                ("8B-single", "rte_ring", "8B single vs rte_ring", 2.0),
                ("8B-burst32", "rte_ring", "8B burst32 vs rte_ring", 1.5),
                ("64B-single", "boost_spsc", "64B single vs boost", 2.5),
                ("64B-burst32", "best", "64B burst32 vs best peer", 1.2)):
            r, m = ratio(case, peer)
            add(name, "%.2fx%s" % (r, m), ">= %gx" % target, r >= target)
            if m:
                rows[-1][3] += " (< 3 undisturbed rounds: no verdict)"
    ic = results.get("icount")
    if ic:
        for mode, r in ic.items():
            best = min(v for p, v in r.items() if p != "vanity")
            add("instr per send+recv (%s)" % mode,
                "%.1f vs %.1f" % (r["vanity"], best), "<= best peer",
                r["vanity"] <= best)
    rt = results.get("rtt")
    if rt:
        for m in ("vanity8", "vanity64"):
            r = rt[m]["p50"] / rt["raw"]["p50"]
            add("poll RTT %sB vs raw" % m[6:], "%.2fx" % r, "<= 1.25x",
                r <= 1.25)
    wk = results.get("wake")
    if wk:
        for label, r in wk.items():
            name = "wake RTT (%s) vs futex" % label
            if r["vanity"] is None:
                na(name, "<= 1.1x", r["why"])
            else:
                x = r["vanity"]["p50"] / r["futex"]["p50"]
                add(name, "%.2fx" % x, "<= 1.1x", x <= 1.1)
    table("5. Aims (Vanity vs peer, medians of per-round ratios; '~': "
          "fewer than 3 undisturbed rounds)",
          ["aim", "measured", "target", "verdict"], rows)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build", "bench"))
    ap.add_argument("--reps", type=int, default=7,
                    help="throughput repetitions per peer (default 7)")
    ap.add_argument("--quick", action="store_true",
                    help="short runs (a smoke test, not a measurement)")
    ap.add_argument("--tries", type=int, default=5,
                    help="runs per throughput sample until one is not "
                    "preempted (default 5)")
    ap.add_argument("--only", default="tput,fill,icount,rtt,wake",
                    help="comma-separated parts to run")
    args = ap.parse_args()
    parts = set(args.only.split(","))
    q = args.quick

    check(run(["make", "-s", "-C", "bench", "all", "BUILD=" + args.build]),
          "build")
    print("Vanity benchmarks: gcc -O2 -march=x86-64-v2 for every peer; "
          "producer/ping on CPU 0, consumer/echo on CPU 1")
    results = {}
    if "tput" in parts:
        results["tput"] = part_tput(args.build, 2 if q else args.reps,
                                    500000 if q else 1000000,
                                    100000 if q else 250000,
                                    1 if q else args.tries)
    if "fill" in parts:
        results["fill"] = part_fill(args.build)
    if "icount" in parts:
        results["icount"] = part_icount(args.build, 10240 if q else 102400)
    if "rtt" in parts:
        results["rtt"] = part_rtt(args.build, 2000 if q else 20000,
                                  1 if q else 3)
    if "wake" in parts:
        results["wake"] = part_wake(args.build, 200 if q else 2000)
    with open(os.path.join(args.build, "results.json"), "w") as f:
        json.dump(results, f, indent=1, sort_keys=True)
    print("\nraw results: %s" % os.path.relpath(
        os.path.join(args.build, "results.json"), ROOT))
    aims(results)


if __name__ == "__main__":
    main()
