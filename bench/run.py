#!/usr/bin/python3
"""Run the Vanity benchmarks and print one table per part plus the aims.

Parts (all side by side with the peers a user would pick instead):
  1. channel throughput   build/bench/tput      (2 processes, CPU 0 -> CPU 1)
     and the message fill alone (build/bench/sfwd-fill0, -fill1), and
     64-byte messages in both slot layouts (part 1c, `slots`)
  2. instructions / pair  build/bench/icount    under valgrind --tool=callgrind
  3. poll-mode round trip build/bench/rtt       (Vanity rings vs raw cache line,
                          and the floor under 64-byte messages: ring64)
  4. wake-up round trip   build/bench/futex_rtt and `./vanity run bench/wake/*.yaml`
  5. one trace event      build/bench/trace_cost: Vanity's emitter vs an
                          LTTng-UST tracepoint (no session, and a live session
                          when lttng-tools is there); ns and callgrind instructions
  6. guest instructions   `./vanity run bench/trace/trace.yaml` on both QEMU
     per trace event      boards under -icount shift=0
  7. channel counters     build/bench/tput and icount: the Vanity ring with its
     and latency stamps   counters, without (-DVN_RING_NO_STATS), and as a
                          latency channel (VN_EP_LATENCY)
  8. generator time       bench/scale_gen.py: `vanity gen`'s stages for 10,
     against system size  100, 256 and 1,000 shards (4 channels per shard),
                          with growth ratios; 1,000 is over the shard limit,
                          so it is generated with the limits raised in that
                          process, and `vanity check` is timed refusing it
  9. guest instructions   bench/scale_wake.py: a token ring of 2 and of 256
     per hop, 2 vs 256    shards on both QEMU boards under -icount shift=0
     shards               (not in the default parts: the 256-shard builds
                          take minutes; --only scalewake)
 10. hot reload pause    bench/reload_pause.py: the gap a reload leaves in the
     and its cost to      reloaded shard's stream (p50/p99/max over 16
     the other shards     reloads) and the other shards' throughput with
                          reloads over without, on every board (--only reload)
 11. kernel costs in     `./vanity run bench/kcost/kcost.yaml` on both QEMU
     guest instructions   boards under -icount shift=0,sleep=off -rtc clock=vm:
                          a same-core switch (YIELD to a shard that yields
                          back; aim <= 200), YIELD alone, a null system call
                          (HANDOFF) and WAIT(0), a NOTIFY that wakes a
                          sleeper on the other core, and the RTC's interrupt
                          reaching its shard (running, and asleep: from the
                          alarm's expiry); K vs 2K rounds, the empty loop
                          subtracted (--only kcost; under a minute)

Run from anywhere; it builds first (make -C bench). Raw results are kept in
build/bench/results.json. Numbers are never invented: a part that cannot run
says so.

--record FILE (what `make bench` passes, with bench/RESULTS.md) writes what
the run printed, word for word, between FILE's two RECORD_MARKS, under a
header that says when, at which commit, on what machine and how busy it was:
RESULTS.md's first section is then one full run, never a hand-made table.
Only a full run records (all the default parts, not --quick).
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


def spread(values):
    """(q1, q3) of per-round values: the interquartile range, or the whole
    range when there are fewer than 4 rounds."""
    v = sorted(values)
    if len(v) < 4:
        return v[0], v[-1]
    q = statistics.quantiles(v, n=4, method="inclusive")
    return q[0], q[2]


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


def callgrind_per(argv, func, n, outfile, what):
    """Instructions callgrind counts in `func` per unit of work: `argv`
    (a program and its arguments, without the count) runs once with n units
    and once with 2n, and the difference is divided by n. What the function
    does once, whatever the count (mapping and copying a ring, say), is then
    not charged to the units, for any peer."""
    total = []
    for k in (n, 2 * n):
        check(run(["valgrind", "--tool=callgrind", "--toggle-collect=" + func,
                   "--callgrind-out-file=" + outfile] + argv + [str(k)]),
              what)
        with open(outfile) as f:
            total.append(int(re.search(r"^summary:\s+(\d+)", f.read(), re.M).group(1)))
    return (total[1] - total[0]) / n


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

def tput_runs(out):
    """tput's run lines, as dicts; a message that failed its check ends
    the benchmark."""
    for line in out.splitlines():
        if not line.startswith("tput "):
            continue
        r = kv(line)
        if int(r["bad"]) != 0:
            sys.exit("bench: %s %s: %s messages failed the check"
                     % (r["peer"], r["case"], r["bad"]))
        yield r


def part_tput(build, reps, n8, n64, tries):
    out = check(run([os.path.join(build, "tput"), "-r", str(reps),
                     "-n", str(n8), "-m", str(n64), "-t", str(tries)]),
                "tput")
    samples, clean, spins, retries = {}, {}, {}, {}
    for r in tput_runs(out):
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
        per_round = [samples[(c, p)][i] / max(samples[(c, q)][i] for q in qs)
                     for i in idx]
        return statistics.median(per_round), mark, spread(per_round)

    med, ratios, marks, spreads = {}, {}, {}, {}
    for c in CASES:
        for p in PEERS:
            v = samples[(c, p)]
            cv = [x for x, ok in zip(v, clean[(c, p)]) if ok]
            med[(c, p)] = statistics.median(cv if len(cv) >= 3 else v)
            for q in ("rte_ring", "boost_spsc"):
                key = "%s/%s/%s" % (c, p, q)
                ratios[key], marks[key], spreads[key] = ratio(c, p, [q])
        others = [q for q in PEERS if q != "vanity"]
        key = "%s/vanity/best" % c
        ratios[key], marks[key], spreads[key] = ratio(c, "vanity", others)
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
          "thrown away and rerun; Vanity's 64-byte singles in sequenced slots,\n   "
          "the default for 64-byte messages, its bursts in packed ones, `slots: packed`: "
          "part 1c has both)" % reps,
          ["case", "peer", "Mmsg/s", "range", "x rte", "x boost",
           "spins p/c", "preempted"], rows)
    return {"median": {"%s/%s" % k: v for k, v in med.items()},
            "ratios": ratios, "marks": marks, "spreads": spreads,
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


# ---- 1c. 64-byte messages in both slot layouts -----------------------------------

def part_slots(build, reps, n64, tries):
    """Part 1's 64-byte cases again, Vanity in the layout part 1 uses
    (sequenced for singles, packed for bursts) and in the other
    (vanity_swap), beside boost's spsc_queue, interleaved."""
    peers = ["vanity", "vanity_swap", "boost_spsc"]
    res, rows = {}, []
    for ci, cname, used, other in ((2, "64B-single", "sequenced", "packed"),
                                   (3, "64B-burst32", "packed", "sequenced")):
        out = check(run([os.path.join(build, "tput"), "-r", str(reps), "-m", str(n64),
                         "-t", str(tries), "-c", str(ci), "-p", ",".join(peers)]),
                    "tput (slots)")
        samples, clean = {}, {}
        for r in tput_runs(out):
            samples.setdefault(r["peer"], []).append(float(r["mmsgs"]))
            clean.setdefault(r["peer"], []).append(int(r["preempt"]) == 0)
        med = {p: clean_median(samples[p], clean[p]) for p in peers}
        x_other, m1 = round_ratio(samples, clean, "vanity", "vanity_swap")
        x_boost, m2 = round_ratio(samples, clean, "vanity_swap", "boost_spsc")
        res[cname] = {"median": med, "used": used, "other": other,
                      "used_x_other": x_other, "other_x_boost": x_boost,
                      "samples": samples, "clean": clean}
        rows.append([cname, "%s %.1f" % (used, med["vanity"]),
                     "%s %.1f" % (other, med["vanity_swap"]), "%.1f" % med["boost_spsc"],
                     "%.2f%s" % (x_other, m1), "%.2f%s" % (x_boost, m2)])
    table("1c. 64-byte messages in both slot layouts (spec `slots`), Mmsg/s (%d interleaved "
          "rounds; medians of\n   undisturbed runs; ratios: medians of per-round ratios, '~' "
          "fewer than 3 undisturbed rounds)" % reps,
          ["case", "layout of part 1", "other layout", "boost", "x other",
           "other x boost"], rows)
    return res


