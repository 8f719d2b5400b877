"""System tests on qemu-virt-aarch64: the bare-metal suite (bare_suite.py:
examples, isolation, traps, policies, syscalls, scheduling, devices) with
what this board's fault reports say. The device is QEMU virt's PL031 RTC
(tests/system/irq), its interrupt GIC SPI 2 (ID 34).
"""

import pytest

from bare_suite import *  # noqa: F401,F403 - the shared tests and fixtures
from bare_suite import Board
from systest_lib import HERE

BOARD = Board(
    name="qemu-virt-aarch64", tag="a64",
    wild_write=("data abort", r"translation fault, level [23], write"),
    kernel_write=("data abort", r"permission fault, level [23], write"),
    kernel_read=("data abort", r"permission fault, level [23], read"),
    probe=("data abort", r"translation fault, level [23], (read|write)"),
    guard="data abort",
    null="data abort",
    regs=(r"  x0  0x[0-9a-f]{16}  x1  0x[0-9a-f]{16}  x2  .*",
          r"  esr 0x9[0-9a-f]{7}  spsr 0x[0-9a-f]+"),
    trap_modes={
        2: ("instruction abort", r"permission fault, level 3, execute", "crasher.data"),
        3: ("undefined instruction", None, None),
        4: ("data abort", r"alignment fault, read", "crasher.data"),
        6: ("instruction abort|data abort", r"permission fault, level 3, write", "crasher.code"),
        7: ("data abort", r"translation fault, level [23], write", "crasher.guard"),
        8: ("breakpoint", r"abort", None),
    },
    irq_spec=HERE / "irq" / "irq.yaml", irq=34, rtc=0x9010000,
    snoop=("data abort", r"permission fault, level \d, read"),
    fp_off=("FP/SIMD access", "fp: false"))


@pytest.fixture(scope="module")
def board():
    return BOARD
