"""System tests on qemu-virt-riscv64 (S-mode kernel under OpenSBI, shards
in U-mode): the bare-metal suite (bare_suite.py: examples, isolation,
traps, policies, syscalls, scheduling with both harts in use, devices) with
what this board's fault reports say. The device is QEMU virt's goldfish RTC
(tests/system/irq_rv64), PLIC source 11. Page faults are explained by walking the
shard's own table: "not mapped", "kernel only" (no U bit), "not writable",
"not executable", with the Sv39 level (2, 1, 0) where the walk stopped.
Booted with a device tree whose timebase or hart ids are not the generated
board's, the kernel refuses to run, saying why. The timer is the hart's own
stimecmp (Sstc) and a kick a store to the ACLINT SSWI; without either, the
kernel asks OpenSBI instead, and still runs.
"""

import pytest

from bare_suite import *  # noqa: F401,F403 - the shared tests and fixtures
from bare_suite import Board
from systest_lib import HERE, REPO

BOARD = Board(
    name="qemu-virt-riscv64", tag="rv64",
    wild_write=("store/AMO page fault", r"not mapped, level [0-2], write"),
    kernel_write=("store/AMO page fault", r"kernel only, level [0-2], write"),
    kernel_read=("load page fault", r"kernel only, level [0-2], read"),
    probe=("(load|store/AMO) page fault", r"not mapped, level [0-2], (read|write)"),
    guard="store/AMO page fault",
    null="(load|store/AMO) page fault",
    regs=(r"  ra  0x[0-9a-f]{16}  sp  0x[0-9a-f]{16}  gp  0x[0-9a-f]{16}  tp  .*",
          r"  scause 0xf  stval 0x[0-9a-f]+  sstatus 0x[0-9a-f]+"),
    trap_modes={
        2: ("instruction page fault", r"not executable, level 0, execute", "crasher.data"),
        3: ("illegal instruction", None, None),
        4: ("load address misaligned", r"read", "crasher.data"),
        6: ("store/AMO page fault", r"not writable, level 0, write", "crasher.code"),
        7: ("store/AMO page fault", r"not mapped, level [0-2], write", "crasher.guard"),
        8: ("breakpoint", r"abort", None),
    },
    irq_spec=HERE / "irq_rv64" / "irq.yaml", irq=11, rtc=0x101000,
    snoop=("load page fault", r"kernel only, level \d, read"),
    fp_off=("illegal instruction", None))


@pytest.fixture(scope="module")
def board():
    return BOARD


# ---- the boot device tree must be the one the image was generated for ----------

def _tree_with(tmp_path, edit):
    """boards/qemu-virt-riscv64.dts, edited, compiled with dtc to a DTB."""
    import shutil
    import subprocess
    if shutil.which("dtc") is None:
        pytest.skip("dtc is not installed (device-tree-compiler)")
    dts = (REPO / "boards" / "qemu-virt-riscv64.dts").read_text()
    edited = edit(dts)
    assert edited != dts
    (tmp_path / "board.dts").write_text(edited)
    subprocess.run(["dtc", "-q", "-I", "dts", "-O", "dtb", "-o", tmp_path / "board.dtb",
                    tmp_path / "board.dts"], check=True)
    return tmp_path / "board.dtb"


def _hart3_is(n):
    def edit(dts):
        head, cpu3 = dts.split("cpu@3 {", 1)
        return head + "cpu@3 {" + cpu3.replace("reg = <0x03>;", f"reg = <{n:#04x}>;", 1)
    return edit


