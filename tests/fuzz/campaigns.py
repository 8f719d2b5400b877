#!/usr/bin/python3
"""The robustness campaigns of `make fuzz` (docs/robustness.md), each bounded,
each ending in one row of a table:

  attack surface | board | inputs tried | crashes | hangs | msgs lost | time

  syscalls    tests/system/stress/sysfuzz: random system calls, half through
              the raw trap (svc/ecall, the control page on hosted), each
              result the documented one, a bystander pair counting its
              messages (VANITY_SYSFUZZ_SEED, VANITY_SYSFUZZ_CALLS)
  shared      tests/system/stress/scribble: a shard writes random bytes over
              the rings and the pool it shares with a peer and over its own
              trace ring, between ordinary sends and receives; the peer
              ends unfaulted (VANITY_SCRIBBLE_SEED, _ROUNDS)
  reload      tests/system/reloadfuzz.py: a hostile updater, the real one
              of examples/updater fed images made wrong on purpose over its
              UART (a header field, the digest, the image's own header, its
              bytes or size); each must be judged, none that must be
              refused accepted, what is accepted contained, the loader
              unfaulted, the genuine image accepted at the end
              (VANITY_RELOADFUZZ_SEED, _IMAGES)
  exceptions  tests/system/stress/excfuzz: random instruction words and
              accesses at EL0/U-mode on the QEMU boards, each a fault of
              that shard or harmless (VANITY_EXCFUZZ_SEED, _TRIES)
  mmio        tests/system/stress/mmiofuzz: random MMIO calls, inside the
              caller's RTC window or not, each completed or a fault of the
              caller, which restarts and goes on; on the QEMU boards the
              kernel makes them on the real RTC, whose page the caller
              shares with another shard (VANITY_MMIOFUZZ_SEED, _TRIES)
  devices     tests/system/stress/devfuzz: a malicious driver shard against
              every hosted device model: random register accesses, virtio
              bring-ups with random queues, descriptors and DMA addresses
              (VANITY_DEVFUZZ_SEED, _CALLS)
  sanitizers  both hosted campaigns again (seed 2, 200 000 inputs each)
              with VANITY_SANITIZE=1: ASan+UBSan in the kernel process,
              UBSan in the shards; a finding counts as a crash
  records     tests/generator/test_records_fuzz.py's mutator on the traces
              and crash dumps real runs leave on each board: `vanity trace`
              and `vanity dump` must read each or refuse it in one error
              line, never an internal error, within 10 s
              (VANITY_RECORDFUZZ_SEED, _ROUNDS)
  libFuzzer   tests/fuzz/run.sh: the virtio-net driver's frame code, then
              the hosted device models driven directly (fuzz_devices.c:
              register accesses, a fuzzer-written DMA heap, time, console
              input, received frames), then the hosted kernel's check of a
              reload's new executable (fuzz_reload.c: random images),
              FUZZ_TIME seconds each
  specs       tests/generator/test_gen_fuzz.py's structure-aware mutators:
              specs (with inline register maps) through `vanity check`,
              SVD files through `vanity import-svd`; a traceback or an
              error without FILE:LINE:COL counts as a crash, an input that
              takes over 30 s as a hang (VANITY_SPECFUZZ_SEED, _ROUNDS)

  tests/fuzz/campaigns.py [--only NAME] [--boards b1,b2]

A crash is a kernel that died (exit status other than the system's own,
or a "kernel panic" line); a hang is a run killed by its timeout; a lost
message is one the bystander pair did not receive in order. Exit status 0
only if every row is clean.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "system"))
from systest_lib import copy_spec, mmiofuzz_spec  # noqa: E402
import reloadfuzz  # noqa: E402

STRESS = REPO / "tests" / "system" / "stress"
VANITY = REPO / "vanity"
BOARDS = ["hosted", "qemu-virt-aarch64", "qemu-virt-riscv64"]
ROWS = []


def row(surface, board, inputs, crashes, hangs, lost, secs, note=""):
    ROWS.append((surface, board, inputs, crashes, hangs, lost, secs, note))


def vanity_run(spec, board, work, timeout, sanitize=False):
    """(status or None if it hung, stdout, stderr, seconds)."""
    env = dict(os.environ, VANITY_QEMU_TIMEOUT=str(timeout))
    if sanitize:
        env["VANITY_SANITIZE"] = "1"
    cmd = [sys.executable, str(VANITY), "run", str(spec), "--board", board,
           "-o", str(work / "out"), "--build-dir", str(work / "build")]
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, cwd=REPO, env=env, text=True, errors="replace",
                         stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, start_new_session=True)
    try:
        out, err = p.communicate(timeout=timeout + 120)
        status = p.returncode
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, 9)
        out, err = p.communicate()
        status = None
    if board != "hosted" and status is not None and "timed out" in err and \
            re.search(r"^vanity: .*timed out", err, re.M):
        status = None
    return status, out, err, time.monotonic() - t0


def log(out, shard):
    pre = f"[{shard}] "
    return [ln[len(pre):] for ln in out.splitlines() if ln.startswith(pre)]


def bystander_lost(out):
    """Messages the bystander pair (stress/seq.c: src -> dst, 20 000) lost
    or got out of order, by dst's last word; all of them if it said none."""
    dst = log(out, "dst")
    r = re.fullmatch(r"received (\d+), (\d+) out of order", dst[0]) if dst else None
    return (20000 - int(r[1]) + int(r[2])) if r else 20000


