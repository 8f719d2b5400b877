"""System tests on the hosted board: real specs, generated, built and run
through ./vanity into pytest's temporary directories.

  examples     the two examples run and print what they promise
  faults       a crash (wild write, abort, watchdog) stops one shard and no
               other; on_fault=halt stops the system; on_fault=restart
               restarts with queued messages kept, within a budget; a shard
               that runs on after giving its core up is stopped
  probes       isolation: other shards' stack, control page and code, and
               rings of other channels, are out of reach; the guard page
  syscalls     the kernel refuses bad calls and the caller runs on
  fp           two FP-heavy shards on one core: the reference bits every
               board must print (bare_suite.py)
  sched        taking turns on one core, sleeping and waking, poll shards
               sharing a core, timeouts, exit statuses, signals
  devices      the simulator's PL031 model: its alarm interrupt wakes the
               owner (yield and poll) and the ack unmasks it; another shard
               touching its window is stopped as a fault; the virtio-net
               model refuses descriptors and rings outside its driver's heap
  spec errors  reported as FILE:LINE:COL before anything is built

Addresses come from the generated manifest: a test generates the system once
to read its layout, then builds a copy of the spec whose cflags carry the
addresses (cflags do not change the layout; the tests check that too).
Each distinct system is built once per session (module-scoped fixtures).
"""

import json
import os
import platform
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest

from systest_lib import (FP_RESULTS, HERE, NOBODY, REPO, Pipes, System, as_user, copy_spec,
                         outliving, processes, run, shard_of, vanity)

ENOSYS, EINVAL, EPERM = 1, 2, 3  # runtime/include/vanity/syscall.h


def vn_err(code):
    return 2**64 - code


def vn_is_err(value):
    return value >= vn_err(4095)


def one_match(pattern, lines, r):
    """The one line of lines that matches pattern fully."""
    found = [m for m in (re.fullmatch(pattern, ln) for ln in lines) if m]
    assert len(found) == 1, f"want one line matching {pattern!r}, got {len(found)}{r.report}"
    return found[0]


def same_layout(a, b):
    """The memory layout of two manifests (shard regions, channels) is the same."""
    return ([s["regions"] for s in a.doc["shards"]] == [s["regions"] for s in b.doc["shards"]]
            and a.doc["channels"] == b.doc["channels"])


# ---- examples -------------------------------------------------------------------

@pytest.fixture(scope="module")
def pingpong(tmp_path_factory):
    work = tmp_path_factory.mktemp("pingpong")
    return System(REPO / "examples/pingpong/pingpong.yaml", work).run()


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    work = tmp_path_factory.mktemp("pipeline")
    return System(REPO / "examples/pipeline/pipeline.yaml", work).run()


def test_pingpong_example(pingpong):
    r = pingpong
    assert r.status == 0, r.report
    assert "[ping] 10000 round trips, every payload verified" in r.stdout.splitlines(), r.report
    assert "[pong] echoed 10000 messages" in r.stdout.splitlines(), r.report
    m = one_match(r"rtt ns: min=(\d+) median=(\d+) p99=(\d+) max=(\d+)", r.log("ping"), r)
    low, median, p99, high = map(int, m.groups())
    assert 0 < low <= median <= p99 <= high, r.report
    assert r.kernel()[-1] == "system 'pingpong' exited with status 0", r.report
    assert not [m for m in r.kernel() if "is stuck" in m], r.report


def test_pingpong_ping_restarts_mid_run(tmp_path):
    """ping (on_fault: restart) faults with a message out (its -DPP_FAULT_AT
    hook) and restarts from round 0 with its channels as they were: the
    reply to its predecessor's message is skipped, not taken for this
    generation's, and the run ends as a clean one does."""
    def edit(doc):
        shard_of(doc, "ping")["cflags"] = ["-DPP_FAULT_AT=1000"]
    spec = copy_spec(REPO / "examples/pingpong/pingpong.yaml", tmp_path / "src", edit)
    r = System(spec, tmp_path).run()
    assert r.status == 0, r.report
    [f] = r.faults("ping") or [None]
    assert f and (f["sig"], f["addr"]) == ("SIGSEGV", "0x8"), r.report
    assert "shard 'ping': on_fault=restart, restarted (1)" in r.kernel(), r.report
    assert r.log("ping")[:2] == ["replies to a previous generation skipped: 1",
                                 "10000 round trips, every payload verified"], r.report
    # pong echoed the predecessor's 1001 messages and this generation's.
    assert r.log("pong") == ["echoed 11001 messages"], r.report
    assert r.kernel()[-1] == "system 'pingpong' exited with status 0", r.report


def test_a_shard_image_of_another_build_does_not_start(tmp_path):
    """A shard takes its rings up as its build describes them, without
    checking their headers (its peer can write those: stress/rehead.yaml),
    so the kernel starts a shard's executable only if the interface hash in
    its note is the system's (as a reload's image must carry it). Here
    pong's executable is pong's of the same system with deeper channels,
    as after the system was built again while it ran."""
    def deeper(doc):
        for c in doc["channels"]:
            c["depth"] = 512
    spec = REPO / "examples/pingpong/pingpong.yaml"
    a = System(copy_spec(spec, tmp_path / "a" / "src"), tmp_path / "a")
    b = System(copy_spec(spec, tmp_path / "b" / "src", deeper), tmp_path / "b")
    kernel = a.build()
    b.build()
    os.replace(b.build_dir / "shards" / "pong", a.build_dir / "shards" / "pong")
    r = subprocess.run([kernel], capture_output=True, text=True, timeout=60)
    assert r.returncode != 0, r.stderr
    assert re.search(r"^vanity: shard 'pong': \S+/shards/pong was built for another system "
                     r"\(interface hash 0x[0-9a-f]{16}; this system's is 0x[0-9a-f]{16}\): "
                     r"build the system again and run that$", r.stderr, re.M), r.stderr
    assert "cannot start shard 'pong'" in r.stderr, r.stderr
    assert "[ping]" not in r.stdout and "[pong]" not in r.stdout, r.stdout


def test_a_restart_runs_the_image_that_started(tmp_path):
    """The kernel copies a shard's executable once, checks the copy and
    runs it (kernel/proc.c), and keeps it for the shard's restarts until a
    reload changes the image. Here the executable on disk is replaced by
    another build of it while the first life waits: the restart runs the
    first build again, and both lives' crash dumps carry the image hash of
    the bytes that ran, which `vanity dump` finds in a copy of the first
    build and not in the file now on disk."""
    spec = REPO / "tests/system/rebuilt/rebuilt.yaml"

    def build2(doc):
        shard_of(doc, "worker")["cflags"] = ["-DBUILD=2"]
    a = System(copy_spec(spec, tmp_path / "a" / "src"), tmp_path / "a")
    b = System(copy_spec(spec, tmp_path / "b" / "src", build2), tmp_path / "b")
    kernel = a.build()
    b.build()
    worker = a.build_dir / "shards" / "worker"
    first = tmp_path / "worker-build1"
    shutil.copy2(worker, first)
    dumps = tmp_path / "dumps"
    dumps.mkdir()
    p = subprocess.Popen([kernel], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env=dict(os.environ, VANITY_DUMP_DIR=str(dumps)),
                         start_new_session=True)
    try:
        said = []
        for line in p.stdout:  # the first life waits 1.5 s after this line
            said.append(line.rstrip("\n"))
            if said[-1] == "[worker] build 1":
                break
        os.replace(b.build_dir / "shards" / "worker", worker)
        out, err = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
    said += out.splitlines()
    assert said == ["[worker] build 1", "[worker] build 1"], (said, err)
    assert "shard 'worker': on_fault=restart, restarted (1)" in err, err
    for life in (1, 2):
        d = dumps / f"worker.{life}.vdump"
        assert d.is_file(), err
        assert d.stat().st_mode & 0o777 == 0o600, oct(d.stat().st_mode)  # a core file's
        ran = vanity("dump", d, "--elf", first)
        assert "(matches the dump's image hash" in ran.stdout, ran.report
        now = vanity("dump", d, "--elf", worker)
        assert "(DIFFERS FROM the dump's image hash" in now.stdout, now.report


@pytest.mark.skipif(shutil.which("gdb-multiarch") is None,
                    reason="gdb-multiarch is not installed (make deps)")