# ---- 2. instructions per send+receive ----------------------------------------

def part_icount(build, n):
    if not shutil.which("valgrind"):
        print("\n2. Instructions per send+receive: not available (no valgrind)")
        return None
    res = {}
    for mode in ("pairs", "stream"):
        for p in PEERS:
            res.setdefault(mode, {})[p] = callgrind_per(
                [os.path.join(build, "icount"), p, mode],
                "%s_%s8" % (PAIR_FUNCS[p], mode), n,
                os.path.join(build, "callgrind.%s.%s.out" % (p, mode)),
                "icount %s %s" % (p, mode))
    best = {m: min(v for p, v in r.items() if p != "vanity")
            for m, r in res.items()}
    table("2. Instructions per 8-byte send+receive (callgrind, runs of %d and twice "
          "as many messages, the difference;\n   includes the same fill/check loop for all)\n"
          "   pairs: send 1, receive 1 (ring empty after each)   "
          "stream: 32 sends then 32 receives;\n   exact, so three decimals: "
          "0.001 is one instruction per 1,000 messages" % n,
          ["peer", "pairs", "x best", "stream", "x best"],
          [[p, "%.3f" % res["pairs"][p],
            "%.3f" % (res["pairs"][p] / best["pairs"]),
            "%.3f" % res["stream"][p],
            "%.3f" % (res["stream"][p] / best["stream"])] for p in PEERS])
    return res


# ---- 3. poll-mode round trip --------------------------------------------------

def part_rtt(build, n, rounds):
    out = check(run([os.path.join(build, "rtt"), "-n", str(n),
                     "-r", str(rounds)]), "rtt")
    res, per_round = {}, {}
    for line in out.splitlines():
        if line.startswith("rtt "):
            r = kv(line)
            res[r["mode"]] = {k: float(r[k]) for k in ("min", "p50", "p99")}
        elif line.startswith("rtt-round "):
            r = kv(line)
            per_round.setdefault(r["mode"], {})[int(r["round"])] = float(r["p50"])
    floor = res["raw"]["p50"]
    for m in ("vanity8", "vanity64", "ring64"):
        x = [per_round[m][i] / per_round["raw"][i] for i in sorted(per_round["raw"])]
        res[m]["x_raw_rounds"] = x
        res[m]["x_raw_spread"] = spread(x)
    x = [per_round["vanity64"][i] / per_round["ring64"][i] for i in sorted(per_round["raw"])]
    res["vanity64"]["x_ring64"] = statistics.median(x)
    res["vanity64"]["x_ring64_spread"] = spread(x)
    table("3. Poll-mode round trip, CPU 0 <-> CPU 1, ns (%d x %d samples, "
          "each the mean of 8 back-to-back round trips; per round: each "
          "round's p50 over raw's p50 in that round;\n   ring64: the floor "
          "under vanity64, each message in its own line and its flag in the "
          "next, advancing through 1024 entries, no library)" % (rounds, n),
          ["path", "min", "p50", "p99", "p50 x raw", "per round"],
          [[m, "%.1f" % res[m]["min"], "%.1f" % res[m]["p50"],
            "%.1f" % res[m]["p99"], "%.2f" % (res[m]["p50"] / floor),
            " ".join("%.2f" % x for x in res[m].get("x_raw_rounds", []))]
           for m in ("raw", "vanity8", "vanity64", "ring64")])
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


