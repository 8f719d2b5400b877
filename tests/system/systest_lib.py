"""Helpers for the hosted system tests (a unique module name: tests/ has no
packages, and other test directories have helper modules of their own).

Every system is generated, built and run through ./vanity into a temporary
directory, never into the repository's out/ or build/. Every run is bounded:
a system that does not finish within TIMEOUT seconds is killed (the whole
process group: vanity, the kernel and its shards) and the test fails saying
so, with whatever the system printed.
"""

import codecs
import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
PYTHON = "/usr/bin/python3"
VANITY = REPO / "vanity"
TIMEOUT = 60
NOBODY = 65534


def as_user(uid):
    """The command prefix that runs a program as uid, with no group and no
    capability: a user's (root drops its capabilities with its uid)."""
    return ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--"]


# A user's run on a QEMU board has no bound (generator/build_bare.py,
# qemu_timeout); the tests' runs have, QEMU's own as well as the harness's,
# so that a guest that hangs ends with QEMU's word (exit 124, said), not
# only with the harness's kill. A test that needs longer sets its own.
os.environ.setdefault("VANITY_QEMU_TIMEOUT", str(TIMEOUT))

# "vanity: shard 'x' faulted: SIGSEGV (address not mapped) at 0x10000000, pc 0x30001493"
FAULT_RE = re.compile(
    r"^shard '(?P<shard>\w+)' faulted: (?P<sig>SIG\w+) \((?P<code>[^)]*)\)"
    r"(?: at (?P<addr>0x[0-9a-f]+))?, pc (?P<pc>0x[0-9a-f]+)$")


class Pipes:
    """What a running process writes to its pipes, read by a thread each as
    it comes: a test that reads only at the end would fill a pipe and stop
    the writer. text(name) is what pipe `name` (a keyword of the
    constructor) has brought so far, decoded; alive() is true until every
    pipe has closed."""

    def __init__(self, encoding="utf-8", **pipes):
        self.lock = threading.Lock()
        self.chunks = {name: [] for name in pipes}
        self.threads = [threading.Thread(target=self._read, args=(name, f, encoding),
                                         daemon=True) for name, f in pipes.items()]
        for t in self.threads:
            t.start()

    def _read(self, name, f, encoding):
        decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
        for data in iter(lambda: os.read(f.fileno(), 65536), b""):
            with self.lock:
                self.chunks[name].append(decoder.decode(data))
        with self.lock:
            self.chunks[name].append(decoder.decode(b"", final=True))

    def text(self, name):
        with self.lock:
            joined = "".join(self.chunks[name])
            self.chunks[name] = [joined]
            return joined

    def alive(self):
        return any(t.is_alive() for t in self.threads)

    def join(self, timeout=None):
        for t in self.threads:
            t.join(timeout)


