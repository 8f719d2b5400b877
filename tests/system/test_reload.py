"""Hot reload on a running system (tests/system/reload): `vanity reload`
swaps a new version of `worker` in while producer -> worker -> consumer
carries a paced stream, and while `crasher`, on worker's core, crash-loops.
(And, on every board, a reload of a worker a fault stopped: the last test.)

One run checks, in order:
- version 2 replaces version 1: worker quiesces into its handoff region
  and version 2 takes its count and held message over; the consumer sees
  every message once, in order, and the version change exactly once;
- refusals, each answered with its reason while the stream flows on: a
  corrupted image, a truncated one, an oversized one, one for another ISA
  and one whose interface (a channel's depth) differs;
- rollback: version 3 faults as it starts, within its 1 s window, and
  version 2 is back, taking its state up again.
The images are built before the system starts (`vanity reload --write`),
so the stream need not outlast the builds.
"""

import hashlib
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from systest_lib import HERE, NOBODY, REPO, Running, as_user, copy_spec, shard_of, vanity

sys.path.insert(0, str(REPO))
from generator import reload as reloader  # noqa: E402

SPEC = HERE / "reload" / "reload.yaml"
BOARDS = ["hosted"]
OTHER_ISA = {"hosted": "qemu-virt-aarch64", "qemu-virt-aarch64": "qemu-virt-riscv64",
             "qemu-virt-riscv64": "qemu-virt-aarch64"}
# Messages at 1 ms each: the stream must outlast the reloads and refusals,
# with room for a loaded host (a sanitized build takes twice as long).
COUNT = {"hosted": 10000}
BOOT = 120


def versioned(version, count, depth=64):
    def edit(doc):
        shard_of(doc, "worker")["cflags"] = [f"-DVERSION={version}"]
        shard_of(doc, "producer")["cflags"][0] = f"-DCOUNT={count}"
        for c in doc["channels"]:
            if c["name"] == "done":
                c["depth"] = depth
    return edit


def write_image(spec, board, work, name, other_board=None):
    path = work / f"{name}.vrl"
    r = vanity("reload", spec, "worker", "--board", other_board or board,
               "-o", work / f"out-{name}", "--build-dir", work / f"b-{name}",
               "--write", path, timeout=BOOT)
    assert r.status == 0, r.report
    return path


def rewrap(data, image):
    """The reload image `data` with another image: its length and digest
    follow."""
    f = list(struct.unpack_from("<IHHIIQQQ32sII32s16x", data))
    f[7], f[8] = len(image), hashlib.sha256(image).digest()
    return struct.pack("<IHHIIQQQ32sII32s16x", *f) + image