def test_the_kernel_runs_the_image_it_checked(tmp_path):
    """The kernel opens a shard's executable once, checks it through that
    descriptor and runs it from there (proc.c: execveat), so a file put at
    the path after the check is not what runs. gdb stops the kernel at
    each fork, after the check of the shard it starts, and puts a script
    that would fail the run at that shard's path: the run is a clean one
    all the same."""
    spec = REPO / "examples/pingpong/pingpong.yaml"
    sysm = System(copy_spec(spec, tmp_path / "src"), tmp_path)
    kernel = sysm.build()
    impostor = tmp_path / "impostor"
    impostor.write_text("#!/bin/sh\necho impostor ran\nexit 3\n")
    impostor.chmod(0o755)
    arg3 = "$rdx" if platform.machine() == "x86_64" else "$x2"
    script = tmp_path / "swap.gdb"
    script.write_text(f"""set pagination off
set confirm off
break hk_image_fits
commands
silent
python checked = gdb.parse_and_eval("(char *){arg3}").string()
continue
end
break fork
commands
silent
python import os, shutil; p = checked; \
shutil.copyfile("{impostor}", p + ".swap"); os.chmod(p + ".swap", 0o755); \
os.replace(p + ".swap", p); print("swapped " + p)
continue
end
run
""")
    r = subprocess.run(["gdb-multiarch", "-nx", "-batch", "-x", str(script), str(kernel)],
                       capture_output=True, text=True, timeout=180)
    out = r.stdout + r.stderr
    swapped = re.findall(r"^swapped \S+/shards/(\w+)$", out, re.M)
    # (the first start forks twice: once to try a shard's own file tree)
    assert sorted(set(swapped)) == ["ping", "pong"], out
    assert "impostor ran" not in out, out
    assert "system 'pingpong' exited with status 0" in out, out
    assert "10000 round trips, every payload verified" in out, out


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("unshare"),
                    reason="needs root, for a PID namespace of its own (unshare)")
def test_a_host_without_executable_memfds_runs_the_shards(tmp_path):
    """Where no memfd may be run (vm.memfd_noexec 2, set here in a PID
    namespace of the test's own), the kernel copies each image to an
    unnamed file in the build directory instead (proc.c: exec_file), and
    its Landlock rules let the shard's process run that file."""
    spec = REPO / "examples/pingpong/pingpong.yaml"
    kernel = System(copy_spec(spec, tmp_path / "src"), tmp_path).build()
    r = subprocess.run(["unshare", "--pid", "--fork", "--mount-proc", "sh", "-c",
                        f"echo 2 > /proc/sys/vm/memfd_noexec && exec {kernel}"],
                       capture_output=True, text=True, timeout=120)
    out = r.stdout + r.stderr
    if "memfd_noexec: No such file" in out:
        pytest.skip("this host has no vm.memfd_noexec (Linux 6.3 and later)")
    if "this host has no Landlock" in out:
        pytest.skip("this host has no Landlock, whose rule for the copy this tests")
    assert "10000 round trips, every payload verified" in out, out
    assert "system 'pingpong' exited with status 0" in out, out
    assert r.returncode == 0, out


def test_pipeline_example(pipeline):
    r = pipeline
    assert r.status == 0, r.report
    one_match(r"sent 1000000 packets in \d+ us", r.log("source"), r)
    assert r.log("filter") == ["passed 937500, dropped 62500"], r.report
    one_match(r"received 937500 packets, 0 bad, \d+ wake-ups", r.log("sink"), r)
    m = one_match(r"throughput (\d+) kpkt/s over (\d+) us", r.log("sink"), r)
    assert int(m[1]) > 0 and int(m[2]) > 0, r.report
    assert "filter reports 937500 passed, 62500 dropped" in r.log("source"), r.report
    assert r.kernel()[-1] == "system 'pipeline' exited with status 0", r.report


def test_every_example_has_a_system_test():
    """A new example must come with its checks here (and in the bare-metal
    board tests), not go untested."""
    examples = {p.parent.name for p in (REPO / "examples").glob("*/*.yaml")}
    # console: tests/system/test_console.py, on every board
    # l2fwd: tests/system/test_l2fwd.py (QEMU) and test_l2fwd_hosted.py
    # updater: tests/system/test_updater.py, on every board
    assert examples == {"pingpong", "pipeline", "console", "l2fwd", "updater"}, \
        "add checks for the new example"


# ---- faults: containment, policies ----------------------------------------------

FAULTS = HERE / "faults" / "faults.yaml"


@pytest.fixture(scope="module")
def faults_layout(tmp_path_factory):
    work = tmp_path_factory.mktemp("faults-layout")
    return System(copy_spec(FAULTS, work / "src"), work).gen()


@pytest.fixture(scope="module")
def faults(tmp_path_factory, faults_layout):
    """run(name, crasher={...}, consumer={...}): runs a copy of the faults
    system with those keys set on the crasher and the consumer."""
    def run(name, crasher, consumer=None):
        work = tmp_path_factory.mktemp("faults-" + name)

        def edit(doc):
            shard_of(doc, "crasher").update(crasher)
            shard_of(doc, "consumer").update(consumer or {})
        system = System(copy_spec(FAULTS, work / "src", edit), work)
        system.build()  # so that a run's time is the system's, not the compiler's
        r = system.run()
        assert same_layout(system.manifest(), faults_layout), "cflags changed the layout"
        return r
    return run


def wild_addr(layout):
    """Inside the consumer's heap (and not page-aligned, so the report's
    address is seen to be the exact one)."""
    heap, size = layout.region("consumer", "heap")
    assert size >= 0x1000
    return heap + 0x48


def test_wild_write_into_another_shards_heap_is_contained(faults, faults_layout):
    wild = wild_addr(faults_layout)
    r = faults("segv", {"cflags": ["-DCRASH=1", f"-DWILD_ADDR={wild:#x}"]})
    assert r.status == 1, r.report
    [f] = r.faults("crasher") or [None]
    assert f, f"no fault report for the crasher{r.report}"
    assert (f["sig"], f["code"]) == ("SIGSEGV", "address not mapped"), r.report
    assert f["addr"] == f"{wild:#x}", r.report
    image, size = faults_layout.region("crasher", "image")
    assert image <= int(f["pc"], 16) < image + size, f"pc outside the crasher's code{r.report}"
    # The producer waits in vn_yield for the crasher, the consumer is holding.
    assert "shard 'crasher': on_fault=stop, stopped; 2 other shards running" in r.kernel(), \
        r.report
    assert r.log("crasher") == ["about to fault (mode 1)"], r.report
    assert r.log("consumer") == ["all 1000 messages intact"], r.report
    assert r.log("producer") == ["queued 1000 messages", "ran again after the crasher"], r.report
    assert r.kernel()[-1] == "system 'faults' exited with status 1", r.report


def test_abort_is_contained(faults):
    r = faults("abort", {"cflags": ["-DCRASH=2"]})
    assert r.status == 1, r.report
    [f] = r.faults("crasher") or [None]
    assert f and f["sig"] == "SIGABRT" and f["addr"] is None, r.report
    assert "shard 'crasher': on_fault=stop, stopped; 2 other shards running" in r.kernel(), \
        r.report
    assert r.log("consumer") == ["all 1000 messages intact"], r.report
    assert "ran again after the crasher" in r.log("producer"), r.report


def test_watchdog_stops_a_shard_that_never_yields(faults):
    r = faults("watchdog", {"cflags": ["-DCRASH=3"], "watchdog": "200ms"})
    assert r.status == 1, r.report
    m = one_match(r"shard 'crasher' watchdog: ran (\d+) ms without yielding", r.kernel(), r)
    assert 200 <= int(m[1]) < 1000, r.report
    assert not r.faults("crasher"), f"a watchdog stop reported as a fault{r.report}"
    one_match(r"shard 'crasher': on_fault=stop, stopped; [12] other shards? running",
              r.kernel(), r)
    assert r.log("consumer") == ["all 1000 messages intact"], r.report
    # The producer shares core 0 with the spinner: it runs again only because
    # the watchdog took the core back.
    assert r.log("producer") == ["queued 1000 messages", "ran again after the crasher"], r.report


def test_on_fault_halt_stops_the_system(faults, faults_layout):
    wild = wild_addr(faults_layout)
    hold_ms = 20000  # the consumer would finish after this; the halt must not wait
    r = faults("halt", {"cflags": ["-DCRASH=1", f"-DWILD_ADDR={wild:#x}"], "on_fault": "halt"},
               {"cflags": [f"-DHOLD_MS={hold_ms}"]})
    assert r.status == 128 + signal.SIGSEGV, r.report
    [f] = r.faults("crasher") or [None]
    assert f and f["sig"] == "SIGSEGV" and f["addr"] == f"{wild:#x}", r.report
    assert "shard 'crasher': on_fault=halt, halting the system" in r.kernel(), r.report
    assert r.kernel()[-1] == "system 'faults' exited with status 139", r.report
    assert r.log("consumer") == [] and "ran again after the crasher" not in r.log("producer"), \
        r.report
    assert r.elapsed < hold_ms / 1000 - 5, f"the halt waited for the other shards{r.report}"


