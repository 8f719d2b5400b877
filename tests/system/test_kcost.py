"""bench/kcost (bench/run.py part 11) boots on both QEMU boards, with a small
K, under the benchmark's own QEMU options, and its two lines parse into
instruction counts that are all positive and plausible. A smoke test of the
benchmark, not a measurement: `bench/run.py --only kcost` is that. But the
counts are exact, so the test holds the switch where its aim is met, and
the common path (a null call) where it stands.
"""

import importlib.util
import shutil

import pytest

from systest_lib import REPO

spec = importlib.util.spec_from_file_location("bench_run", REPO / "bench" / "run.py")
bench_run = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench_run)

BOARDS = ["qemu-virt-aarch64", "qemu-virt-riscv64"]
COSTS = ["null", "wait0", "solo", "switch", "xcore", "irq_running", "irq_wake"]


@pytest.mark.parametrize("board", BOARDS)
def test_kcost_boots_and_parses(board, tmp_path):
    if shutil.which(bench_run.QEMU_OF[board]) is None:
        pytest.skip(f"{bench_run.QEMU_OF[board]} is not installed")
    r, text = bench_run.kcost_run(board, work=tmp_path, k=200, n=2, timeout=120)
    assert r is not None, text[-3000:]
    assert r["k"] == 200 and r["wake_n"] == 2, text[-3000:]
    assert 0 <= r["loop"] <= 10, r  # the empty loop: 2 or 3 instructions, +-1 tick / K
    for c in COSTS:
        assert 0 < r[c] < 100000, (c, r)
    # A YIELD takes its own path (run.c): yield_fast to another shard,
    # yield_alone back to the same one, which does a subset of the
    # switch's work (no queue, space or FP/SIMD change). Both do less than
    # the common path does for a null call (HANDOFF); all three trap.
    assert r["null"] > r["switch"] > r["solo"] > 50, r
    # Issue 15's aim, a same-core yield to another shard in at most 200
    # instructions, met on both boards (bench/RESULTS.md, "The switch
    # within the aim on riscv64"): hold what each has come down to, 179.5
    # and 199, so anything the YIELD path gains pays its way.
    hold = {"qemu-virt-aarch64": 179.5, "qemu-virt-riscv64": 199.0}[board]
    assert r["switch"] <= hold + 0.5, r
    # And the common path, which every trap but a YIELD takes, at what a
    # null call costs (f041733: 253 and 291). The reload door's checks once
    # cost every trap of every system a stack frame here (274 and 312,
    # found only by a recorded make bench); what is added to the path
    # must pay its way, and moves this line with it.
    # (+1, and two ticks of this small K's resolution: a count is the
    # difference of tick-quantised reads)
    hold = {"qemu-virt-aarch64": 253.0, "qemu-virt-riscv64": 291.0}[board]
    assert r["null"] <= hold + 1 + 2 * r["resolution"], r


def test_riscv64_kicks_through_the_aclint_sswi(tmp_path):
    """A cross-core wake-up on riscv64 kicks the other hart with one store
    to the ACLINT SSWI (sbi.c: arch_kick). Run without aclint=on, the
    firmware's tree has no SSWI, and the kernel kicks through SBI instead:
    both work, and the SBI kick costs the hundreds of instructions in
    OpenSBI that the SSWI saves (exact counts, under -icount)."""
    board = "qemu-virt-riscv64"
    if shutil.which(bench_run.QEMU_OF[board]) is None:
        pytest.skip(f"{bench_run.QEMU_OF[board]} is not installed")
    sswi, text = bench_run.kcost_run(board, work=tmp_path / "sswi", k=200, n=2, timeout=120)
    assert sswi is not None, text[-3000:]
    sbi, text = bench_run.kcost_run(board, work=tmp_path / "sbi", k=200, n=2, timeout=120,
                                    qemu_extra=("-M", "virt,aclint=off"))
    assert sbi is not None, text[-3000:]
    # A wake-up's kick through OpenSBI: about 540 instructions on the
    # sending hart and 280 on the kicked one.
    assert sbi["xcore"] - sswi["xcore"] > 600, (sswi, sbi)
    assert sswi["switch"] == pytest.approx(sbi["switch"], abs=1), (sswi, sbi)