class Running:
    """`vanity run ARGS` kept running in its own session: its output read as
    it comes (.text), its standard input open (the hosted UARTs read it, as
    the QEMU boards' serial port does). prefix: a command it runs under."""

    def __init__(self, args, env=None, prefix=()):
        self.proc = subprocess.Popen([*prefix, PYTHON, str(VANITY), "run", *map(str, args)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, start_new_session=True,
                                     env=dict(os.environ, **(env or {})))
        self.pipes = Pipes(out=self.proc.stdout)

    @property
    def text(self):
        return self.pipes.text("out")

    def send(self, data):
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def wait_for(self, what, timeout, regex=False):
        """Until the output holds `what` (a regular expression, by line, if
        regex); fails if the system ends first or the time runs out."""
        deadline = time.monotonic() + timeout
        found = (lambda: re.search(what, self.text, re.M)) if regex else \
            (lambda: what in self.text)
        while not found():
            assert time.monotonic() < deadline and self.proc.poll() is None, \
                f"no {what!r} within {timeout} s:\n{self.text[-6000:]}"
            time.sleep(0.05)

    def end(self, timeout):
        """Its exit status, once it ends by itself within `timeout`."""
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"the system did not end within {timeout} s:\n"
                                 f"{self.text[-6000:]}") from None

    def kill(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


class Run:
    """What one run of a command printed, and how it ended."""

    def __init__(self, what, status, stdout, stderr, elapsed):
        self.what, self.status, self.elapsed = what, status, elapsed
        self.stdout, self.stderr = stdout, stderr

    @property
    def report(self):
        """The whole run, for assertion messages."""
        return (f"\n$ {self.what}\nexit status {self.status} after {self.elapsed:.2f} s\n"
                f"--- stdout\n{self.stdout}--- stderr\n{self.stderr}---")

    def log(self, shard):
        """The lines shard logged (vn_log), without the "[shard] " prefix."""
        pre = f"[{shard}] "
        return [ln[len(pre):] for ln in self.stdout.splitlines() if ln.startswith(pre)]

    def kernel(self):
        """The kernel's messages (stderr), without the "vanity: " prefix."""
        return [ln[len("vanity: "):] for ln in self.stderr.splitlines()
                if ln.startswith("vanity: ")]

    def faults(self, shard):
        """The fault reports of shard, as regex matches (FAULT_RE)."""
        found = [FAULT_RE.match(m) for m in self.kernel()]
        return [m for m in found if m and m["shard"] == shard]

    def stats(self, shard):
        """VANITY_STATS=1 counters of shard: {'syscalls': n, 'waits': n, ...}."""
        return shard_stats(self.kernel(), shard)


def shard_stats(kernel_lines, shard):
    """The VANITY_STATS=1 counters of shard among a kernel's lines (every
    board words them alike), or None."""
    for m in kernel_lines:
        if m.startswith(f"stats: shard '{shard}': "):
            words = m.split(": ", 2)[2].split()
            return {k: int(v) for k, v in zip(words[::2], words[1::2])}
    return None


def run(cmd, *, env=None, timeout=TIMEOUT, cwd=REPO):
    """Runs cmd in its own session; returns a Run. A hang fails the test.
    Its output is decoded as Pipes does, a byte that is no UTF-8 replaced:
    a shard's UART passes on whatever bytes it was given."""
    full_env = dict(os.environ, **(env or {}))
    what = " ".join(map(str, cmd))
    t0 = time.monotonic()
    proc = subprocess.Popen([str(c) for c in cmd], cwd=cwd, env=full_env, text=True,
                            errors="replace", stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)
    hung = False
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        hung = True
        kill_session(proc.pid)
        out, err = proc.communicate()
    r = Run(what, None if hung else proc.returncode, out, err, time.monotonic() - t0)
    if hung:
        pytest.fail(f"HANG: did not finish within {timeout} s (killed){r.report}",
                    pytrace=False)
    left = outliving(proc.pid)
    if left:
        kill_session(proc.pid)
        pytest.fail(f"processes outlived the system: {left}{r.report}", pytrace=False)
    return r


def kill_session(session):
    """SIGKILL to every process of session, and wait until they are gone."""
    for pid, p in processes().items():
        if p[3] == session:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
    outliving(session)


def processes():
    """{pid: (comm, state, ppid, session)} of every process now."""
    found = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1:stat.rindex(")")]
        state, ppid, _pgrp, session = stat[stat.rindex(")") + 2:].split()[:4]
        found[int(d)] = (comm, state, int(ppid), int(session))
    return found


def outliving(session, grace=2.0):
    """Live (not zombie) processes of session that are still there after
    grace seconds: what a finished system must not leave behind."""
    deadline = time.monotonic() + grace
    while True:
        left = {pid: p[0] for pid, p in processes().items()
                if p[3] == session and p[1] not in "ZX"}
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.05)


def vanity(*args, **kw):
    return run([PYTHON, VANITY, *args], **kw)


BOARDS = ["hosted", "qemu-virt-aarch64", "qemu-virt-riscv64"]

NEEDS_GDB = pytest.mark.skipif(shutil.which("gdb-multiarch") is None,
                               reason="gdb-multiarch is not installed (make deps)")