RESTART = HERE / "restart" / "restart.yaml"


@pytest.fixture(scope="module")
def restart(tmp_path_factory):
    work = tmp_path_factory.mktemp("restart")
    return System(RESTART, work).run(env={"VANITY_STATS": "1"})


def test_restart_keeps_queued_messages(restart):
    r = restart
    assert r.log("consumer") == [
        "life starts at 0",
        "crashing after 700 with 64 queued",  # a full ring behind the crash
        "life starts at 701",                 # no loss, no duplicate
        "got 701..1999 in order",
    ], r.report
    assert r.log("producer") == ["sent 2000"], r.report
    [f] = r.faults("consumer") or [None]
    assert f and (f["sig"], f["addr"]) == ("SIGSEGV", "0x8"), r.report
    assert "shard 'consumer': on_fault=restart, restarted (1)" in r.kernel(), r.report
    assert r.stats("consumer")["restarts"] == 1, r.report
    assert "stats: channel 'work': head 2000 tail 2000" in r.kernel(), r.report
    # The looper (next test) was stopped by a fault: that makes the status 1.
    assert r.status == 1, r.report


def test_crash_loop_is_given_up_after_the_restart_budget(restart):
    r = restart
    faults = r.faults("looper")
    assert len(faults) == 6 and all(f["sig"] == "SIGABRT" for f in faults), r.report
    outcomes = [m for m in r.kernel() if m.startswith("shard 'looper': ")]
    assert outcomes[:5] == [f"shard 'looper': on_fault=restart, restarted ({i})"
                            for i in range(1, 6)], r.report
    assert re.fullmatch(r"shard 'looper': on_fault=restart, restarted 5 times within 1 s, "
                        r"gave up: stopped; \d other shards? running", outcomes[5]), r.report
    assert len(outcomes) == 6, r.report
    assert r.stats("looper")["restarts"] == 5, r.report
    assert r.kernel()[-1] == "system 'restart' exited with status 1", r.report


# ---- isolation probes -----------------------------------------------------------

PROBES = HERE / "probes" / "probes.yaml"


@pytest.fixture(scope="module")
def probes(tmp_path_factory):
    """Runs the probes system; returns (run, layout, {probe: address})."""
    work = tmp_path_factory.mktemp("probes")
    layout = System(copy_spec(PROBES, work / "layout-src"), work / "layout").gen()
    stack, stack_size = layout.region("peer", "stack")
    own = layout.channel("own")
    ring_end = own["addr_int"] + own["size_int"] - 8
    addrs = {
        "stack_reader": stack + stack_size - 64,  # in use: near the top
        "ring_writer": ring_end,
        "ctl_reader": layout.region("peer", "ctl")[0] + 8,
        "code_reader": layout.region("peer", "image")[0] + 0x1000,
    }

    def edit(doc):
        for name, addr in addrs.items():
            shard_of(doc, name)["cflags"] = [
                f"-DPROBE_ADDR={addr:#x}", f"-DPROBE_WRITE={int(name == 'ring_writer')}"]
        shard_of(doc, "owner")["cflags"] = [f"-DOWN_ADDR={ring_end:#x}"]
    system = System(copy_spec(PROBES, work / "src", edit), work)
    r = system.run()
    assert same_layout(system.manifest(), layout), "cflags changed the layout"
    return r, layout, addrs


@pytest.mark.parametrize("probe, verb", [
    ("stack_reader", "reading"),  # another shard's stack
    ("ring_writer", "writing"),   # a ring it is not an endpoint of
    ("ctl_reader", "reading"),    # another shard's control page
    ("code_reader", "reading"),   # another shard's code
])
def test_probe_into_someone_elses_memory_faults(probes, probe, verb):
    r, _, addrs = probes
    addr = f"{addrs[probe]:#x}"
    assert r.log(probe) == [f"{verb} {addr}"], r.report
    [f] = r.faults(probe) or [None]
    assert f, f"no fault report for {probe}{r.report}"
    assert (f["sig"], f["code"], f["addr"]) == ("SIGSEGV", "address not mapped", addr), r.report
    one_match(rf"shard '{probe}': on_fault=stop, stopped; \d other shards? running", r.kernel(), r)


def test_writing_own_ring_works(probes):
    r, _, addrs = probes
    assert r.log("owner") == [
        f"own ring at {addrs['ring_writer']:#x}: wrote and read back 0x123456789abcdef",
        "sent 100"], r.report
    assert r.log("peer") == ["received 100 messages, 0 bad bytes"], r.report
    assert not r.faults("owner") and not r.faults("peer"), r.report


def test_stack_overflow_hits_the_guard_page(probes):
    r, layout, _ = probes
    stack, _ = layout.region("overflow", "stack")
    [f] = r.faults("overflow") or [None]
    assert f and f["sig"] == "SIGSEGV", r.report
    assert f["code"] in ("invalid permissions", "address not mapped"), r.report
    assert stack - 4096 <= int(f["addr"], 16) < stack, f"not in the guard page{r.report}"
    assert r.log("overflow") == ["recursing"], r.report


def test_probes_system_status(probes):
    r, _, _ = probes
    assert r.status == 1, r.report  # shards were stopped by faults
    assert "isolation is broken" not in r.stdout and "survived" not in r.stdout, r.report
    assert r.kernel()[-1] == "system 'probes' exited with status 1", r.report


# ---- syscall validation ---------------------------------------------------------

SYSCALLS = HERE / "syscalls" / "syscalls.yaml"

REFUSED = {
    "notify_other": EPERM,           # a channel of two other shards
    "notify_out_of_range": EINVAL,   # channel id == number of channels
    "notify_huge": EINVAL,           # UINT64_MAX
    "notify_wraps_to_mine": EINVAL,  # 2^32 + our channel: no truncation
    "op_count": ENOSYS,              # VN_SYS_COUNT
    "op_99": ENOSYS,
    "op_max": ENOSYS,                # UINT32_MAX
    "log_too_long": EINVAL,          # VN_LOG_MAX + 1
    "log_huge": EINVAL,
    "peer_other": EPERM,             # PEER on a channel of two other shards
    "peer_out_of_range": EINVAL,
    "peer_huge": EINVAL,
    "peer_wraps_to_mine": EINVAL,
}


@pytest.fixture(scope="module")
def syscalls(tmp_path_factory):
    """Runs the syscalls system; returns (run, {call: result})."""
    work = tmp_path_factory.mktemp("syscalls")
    layout = System(copy_spec(SYSCALLS, work / "layout-src"), work / "layout").gen()
    ids = {"MINE": layout.channel("mine")["id"], "OTHER": layout.channel("other")["id"],
           "N_CHANNELS": len(layout.doc["channels"])}
    assert layout.channel("other")["from"] != "caller" != layout.channel("other")["to"]

    def edit(doc):
        shard_of(doc, "caller")["cflags"] = [f"-D{k}={v}" for k, v in ids.items()]
    system = System(copy_spec(SYSCALLS, work / "src", edit), work)
    r = system.run()
    results = {}
    for line in r.log("caller"):
        m = re.fullmatch(r"(\w+) = (0x[0-9a-f]+|0)", line)
        if m:
            results[m[1]] = int(m[2], 0)
    return r, results


@pytest.mark.parametrize("call", sorted(REFUSED))
def test_bad_syscall_is_refused(syscalls, call):
    r, results = syscalls
    assert call in results, f"the caller did not log {call}{r.report}"
    assert vn_is_err(results[call]), f"{call} returned {results[call]:#x}{r.report}"
    assert results[call] == vn_err(REFUSED[call]), \
        f"{call}: {results[call]:#x}, want VN_ERR({REFUSED[call]}){r.report}"


def test_system_runs_on_after_refused_syscalls(syscalls):
    r, results = syscalls
    assert results.get("notify_mine") == 0, r.report  # a valid call still works
    assert results.get("peer_mine") == 1, r.report  # the listener: live, generation 1
    assert r.log("caller")[-1] == "still running: sent 50", r.report
    assert r.log("listener") == ["received 50, 0 out of order"], r.report
    assert r.log("bystander") == ["got 50"], r.report
    assert not any(r.faults(s) for s in ("caller", "listener", "bystander")), r.report
    assert r.status == 0, r.report
    assert r.kernel()[-1] == "system 'syscalls' exited with status 0", r.report