@pytest.mark.parametrize("board", BOARDS)
def test_reload_under_traffic(tmp_path, board):
    n = COUNT[board]
    v1 = copy_spec(SPEC, tmp_path / "v1", versioned(1, n))
    images = {
        "v2": write_image(copy_spec(SPEC, tmp_path / "v2", versioned(2, n)), board, tmp_path, "v2"),
        "v3": write_image(copy_spec(SPEC, tmp_path / "v3", versioned(3, n)), board, tmp_path, "v3"),
        "iface": write_image(copy_spec(SPEC, tmp_path / "vi", versioned(2, n, depth=32)), board,
                             tmp_path, "iface"),
        "isa": write_image(copy_spec(SPEC, tmp_path / "vo", versioned(2, n)), board, tmp_path,
                           "isa", OTHER_ISA[board]),
    }
    good = images["v2"].read_bytes()
    for name, data in {"corrupt": good[:200] + bytes([good[200] ^ 0x40]) + good[201:],
                       "truncated": good[:-100],
                       "oversized": rewrap(good, good[128:] + bytes(7 << 20))}.items():
        images[name] = tmp_path / f"{name}.vrl"
        images[name].write_bytes(data)
    common = ["--board", board, "-o", tmp_path / "out", "--build-dir", tmp_path / "b"]
    r = vanity("build", v1, *common, timeout=BOOT)
    assert r.status == 0, r.report
    system = Running([v1, *common])

    def reload(name):
        return vanity("reload", v1, "worker", *common, "--image", images[name], timeout=60)

    system.wait_for(r"^\[worker\] version 1 up$", BOOT, regex=True)
    r = reload("v2")
    assert r.status == 0 and "reloaded: generation 2 runs" in r.stdout, r.report
    system.wait_for(r"^\[worker\] version 2 up: took over from version 1 \(generation 1\)",
                    10, regex=True)
    refusals = {"corrupt": "corrupted: its SHA-256 does not match its header",
                "truncated": "truncated: shorter than its header says",
                "oversized": "too large for the shard's image region",
                "isa": "built for another ISA",
                "iface": "its interface (channels, devices, memory, events) differs"}
    for name, why in refusals.items():
        r = reload(name)
        assert r.status == 1, r.report
        assert f"shard 'worker': reload refused: {why}" in r.stderr, r.report
        system.wait_for(f"shard 'worker': reload refused: {why}", 10)
    # a shard whose spec has no reload: key, asked through the door itself
    # (`vanity reload` refuses before it asks)
    status, _, words = reloader.send_hosted(tmp_path / "b", good, 0, 30)
    assert (status, words) == (17, "the shard cannot be reloaded: its spec has no reload: key")
    system.wait_for("shard 'producer': reload refused: the shard cannot be reloaded", 10)
    r = reload("v3")
    assert r.status == 0 and "reloaded: generation 3 runs" in r.stdout, r.report
    system.wait_for(r"shard 'worker': faulted within 1 s of its reload: rolled back to its "
                    r"previous image \(generation 4\)", 10, regex=True)
    system.wait_for(r"^\[worker\] version 2 up: took over from version 2 \(generation 2\)",
                    10, regex=True)
    status = system.end(120)
    log = system.text
    assert status == 0, log[-6000:]
    assert f"[consumer] received {n}, 0 out of order, 1 version changes, last version 2" \
        in log, log[-6000:]
    assert f"[worker] version 2: passed {n}" in log, log[-6000:]  # the count crossed twice
    assert len(re.findall(r"^\[consumer\] version 1 -> 2 at \d+$", log, re.M)) == 1, log
    # the crash loop ran on through all of it, and its policy kept it going
    crashes = len(re.findall(r"shard 'crasher': on_fault=restart, restarted", log))
    assert crashes >= 10, log[-6000:]
    assert "gave up" not in log, log[-6000:]


def test_a_rollback_runs_the_copy_it_ran_before(tmp_path):
    """On hosted the kernel runs a sealed copy of a shard's executable and
    keeps the copy it ran before a reload for a rollback (kernel/reload.c).
    Here the build's own worker (version 1) is replaced on disk by another
    build (version 5) while it runs; version 3 faults as it starts and is
    rolled back: version 1 takes its state up again, not the file now at
    the path. Version 3's crash dump reads with the ELF `vanity reload`
    kept."""
    n = 6000
    v1 = copy_spec(SPEC, tmp_path / "v1", versioned(1, n))
    v3 = write_image(copy_spec(SPEC, tmp_path / "v3", versioned(3, n)), "hosted", tmp_path, "v3")
    v5 = copy_spec(SPEC, tmp_path / "v5", versioned(5, n))
    r = vanity("build", v5, "-o", tmp_path / "out5", "--build-dir", tmp_path / "b5", timeout=BOOT)
    assert r.status == 0, r.report
    common = ["-o", tmp_path / "out", "--build-dir", tmp_path / "b"]
    r = vanity("build", v1, *common, timeout=BOOT)
    assert r.status == 0, r.report
    system = Running([v1, *common])
    try:
        system.wait_for(r"^\[worker\] version 1 up$", BOOT, regex=True)
        os.replace(tmp_path / "b5" / "shards" / "worker", tmp_path / "b" / "shards" / "worker")
        r = vanity("reload", v1, "worker", *common, "--image", v3, timeout=60)
        assert r.status == 0 and "reloaded: generation 2 runs" in r.stdout, r.report
        system.wait_for(r"shard 'worker': faulted within 1 s of its reload: rolled back to "
                        r"its previous image \(generation 3\)", 10, regex=True)
        system.wait_for(r"^\[worker\] \S+ \S+ up: took over from version 1", 10, regex=True)
        assert system.end(120) == 0, system.text[-6000:]
    finally:
        system.kill()
    log = system.text
    assert re.search(r"^\[worker\] version 1 up: took over from version 1 \(generation 1\)",
                     log, re.M), log[-6000:]
    assert "version 5" not in log, log[-6000:]
    assert f"[worker] version 1: passed {n}" in log, log[-6000:]
    # Version 3's image is its executable without debug information; its
    # ELF, kept by `vanity reload` beside the image, matches the dump of
    # the life that faulted and names where.
    [kept] = (tmp_path / "b-v3" / "reload" / "images").glob("worker-*.elf")
    assert kept.with_suffix(".bin").stat().st_size < kept.stat().st_size / 2
    d = vanity("dump", tmp_path / "b" / "dumps" / "worker.2.vdump", "--elf", kept)
    assert "(matches the dump's image hash" in d.stdout, d.report
    assert re.search(r"^  #0 +0x[0-9a-f]+ in vn_main at \S+/v3/worker\.c:\d+$", d.stdout,
                     re.M), d.report