def under_gdb(spec, board, work, script, env=None):
    """Builds spec for a QEMU board into work, runs it halted (`vanity run
    ... -- -S`, its gdbstub on build/run/gdb.sock), and runs gdb-multiarch
    on the kernel's image with script (gdb commands, after `target
    remote`); then waits for the system's end. (gdb's CompletedProcess,
    the system's stdout and stderr as one text, its status)."""
    bld = work / "build"
    r = vanity("build", spec, "--board", board, "-o", work / "out", "--build-dir", bld,
               timeout=300)
    assert r.status == 0, r.report
    cmd = [PYTHON, VANITY, "run", spec, "--board", board, "-o", work / "out",
           "--build-dir", bld, "--", "-S"]
    proc = subprocess.Popen([str(c) for c in cmd], cwd=REPO, text=True, errors="replace",
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True, env=dict(os.environ, **(env or {})))
    try:
        sock = bld / "run" / "gdb.sock"
        until = time.monotonic() + 60
        while not sock.exists():
            assert proc.poll() is None and time.monotonic() < until, proc.communicate()
            time.sleep(0.05)
        (work / "gdb.cmd").write_text("\n".join(["set pagination off",
                                                 f"target remote {sock}", *script]) + "\n")
        g = subprocess.run(["gdb-multiarch", "-nx", "-batch", "-x", work / "gdb.cmd",
                            bld / "image.elf"], capture_output=True, text=True, timeout=120)
        out, _ = proc.communicate(timeout=120)
    finally:
        kill_session(proc.pid)
    return g, out, proc.returncode


def run_on_every_board(spec, timeout=TIMEOUT):
    """A module fixture: `vanity run SPEC --board B` for each of BOARDS, into
    a fresh work directory (its out/ and build/); the Run also knows its work
    directory and board."""
    @pytest.fixture(scope="module", params=BOARDS)
    def fixture(request, tmp_path_factory):
        board = request.param
        work = tmp_path_factory.mktemp(f"{Path(spec).stem}-{board}")
        r = vanity("run", spec, "--board", board, "-o", work / "out",
                   "--build-dir", work / "build", timeout=timeout)
        r.work, r.board = work, board
        return r
    return fixture


def copy_spec(spec, dest, edit=None):
    """Copies spec's directory (its sources; not subdirectories) into dest and
    returns the copy of spec. edit(doc), if given, changes the spec's YAML
    document before it is written (comments are lost; nothing else is)."""
    spec, dest = Path(spec), Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    for f in spec.parent.iterdir():
        if f.is_file():
            shutil.copy2(f, dest / f.name)
    copy = dest / spec.name
    if edit:
        doc = yaml.safe_load(spec.read_text())
        edit(doc)
        copy.write_text(yaml.safe_dump(doc, sort_keys=False))
    return copy


def copy_spec_for_board(spec, dest, board):
    """copy_spec of spec into dest, for `board`."""
    def edit(doc):
        doc["board"] = board
    return copy_spec(spec, dest, edit)


# Where each QEMU board's RTC is: mmiofuzz splits its page between two
# shards there, so the kernel makes their accesses (docs/aarch64.md).
RTC = {"qemu-virt-aarch64": 0x09010000, "qemu-virt-riscv64": 0x00101000}


def mmiofuzz_spec(board, tries, seed, dest):
    """tests/system/stress/mmiofuzz.yaml for board, copied into dest: on a
    QEMU board mm owns the low half of the RTC's page and dst the high half
    (so both are reached through the kernel), and mm keeps to the registers
    inside its window (-DREGS_ONLY) and tries dst's half as another shard's
    device (test_stress.py, tests/fuzz/campaigns.py)."""
    def edit(doc):
        mm = next(s for s in doc["shards"] if s["name"] == "mm")
        mm["cflags"] = [f"-DTRIES={tries}", f"-DSEED={seed}"]
        if board != "hosted":
            base = RTC[board]
            doc["board"] = board
            doc["devices"] = [{"name": "rtc", "address": base, "size": 0x800},
                              {"name": "uart", "address": base + 0x800, "size": 0x800}]
            mm["cflags"] += ["-DREGS_ONLY", f"-DOTHER_DEV={base + 0x800:#x}"]
    return copy_spec(Path(__file__).parent / "stress" / "mmiofuzz.yaml", dest, edit)