# ---- FP ----------------------------------------------------------------------------

def test_fp_shards_on_one_core_keep_their_own_registers(tmp_path):
    """The reference for every board (bare_suite.py): two FP-heavy shards on
    one core yield to each other mid-computation and print their results."""
    r = System(HERE / "fpu" / "fpmix.yaml", tmp_path).run()
    assert r.status == 0, r.report
    for shard, want in FP_RESULTS.items():
        assert r.log(shard) == [want], r.report


def test_fp_off_builds_the_shard_integer_only(tmp_path):
    """fp: false on hosted (spec/README.md): the shard is built integer-only,
    so C that computes in FP does not build, but a process cannot have its
    FPU switched off: nofp.yaml's hand-written FP instruction runs, in the
    shard's own process (the bare-metal boards fault on it instead)."""
    r = System(HERE / "fpu" / "nofp.yaml", tmp_path / "asm").run()
    assert r.status == 0, r.report
    assert r.log("nofp") == ["about to use FP/SIMD", "ran an FP/SIMD instruction"], r.report
    assert r.log("peer") == [FP_RESULTS["fa"]], r.report

    def edit(doc):
        shard_of(doc, "peer")["fp"] = False
    spec = copy_spec(HERE / "fpu" / "nofp.yaml", tmp_path / "c" / "src", edit)
    r = vanity("build", spec, "-o", tmp_path / "c" / "out", "--build-dir", tmp_path / "c" / "b")
    assert r.status != 0, r.report
    assert "building shard 'peer' failed" in r.stderr, r.report


# ---- scheduling, time, exits, signals -------------------------------------------

SCHED = HERE / "sched"


@pytest.fixture(scope="module")
def sched(tmp_path_factory):
    """run(name, env=None): builds and runs sched/NAME.yaml once per session."""
    runs = {}

    def run(name, env=None):
        if name not in runs:
            work = tmp_path_factory.mktemp(name)
            runs[name] = System(SCHED / f"{name}.yaml", work).run(env=env)
        return runs[name]
    return run


def test_yield_shards_on_one_core_take_turns(sched):
    r = sched("samecore", env={"VANITY_STATS": "1"})
    assert r.status == 0, r.report
    want = [f"[{s}] turn {i}" for i in range(5) for s in "abc"]
    assert r.stdout.splitlines() == want, f"no strict round-robin at vn_yield{r.report}"
    for s in "abc":
        assert r.stats(s)["yields"] == 5, r.report


def test_sleeping_yield_shards_are_woken_by_messages(sched):
    r = sched("yieldpong", env={"VANITY_STATS": "1"})
    assert r.status == 0, r.report
    one_match(r"500 round trips ok \(4500 messages each way\), \d+ us each", r.log("ping"), r)
    assert r.log("pong") == ["echoed 4500 messages"], r.report
    for s in ("ping", "pong"):
        st = r.stats(s)
        assert st["yields"] == 0 and st["waits"] > 0 and st["notifies"] > 0, r.report
    assert "stats: channel 'ping_to_pong': head 4501 tail 4501" in r.kernel(), r.report
    assert "stats: channel 'pong_to_ping': head 4500 tail 4500" in r.kernel(), r.report
    assert r.kernel()[-1] == "system 'yieldpong' exited with status 0", r.report


def test_wait_times_out_then_a_message_wakes_the_sleeper(sched):
    r = sched("wake", env={"VANITY_STATS": "1"})
    assert r.status == 0, r.report
    m = one_match(r"wait\(100 ms\) returned (\w+) after (\d+) us", r.log("waker"), r)
    assert int(m[1], 0) == 0 and 100000 <= int(m[2]) < 600000, r.report
    m = one_match(r"woke with bits (\w+) \(bell is (\w+)\); bell sent (-?\d+) us into the wait, "
                  r"woke (-?\d+) us after it", r.log("dozer"), r)
    assert int(m[1], 0) == int(m[2], 0) != 0, r.report
    assert int(m[3]) >= 50000 and int(m[4]) >= 0, f"the dozer did not sleep{r.report}"
    assert r.stats("dozer")["waits"] >= 1 and r.stats("waker")["notifies"] >= 1, r.report


def test_poll_shards_sharing_a_core_both_progress(sched):
    r = sched("pollpong")
    assert r.status == 0, r.report
    one_match(r"500 round trips ok \(4500 messages each way\), \d+ us each", r.log("ping"), r)
    m = one_match(r"(\d+) timeouts in (\d+) us", r.log("ticker"), r)
    assert int(m[1]) == 20 and int(m[2]) >= 20000, r.report
    assert r.log("pong") == ["echoed 4500 messages"], r.report


def test_exit_statuses_and_halt(sched):
    r = sched("ends")
    assert r.status == 7, r.report  # vn_halt(7)
    assert "shard 'quitter' exited with status 3" in r.kernel(), r.report  # _exit(3)
    m = one_match(r"wait\(50 ms\) returned (\w+) after (\d+) us", r.log("halter"), r)
    assert int(m[1], 0) == 0 and 50000 <= int(m[2]) < 500000, r.report
    assert "should not happen" not in r.stdout, r.report
    assert r.kernel()[-1] == "system 'ends' exited with status 7", r.report


@pytest.fixture(scope="module")
def idle_kernel(tmp_path_factory):
    """The idle system's kernel binary (two shards asleep forever)."""
    return System(SCHED / "idle.yaml", tmp_path_factory.mktemp("idle")).build()


