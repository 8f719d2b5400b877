"""Crash dumps end to end on every board (docs/postmortem.md): one run of
tests/system/crash/crash.yaml per board, in which a wild write, an illegal
instruction, a stack overflow into the guard page, a watchdog overrun and a
shard that faults in every life each leave a dump. `vanity dump` names the
cause and the faulting function (and its caller) in the backtrace, with the
file and line; the dump's image hash matches the ELF; the last trace
records are the shard's and its core's. The ELF core `vanity dump --core`
writes opens in gdb-multiarch with the shard's ELF: `bt` names the same
functions, `info registers` has the dump's pc, `x/4x $sp` reads the stack.

Hosted collects the dumps in the default place (<build dir>/dumps/), the
QEMU boards in a --dump-dir of the test's.
"""

import json
import re
import shutil
import subprocess

import pytest

from systest_lib import REPO, Manifest, vanity

BOARDS = ["hosted", "qemu-virt-aarch64", "qemu-virt-riscv64"]
SPEC = REPO / "tests" / "system" / "crash" / "crash.yaml"
TIMEOUT = 240

# shard: (signal in the dump's cause line, faulting function, its caller or None)
FAULTS = {
    "wild": ("SIGSEGV", "wild_write", "vn_main"),
    "illegal": ("SIGILL", "illegal_op", "vn_main"),
    "overflow": ("SIGSEGV", "overflow", "overflow"),
    "hog": ("SIGKILL", "hog_spin", "vn_main"),
}


@pytest.fixture(scope="module", params=BOARDS)
def crashed(request, tmp_path_factory):
    board = request.param
    work = tmp_path_factory.mktemp(f"crash-{board}")
    args = ["run", SPEC, "--board", board, "-o", work / "out", "--build-dir", work / "build"]
    dumps = work / "build" / "dumps"
    if board != "hosted":
        dumps = work / "dumps"
        args += ["--dump-dir", dumps]
    r = vanity(*args, timeout=TIMEOUT)
    man = Manifest(json.loads((work / "out" / "manifest.json").read_text()))
    return board, r, dumps, work, man


def dump(path, *more):
    return vanity("dump", path, *more)


def elf_of(work, board, shard):
    d = work / "build" / "shards"
    return d / (shard if board == "hosted" else f"{shard}.elf")


def test_every_fault_leaves_a_dump(crashed):
    board, r, dumps, _, _ = crashed
    assert r.status == 1, r.report  # every shard stopped by a fault
    # A dump is its user's alone, as a core file: the directory vanity run
    # made, and on hosted the file the kernel wrote.
    assert dumps.stat().st_mode & 0o777 == 0o700, oct(dumps.stat().st_mode)
    for shard in FAULTS:
        f = dumps / f"{shard}.1.vdump"
        assert f.is_file(), r.report
        if board == "hosted":
            assert f.stat().st_mode & 0o777 == 0o600, oct(f.stat().st_mode)
        assert f"vanity: crash dump of shard '{shard}': {f}" in r.stderr, r.report
    # `again` faults in every life: one dump per life, named by its generation.
    lives = sorted(dumps.glob("again.*.vdump"))
    assert len(lives) >= 2, r.report
    for n in range(1, len(lives) + 1):
        out = dump(dumps / f"again.{n}.vdump")
        assert out.status == 0, out.report
        assert f"shard 'again' (id 4), life {n}," in out.stdout, out.report