def copy_example(spec, work, edit):
    """A copy of an example's spec with edit(doc) applied, in
    work/src/examples/<name>/ beside a link to the repository's drivers/,
    so the example's ../../drivers/... sources still resolve."""
    spec = Path(spec)
    src = Path(work) / "src" / "examples" / spec.parent.name
    src.mkdir(parents=True, exist_ok=True)
    link = Path(work) / "src" / "drivers"
    if not link.exists():
        link.symlink_to(REPO / "drivers")
    return copy_spec(spec, src, edit)


_BOOT_BUILT = """
import sys
sys.path.insert(0, sys.argv[1])
from generator import build
image = build.build(sys.argv[2], sys.argv[3], sys.argv[4])
sys.exit(build.run(image, board=sys.argv[5], cores=int(sys.argv[6])))
"""


def boot_edited(spec, board, work, edits, timeout=120):
    """spec generated for board into work/out, its generated kernel files
    edited (edits: {file under out/kernel: [(old, new), ...]}, each old text
    found exactly once), then built from the edited files, not generated
    again, and booted as `vanity run` would: the Run. For the checks a
    kernel makes of its generated tables at boot."""
    out, build_dir = Path(work) / "out", Path(work) / "build"
    r = vanity("gen", spec, "--board", board, "-o", out)
    assert r.status == 0, r.report
    for name, pairs in edits.items():
        f = out / "kernel" / name
        text = f.read_text()
        for old, new in pairs:
            assert text.count(old) == 1, (name, old)
            text = text.replace(old, new)
        f.write_text(text)
    cores = json.loads((out / "manifest.json").read_text())["cores"]
    return run([PYTHON, "-c", _BOOT_BUILT, REPO, spec, out, build_dir, board, cores],
               timeout=timeout)


def shard_of(doc, name):
    """The shard named name in a spec document (for edit functions)."""
    return next(s for s in doc["shards"] if s["name"] == name)


# tests/system/fpu/fpmix.yaml: what each shard prints on hosted, and so on
# every board (bit-exact: each shard keeps its own FP/SIMD registers).
FP_RESULTS = {"fa": "acc 401a1aa0099c8b74 sum 404599b9171ebe82",
              "fb": "acc 401a180761231700 sum 404597e466ab1bac"}


class System:
    """A spec, with its generated sources and binaries under workdir."""

    def __init__(self, spec, workdir):
        self.spec = Path(spec)
        self.out = Path(workdir) / "out"
        self.build_dir = Path(workdir) / "build"

    def _ok(self, r):
        assert r.status == 0, f"vanity failed{r.report}"
        return r

    def gen(self):
        """Generates the sources; returns the manifest."""
        self._ok(vanity("gen", self.spec, "-o", self.out))
        return self.manifest()

    def build(self):
        self._ok(vanity("build", self.spec, "-o", self.out, "--build-dir", self.build_dir))
        return self.build_dir / "kernel"

    def run(self, *args, env=None):
        """vanity run: generate, build and run; returns the Run."""
        extra = ["--", *args] if args else []
        r = vanity("run", self.spec, "-o", self.out, "--build-dir", self.build_dir,
                   *extra, env=env)
        assert not re.search(r"^vanity: (error|internal error):", r.stderr, re.M), \
            f"vanity could not build the system{r.report}"
        return r

    def manifest(self):
        return Manifest(json.loads((self.out / "manifest.json").read_text()))


class Manifest:
    """manifest.json, with lookups by name."""

    def __init__(self, doc):
        self.doc = doc

    def shard(self, name):
        return next(s for s in self.doc["shards"] if s["name"] == name)

    def region(self, shard, region):
        """(address, size) of one of shard's regions: image, ctl, heap, stack."""
        r = self.shard(shard)["regions"][region]
        assert int(r["addr"], 16) == r["addr_int"], r
        return r["addr_int"], r["size_int"]

    def channel(self, name):
        c = next(c for c in self.doc["channels"] if c["name"] == name)
        assert int(c["addr"], 16) == c["addr_int"], c
        return c