def panicked(err):
    return bool(re.search(r"^vanity: kernel panic", err, re.M))


def show_failure(name, board, status, out, err, replay):
    print(f"--- {name} on {board}: FAILED (status {status}); replay with {replay}")
    print("\n".join((out + err).splitlines()[-40:]))


def sysfuzz(board, work, seed, calls, sanitize=False):
    def edit(doc):
        fuzz = next(s for s in doc["shards"] if s["name"] == "fuzz")
        fuzz["cflags"] = [f"-DCALLS={calls}", f"-DSEED={seed}"]
    spec = copy_spec(STRESS / "sysfuzz.yaml", work / "src", edit)
    status, out, err, secs = vanity_run(spec, board, work, timeout=600, sanitize=sanitize)
    m = [re.fullmatch(r"seed \d+: (\d+) calls \((.*)\) in (\d+) us, unexpected (\d+)", ln)
         for ln in log(out, "fuzz")]
    m = next((x for x in m if x), None)
    lost = bystander_lost(out)
    hang = status is None
    crash = 0 if hang else int(status != 0 or panicked(err))
    bad = int(m[4]) if m else 0
    note = ""
    if m:
        us = int(m[3])
        note = f"{int(m[1]) * 1e6 / max(us, 1):,.0f} calls/s; {m[2]}; unexpected {bad}"
    if hang or crash or lost or bad or not m:
        show_failure("syscalls", board, status, out, err,
                     f"VANITY_SYSFUZZ_SEED={seed} VANITY_SYSFUZZ_CALLS={calls}")
        crash = crash or int(not m and not hang)
    crash = crash or int("runtime error" in err or "Sanitizer" in err)
    row("syscalls" + (" (ASan+UBSan)" if sanitize else ""), board, calls if m else 0, crash, int(hang), lost, secs, note)
    return not (hang or crash or lost or bad or not m)


def excfuzz(board, work, seed, tries, timeout):
    """(row fields); the exception fuzzer's run on a bare-metal board."""
    def edit(doc):
        exc = next(s for s in doc["shards"] if s["name"] == "exc")
        exc["cflags"] = [f"-DTRIES={tries}", f"-DSEED={seed}"]
    spec = copy_spec(STRESS / "excfuzz.yaml", work / "src", edit)
    subprocess.run([sys.executable, str(STRESS / "excslots.py"), str(seed), "2048",
                    str(work / "src" / "excslots.S")], check=True)
    status, out, err, secs = vanity_run(spec, board, work, timeout=timeout)
    return exc_outcome(status, out, err, secs, tries)