def test_reload_errors(tmp_path):
    """What `vanity reload` says before any system is asked."""
    spec = copy_spec(SPEC, tmp_path / "src")
    r = vanity("reload", spec, "wroker", "--build-dir", tmp_path / "b", timeout=60)
    assert r.status != 0 and "no shard 'wroker'" in r.stderr and "did you mean 'worker'" \
        in r.stderr, r.report
    r = vanity("reload", spec, "producer", "--build-dir", tmp_path / "b", timeout=60)
    assert r.status != 0 and "shard 'producer' cannot be reloaded: give it a 'reload:' key" \
        in r.stderr, r.report
    image = write_image(spec, "hosted", tmp_path, "x")
    common = ["--build-dir", tmp_path / "b", "-o", tmp_path / "out", "--image", image]
    r = vanity("reload", spec, "worker", *common, timeout=60)
    assert r.status != 0 and "manifest.json: not generated yet" in r.stderr, r.report
    r = vanity("gen", spec, "-o", tmp_path / "out", timeout=60)
    assert r.status == 0, r.report
    r = vanity("reload", spec, "worker", *common, timeout=60)
    assert r.status != 0 and "no running system" in r.stderr, r.report
    assert "Traceback" not in r.stderr


def deaf(version, count, quiesce, late="swap"):
    """versioned(), with a worker that never quiesces (built -DDEAF): a
    reload waits out its quiesce bound, then `late` decides."""
    def edit(doc):
        versioned(version, count)(doc)
        w = shard_of(doc, "worker")
        w["cflags"].append("-DDEAF")
        w["reload"].update(quiesce=quiesce, late=late)
    return edit