@pytest.mark.parametrize("shard", sorted(FAULTS))
def test_dump_names_the_cause_and_the_function(crashed, shard):
    board, r, dumps, _, man = crashed
    sig, fn, caller = FAULTS[shard]
    out = dump(dumps / f"{shard}.1.vdump")
    assert out.status == 0, out.report
    text = out.stdout
    assert re.search(rf"^cause: .*\[{sig}, code ", text, re.M), out.report
    assert "(matches the dump's image hash" in text, out.report
    frames = re.findall(r"^  #(\d+) +0x[0-9a-f]+ in (\w+) at (\S+)$", text, re.M)
    assert frames and frames[0][1] == fn, out.report
    assert re.match(r"tests/system/crash/crasher\.c:\d+$", frames[0][2]), out.report
    assert len(frames) > 1 and frames[1][1] == caller, out.report
    if shard == "wild":
        assert "fault address: 0x0000000000000010" in text, out.report
    if shard == "overflow":  # into the guard page below its stack
        lo, _ = man.region("overflow", "stack")
        addr = int(re.search(r"^fault address: (0x[0-9a-f]+)", text, re.M)[1], 16)
        assert lo - 4096 <= addr < lo, out.report
    if shard == "hog":
        assert "cause: watchdog" in text, out.report
        assert re.search(r"^  -\s*[\d.]+ ms  watchdog: shard=3 \(hog\)", text, re.M), out.report
    else:
        assert re.search(rf"^  -\s*[\d.]+ ms  fault: shard=\d+ \({shard}\)", text, re.M), \
            out.report
    # The shard's own ring: the event it recorded just before it died.
    assert re.search(rf"^  -\s*[\d.]+ ms  dying: mode={'1234'[list(FAULTS).index(shard)]}$",
                     text, re.M), out.report
    assert re.search(r"^stack from sp \(0x[0-9a-f]+, \d+ bytes", text, re.M), out.report


@pytest.mark.skipif(shutil.which("gdb-multiarch") is None,
                    reason="gdb-multiarch is not installed (make deps)")
@pytest.mark.parametrize("shard", ["wild", "illegal", "hog"])
def test_gdb_reads_the_core(crashed, shard, tmp_path):
    board, _, dumps, work, _ = crashed
    _, fn, caller = FAULTS[shard]
    core = tmp_path / f"{shard}.core"
    out = dump(dumps / f"{shard}.1.vdump", "--core", core)
    assert out.status == 0 and core.is_file(), out.report
    pc = re.search(r"^pc (0x[0-9a-f]+)", out.stdout, re.M)[1]
    g = subprocess.run(["gdb-multiarch", "-nx", "-batch", "-ex", "bt", "-ex", "info registers",
                        "-ex", "x/4x $sp", str(elf_of(work, board, shard)), str(core)],
                       capture_output=True, text=True, timeout=60)
    said = g.stdout + g.stderr
    assert re.search(rf"^#0 .*\b{fn} \(", g.stdout, re.M), said
    assert re.search(rf"^#1 .* in {caller} \(", g.stdout, re.M), said
    assert re.search(rf"^(rip|pc) +{int(pc, 16):#x}\b", g.stdout, re.M), said
    assert re.search(r"^0x[0-9a-f]+:\s+0x[0-9a-f]+\s+0x", g.stdout, re.M), said
    assert "Cannot access memory" not in said


def test_a_directory_is_one_line_per_dump(crashed):
    _, _, dumps, _, _ = crashed
    r = dump(dumps)
    assert r.status == 0, r.report
    lines = r.stdout.splitlines()
    assert len(lines) == len(list(dumps.glob("*.vdump"))), r.report
    for shard, (sig, fn, _) in FAULTS.items():
        assert any(re.match(rf"{shard}\.1\.vdump: shard '{shard}' life 1: .*\[{sig}\] in {fn} at "
                            r"tests/system/crash/crasher\.c:\d+$", ln) for ln in lines), r.report


def test_a_dump_that_is_not_one_is_a_one_line_error(crashed, tmp_path):
    board, _, dumps, _, _ = crashed
    if board != "hosted":
        pytest.skip("the reader is the same on every board")
    bad = tmp_path / "x.vdump"
    bad.write_bytes(b"not a dump at all, just some bytes")
    for path, msg in ((bad, "not a Vanity crash dump"),
                      (tmp_path / "missing.vdump", "no such crash dump")):
        r = dump(path)
        assert r.status == 1 and r.stdout == "", r.report
        assert r.stderr.count("\n") == 1 and msg in r.stderr, r.report
        assert "Traceback" not in r.stderr
    trunc = tmp_path / "t.vdump"
    trunc.write_bytes((dumps / "wild.1.vdump").read_bytes()[:300])
    r = dump(trunc)
    assert r.status == 1 and "truncated" in r.stderr and r.stderr.count("\n") == 1, r.report