def exc_outcome(status, out, err, secs, tries, shard="exc"):
    """{'tried', 'completed', 'faulted', 'classes': {what: n}, 'hang', 'crash',
    'lost', 'ok', 'secs'} of one run of a fuzzer that restarts on its faults
    (excfuzz, mmiofuzz: `shard`) with the ledger."""
    classes = {}
    for ln in err.splitlines():
        m = re.match(rf"vanity: shard '{shard}' (faulted: ([a-zA-Z/ -]+?)(?: \(|,| at)|watchdog)",
                     ln)
        if m:
            what = m[2] or "watchdog"
            classes[what] = classes.get(what, 0) + 1
    led = [re.fullmatch(r"tried (\d+): completed (\d+), faulted (\d+), restarts (\d+), "
                        r"garbled (\d+), unexpected (\d+)", ln) for ln in log(out, "ledger")]
    led = next((x for x in led if x), None)
    lost = bystander_lost(out)
    hang = status is None
    crash = 0 if hang else int(status != 0 or panicked(err) or
                               bool(re.search(rf"shard '{shard}' .*stopped", err)))
    ok = bool(led) and int(led[1]) == tries and led[5] == led[6] == "0" and not hang and \
        not crash and not lost
    return {"tried": int(led[1]) if led else 0, "completed": int(led[2]) if led else 0,
            "faulted": int(led[3]) if led else 0, "unexpected": int(led[6]) if led else 0,
            "classes": classes, "hang": int(hang),
            "crash": crash, "lost": lost, "ok": ok, "secs": secs}