@pytest.mark.parametrize("late", ["refuse", "swap"])
def test_reload_late(tmp_path, late):
    """A running version that never quiesces (built -DDEAF): after the
    quiesce bound, `late: refuse` drops the new image and the old version
    runs on; `late: swap` swaps it anyway, without its state. While the
    refused one waits out its 2 s, `vanity top` is answered."""

    def edit(version):
        return deaf(version, 3000, "2s" if late == "refuse" else "100ms", late)
    v1 = copy_spec(SPEC, tmp_path / "v1", edit(1))
    image = write_image(copy_spec(SPEC, tmp_path / "v2", edit(2)), "hosted", tmp_path, "v2")
    common = ["-o", tmp_path / "out", "--build-dir", tmp_path / "b"]
    r = vanity("build", v1, *common, timeout=BOOT)
    assert r.status == 0, r.report
    system = Running([v1, *common])
    system.wait_for(r"^\[worker\] version 1 up$", BOOT, regex=True)
    t0 = time.monotonic()
    with ThreadPoolExecutor(1) as pool:
        waiting = pool.submit(vanity, "reload", v1, "worker", *common, "--image", image,
                              timeout=60)
        if late == "refuse":
            time.sleep(0.3)
            top = vanity("top", v1, *common, "--once", "--interval", "0.1", timeout=30)
            assert top.status == 0 and "worker" in top.stdout, top.report
            assert not waiting.done(), "the reload was answered before its bound"
        r = waiting.result()
    waited = time.monotonic() - t0
    if late == "refuse":
        assert r.status == 1 and "reload refused: the running version did not quiesce in " \
            "time" in r.stderr, r.report
    else:
        assert r.status == 0 and "reloaded: generation 2 runs" in r.stdout, r.report
        system.wait_for(r"^\[worker\] version 2 up$", 10, regex=True)  # fresh: no state
    assert waited >= (2 if late == "refuse" else 0.1), waited  # the old version had its bound
    assert system.end(120) == 0, system.text[-6000:]
    assert "version 1 -> 2" in system.text if late == "swap" else \
        "[worker] version 1: passed" in system.text, system.text[-6000:]


def test_the_swap_starts_the_bytes_the_kernel_checked(tmp_path):
    """On hosted the kernel stages an accepted image as a sealed copy of the
    bytes it checked (kernel/reload.c), so nothing can change the image
    while the swap waits for its clean point. Here, while it waits out the
    running version's 2 s bound, every file of the build's that holds the
    image is overwritten with another good build (version 5), as the user's
    own processes may: there is none, and version 2 starts."""
    v1 = copy_spec(SPEC, tmp_path / "v1", deaf(1, 3000, "2s"))
    image = write_image(copy_spec(SPEC, tmp_path / "v2", deaf(2, 3000, "2s")), "hosted",
                        tmp_path, "v2")
    other = write_image(copy_spec(SPEC, tmp_path / "v5", deaf(5, 3000, "2s")), "hosted",
                        tmp_path, "v5")
    payload, replacement = image.read_bytes()[128:], other.read_bytes()[128:]
    common = ["-o", tmp_path / "out", "--build-dir", tmp_path / "b"]
    r = vanity("build", v1, *common, timeout=BOOT)
    assert r.status == 0, r.report
    system = Running([v1, *common])
    found = set()
    try:
        system.wait_for(r"^\[worker\] version 1 up$", BOOT, regex=True)
        t0 = time.monotonic()
        with ThreadPoolExecutor(1) as pool:
            waiting = pool.submit(vanity, "reload", v1, "worker", *common, "--image", image,
                                  timeout=60)
            while not waiting.done() and time.monotonic() < t0 + 1.5:
                for p in (tmp_path / "b").rglob("*"):
                    if p.is_file() and not p.is_symlink() and \
                            p.stat().st_size == len(payload) and p.read_bytes() == payload:
                        found.add(p)
                        p.write_bytes(replacement)
                time.sleep(0.05)
            r = waiting.result()
        assert not found, f"the staged image is a file anybody of the user's may write: {found}"
        assert r.status == 0 and "reloaded: generation 2 runs" in r.stdout, r.report
        system.wait_for(r"^\[worker\] version 2 up$", 10, regex=True)
        assert system.end(120) == 0, system.text[-6000:]
    finally:
        system.kill()
    assert "version 5" not in system.text, system.text[-6000:]