def part_wake(build, n, rounds):
    """futex and Vanity in turn, `rounds` times: the table shows the
    median of each over the rounds, and the ratio's per-round values."""
    res, rows = {}, []
    for label, spec, spin in WAKE_SPECS:
        fxs, vns, why = [], [], None
        for _ in range(rounds):
            fxs.append(parse_wake(check(run([os.path.join(build, "futex_rtt"), "-n",
                                             str(n), "-s", str(spin)]), "futex_rtt")))
            vn, why = vanity_wake(spec)
            if vn is None:
                break
            vns.append(vn)
        med = lambda runs: {k: statistics.median(r[k] for r in runs)
                            for k in ("min", "p50", "p99")}
        fx = med(fxs)
        vn = med(vns) if vns and why is None else None
        x = [v["p50"] / f["p50"] for v, f in zip(vns, fxs)] if vn else []
        res[label] = {"futex": fx, "vanity": vn, "why": why,
                      "x_futex_rounds": x, "x_futex_spread": spread(x) if x else None}
        rows.append(["futex", label] + ["%.1f" % (fx[k] / 1e3)
                                        for k in ("min", "p50", "p99")] + ["", ""])
        if vn:
            rows.append(["vanity", label] + ["%.1f" % (vn[k] / 1e3)
                                             for k in ("min", "p50", "p99")]
                        + ["%.2f" % statistics.median(x), " ".join("%.2f" % r for r in x)])
    table("4. Wake-up round trip, CPU 0 <-> CPU 1, both sides sleep, us (%d "
          "rounds of futex then Vanity; medians over the rounds; x futex: "
          "median of the per-round ratios)" % rounds,
          ["path", "wait", "min", "p50", "p99", "p50 x futex", "per round"], rows)
    for label, r in res.items():
        if r["vanity"] is None:
            print("  vanity wake-up (%s): not available (%s)" % (label, r["why"]))
    return res


# ---- 5. one trace event on hosted ------------------------------------------------

TRACE_PEERS = ["vanity", "lttng", "empty", "clock"]


def trace_runs(build, n, rounds, tries, peers, env=None):
    out = check(run([os.path.join(build, "trace_cost"), "time", "-n", str(n),
                     "-r", str(rounds), "-t", str(tries), "-p", ",".join(peers)],
                    env=env), "trace_cost")
    samples, clean = {}, {}
    for line in out.splitlines():
        if line.startswith("trace "):
            r = kv(line)
            samples.setdefault(r["peer"], []).append(float(r["ns_per_ev"]))
            clean.setdefault(r["peer"], []).append(int(r["preempt"]) == 0)
    return samples, clean


def round_ratio(samples, clean, p, q):
    """Median over rounds of p / q, over the rounds where neither run was
    preempted ('~' and every round when fewer than 3 are)."""
    n = min(len(samples[p]), len(samples[q]))
    idx = [i for i in range(n) if clean[p][i] and clean[q][i]]
    mark = ""
    if len(idx) < 3:
        idx, mark = list(range(n)), "~"
    return statistics.median(samples[p][i] / samples[q][i] for i in idx), mark


def clean_median(v, ok):
    cv = [x for x, good in zip(v, ok) if good]
    return statistics.median(cv if len(cv) >= 3 else v)