def scribble(board, work, seed, rounds):
    """A peer that writes over the memory it shares (stress/scribble.yaml):
    the peer ends unfaulted, the bystanders lose nothing, status 0."""
    def edit(doc):
        vandal = next(s for s in doc["shards"] if s["name"] == "vandal")
        vandal["cflags"] = ["-DVANDAL", f"-DROUNDS={rounds}", f"-DSEED={seed}"]
    spec = copy_spec(STRESS / "scribble.yaml", work / "src", edit)
    status, out, err, secs = vanity_run(spec, board, work, timeout=300 + rounds // 1000)
    lost = bystander_lost(out)
    victim = next((m for m in (re.fullmatch(r"done: (.*), (\d+) received, (\d+) handles "
                                            r"refused", ln) for ln in log(out, "victim")) if m),
                  None)
    hang = status is None
    crash = 0 if hang else int(status != 0 or panicked(err) or "faulted" in err or not victim)
    if hang or crash or lost:
        show_failure("shared memory", board, status, out, err,
                     f"VANITY_SCRIBBLE_SEED={seed} VANITY_SCRIBBLE_ROUNDS={rounds}")
    row("shared memory", board, rounds if victim else 0, crash, int(hang), lost, secs,
        f"victim: {victim[1]}, {victim[2]} received, {victim[3]} handles refused"
        if victim else "")
    return not (hang or crash or lost)


def reload_images(board, work, seed, images):
    """A hostile updater (tests/system/reloadfuzz.py)."""
    replay = f"VANITY_RELOADFUZZ_SEED={seed} VANITY_RELOADFUZZ_IMAGES={images}"
    try:
        o = reloadfuzz.campaign(board, work, seed, images)
    except AssertionError as exc:  # an image without a verdict, or the genuine one refused
        why = str(exc)
        print(f"--- reload images on {board}: FAILED; replay with {replay}\n{why[:200]}\n"
              f"...\n{why[-3000:]}")
        row("reload images (updater)", board, 0, 0, 1, 0, 0, "")
        return False
    if not o.ok:
        show_failure("reload images", board, [st for st, _ in o.runs], o.text, "", replay)
        for i, what, verdict in o.wrong:
            print(f"  input {i}: {what}: {verdict}, but it must be refused")
    row("reload images (updater)", board, o.inputs, int(o.crash), 0, 0, o.secs,
        o.note() + (f"; wrongly accepted {len(o.wrong)}" if o.wrong else ""))
    return o.ok


def exceptions(board, work, seed, tries):
    o = excfuzz(board, work, seed, tries, timeout=400)
    note = (f"completed {o['completed']}, faulted {o['faulted']} ("
            + ", ".join(f"{k} {v}" for k, v in sorted(o["classes"].items())) + ")")
    if not o["ok"]:
        print(f"--- exceptions on {board}: FAILED; replay with VANITY_EXCFUZZ_SEED={seed} "
              f"VANITY_EXCFUZZ_TRIES={tries}")
    row("exceptions", board, o["tried"], o["crash"], o["hang"], o["lost"], o["secs"], note)
    return o["ok"]


def mmio(board, work, seed, tries):
    """MMIO calls (tests/system/stress/mmiofuzz): each outside the caller's
    windows faults it, and it restarts."""
    spec = mmiofuzz_spec(board, tries, seed, work / "src")
    status, out, err, secs = vanity_run(spec, board, work, timeout=120 + tries)
    o = exc_outcome(status, out, err, secs, tries, shard="mm")
    if not o["ok"]:
        print(f"--- MMIO calls on {board}: FAILED; replay with VANITY_MMIOFUZZ_SEED={seed} "
              f"VANITY_MMIOFUZZ_TRIES={tries}")
    row("MMIO calls", board, o["tried"], o["crash"], o["hang"], o["lost"], o["secs"],
        f"completed {o['completed']}, faulted {o['faulted']}, "
        f"unexpected outcomes {o['unexpected']}")
    return o["ok"]


def devfuzz(work, seed, calls, sanitize=False):
    def edit(doc):
        drv = next(s for s in doc["shards"] if s["name"] == "drv")
        drv["cflags"] = [f"-DCALLS={calls}", f"-DSEED={seed}"]
    spec = copy_spec(STRESS / "devfuzz.yaml", work / "src", edit)
    status, out, err, secs = vanity_run(spec, "hosted", work, timeout=600, sanitize=sanitize)
    # The UARTs print what drv wrote to them: the logs may follow junk.
    m = re.search(r"\[drv\] seed \d+: (\d+) accesses \((.*)\) in (\d+) us", out)
    r = re.search(r"\[dst\] received (\d+), (\d+) out of order", out)
    lost = (20000 - int(r[1]) + int(r[2])) if r else 20000
    hang = status is None
    faults = len(re.findall(r"^vanity: shard 'drv' faulted", err, re.M))
    crash = 0 if hang else int(status != 0 or bool(re.search(r"internal error", err)) or
                               "runtime error" in err or "Sanitizer" in err)
    classes = {}
    for ln in err.splitlines():
        k = re.match(r"vanity: (?:virtio-net|uart|rtc)[^:]*: (.*)", ln)
        if k:
            # the reason alone: "; device needs reset" and whatever
            # follows a reason's own parenthesis or semicolon dropped
            key = re.sub(r"\d+", "N", re.split(r"[;(]", k[1])[0].strip())
            classes[key] = classes.get(key, 0) + 1
    note = ""
    if m:
        note = (f"{int(m[1]) * 1e6 / max(int(m[3]), 1):,.0f} accesses/s; {m[2]}; "
                f"driver faults {faults}; model refusals: "
                + "; ".join(f"{k}: {v}" for k, v in sorted(classes.items())))
    ok = bool(m) and not hang and not crash and not lost and not faults
    if not ok:
        show_failure("devices", "hosted", status, out, err,
                     f"VANITY_DEVFUZZ_SEED={seed} VANITY_DEVFUZZ_CALLS={calls}")
    row("device models" + (" (ASan+UBSan)" if sanitize else ""), "hosted", calls if m else 0, crash, int(hang), lost, secs, note)
    return ok


def libfuzzer(secs, target, surface):
    """One target of tests/fuzz/run.sh: frame (the virtio-net driver's frame
    code), devices (the hosted device models, fuzz_devices.c) or reload (the
    hosted kernel's check of a reload's executable, fuzz_reload.c)."""
    t0 = time.monotonic()
    p = subprocess.run(["sh", str(REPO / "tests" / "fuzz" / "run.sh"), str(secs), target],
                       cwd=REPO, text=True, capture_output=True)
    line = (p.stdout.strip().splitlines() or [p.stderr.strip()])[-1:]
    line = line[0] if line else ""
    m = re.search(r"ok: (\d+) runs", line)
    if p.returncode != 0 and "not found" in (p.stderr + p.stdout):
        row(surface, "host", 0, 0, 0, 0, time.monotonic() - t0,
            "skipped: clang/libFuzzer not installed")
        return True
    note = line[:60]
    if target == "devices":
        # What the models did over the run (fuzz_devices.c prints it at exit).
        work = re.search(r"\((/\S+)\)$", line)
        log = Path(work[1]) / "log.txt" if work else None
        if log and log.exists():
            did = re.findall(r"^fuzz_devices: (\d+ accesses.*)$", log.read_text(), re.M)
            note = did[-1] if did else note
    row(surface, "host", int(m[1]) if m else 0,
        int(p.returncode != 0), 0, 0, time.monotonic() - t0, note)
    if p.returncode != 0:
        print(p.stdout[-3000:], p.stderr[-3000:])
    return p.returncode == 0


def specfuzz(seed, rounds):
    """The generator's inputs, in this process: rounds specs, rounds / 4 SVDs."""
    import contextlib
    import io
    import random
    import xml.etree.ElementTree as ET
    sys.path[:0] = [str(REPO), str(REPO / "tests" / "generator")]
    import yaml
    import test_gen_fuzz as tf
    from generator.cli import main as vanity
    t0, rng, crashes, hangs, first = time.monotonic(), random.Random(seed), 0, 0, None
    with tempfile.TemporaryDirectory(prefix="vanity-specfuzz.") as tmp:
        tmp = Path(tmp)
        corpus = tf._spec_corpus(tmp)
        for n in range(rounds + rounds // 4):
            if n < rounds:
                tree = corpus[n % len(corpus)]
                for _ in range(rng.randrange(1, 4)):
                    tree, _ = tf._mutate_tree(rng, tree)
                path = tmp / "fuzz.yaml"
                path.write_text(yaml.safe_dump(tree, sort_keys=False, width=200))
                argv = ["check", str(path)]
            else:
                root = ET.parse(REPO / "tests/generator/regmap_sample.svd").getroot()
                for _ in range(rng.randrange(1, 4)):
                    tf._mutate_svd(rng, root)
                path = tmp / "fuzz.svd"
                ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
                argv = ["import-svd", str(path), "-o", str(tmp / "out")]
            err, start = io.StringIO(), time.monotonic()
            with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
                status = vanity(argv)
            hangs += time.monotonic() - start > 30
            bad = status not in (0, 1) or "internal error" in err.getvalue() \
                or bool(tf._located(err.getvalue(), path))
            crashes += bad
            if bad and first is None:
                first = f"input {n} (seed {seed}): {err.getvalue()[:300]}"
                shutil.copy(path, REPO / "build" / f"specfuzz-{n}{path.suffix}")
    row("specs, register maps, SVD", "generator", rounds + rounds // 4, crashes, hangs, 0,
        time.monotonic() - t0, first or "")
    return crashes == 0 and hangs == 0


RECORD_SPECS = [REPO / "tests/system/obs/traced.yaml", REPO / "tests/system/latency/latency.yaml"]


def recordfuzz(boards, work, seed, rounds):
    """What vanity reads back from a system, made wrong: the traces and crash
    dumps real runs of RECORD_SPECS leave on each board, mutated by
    tests/generator/test_records_fuzz.py's mutator and read in this process
    by `vanity trace` (plain, --stats, --perfetto) and `vanity dump` (plain,
    --core); rounds inputs per file. A crash is an internal error or an exit
    other than 0 or 1; a hang, an input that takes over its bound."""
    import random
    sys.path[:0] = [str(REPO), str(REPO / "tests" / "generator")]
    import test_records_fuzz as rf
    from generator import ctf
    t0, rng, samples = time.monotonic(), random.Random(seed), []
    for board in boards:
        for spec in RECORD_SPECS:
            w = work / f"{board}-{spec.stem}"
            env = dict(os.environ, VANITY_QEMU_TIMEOUT="120")
            p = subprocess.run([sys.executable, str(VANITY), "run", str(spec), "--board", board,
                                "-o", str(w / "out"), "--build-dir", str(w / "build"),
                                "--trace", str(w / "trace"), "--dump-dir", str(w / "dumps")],
                               cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
            raw = w / "trace" / ctf.KEPT_RAW
            if not raw.is_file():
                print(p.stdout[-2000:], p.stderr[-2000:])
                row("traces and crash dumps read back", board, 0, 1, 0, 0,
                    time.monotonic() - t0, f"{spec.name} left no trace (exit {p.returncode})")
                return False
            samples.append((f"{board}-{spec.stem}-trace", raw.read_bytes(), raw))
            for f in sorted((w / "dumps").glob("*.vdump")):
                samples.append((f"{board}-{f.stem}", f.read_bytes(), f))
    crashes = hangs = inputs = 0
    first = ""
    for name, data, place in samples:
        commands = rf.trace_commands if place.name == ctf.KEPT_RAW else rf.dump_commands
        failures = rf.campaign(rng, rounds, [(name, data, place)], work, commands)
        inputs += rounds
        hangs += sum(why.startswith("took ") for _, why in failures)
        crashes += sum(not why.startswith("took ") for _, why in failures)
        if failures and not first:
            first = f"{failures[0][0]}: {failures[0][1][:300]}"
    row("traces and crash dumps read back", "generator", inputs, crashes, hangs, 0,
        time.monotonic() - t0, first or f"{len(samples)} real files from "
        f"{', '.join(boards)}")
    return crashes == 0 and hangs == 0


def table():
    head = ("attack surface", "board", "inputs tried", "crashes", "hangs", "msgs lost",
            "time")
    lines = [(s, b, f"{n:,}", str(c), str(h), str(lost), f"{t:.0f} s")
             for s, b, n, c, h, lost, t, _ in ROWS]
    w = [max(len(x[i]) for x in [head] + lines) for i in range(len(head))]
    fmt = lambda cols: "| " + " | ".join(c.ljust(w[i]) for i, c in enumerate(cols)) + " |"
    print()
    print(fmt(head))
    print("|" + "|".join("-" * (x + 2) for x in w) + "|")
    for ln in lines:
        print(fmt(ln))
    notes = [f"  {s} on {b}: {note}" for s, b, *_, note in ROWS if note]
    if notes:
        print("\n" + "\n".join(notes))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", action="append")
    ap.add_argument("--boards", default=",".join(BOARDS))
    a = ap.parse_args()
    boards = a.boards.split(",")
    want = lambda name: not a.only or name in a.only
    ok = True
    with tempfile.TemporaryDirectory(prefix="vanity-campaigns.") as tmp:
        tmp = Path(tmp)
        if want("syscalls"):
            seed = int(os.environ.get("VANITY_SYSFUZZ_SEED", "1"))
            for b in boards:
                calls = int(os.environ.get("VANITY_SYSFUZZ_CALLS", "1000000"))
                ok &= sysfuzz(b, tmp / f"sys-{b}", seed, calls)
        if want("shared"):
            seed = int(os.environ.get("VANITY_SCRIBBLE_SEED", "1"))
            rounds = int(os.environ.get("VANITY_SCRIBBLE_ROUNDS", "100000"))
            for b in boards:
                ok &= scribble(b, tmp / f"scribble-{b}", seed, rounds)
        if want("reload"):
            seed = int(os.environ.get("VANITY_RELOADFUZZ_SEED", "1"))
            images = int(os.environ.get("VANITY_RELOADFUZZ_IMAGES", "100"))
            for b in boards:
                ok &= reload_images(b, tmp / f"reload-{b}", seed, images)
        if want("exceptions"):
            seed = int(os.environ.get("VANITY_EXCFUZZ_SEED", "1"))
            tries = int(os.environ.get("VANITY_EXCFUZZ_TRIES", "800"))
            for b in boards:
                if b != "hosted":
                    ok &= exceptions(b, tmp / f"exc-{b}", seed, tries)
        if want("mmio"):
            for b in boards:
                ok &= mmio(b, tmp / f"mmio-{b}", int(os.environ.get("VANITY_MMIOFUZZ_SEED", "1")),
                           int(os.environ.get("VANITY_MMIOFUZZ_TRIES", "400")))
        if want("devices") and "hosted" in boards:
            ok &= devfuzz(tmp / "dev", int(os.environ.get("VANITY_DEVFUZZ_SEED", "1")),
                          int(os.environ.get("VANITY_DEVFUZZ_CALLS", "1000000")))
        if want("sanitizers") and "hosted" in boards:
            ok &= sysfuzz("hosted", tmp / "sys-san", 2, 200000, sanitize=True)
            ok &= devfuzz(tmp / "dev-san", 2, 200000, sanitize=True)
        if want("specs"):
            ok &= specfuzz(int(os.environ.get("VANITY_SPECFUZZ_SEED", "1")),
                           int(os.environ.get("VANITY_SPECFUZZ_ROUNDS", "4000")))
        if want("records"):
            ok &= recordfuzz(boards, tmp / "records",
                             int(os.environ.get("VANITY_RECORDFUZZ_SEED", "1")),
                             int(os.environ.get("VANITY_RECORDFUZZ_ROUNDS", "200")))
        if want("libfuzzer"):
            secs = int(os.environ.get("FUZZ_TIME", "60"))
            ok &= libfuzzer(secs, "frame", "virtio-net frames (libFuzzer)")
            ok &= libfuzzer(secs, "devices", "device models (libFuzzer)")
            ok &= libfuzzer(secs, "reload", "reload images (libFuzzer)")
    table()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