def start_idle(kernel):
    """Starts the kernel in its own session; returns (process, shard pids)
    once both shards run."""
    proc = subprocess.Popen([kernel], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        kids = {pid: p[0] for pid, p in processes().items() if p[2] == proc.pid}
        if sorted(kids.values()) == ["left", "right"]:
            return proc, kids
        time.sleep(0.02)
    proc.kill()
    pytest.fail(f"the idle system's shards did not start: {kids}", pytrace=False)


@pytest.mark.parametrize("sig, why", [(signal.SIGTERM, "terminated by SIGTERM"),
                                      (signal.SIGINT, "interrupted by SIGINT")])
def test_signal_stops_the_system(idle_kernel, sig, why):
    proc, _ = start_idle(idle_kernel)
    time.sleep(0.3)  # asleep by now
    proc.send_signal(sig)
    try:
        out, err = proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail(f"HANG: the kernel ignored {sig.name}", pytrace=False)
    assert proc.returncode == 128 + sig, err
    assert f"vanity: system 'idle' {why}, exited with status {128 + sig}" in err.splitlines(), err
    # Both asleep for good, no device: said once, and the system waited on.
    stuck = [ln for ln in err.splitlines() if "is stuck" in ln]
    assert stuck == ["vanity: system 'idle' is stuck: 'left', 'right' wait for notifications "
                     "that nothing left can send (no shard runs, no device can interrupt)"], err
    assert out == "", out
    assert not outliving(proc.pid)


def until_stuck(kernel):
    """Runs a system's kernel until it says the system is stuck (30 s at
    most) and a moment longer, room for a second report, which must not
    come; then ends it with SIGTERM. Returns what it wrote: (out, err)."""
    proc = subprocess.Popen([kernel], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    pipes = Pipes(out=proc.stdout, err=proc.stderr)
    deadline = time.monotonic() + 30
    while "is stuck" not in pipes.text("err") and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 128 + signal.SIGTERM, pipes.text("err")
    pipes.join(10)
    return pipes.text("out"), pipes.text("err")


@pytest.fixture(scope="module")
def lastword_kernel(tmp_path_factory):
    """tests/system/sched/lastword.yaml's kernel binary."""
    return System(SCHED / "lastword.yaml", tmp_path_factory.mktemp("lastword")).build()


@pytest.mark.parametrize("attempt", range(3))
def test_stuck_once_the_last_signal_reaches_nobody(lastword_kernel, attempt):
    """tests/system/sched/lastword.yaml: caller signals leaver, which has
    finished, then waits for ever. Its wait begins while the signal is
    still in flight (its core thread serves the wait on caller's own CPU;
    leaver's core takes the signal from the other), so the system is stuck
    only once the signal is delivered, to nobody: the core that delivers it
    must say so. Before it did, half the runs never said it."""
    _, err = until_stuck(lastword_kernel)
    stuck = [ln for ln in err.splitlines() if "is stuck" in ln]
    assert stuck == ["vanity: system 'lastword' is stuck: 'caller' waits for notifications "
                     "that nothing left can send (no shard runs, no device can interrupt)"], err


def test_shards_die_with_a_killed_kernel(idle_kernel):
    proc, kids = start_idle(idle_kernel)
    proc.kill()
    proc.communicate(timeout=10)
    left = outliving(proc.pid)
    assert not left, f"shards outlived a killed kernel (started {kids}, alive {left})"


# ---- spec errors ----------------------------------------------------------------

def test_spec_error_is_reported_before_building(tmp_path):
    spec = copy_spec(SCHED / "wake.yaml", tmp_path / "src")
    text = spec.read_text().replace("message: 8, depth: 4", "message: 8, depth: 6")
    text = text.replace("{name: dozer, sources: [dozer.c], core: 1}",
                        "{name: dozer, sources: [dozer.c], cor: 1}")
    spec.write_text(text)
    lines = text.splitlines()
    depth_at = next((i + 1, ln.index("depth: 6") + len("depth: ") + 1)
                    for i, ln in enumerate(lines) if "depth: 6" in ln)
    cor_at = next((i + 1, ln.index("cor:") + 1) for i, ln in enumerate(lines) if "cor:" in ln)
    out, build = tmp_path / "out", tmp_path / "build"
    r = vanity("run", "wake.yaml", "-o", out, "--build-dir", build, cwd=spec.parent)
    assert r.status == 1, r.report
    errors = r.stderr.splitlines()
    assert len(errors) == 2, r.report  # all of them, in order, and nothing else
    assert re.fullmatch(rf"wake\.yaml:{cor_at[0]}:{cor_at[1]}: error: .*'cor'.*", errors[0]), \
        r.report
    assert re.fullmatch(rf"wake\.yaml:{depth_at[0]}:{depth_at[1]}: error: .*depth 6 .*",
                        errors[1]), r.report
    assert "Traceback" not in r.stderr and r.stdout == "", r.report
    assert not out.exists() and not build.exists(), "built despite the error"


@pytest.mark.parametrize("board", ["hosted", "qemu-virt-riscv64"])
def test_relative_output_and_build_dirs(tmp_path, board):
    """`vanity run SPEC -o out --build-dir build` started outside the
    repository: both directories are where it was started, though the
    compiler runs in the repository (hosted builds with build.py, the
    boards with build_bare.py)."""
    spec = copy_spec(SCHED / "wake.yaml", tmp_path / "src")
    r = vanity("run", spec.name, "--board", board, "-o", "out", "--build-dir", "build",
               cwd=spec.parent)
    assert r.status == 0, r.report
    assert (spec.parent / "out" / "manifest.json").is_file(), r.report
    assert (spec.parent / "build").is_dir(), r.report
    assert not (REPO / "out" / "manifest.json").exists(), "generated into the repository"
    assert not (REPO / "build" / "shards").exists(), "built into the repository"


# ---- escape: reaching around the address space through the host ----------

class StartingShardProbe(threading.Thread):
    """While the escape system runs: finds the victim's process in its 2 s
    wait in a constructor, before its main(), reads its capabilities from
    /proc/<pid>/status and its user namespace and its kernel's, and tries
    to open its control page and its memory through /proc, and to read its
    memory with process_vm_readv, from a process of the same user that
    holds no capability, as a shard's does (on a host without Landlock, a
    sibling shard's code could try the opens). Linux answers that by the
    victim's dumpability. `prefix` runs that process as another user, or in
    a namespace of its own; `also`, if given, runs it a second time so
    (`also_found`)."""

    def __init__(self, prefix=(), also=None):
        super().__init__(daemon=True)
        self.stop = threading.Event()
        self.prefix = list(prefix)
        self.also = also
        self.caps = {}
        self.opens = {}
        self.also_found = {}
        self.userns = {}
        self.comm = None
        self.error = None

    def run(self):
        try:
            while not self.stop.is_set():
                pid = self._victim()
                if pid:
                    self._probe(pid)
                    return
                time.sleep(0.01)
        except Exception as e:  # said by the tests that read what it found
            self.error = repr(e)

    @staticmethod
    def _victim():
        """A shard process named victim: argv is its name and the kernel's
        pid, and the kernel is its parent."""
        for entry in os.listdir("/proc"):
            try:
                argv = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
                if argv[0] != b"victim" or len(argv) < 2 or not argv[1].isdigit():
                    continue
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rpartition(")")[2].split()[1]) == int(argv[1]):
                return int(entry)
        return None

    def _probe(self, pid):
        # its name until its runtime's main() names it after its shard
        self.comm = Path(f"/proc/{pid}/comm").read_text().strip()
        status = Path(f"/proc/{pid}/status").read_text()
        self.caps = dict(re.findall(r"^(CapEff|CapBnd):\t(\w+)$", status, re.M))
        ppid = int(re.search(r"^PPid:\t(\d+)$", status, re.M)[1])
        self.userns = {who: os.readlink(f"/proc/{p}/ns/user")
                       for who, p in (("shard", pid), ("kernel", ppid))}
        drop = self.prefix or (CAPLESS if os.geteuid() == 0 else [])
        # an address in its memory: the start of its first mapping
        addr = Path(f"/proc/{pid}/maps").read_text().split("-", 1)[0]
        self.opens = self._try(drop, pid, addr)
        if self.also is not None:
            self.also_found = self._try(self.also, pid, addr)

    @staticmethod
    def _try(prefix, pid, addr):
        """{what: errno, 0 if it worked} of each way in, run under prefix."""
        code = ("import ctypes, os, sys\n"
                "for p in sys.argv[3:]:\n"
                "    try:\n"
                "        os.close(os.open(p, os.O_RDONLY)); print(p, 0)\n"
                "    except OSError as e:\n"
                "        print(p, e.errno)\n"
                "class iovec(ctypes.Structure):\n"
                "    _fields_ = [('base', ctypes.c_void_p), ('len', ctypes.c_size_t)]\n"
                "libc = ctypes.CDLL(None, use_errno=True)\n"
                "buf = ctypes.create_string_buffer(8)\n"
                "local = iovec(ctypes.cast(buf, ctypes.c_void_p), 8)\n"
                "remote = iovec(int(sys.argv[2], 16), 8)\n"
                "n = libc.process_vm_readv(int(sys.argv[1]), ctypes.byref(local), 1,\n"
                "                          ctypes.byref(remote), 1, 0)\n"
                "print('vm', 0 if n == 8 else ctypes.get_errno())\n")
        paths = {"control page": f"/proc/{pid}/fd/3", "memory": f"/proc/{pid}/mem",
                 "memory read": "vm"}
        out = subprocess.run([*prefix, "/usr/bin/python3", "-c", code, str(pid), addr,
                              *list(paths.values())[:2]],
                             capture_output=True, text=True, timeout=30).stdout
        errnos = dict(line.rsplit(" ", 1) for line in out.splitlines())
        return {what: int(errnos.get(path, -1)) for what, path in paths.items()}


def run_escape(work, user=None, capless=False):
    """The escape system, its secret a file of its user's in work: run as
    the test's user through `vanity run`; or built so, work given to
    `user`, and its kernel run as that user, and its probe as that user in
    a user namespace of its own, as a sibling shard's process is; or, `capless`,
    its kernel run as the test's user without a capability."""
    secret = work / "secret"
    secret.write_text("a file of the user's\n")
    secret.chmod(0o600)

    def secret_path(doc):
        shard_of(doc, "evil")["cflags"] = [f'-DESCAPE_SECRET="{secret}"']
    sysm = System(copy_spec(HERE / "escape/escape.yaml", work / "src", secret_path), work)
    env = {"VANITY_ESCAPE_CANARY": "1"}
    prefix = as_user(user) if user is not None else CAPLESS if capless else None
    if prefix:
        kernel = sysm.build()
        (sysm.build_dir / "run").mkdir(exist_ok=True)
    if user is not None:
        subprocess.run(["chown", "-R", f"{user}:{user}", str(work)], check=True)
    probe = (StartingShardProbe([*as_user(user), "unshare", "--user", "--"], as_user(user))
             if user else StartingShardProbe())
    probe.start()
    try:
        r = run([*prefix, kernel], env=env) if prefix else sysm.run(env=env)
    finally:
        probe.stop.set()
        probe.join(timeout=60)
    r.probe = probe
    return r


CAPLESS = ["setpriv", "--inh-caps=-all", "--bounding-set=-all", "--"]


@pytest.fixture(scope="module")
def escape(tmp_path_factory):
    return run_escape(tmp_path_factory.mktemp("escape"))


@pytest.fixture(scope="module")
def escape_as_user():
    """The escape system run by a user, nobody, in a directory of nobody's
    (pytest's are root's alone)."""
    if os.geteuid() != 0:
        pytest.skip("needs root, to run the system as another user (setpriv)")
    if subprocess.run([*as_user(NOBODY), "unshare", "--user", "--map-current-user", "--mount",
                       "true"], capture_output=True).returncode != 0:
        pytest.skip("this host does not let a user make a user namespace and a mount "
                    "namespace: a user's run has no file tree of its own there "
                    "(docs/hosted.md)")
    work = Path(tempfile.mkdtemp(prefix="vanity-user-"))
    try:
        work.chmod(0o755)
        yield run_escape(work, NOBODY)
    finally:
        shutil.rmtree(work, ignore_errors=True)


# Each refused with EPERM by the shard's seccomp filters (sandbox.c): the
# kernel's start filter before main(), then the shard's own. The second
# group are calls only an allowlist refuses: a process, a program, an x32
# call (x86-64's ABI in all but the number, which a check of the
# architecture alone lets through), the filesystem through *at calls,
# signals aimed by F_SETOWN, another process's limits, the PDEATHSIG that
# ends a shard with the kernel, another CPU, new executable memory, advice
# that reaches shared pages, futex operations past waiting and waking,
# reading the console's terminal.
ESCAPES = ["before main: kill kernel", "before main: open a file for writing",
           "before main: open a UDP socket", "before main: clear PDEATHSIG",
           "before main: make itself dumpable",
           "open kernel mem", "open victim mem", "open a file", "open a packet socket",
           "open a UDP socket", "ptrace victim",
           "process_vm_writev victim", "stop kernel", "kill kernel", "kill victim",
           "fork", "execve", "execveat", "ioctl", "getdents", "chdir", "unlinkat", "mkdirat", "dup",
           "fcntl F_SETOWN kernel", "prlimit kernel", "clear PDEATHSIG", "leave its CPU",
           "mmap executable", "mprotect executable", "madvise hwpoison", "madvise remove",
           "futex lock_pi", "futex cmp_requeue", "read stdin", "read stdout"]
if platform.machine() == "x86_64":
    ESCAPES.append("x32 openat")


@pytest.mark.parametrize("attempt", ESCAPES)
def test_host_escape_is_refused(escape, attempt):
    assert f"{attempt}: refused" in escape.log("evil"), escape.report


def test_system_survives_escape_attempts(escape):
    r = escape
    allowed = ("signal self", "mmap data", "fcntl F_GETFD", "madvise dontneed", "futex wake")
    for call in allowed:
        assert f"{call}: ALLOWED" in r.log("evil"), r.report
    # A doorbell is the write end of a pipe: its rings cannot be taken.
    assert "read a doorbell: failed (errno 9)" in r.log("evil"), r.report
    assert len(r.log("evil")) == len(ESCAPES) + len(allowed) + 6, r.report  # and nothing else
    assert r.log("victim") == ["still fine"], r.report
    assert r.status == 0, r.report


def test_starting_shard_cannot_be_read_by_a_sibling(escape):
    """A shard's process is not dumpable from its first instruction, so a
    process of the same user without capabilities, as a sibling shard is,
    cannot open its descriptors or its memory through /proc (EACCES) or
    read its memory with process_vm_readv (EPERM), even before its main()
    runs: the victim waits 2 s in a constructor, and the test's probe tries
    all three then."""
    probe = escape.probe
    assert probe.comm not in (None, "victim"), f"not before main: {probe.comm} {probe.error}"
    assert probe.opens == {"control page": 13, "memory": 13, "memory read": 1}, \
        f"{probe.opens} {probe.error}{escape.report}"


def test_starting_shard_cannot_read_the_users_files(escape):
    """Before main() the start filter still lets a shard's code open files
    read-only (the program loader does), and a shard's code that never lets
    main() run keeps that filter. The kernel's Landlock rules leave it only
    the loader's files: not a file of the user's that the shard's user may
    read, nor anything in /proc (where the memory of the user's other,
    dumpable, processes is). Nor may it run a program but the loader and
    its own image."""
    if any("this host has no Landlock" in ln for ln in escape.kernel()):
        pytest.skip("this host has no Landlock: a shard's code reads the user's files "
                    "before main() (the kernel said so at boot)")
    log = escape.log("evil")
    # ENOENT in a tree of its own (below), else EACCES from Landlock
    errno = 2 if own_tree(escape) else 13
    for what in ("read a file of the user's", "look into /proc"):
        assert f"before main: {what}: failed (errno {errno})" in log, escape.report
    # /usr/bin/true is in its tree too (under /usr): Landlock refuses to run it
    assert "before main: run a program: failed (errno 13)" in log, escape.report


def own_tree(r):
    """Whether the kernel gave shard processes a file tree of their own
    (kernel/proc.c, view_possible): else it said why at the first start."""
    return not any("file tree of their own" in ln or "own file tree" in ln
                   for ln in r.kernel())


def test_starting_shard_sees_no_path_but_the_loaders(escape):
    """Landlock governs what a process may open, not what stat tells of a
    path; the start filter must let stat through for the loader. So each
    shard's process has a tree of its own, holding the loader's files
    alone: a file of the user's is not there (ENOENT), not even to stat.
    Root's kernel makes it in a mount namespace; a user's, where the host
    lets users make user namespaces, in one of those too (below); where
    not, it says so, and a shard's code may learn which files exist before
    its main() (docs/hosted.md)."""
    if os.geteuid() != 0 and not own_tree(escape):
        pytest.skip("this host does not let a user make a user namespace: shard processes "
                    "see the host's tree (the kernel said so; docs/hosted.md)")
    assert own_tree(escape), escape.report
    assert "before main: see a file of the user's: failed (errno 2)" in escape.log("evil"), \
        escape.report


def test_a_library_path_anywhere_is_in_the_tree(tmp_path):
    """What LD_LIBRARY_PATH names is in a shard's tree as the loader will
    ask for it: here a directory in the kernel's own build directory (which
    the tree is made over) and one reached through two symbolic links, the
    second relative. Each shard starts and the run is a clean one."""
    sysm = System(copy_spec(REPO / "examples/pingpong/pingpong.yaml", tmp_path / "src"),
                  tmp_path)
    sysm.build()
    own = sysm.build_dir / "lib"
    (tmp_path / "real" / "lib").mkdir(parents=True)
    (tmp_path / "b").mkdir()
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b" / "c").symlink_to("../real")
    own.mkdir()
    r = sysm.run(env={"LD_LIBRARY_PATH": f"{own}:{tmp_path}/a/c/lib"})
    assert r.status == 0, r.report
    assert "10000 round trips, every payload verified" in r.stdout, r.report


def test_shard_cannot_forge_console_lines(escape):
    """What a shard writes to its own stdout and stderr reaches the console
    through the kernel's relay, each line named after the shard: it cannot
    pass for a kernel line or another shard's log, nor send the terminal an
    escape sequence."""
    r = escape
    lines = r.stderr.splitlines()
    assert "[evil] vanity: shard 'victim' faulted: forged" in lines, r.report
    assert "[evil] [victim] forged" in lines, r.report
    assert "[evil] ?[2Jcleared" in lines, r.report
    assert not any("forged" in ln for ln in r.kernel()), r.report
    assert "\033" not in r.stdout + r.stderr, r.report
    assert r.log("victim") == ["still fine"], r.report


def test_unread_output_stops_no_shard(tmp_path):
    """Nobody reads the kernel's standard output: its shards run on. The
    kernel writes from a queue, by a thread of its own (console.c), so a
    LOG call never waits for the pipe: tests/system/flood's `chatty` logs
    20,000 lines (2.4 MB) and comes to its end, `steady` keeps sleeping in
    10 ms steps on the other core. What found the queue full is dropped and
    counted, never lost unsaid: the lines that arrive are the first ones, in
    order, and the counts make up the rest."""
    sysm = System(HERE / "flood" / "flood.yaml", tmp_path)
    kernel = sysm.build()
    proc = subprocess.Popen([kernel], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    try:
        deadline, shards, top = time.monotonic() + 60, {}, None
        while time.monotonic() < deadline and shards.get("chatty", {}).get("state") != \
                "finished":
            time.sleep(1)
            top = vanity("top", sysm.spec, "-o", sysm.out, "--build-dir", sysm.build_dir,
                         "--once", "--json")
            if top.status == 0:  # else not up yet, or not answering: looked at again
                shards = {s["name"]: s for s in json.loads(top.stdout)["shards"]}
        assert shards.get("chatty", {}).get("state") == "finished", \
            f"chatty did not end, or the system did not answer: {shards}{top.report}"
        assert shards["chatty"]["syscalls"] == 20001, shards  # each LOG, and the exit
        assert shards["steady"]["state"] in ("blocked", "running"), shards
        assert shards["steady"]["activations_per_s"] > 20, shards  # 100 a second, idle
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    got = [int(m[1]) for m in re.finditer(r"^\[chatty\] line (\d+) ", out, re.M)]
    assert got and got == list(range(len(got))), f"{len(got)} lines, out of order"
    dropped = [int(n) for n in re.findall(
        r"^vanity: console: (\d+) lines? not written: standard output or error was not "
        r"read$", err, re.M)]
    assert dropped and len(got) + sum(dropped) == 20000, (len(got), dropped, err)
    assert err.splitlines()[-1] == \
        "vanity: system 'flood' interrupted by SIGINT, exited with status 130", err
    assert proc.returncode == 130


def test_shard_running_off_its_core_is_stopped(tmp_path):
    """A shard that gives its core up (a WAIT that never ends, posted by
    hand) and runs on instead of sleeping shares the host CPU with the shard
    that holds the core: what it runs off its core counts against its
    watchdog, or a limit of the kernel's for a shard without one, which
    stops it as a fault; the victim runs on."""
    r = System(HERE / "offcore" / "offcore.yaml", tmp_path).run()
    assert r.log("sneak") == ["waiting, and running on"], r.report
    assert r.log("loner") == ["waiting, and running on"], r.report
    m = one_match(r"shard 'sneak' faulted: ran (\d+) ms of CPU after giving its core up "
                  r"\(watchdog 300 ms\)", r.kernel(), r)
    assert 300 <= int(m[1]) < 1500, r.report
    # without a watchdog, the kernel's own limit
    m = one_match(r"shard 'loner' faulted: ran (\d+) ms of CPU after giving its core up "
                  r"\(no watchdog: limit 100 ms\)", r.kernel(), r)
    assert 100 <= int(m[1]) < 1300, r.report
    for name in ("sneak", "loner"):
        assert any(ln.startswith(f"shard '{name}': on_fault=stop, stopped; ")
                   for ln in r.kernel()), r.report
    assert r.log("victim") == ["ran 1.5 s, taking turns"], r.report
    assert r.status == 1, r.report  # a shard was stopped by a fault


def test_parked_shard_running_on_is_stopped(tmp_path):
    """A WAIT the kernel parks (core.c, "Parking") leaves the core free and
    the shard's process asleep to the kernel, as any WAIT does: a shard that
    spins there is stopped by its watchdog's budget of CPU off its core (the
    kernel starts counting a millisecond after the park). One that takes its
    park back, as a shard a peer woke does, holds its core from then, and
    its watchdog stops it for not yielding: the kernel saw the park, and the
    claim. One that claims late, saying it did so long before, is watched
    from when its CPU time says it ran, not from when the kernel saw it."""
    r = System(HERE / "offcore" / "parked.yaml", tmp_path).run()
    assert r.log("parker") == ["parked, and running on"], r.report
    for name in ("claimer", "late"):
        assert r.log(name) == ["parked, claiming, and running on"], r.report
    m = one_match(r"shard 'parker' faulted: ran (\d+) ms of CPU after giving its core up "
                  r"\(watchdog 300 ms\)", r.kernel(), r)
    assert 300 <= int(m[1]) < 1500, r.report
    m = one_match(r"shard 'claimer' watchdog: ran (\d+) ms without yielding", r.kernel(), r)
    assert 300 <= int(m[1]) < 1500, r.report
    assert not [ln for ln in r.kernel() if "'claimer' faulted: ran" in ln], r.report
    one_match(r"shard 'late' watchdog: ran \d+ ms without yielding", r.kernel(), r)
    assert r.log("feeder") == ["late at 1.6 s: stopped", "slept 2.5 s"], r.report
    assert r.status == 1, r.report  # shards were stopped by faults


def test_a_claim_its_cpu_time_belies_stretches_no_watchdog(tmp_path):
    """A parked shard that runs on uses up its watchdog's budget off its
    core; claiming its park back, it says when it did, and the kernel
    believes no claim later than its CPU time allows: `later` runs 900 ms
    parked and then claims "now", and is stopped about 100 ms later, not
    a whole watchdog (1 s) after its claim (offcore/later.yaml)."""
    r = System(HERE / "offcore" / "later.yaml", tmp_path).run()
    assert r.log("later") == ["parked, claiming, and running on"], r.report
    one_match(r"shard 'later' watchdog: ran \d+ ms without yielding", r.kernel(), r)
    assert r.log("feeder") == ["late at 1.6 s: stopped", "slept 2.5 s"], r.report
    assert r.status == 1, r.report


def slept_through(r):
    """offcore's listener got the message sent after the lies, having run
    under 200 ms of CPU, and the kernel never had to speak of it."""
    [line] = r.log("listener")
    m = re.fullmatch(r"got 42, (\d+) ms of CPU", line)
    assert m and int(m[1]) < 200, r.report
    assert not [ln for ln in r.kernel() if "'listener'" in ln], r.report
    assert r.status == 0, r.report


def test_false_wakes_of_a_parked_flag_are_not_listened_to(tmp_path):
    """A sleeping flag is in the ring, which the peer can write (hosted.h,
    "A parked wait"). A peer that sets it woken with nothing sent, wakes it
    without a change, writes values the protocol never makes, or flips it
    between the values the sleeper sleeps on, waking it each time, costs
    the sleeper no more than a look: the sleeper stops listening to that
    flag and sleeps on, in the kernel, neither running nor holding its core
    (its watchdog would stop it) for 1.6 s of lies; and the message sent
    after them still wakes it, through the kernel."""
    r = System(HERE / "offcore" / "deaf.yaml", tmp_path).run()
    assert r.log("liar") == ["flag parked, then armed and woken: deaf", "sent"], r.report
    slept_through(r)


def test_a_flag_flipped_without_wakes_costs_the_sleeper_nothing(tmp_path):
    """A peer that flips a sleeper's flag between armed and parked, the
    values it sleeps on, without a futex wake, can only make a look of the
    sleeper's that comes as it goes to sleep find the flag changed (EAGAIN)
    and look again: with two values, each look has at most an even chance
    of that, and once asleep only a wake wakes it. Through 1.4 s of flips
    from its first sleep on, the sleeper runs a few ms, far under its 1 s
    watchdog, and the message after them wakes it (offcore/restless.yaml)."""
    r = System(HERE / "offcore" / "restless.yaml", tmp_path).run()
    assert r.log("flipper") == ["flipped over a million times, sent"], r.report
    slept_through(r)


def test_stuck_with_a_false_wake_in_a_parked_flag(tmp_path):
    """tests/system/offcore/hush.yaml: a peer sets a parked shard's flag
    woken with nothing sent (and no futex wake: the shard sleeps on), then
    both wait for ever. The flag is the peer's to write: the kernel does
    not take it for a notification on its way, and says the system is
    stuck (before, it waited on in silence)."""
    out, err = until_stuck(System(HERE / "offcore" / "hush.yaml", tmp_path).build())
    assert "[quitter] lied once" in out.splitlines(), out
    stuck = [ln for ln in err.splitlines() if "is stuck" in ln]
    assert stuck == ["vanity: system 'hush' is stuck: 'quitter', 'listener' wait for "
                     "notifications that nothing left can send (no shard runs, no device "
                     "can interrupt)"], err


def test_a_parked_shard_whose_wake_never_came_is_woken_by_the_kernel(tmp_path):
    """tests/system/offcore/dropped.yaml: a peer publishes a message to a
    parked shard and sets its flag woken, but never futex-wakes the flag
    (a broken or lying peer; one that dies is covered otherwise: the
    kernel tells a dead shard's peers), then waits for ever. The kernel's
    looks at the parked shard find the flag woken with news twice and wake
    it: the message is read, and then the system is stuck, and says so.
    Before, the shard slept on with its message, and the kernel, taking
    the flag for a wake on its way, said nothing."""
    out, err = until_stuck(System(HERE / "offcore" / "dropped.yaml", tmp_path).build())
    lines = out.splitlines()
    assert "[dropper] sent 7, woke the flag, and stopped there" in lines, out
    assert [ln for ln in lines if re.fullmatch(r"\[listener\] got 7, \d+ ms of CPU", ln)], out
    stuck = [ln for ln in err.splitlines() if "is stuck" in ln]
    assert stuck == ["vanity: system 'dropped' is stuck: 'dropper' waits for notifications "
                     "that nothing left can send (no shard runs, no device can interrupt)"], err


def test_shard_gets_none_of_the_users_environment(escape):
    """A shard's process starts with the program loader's and the
    sanitizers' variables only: one set in the environment the system was
    run in does not reach it."""
    assert "before main: the user's environment: not seen" in escape.log("evil"), \
        escape.report


def test_a_users_run_gives_each_shard_a_tree_of_its_own(escape_as_user):
    """A user's kernel has no CAP_SYS_ADMIN to make a mount namespace with,
    so each shard's process makes a user namespace first, in which it has
    it (kernel/proc.c, view_possible), mapped to the same user. Before its
    main() a shard's code then finds neither a file of the user's nor /proc
    (ENOENT), runs no program, and every escape is refused as in root's
    run; the system runs to its end."""
    r = escape_as_user
    log = r.log("evil")
    assert r.status == 0, r.report
    assert own_tree(r), r.report
    for what in ("read a file of the user's", "look into /proc", "see a file of the user's"):
        assert f"before main: {what}: failed (errno 2)" in log, r.report
    assert "before main: run a program: failed (errno 13)" in log, r.report
    for attempt in ESCAPES:
        assert f"{attempt}: refused" in log, r.report
    assert r.log("victim") == ["still fine"], r.report


def test_a_users_shard_is_out_of_reach_of_another_namespace(escape_as_user):
    """In a user's run each shard's process is in a user namespace of its
    own, not its kernel's, and holds no capability in it. A process of the
    same user in another user namespace, as a sibling shard's is, can
    neither open the shard's descriptors or memory through /proc nor read
    its memory with process_vm_readv, before its main(). The user owns the
    shard's namespace: a process of the user's outside any may read its
    memory (gdb -p, docs/hosted.md), though not through /proc, whose files
    of a process that is not dumpable are root's."""
    probe = escape_as_user.probe
    why = f"{probe.comm} {probe.error} {probe.userns}{escape_as_user.report}"
    assert probe.comm not in (None, "victim"), f"not before main: {why}"
    assert probe.userns["shard"] != probe.userns["kernel"], why
    assert probe.caps.get("CapEff") == "0000000000000000", why
    assert probe.caps.get("CapBnd") == "0000000000000000", why
    assert probe.opens == {"control page": 13, "memory": 13, "memory read": 1}, \
        f"{probe.opens} {why}"
    assert probe.also_found == {"control page": 13, "memory": 13, "memory read": 0}, \
        f"{probe.also_found} {why}"


def test_a_kernel_refused_its_namespaces_says_so_and_confines_shards_still():
    """Root without a capability is a user the kernel cannot make a tree
    for: mapping uid 0 in a user namespace takes CAP_SETFCAP (Linux 5.12
    on). The kernel says so at the first start and runs its shards in the
    host's tree, where Landlock still keeps the user's files and /proc from
    them (EACCES; stat sees the file), and every escape is refused. Where
    the host does let it, the shards have their tree (ENOENT)."""
    if os.geteuid() != 0:
        pytest.skip("needs root, to run the kernel as root without a capability")
    work = Path(tempfile.mkdtemp(prefix="vanity-capless-"))
    try:
        r = run_escape(work, capless=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    log = r.log("evil")
    assert r.status == 0, r.report
    if own_tree(r):
        errno, seen = 2, "failed (errno 2)"
    else:
        one_match(r"warning: the kernel cannot give shard processes a file tree of their own "
                  r"\(a user namespace, then a mount namespace: .+\): they see the host's "
                  r"tree, .*", r.kernel(), r)
        errno, seen = 13, "ALLOWED"
    for what in ("read a file of the user's", "look into /proc"):
        assert f"before main: {what}: failed (errno {errno})" in log, r.report
    assert f"before main: see a file of the user's: {seen}" in log, r.report
    for attempt in ESCAPES:
        assert f"{attempt}: refused" in log, r.report
    assert r.log("victim") == ["still fine"], r.report


def test_shard_has_no_capabilities(escape):
    """Even in a system run as root, a shard process starts with no
    capability, and without the capability to drop them there were none."""
    caps = escape.probe.caps
    why = f"{caps} {escape.probe.error}{escape.report}"
    assert caps.get("CapEff") == "0000000000000000", why
    if os.geteuid() == 0:
        assert caps.get("CapBnd") == "0000000000000000", why


# ---- devices: the simulator's models, grants and interrupts ----------------------

IRQ = HERE / "irq" / "irq.yaml"  # the qemu-virt-aarch64 system, run here as is


@pytest.fixture(scope="module", params=["yield", "poll"])
def irq(request, tmp_path_factory):
    """tests/system/irq on hosted: the same sources, against the simulator's
    PL031 model (boards/hosted.yaml puts it where QEMU virt has its RTC)."""
    work = tmp_path_factory.mktemp("irq-" + request.param)

    def edit(doc):
        doc["board"] = "hosted"
        shard_of(doc, "clock").update(mode=request.param,
                                      core=1 if request.param == "yield" else 0)
    return System(copy_spec(IRQ, work / "src", edit), work).run()


def test_device_interrupt_wakes_its_owner(irq):
    r = irq
    lines = r.log("clock")
    assert len(lines) == 3, r.report
    for line in lines[:2]:  # the second alarm needs the first ack to unmask
        m = re.fullmatch(r"rtc interrupt after (\d+) ms, irq 34, ack 0", line)
        assert m and int(m[1]) <= 2000, r.report
    assert lines[2] == f"ack of a bit that is no device: {-EPERM}", r.report
    assert "shard 'clock'" not in "\n".join(r.kernel()), r.report


def test_device_window_is_granted_to_its_owner_only(irq):
    r = irq
    assert "shard 'snoop' faulted: device read of 4 bytes at 0x9010000, outside its devices" \
        in r.kernel(), r.report
    assert r.log("snoop") == ["reading the rtc"], r.report
    assert r.kernel()[-1] == "system 'irq' exited with status 1", r.report


def test_tables_the_kernel_refuses_end_the_boot_cleanly(tmp_path):
    """The kernel checks its generated tables first (vn_kernel_init). Tables
    it refuses, here tests/system/irq's with no cores edited into tables.c,
    end the boot with status 1 and that one line: the clean-up after a
    failed boot ends the device models, and must do so before the kernel
    has any tables (it crashed on them), as after every later failure."""
    import sys
    import systest_lib
    sys.path.insert(0, str(REPO))
    from generator import build as builder

    system = System(copy_spec(IRQ, tmp_path / "src", lambda doc: doc.update(board="hosted")),
                    tmp_path)
    system.gen()
    tables = system.out / "kernel" / "tables.c"
    text, n = re.subn(r"\.n_cores( *)= \d+,", r".n_cores\1= 0,", tables.read_text())
    assert n == 1, text
    tables.write_text(text)
    r = systest_lib.run([builder.build(system.spec, system.out, system.build_dir)], timeout=30)
    assert (r.status, r.stderr) == (1, "vanity: system tables are inconsistent\n"), r.report


# ---- the virtio-net model does not trust its driver --------------------------------

@pytest.fixture(scope="module")
def vnet_evil(tmp_path_factory):
    work = tmp_path_factory.mktemp("vnet-evil")
    return System(copy_spec(HERE / "vnet_evil" / "vnet_evil.yaml", work / "src"), work).run()


LIES = ["outside the heap", "at the top of memory", "longer than the heap",
        "ending past the heap", "a chain that loops", "next past the queue",
        "a receive buffer to send", "a ring outside the heap", "a ring in a pool",
        "an index past the size"]


@pytest.mark.parametrize("lie", LIES)
def test_virtio_model_refuses_a_lying_driver(vnet_evil, lie):
    """Each lie leaves the device in DEVICE_NEEDS_RESET (0x40) with a
    configuration interrupt (2), touching nothing outside the shard's heap."""
    r = vnet_evil
    assert f"{lie}: status 0x4f, interrupt 0x2" in r.log("liar"), r.report


def test_virtio_model_works_again_after_a_reset(vnet_evil):
    r = vnet_evil
    assert r.log("liar")[-1] == "the truth: status 0xf, interrupt 0x1", r.report
    said = [m for m in r.kernel() if m.endswith("; device needs reset")]
    assert len(said) == len(LIES), r.report
    assert r.status == 0 and r.kernel()[-1] == "system 'vnet_evil' exited with status 0", \
        r.report