def lttng_session(build, n, rounds, tries):
    """LTTng-UST with a session that records the event: a private
    lttng-sessiond (LTTNG_HOME under the build directory), a session with a
    per-UID channel big enough for the run, then the lttng and vanity peers
    side by side. (None, reason) when lttng-tools is missing."""
    if not (shutil.which("lttng") and shutil.which("lttng-sessiond")):
        return None, "lttng-tools not installed"
    home = os.path.join(build, "lttng")
    shutil.rmtree(home, ignore_errors=True)
    os.makedirs(home)
    env = dict(os.environ, LTTNG_HOME=home)
    daemon = subprocess.Popen(["lttng-sessiond"], env=env,
                              stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        def lttng(*a):
            return run(["lttng"] + list(a), env=env, timeout=60)
        for _ in range(50):  # until the daemon answers
            if lttng("list").returncode == 0:
                break
            subprocess.run(["sleep", "0.1"])
        steps = [("create", "vnbench", "--output=" + os.path.join(home, "trace")),
                 ("enable-channel", "-u", "ch", "--subbuf-size=4M",
                  "--num-subbuf=8"),
                 ("enable-event", "-u", "-c", "ch", "vanity_bench:rx_batch"),
                 ("start",)]
        for st in steps:
            p = lttng(*st)
            if p.returncode != 0:
                return None, "`lttng %s` failed: %s" % (
                    " ".join(st), (p.stdout + p.stderr).strip()[-200:])
        samples, clean = trace_runs(build, n, rounds, tries,
                                    ["lttng", "vanity"], env=env)
        lttng("stop")
        lttng("destroy")
        return (samples, clean), None
    finally:
        daemon.terminate()
        try:
            daemon.wait(timeout=10)
        except subprocess.TimeoutExpired:
            daemon.kill()
            daemon.wait()


def part_trace(build, n, rounds, tries, n_ic):
    samples, clean = trace_runs(build, n, rounds, tries, TRACE_PEERS)
    res = {"samples": samples, "clean": clean, "median": {}, "ratio": {}}
    for p in TRACE_PEERS:
        res["median"][p] = clean_median(samples[p], clean[p])
    r, mark = round_ratio(samples, clean, "vanity", "lttng")
    res["ratio"]["vanity/lttng"], res["ratio_mark"] = r, mark
    sess, why = lttng_session(build, max(n // 5, 1000), rounds, tries)
    res["session_why"] = why
    if sess:
        s2, c2 = sess
        res["session"] = {"samples": s2, "clean": c2,
                          "lttng": clean_median(s2["lttng"], c2["lttng"]),
                          "vanity": clean_median(s2["vanity"], c2["vanity"])}
        res["session"]["ratio"], res["session"]["mark"] = round_ratio(
            s2, c2, "vanity", "lttng")
    ic = {}
    if shutil.which("valgrind"):
        for p in ("vanity", "lttng", "empty"):
            ic[p] = callgrind_per(
                [os.path.join(build, "trace_cost"), "icount", p],
                "%s_events" % p, n_ic,
                os.path.join(build, "callgrind.trace.%s.out" % p),
                "trace_cost icount %s" % p)
    res["icount"] = ic
    rows = []
    labels = {"vanity": "vanity emitter (vn_trace_put)",
              "lttng": "lttng-ust, no session",
              "empty": "the loop alone",
              "clock": "vn_clock() alone (rdtsc)"}
    for p in TRACE_PEERS:
        v = samples[p]
        rows.append([labels[p], "%.2f" % res["median"][p],
                     "%.2f-%.2f" % (min(v), max(v)),
                     "%.1f" % ic[p] if p in ic else "",
                     "%d/%d" % (len(v) - sum(clean[p]), len(v))])
    if sess:
        for p in ("vanity", "lttng"):
            v = s2[p]
            rows.append([(labels[p] if p == "vanity" else "lttng-ust, session recording")
                         + " [session run]", "%.2f" % res["session"][p],
                         "%.2f-%.2f" % (min(v), max(v)), "",
                         "%d/%d" % (len(v) - sum(c2[p]), len(v))])
    table("5. One trace event on hosted, CPU 0, payload u32+enum+6 bytes, "
          "ns/event (%d events x %d interleaved rounds;\n"
          "   median of the runs nobody preempted; instructions: callgrind, "
          "%d and twice as many events, the difference, loop included)" % (n, rounds, n_ic),
          ["path", "ns/event", "range", "instr/event", "preempted"], rows)
    print("  vanity / lttng-ust (no session): %.2fx%s (median of per-round "
          "ratios)" % (r, mark))
    if sess:
        print("  vanity / lttng-ust (session recording): %.3fx%s"
              % (res["session"]["ratio"], res["session"]["mark"]))
    else:
        print("  lttng-ust with a session: not measured (%s)" % why)
    return res


# ---- 6. guest instructions per trace event --------------------------------------

# The QEMU virt boards' clocks (QEMU 7.2): the aarch64 generic timer counts
# at 62.5 MHz, the riscv64 `time` CSR at the 10 MHz timebase. Under
# -icount shift=0 one instruction is 1 ns of virtual time.
GUEST_HZ = {"qemu-virt-aarch64": 62500000, "qemu-virt-riscv64": 10000000}
QEMU_OF = {"qemu-virt-aarch64": "qemu-system-aarch64",
           "qemu-virt-riscv64": "qemu-system-riscv64"}
GUEST_RE = re.compile(r"trace-icount k=(\d+) events1=(\d+) events2=(\d+) "
                      r"empty1=(\d+) empty2=(\d+) ticks")


def part_guest():
    res, rows = {}, []
    for board, hz in GUEST_HZ.items():
        work = os.path.join(ROOT, "build", "bench", "trace", board)
        try:
            proc = run(["/usr/bin/python3", "./vanity", "run",
                        "bench/trace/trace.yaml", "--board", board,
                        "-o", os.path.join(work, "out"),
                        "--build-dir", os.path.join(work, "build"),
                        "--", "-icount", "shift=0"], timeout=300)
            text = proc.stdout + proc.stderr
            m = GUEST_RE.search(text)
        except subprocess.TimeoutExpired:
            proc, m, text = None, None, "timed out"
        if proc is None or proc.returncode != 0 or not m:
            tail = text.strip().splitlines()[-1:] or [""]
            res[board] = {"why": tail[0]}
            rows.append([board, "n/a", "", "", tail[0]])
            continue
        k, e1, e2, z1, z2 = (int(x) for x in m.groups())
        per_tick = 1e9 / hz  # instructions per clock tick under icount
        ev = (e2 - e1) * per_tick / k
        lp = (z2 - z1) * per_tick / k
        res[board] = {"k": k, "ticks": [e1, e2, z1, z2], "hz": hz,
                      "per_event": ev, "loop": lp, "emitter": ev - lp,
                      "resolution": per_tick / k}
        rows.append([board, "%.2f" % ev, "%.2f" % lp, "%.2f" % (ev - lp),
                     "+-%.3f" % (per_tick / k)])
    table("6. Guest instructions per trace event, QEMU -icount shift=0 "
          "(bench/trace: (ticks(2K) - ticks(K)) / K events, x 1e9/clock Hz)",
          ["board", "per event", "loop alone", "emitter", "resolution"], rows)
    return res


# ---- 11. kernel costs in guest instructions -----------------------------------------

KCOST_RE = re.compile(r"kcost k=(\d+) empty1=(\d+) empty2=(\d+) null1=(\d+) null2=(\d+) "
                      r"wait01=(\d+) wait02=(\d+) solo1=(\d+) solo2=(\d+) "
                      r"yield1=(\d+) yield2=(\d+) xcore1=(\d+) xcore2=(\d+) "
                      r"irq1=(\d+) irq2=(\d+) irqc1=(\d+) irqc2=(\d+) ticks")
KWAKE_RE = re.compile(r"kcost-wake n=(\d+) sum=(\d+) min=(\d+) max=(\d+) unit=(ticks|ns)")
# -icount sleep=off: an idle machine jumps to its next timer instead of
# waiting for the host's clock to catch up; -rtc clock=vm: the RTCs count
# that virtual time, so an alarm fires at an exact instruction.
KCOST_QEMU = ["-icount", "shift=0,sleep=off", "-rtc", "clock=vm"]
YIELD_AIM = 200


def kcost_parse(text, hz):
    """The two lines bench/kcost's meter prints -> instructions per
    operation, or None if either is missing."""
    m, w = KCOST_RE.search(text), KWAKE_RE.search(text)
    if not m or not w:
        return None
    v = [int(x) for x in m.groups()]
    k, t = v[0], v[1:]
    per_tick = 1e9 / hz

    def per_round(i):
        return (t[2 * i + 1] - t[2 * i]) * per_tick / k

    loop = per_round(0)
    n, total, lo, hi, unit = (int(x) if x.isdigit() else x for x in w.groups())
    scale = per_tick if unit == "ticks" else 1.0
    r = {"k": k, "ticks": t, "hz": hz, "loop": loop,
         "null": per_round(1) - loop,
         "wait0": per_round(2) - loop,
         "solo": per_round(3) - loop,
         "switch": (per_round(4) - loop) / 2,
         "xcore": (per_round(5) - loop) / 2,
         "irq_running": per_round(6) - per_round(7),
         "resolution": per_tick / k,
         "wake_n": n}
    if n:
        r.update(irq_wake=total * scale / n, irq_wake_min=lo * scale,
                 irq_wake_max=hi * scale, wake_resolution=scale)
    return r


def kcost_run(board, work=None, k=None, n=None, timeout=300, qemu_extra=()):
    """Boot bench/kcost on `board`, generated and built in `work`, with
    `qemu_extra` after the benchmark's QEMU options; (parsed results or
    None, output)."""
    work = str(work or os.path.join(ROOT, "build", "bench", "kcost", board))
    spec = "bench/kcost/kcost.yaml"
    if k or n:  # a smaller run (the smoke test): the same sources, K and N given
        import yaml
        src = os.path.join(work, "src")
        os.makedirs(src, exist_ok=True)
        with open(os.path.join(ROOT, spec)) as f:
            doc = yaml.safe_load(f)
        for s in doc["shards"]:  # sources are relative to the spec: copies
            for x in s["sources"]:
                shutil.copy(os.path.join(ROOT, "bench", "kcost", x), src)
            if s["name"] == "meter":
                s["cflags"] = ["-DK=%du" % (k or 2000), "-DN=%du" % (n or 16)]
        spec = os.path.join(src, "kcost.yaml")
        with open(spec, "w") as f:
            yaml.safe_dump(doc, f, sort_keys=False)
    try:
        proc = run(["/usr/bin/python3", "./vanity", "run", spec, "--board", board,
                    "-o", os.path.join(work, "out"),
                    "--build-dir", os.path.join(work, "build"),
                    "--"] + KCOST_QEMU + list(qemu_extra), timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, "timed out"
    text = proc.stdout + proc.stderr
    return (kcost_parse(text, GUEST_HZ[board]) if proc.returncode == 0 else None), text


def part_kcost():
    res, rows, wake = {}, [], []
    for board in GUEST_HZ:
        r, text = kcost_run(board)
        if r is None:
            tail = (text.strip().splitlines() or [""])[-1]
            res[board] = {"why": tail}
            rows.append([board] + ["n/a"] * 6 + [tail])
            continue
        res[board] = r
        rows.append([board, "%.1f" % r["switch"], "%.1f" % r["solo"], "%.1f" % r["null"],
                     "%.1f" % r["wait0"], "%.1f" % r["xcore"], "%.1f" % r["irq_running"],
                     "+-%.3f" % r["resolution"]])
        if r["wake_n"]:
            wake.append([board, "%.1f" % r["irq_wake"], "%.0f" % r["irq_wake_min"],
                         "%.0f" % r["irq_wake_max"], str(r["wake_n"]),
                         "+-%g" % r["wake_resolution"]])
        else:
            wake.append([board, "n/a", "", "", "0", "no sample: the alarm never woke meter"])
    table("11. Kernel costs in guest instructions, QEMU %s (bench/kcost: "
          "(ticks(2K) - ticks(K)) / K x 1e9/clock Hz, the empty loop subtracted)"
          % " ".join(KCOST_QEMU),
          ["board", "yield/switch", "yield alone", "null call", "WAIT(0)",
           "x-core wake", "irq, running", "resolution"], rows)
    table("    A device interrupt waking its sleeping shard (RTC alarm expiry -> "
          "the shard's first instruction after WAIT), per sample",
          ["board", "mean", "min", "max", "samples", "resolution"], wake)
    print("    yield/switch: one same-core switch (2 a round, YIELD to a shard that "
          "yields back); yield alone:\n    YIELD with nobody else ready; null call: "
          "HANDOFF; WAIT(0): WAIT, zero timeout, nothing pending;\n    x-core wake: "
          "NOTIFY of a shard asleep on the other core, the notifier's WAIT and the\n"
          "    sleeper's wake-up, everything both cores execute (2 a round); irq, running: "
          "the RTC\n    interrupt's trap, delivery and return to the shard that "
          "fired it (with and without it).")
    return res


# ---- 8. generator time against system size --------------------------------------

def part_scale(build, quick):
    path = os.path.join(build, "scale_gen.json")
    cmd = ["/usr/bin/python3", "bench/scale_gen.py", "--json", path,
           "--runs", "1" if quick else "3"]
    if quick:
        cmd += ["--sizes", "10,100,256"]
    print()
    print(check(run(cmd, timeout=1200), "bench/scale_gen.py"), end="")
    with open(path) as f:
        return json.load(f)


# ---- 7. channel counters and latency stamps ---------------------------------------

STAT_PEERS = ["vanity", "vanity_nostats", "vanity_lat"]
STAT_CASES = [(0, "8B-single"), (1, "8B-burst32"), (2, "64B-single")]


def part_stats(build, reps, n8, n64, tries, n_ic):
    samples, clean = {}, {}
    for ci, cname in STAT_CASES:
        out = check(run([os.path.join(build, "tput"), "-r", str(reps),
                         "-n", str(n8), "-m", str(n64), "-t", str(tries),
                         "-c", str(ci), "-p", ",".join(STAT_PEERS)]),
                    "tput (counters)")
        for r in tput_runs(out):
            samples.setdefault((cname, r["peer"]), []).append(float(r["mmsgs"]))
            clean.setdefault((cname, r["peer"]), []).append(int(r["preempt"]) == 0)
    res = {"tput": {}, "icount": {},
           "samples": {"%s/%s" % k: v for k, v in samples.items()},
           "clean": {"%s/%s" % k: v for k, v in clean.items()}}
    rows = []
    for _, c in STAT_CASES:
        s = {p: samples[(c, p)] for p in STAT_PEERS}
        k = {p: clean[(c, p)] for p in STAT_PEERS}
        # cost = off/on throughput: 1.02 means counting costs 2 %
        on, mon = round_ratio(s, k, "vanity_nostats", "vanity")
        lat, mlat = round_ratio(s, k, "vanity_nostats", "vanity_lat")
        # The spread of the per-round ratios behind `on`: a 2 % budget can
        # only be judged when their interquartile range is narrower than it.
        n = len(s["vanity"])
        idx = [i for i in range(n) if k["vanity"][i] and k["vanity_nostats"][i]]
        if len(idx) < 3:
            idx = list(range(n))
        rr = [s["vanity_nostats"][i] / s["vanity"][i] for i in idx]
        q = statistics.quantiles(rr, n=4) if len(rr) >= 2 else [rr[0]] * 3
        res["tput"][c] = {"median": {p: clean_median(s[p], k[p]) for p in STAT_PEERS},
                          "counters_iqr": [q[0], q[2]],
                          "counters_cost": on, "counters_mark": mon,
                          "latency_cost": lat, "latency_mark": mlat}
        rows.append([c] + ["%.1f" % res["tput"][c]["median"][p] for p in STAT_PEERS]
                    + ["%+.1f%%%s" % ((on - 1) * 100, mon),
                       "%+.1f%%%s" % ((lat - 1) * 100, mlat)])
    table("7a. Channel throughput, Vanity ring built three ways, Mmsg/s "
          "(%d interleaved rounds; cost = nostats / peer - 1,\n"
          "   median of per-round ratios over undisturbed rounds; '~' fewer "
          "than 3 such rounds)" % reps,
          ["case", "counters on", "counters off", "latency ch.",
           "counters cost", "latency cost"], rows)
    if shutil.which("valgrind"):
        for mode in ("pairs", "stream"):
            for p in STAT_PEERS:
                res["icount"].setdefault(mode, {})[p] = callgrind_per(
                    [os.path.join(build, "icount"), p, mode], "%s_%s8" % (p, mode), n_ic,
                    os.path.join(build, "callgrind.%s.%s.out" % (p, mode)),
                    "icount %s %s" % (p, mode))
        ic = res["icount"]
        table("7b. Instructions per 8-byte send+receive, Vanity ring built "
              "three ways (callgrind, runs of %d and twice as many messages, "
              "the difference)" % n_ic,
              ["mode", "counters on", "counters off", "latency ch.",
               "counters cost", "latency cost"],
              [[m, "%.1f" % ic[m]["vanity"], "%.1f" % ic[m]["vanity_nostats"],
                "%.1f" % ic[m]["vanity_lat"],
                "%+.1f%%" % ((ic[m]["vanity"] / ic[m]["vanity_nostats"] - 1) * 100),
                "%+.1f%%" % ((ic[m]["vanity_lat"] / ic[m]["vanity_nostats"] - 1) * 100)]
               for m in ("pairs", "stream")])
    print("  (counters on: the ring as shipped; off: -DVN_RING_NO_STATS. The "
          "counters are kept off the fast path:\n   the message counts are the "
          "64-bit indices, the high-water mark is kept where the producer\n"
          "   re-reads the tail, the stalls where a call fails. gcc may inline "
          "the ring differently in\n   each build: a negative cost is code "
          "generation, not counting.)")
    return res


# ---- 8. aims --------------------------------------------------------------------

def aims(results):
    rows = []

    def add(name, value, target, met, sp=None, at_least=None):
        """sp: the (q1, q3) of the per-round values behind `value`, against
        the bound `at_least` (True: value >= bound is met; False: <=)."""
        verdict = "met" if met else "NOT met"
        shown = ""
        if sp is not None:
            shown = "%.2f..%.2f" % sp
            bound = float(re.sub(r"[^0-9.]", "", target))
            lo, hi = sp
            robust = (lo >= bound or hi < bound) if at_least else (hi <= bound or lo > bound)
            if not robust:
                verdict += " (not robust: the spread straddles the target)"
        rows.append([name, value, shown, target, verdict])

    def na(name, target, why):
        rows.append([name, "n/a", "", target, "not measured: " + why])

    tp = results.get("tput", {})
    t, mk = tp.get("ratios"), tp.get("marks", {})
    if t:
        sps = tp.get("spreads", {})

        def ratio(case, peer):
            key = "%s/vanity/%s" % (case, peer)
            return t[key], mk.get(key, ""), sps.get(key)
        for case, peer, name, target in (
                ("8B-single", "rte_ring", "8B single vs rte_ring", 2.0),
                ("8B-burst32", "rte_ring", "8B burst32 vs rte_ring", 1.5),
                ("64B-single", "boost_spsc", "64B single vs boost", 2.5),
                ("64B-burst32", "best", "64B burst32 vs best peer", 1.2)):
            r, m, sp = ratio(case, peer)
            add(name, "%.2fx%s" % (r, m), ">= %gx" % target, r >= target, sp, True)
            if m:
                rows[-1][4] += " (< 3 undisturbed rounds: no verdict)"
    ic = results.get("icount")
    if ic:
        for mode, r in ic.items():
            best = min(v for p, v in r.items() if p != "vanity")
            add("instr per send+recv (%s)" % mode,
                "%.3f vs %.3f" % (r["vanity"], best), "<= best peer",
                r["vanity"] <= best)
    rt = results.get("rtt")
    if rt:
        for m in ("vanity8", "vanity64"):
            r = rt[m]["p50"] / rt["raw"]["p50"]
            add("poll RTT %sB vs raw" % m[6:], "%.2fx" % r, "<= 1.25x",
                r <= 1.25, rt[m].get("x_raw_spread"), False)
        if "ring64" in rt:
            rows.append(["poll RTT 64B floor (ring64) vs raw",
                         "%.2fx" % (rt["ring64"]["p50"] / rt["raw"]["p50"]),
                         "%.2f..%.2f" % rt["ring64"]["x_raw_spread"], "(no aim)", "recorded"])
            rows.append(["poll RTT 64B vs its floor (ring64)",
                         "%.2fx" % rt["vanity64"]["x_ring64"],
                         "%.2f..%.2f" % rt["vanity64"]["x_ring64_spread"], "(no aim)",
                         "recorded"])
    wk = results.get("wake")
    if wk:
        for label, r in wk.items():
            name = "wake RTT (%s) vs futex" % label
            if r["vanity"] is None:
                na(name, "<= 1.1x", r["why"])
            else:
                x = statistics.median(r["x_futex_rounds"])
                add(name, "%.2fx" % x, "<= 1.1x", x <= 1.1, r["x_futex_spread"], False)
    tr = results.get("trace")
    if tr:
        v = tr["median"]["vanity"]
        add("trace event, hosted", "%.2f ns" % v, "<= 10 ns", v <= 10)
        r, m = tr["ratio"]["vanity/lttng"], tr["ratio_mark"]
        add("trace event vs lttng-ust, no session", "%.2fx%s" % (r, m),
            "< 1x", r < 1)
        if m:
            rows[-1][4] += " (< 3 undisturbed rounds: no verdict)"
        if tr.get("session"):
            r, m = tr["session"]["ratio"], tr["session"]["mark"]
            add("trace event vs lttng-ust, session", "%.3fx%s" % (r, m),
                "< 1x", r < 1)
            if m:
                rows[-1][4] += " (< 3 undisturbed rounds: no verdict)"
        else:
            na("trace event vs lttng-ust, session", "< 1x", tr["session_why"])
        ic = tr.get("icount", {})
        if ic:
            add("trace instr/event vs lttng-ust (no session)",
                "%.1f vs %.1f" % (ic["vanity"], ic["lttng"]), "<= lttng",
                ic["vanity"] <= ic["lttng"])
    for board, g in (results.get("guest") or {}).items():
        if "per_event" in g:
            rows.append(["guest instr/event, %s" % board,
                         "%.1f" % g["per_event"], "", "(no aim)", "recorded"])
        else:
            na("guest instr/event, %s" % board, "(no aim)", g["why"])
    for board, g in (results.get("kcost") or {}).items():
        name = "same-core yield, instr/switch, %s" % board
        if "switch" in g:
            add(name, "%.1f" % g["switch"], "<= %d" % YIELD_AIM, g["switch"] <= YIELD_AIM)
            for key, what in (("null", "null system call"), ("xcore", "cross-core wake"),
                              ("irq_wake", "device irq to sleeping shard")):
                if key in g:
                    rows.append(["%s, %s" % (what, board), "%.1f" % g[key], "", "(no aim)",
                                 "recorded"])
        else:
            na(name, "<= %d" % YIELD_AIM, g["why"])
    st = results.get("stats")
    if st:
        for c, t in st["tput"].items():
            add("counters cost, tput %s" % c,
                "%+.1f%%%s" % ((t["counters_cost"] - 1) * 100, t["counters_mark"]),
                "<= 2%", t["counters_cost"] <= 1.02)
            lo, hi = t["counters_iqr"]
            rows[-1][2] = "%+.0f%%..%+.0f%%" % ((lo - 1) * 100, (hi - 1) * 100)
            if t["counters_mark"]:
                rows[-1][4] += " (< 3 undisturbed rounds: no verdict)"
            elif hi - lo > 0.04:
                rows[-1][4] = ("no verdict: per-round ratios' IQR %+.0f%%..%+.0f%% "
                               "is wider than the budget" % ((lo - 1) * 100, (hi - 1) * 100))
        for mode, r in st.get("icount", {}).items():
            x = r["vanity"] / r["vanity_nostats"]
            add("counters cost, instr (%s)" % mode, "%+.1f%%" % ((x - 1) * 100),
                "<= 2%", x <= 1.02)
            if x < 0.98:
                rows[-1][4] = ("no verdict: the off build is the slower one "
                               "(code generation differs)")
    table("Aims (Vanity vs peer, medians of per-round ratios; '~': fewer than 3 "
          "undisturbed rounds;\n   spread: the per-round ratios' interquartile "
          "range, or their whole range below 4 rounds; a verdict is robust\n"
          "   when the whole spread lies on one side of the target; instruction "
          "counts are exact and have none)",
          ["aim", "measured", "spread", "target", "verdict"], rows)


# ---- recording a full run into RESULTS.md ---------------------------------------

RECORD_MARKS = ("<!-- bench/run.py --record: the latest full run, begin -->",
                "<!-- bench/run.py --record: the latest full run, end -->")
DEFAULT_PARTS = "tput,fill,slots,icount,rtt,wake,trace,guest,stats,scale,reload,kcost"


class Tee:
    """stdout, kept as well: what a recorded run printed."""

    def __init__(self, out):
        self.out, self.kept = out, []

    def write(self, text):
        self.kept.append(text)
        return self.out.write(text)

    def flush(self):
        self.out.flush()


def first_line(cmd):
    """The first line cmd prints, or '?' when it cannot run."""
    try:
        out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True,
                             timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    return (out.strip().splitlines() or ["?"])[0].strip()


def cpu_pressure():
    """/proc/pressure/cpu's 'some' avg10, as a string ('?' without PSI)."""
    try:
        with open("/proc/pressure/cpu") as f:
            return re.search(r"some avg10=([0-9.]+)", f.read()).group(1) + " %"
    except (OSError, AttributeError):
        return "?"


def machine():
    """What a result depends on, read now."""
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            model = re.search(r"^model name\s*:\s*(.*)$", f.read(), re.M).group(1)
    except (OSError, AttributeError):
        pass
    commit = first_line(["git", "rev-parse", "--short", "HEAD"])
    dirty = subprocess.run(["git", "diff", "--quiet", "HEAD", "--"], cwd=ROOT).returncode
    return {"cpu": "%s, %d CPUs" % (model, os.cpu_count() or 0),
            "kernel": first_line(["uname", "-sr"]),
            "gcc": first_line(["gcc", "--version"]),
            "qemu": first_line(["qemu-system-aarch64", "--version"]),
            "commit": commit + (" with uncommitted changes" if dirty else "")}


def record(path, text, meta):
    """Writes the run (its printed text, and meta: started, ended, pressure
    before and after, and machine()'s keys) between path's RECORD_MARKS."""
    with open(path) as f:
        doc = f.read()
    begin, end = RECORD_MARKS
    if doc.count(begin) != 1 or doc.count(end) != 1 or doc.index(begin) > doc.index(end):
        sys.exit("bench: %s: want one pair of marks %r ... %r to record between"
                 % (path, begin, end))
    block = "\n".join([
        begin, "",
        "Recorded by `bench/run.py --record` (`make bench`): from %s to %s UTC, "
        "commit %s." % (meta["started"], meta["ended"], meta["commit"]),
        "Machine: %s; %s; %s; %s. CPU pressure (`/proc/pressure/cpu`, some avg10): "
        "%s at the start, %s at the end." % (meta["cpu"], meta["kernel"], meta["gcc"],
                                             meta["qemu"], meta["pressure_start"],
                                             meta["pressure_end"]),
        "", "```text", "".join(text).strip("\n"), "```", "", end])
    head, rest = doc.split(begin, 1)
    with open(path, "w") as f:
        f.write(head + block + rest.split(end, 1)[1])


def utc_now():
    return subprocess.run(["date", "-u", "+%Y-%m-%d %H:%M"], capture_output=True,
                          text=True).stdout.strip()


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
    ap.add_argument("--only", default=DEFAULT_PARTS,
                    help="comma-separated parts to run")
    ap.add_argument("--record", metavar="FILE",
                    help="write this run's output into FILE (bench/RESULTS.md) "
                    "between its record marks; a full run only")
    args = ap.parse_args()
    parts = set(args.only.split(","))
    q = args.quick
    meta = None
    if args.record:
        if q or parts != set(DEFAULT_PARTS.split(",")):
            sys.exit("bench: --record takes a full run: every default part "
                     "(no --only) and no --quick")
        args.record = os.path.abspath(args.record)
        meta = dict(machine(), started=utc_now(), pressure_start=cpu_pressure())
        sys.stdout = Tee(sys.stdout)

    # The host programs: only the parts that run them need them built (the
    # QEMU parts build their systems through ./vanity).
    if parts & {"tput", "fill", "slots", "icount", "rtt", "wake", "trace", "stats"}:
        check(run(["make", "-s", "-C", "bench", "all", "BUILD=" + args.build]),
              "build")
    os.makedirs(args.build, exist_ok=True)
    print("Vanity benchmarks: gcc -O2 -march=x86-64-v2 -falign-loops=64 for every peer; "
          "producer/ping on CPU 0, consumer/echo on CPU 1")
    results = {}
    if "tput" in parts:
        results["tput"] = part_tput(args.build, 2 if q else args.reps,
                                    500000 if q else 1000000,
                                    100000 if q else 250000,
                                    1 if q else args.tries)
    if "fill" in parts:
        results["fill"] = part_fill(args.build)
    if "slots" in parts:
        results["slots"] = part_slots(args.build, 3 if q else args.reps,
                                      50000 if q else 250000, 1 if q else args.tries)
    if "icount" in parts:
        results["icount"] = part_icount(args.build, 10240 if q else 102400)
    if "rtt" in parts:
        results["rtt"] = part_rtt(args.build, 2000 if q else 20000,
                                  1 if q else 3)
    if "wake" in parts:
        results["wake"] = part_wake(args.build, 200 if q else 2000, 1 if q else 3)
    if "trace" in parts:
        results["trace"] = part_trace(args.build, 200000 if q else 1000000,
                                      3 if q else args.reps,
                                      1 if q else args.tries,
                                      10000 if q else 100000)
    if "guest" in parts:
        results["guest"] = part_guest()
    if "stats" in parts:
        # Shorter runs than part 1 and more rounds: a 2 % budget needs runs
        # that nobody preempted, and short runs are preempted less often.
        results["stats"] = part_stats(args.build, 3 if q else max(args.reps, 9),
                                      100000 if q else 200000,
                                      25000 if q else 50000,
                                      1 if q else args.tries,
                                      10240 if q else 102400)
    if "scale" in parts:
        results["scale"] = part_scale(args.build, q)
    if "reload" in parts:
        path = os.path.join(args.build, "reload.json")
        print()
        print(check(run(["/usr/bin/python3", "bench/reload_pause.py", "--json", path,
                         "--reloads", "6" if q else "16"], timeout=3600),
                    "bench/reload_pause.py"), end="")
        with open(path) as f:
            results["reload"] = json.load(f)
    if "kcost" in parts:
        results["kcost"] = part_kcost()
    if "scalewake" in parts:
        path = os.path.join(args.build, "scale_wake.json")
        print()
        print(check(run(["/usr/bin/python3", "bench/scale_wake.py", "--json", path],
                        timeout=7200), "bench/scale_wake.py"), end="")
        with open(path) as f:
            results["scalewake"] = json.load(f)
    with open(os.path.join(args.build, "results.json"), "w") as f:
        json.dump(results, f, indent=1, sort_keys=True)
    print("\nraw results: %s" % os.path.relpath(
        os.path.join(args.build, "results.json"), ROOT))
    aims(results)
    if meta:
        meta.update(ended=utc_now(), pressure_end=cpu_pressure())
        text, sys.stdout = sys.stdout.kept, sys.stdout.out
        record(args.record, text, meta)
        print("\nrecorded in %s" % os.path.relpath(args.record, ROOT))


if __name__ == "__main__":
    main()