@pytest.mark.parametrize("edit, refusal", [
    (lambda dts: dts.replace("timebase-frequency = <0x989680>;",
                             "timebase-frequency = <0x1312d00>;"),
     "vanity: cannot boot: the timebase is 20000000 Hz; this kernel counts 10000000 Hz"),
    (_hart3_is(7), "vanity: cannot boot: the CPUs are not numbered 0..3 (the largest is 7)"),
], ids=["timebase", "hart-ids"])
def test_a_device_tree_that_disagrees_is_refused(tmp_path, edit, refusal):
    """QEMU booted with a device tree (-dtb) whose timebase or hart numbering
    is not the one the image was generated for: the kernel refuses at boot,
    with one line saying why and status 1, before any shard runs."""
    from bare_suite import BareRun
    from systest_lib import vanity
    dtb = _tree_with(tmp_path, edit)
    r = vanity("run", REPO / "examples" / "pingpong" / "pingpong.yaml",
               "--board", BOARD.name, "-o", tmp_path / "out", "--build-dir", tmp_path / "build",
               "--", "-smp", "4", "-dtb", dtb)
    assert r.status == 1, r.report
    assert r.stdout == "" and BareRun(r).kernel() == [refusal.removeprefix("vanity: ")], \
        r.report


def test_a_hart_started_at_the_boot_entry_finds_its_cpu(tmp_path):
    """OpenSBI 1.1's hart_start marks a hart START_PENDING before it stores
    the address to start it at, so a hart that wakes in between leaves for
    the boot entry instead (start.S). A build that starts every other hart
    there on purpose (VANITY_TEST_SECONDARY_AT_START): the hart does not
    boot the system again, but finds its CPU and runs its shards, once."""
    from bare_suite import BareRun
    from systest_lib import vanity
    r = vanity("run", REPO / "examples" / "pingpong" / "pingpong.yaml",
               "--board", BOARD.name, "-o", tmp_path / "out", "--build-dir", tmp_path / "build",
               env={"VANITY_TEST_SECONDARY_AT_START": "1"})
    assert r.status == 0, r.report
    lines = BareRun(r).kernel()
    assert len([ln for ln in lines if ln.startswith("system 'pingpong' (")]) == 1, r.report
    assert r.log("ping")[-2] == "10000 round trips, every payload verified", r.report
    assert r.log("pong") == ["echoed 10000 messages"], r.report


# ---- the timer and kicks with and without the firmware --------------------------

def _sleeps(tmp_path, name, *qemu):
    """tests/system/sleeper under -icount shift=0,sleep=off (the board's time
    advances 1 ns per instruction, and skips idle time): how long its 200
    sleeps of 100 us took, in ns."""
    from systest_lib import vanity
    r = vanity("run", HERE / "sleeper" / "sleeper.yaml", "--board", BOARD.name,
               "-o", tmp_path / name / "out", "--build-dir", tmp_path / name / "build",
               "--", "-icount", "shift=0,sleep=off", *qemu)
    assert r.status == 0, r.report
    (line,) = r.log("sleeper")
    took = int(line.removeprefix("200 sleeps of 100 us took ").removesuffix(" ns"))
    assert took >= 200 * 100000, r.report  # never early
    return took


def test_deadlines_and_kicks_without_sstc_or_the_sswi(tmp_path):
    """The kernel writes stimecmp itself where the firmware enables Sstc for
    S-mode (QEMU's rv64 has it, and OpenSBI 1.1 enables it), else it sets
    each deadline through SBI; it kicks another hart through the ACLINT SSWI
    where the tree has one, else through SBI. On a hart without Sstc and a
    board without the SSWI, timed sleeps and cross-core notifications still
    work; and each sleep then costs the firmware's instructions after its
    deadline (exact under -icount: the same 200 sleeps take longer in the
    board's time, by more than 500 instructions a sleep)."""
    from systest_lib import vanity
    fast = _sleeps(tmp_path, "fast")
    slow = _sleeps(tmp_path, "slow", "-cpu", "rv64,sstc=off")
    assert slow - fast > 200 * 500, (fast, slow)
    r = vanity("run", REPO / "examples" / "pingpong" / "pingpong.yaml",
               "--board", BOARD.name, "-o", tmp_path / "pp" / "out",
               "--build-dir", tmp_path / "pp" / "build",
               "--", "-cpu", "rv64,sstc=off", "-M", "virt,aclint=off")
    assert r.status == 0, r.report
    assert r.log("ping")[-2] == "10000 round trips, every payload verified", r.report
