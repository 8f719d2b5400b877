"""System tests on qemu-virt-riscv64 (S-mode kernel under OpenSBI, shards
in U-mode): the bare-metal suite (bare_suite.py: examples, isolation,
traps, policies, syscalls, scheduling with both harts in use, devices) with
what this board's fault reports say. The device is QEMU virt's goldfish RTC
(tests/system/irq_rv64), PLIC source 11. Page faults are explained by walking the
shard's own table: "not mapped", "kernel only" (no U bit), "not writable",
"not executable", with the Sv39 level (2, 1, 0) where the walk stopped.
"""

import pytest

from bare_suite import *  # noqa: F401,F403 - the shared tests and fixtures
from bare_suite import Board
from systest_lib import HERE

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
    snoop=("load page fault", r"kernel only, level \d, read"))


@pytest.fixture(scope="module")
def board():
    return BOARD