def children(pid):
    return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def test_a_reload_that_cannot_start_stops_only_its_shard(tmp_path):
    """The swap makes the new image the shard's and starts it; if that start
    fails, the image before it starts again (core/reload.c: swap), and only
    if that fails too is the shard stopped. Here the system runs as a user,
    nobody, whose process limit (RLIMIT_NPROC, which root's processes are
    not held to) is cut to 1 while the swap waits out the running version's
    bound: neither image gets a process. The request is refused, saying so
    once on the console and to `vanity reload`; worker is stopped (`vanity
    top` says so); the rest of the system runs on."""
    if os.geteuid() != 0:
        pytest.skip("needs root, to run the system as another user (setpriv)")
    work = Path(tempfile.mkdtemp(prefix="vanity-nproc-"))
    try:
        work.chmod(0o755)
        v1 = copy_spec(SPEC, work / "v1", deaf(1, 100000, "2s"))
        image = write_image(copy_spec(SPEC, work / "v2", deaf(2, 100000, "2s")), "hosted",
                            work, "v2")
        common = ["-o", work / "out", "--build-dir", work / "b"]
        r = vanity("build", v1, *common, timeout=BOOT)
        assert r.status == 0, r.report
        subprocess.run(["chown", "-R", f"{NOBODY}:{NOBODY}", str(work)], check=True)
        system = Running([v1, *common], prefix=as_user(NOBODY))
        try:
            system.wait_for(r"^\[worker\] version 1 up$", BOOT, regex=True)
            [kernel] = children(system.proc.pid)
            with ThreadPoolExecutor(1) as pool:
                waiting = pool.submit(vanity, "reload", v1, "worker", *common, "--image",
                                      image, timeout=60)
                time.sleep(0.5)  # accepted, staged: the swap waits out the 2 s bound
                assert not waiting.done(), waiting.result().report
                subprocess.run([*as_user(NOBODY), "prlimit", f"--pid={kernel}", "--nproc=1:1"],
                               check=True)  # its own user may lower it
                r = waiting.result()
            assert r.status == 1 and "reload refused: neither the new image nor the one " \
                "before it started; the shard is stopped" in r.stderr, r.report
            log = system.text
            assert log.count("shard 'worker': cannot start a process: this user's process "
                             "limit (ulimit -u: 1) is reached") == 2, log[-6000:]
            assert log.count("shard 'worker': reload refused: neither the new image nor the "
                             "one before it started; the shard is stopped") == 1, log[-6000:]
            top = vanity("top", v1, *common, "--once", "--interval", "0.1", timeout=30)
            assert top.status == 0 and re.search(r"^\s*worker\b.*\bstopped\b", top.stdout,
                                                 re.M), top.report
            assert system.proc.poll() is None, system.text[-6000:]
        finally:
            system.kill()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    assert "version 2" not in system.text, system.text[-6000:]


@pytest.mark.parametrize("board", ["hosted", "qemu-virt-aarch64", "qemu-virt-riscv64"])
def test_reload_a_shard_a_fault_stopped(tmp_path, board, monkeypatch):
    """worker's first version faults as it starts (VERSION 3) and its policy
    (on_fault: stop, the default) leaves it stopped while producer fills
    its input. A reload of version 2 is accepted for the stopped shard, and
    the new version starts in its place, from nothing (there was no
    quiesce, so no handoff): it takes every message the channel kept, and
    the stream ends complete. The system's status is still 1: a shard was
    stopped by a fault (spec/README.md)."""
    n = 500
    bad = copy_spec(SPEC, tmp_path / "v3", versioned(3, n))
    v2 = write_image(copy_spec(SPEC, tmp_path / "v2", versioned(2, n)), board, tmp_path, "v2")
    common = ["--board", board, "-o", tmp_path / "out", "--build-dir", tmp_path / "b"]
    r = vanity("build", bad, *common, timeout=BOOT)
    assert r.status == 0, r.report
    monkeypatch.setenv("VANITY_QEMU_TIMEOUT", "300")
    system = Running([bad, *common])
    system.wait_for(r"^vanity: shard 'worker' faulted: ", BOOT, regex=True)
    system.wait_for("shard 'worker': on_fault=stop", 10)
    r = vanity("reload", bad, "worker", *common, "--image", v2, timeout=60)
    assert r.status == 0 and "reloaded: generation 2 runs" in r.stdout, r.report
    system.wait_for(r"^\[worker\] version 2 up$", 10, regex=True)
    status = system.end(120)
    log = system.text
    assert f"[consumer] received {n}, 0 out of order, 0 version changes, last version 2" \
        in log, log[-6000:]
    assert f"[worker] version 2: passed {n}" in log, log[-6000:]
    assert status == 1, log[-6000:]
