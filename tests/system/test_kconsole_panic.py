"""A kernel panic while the kernel prints (the QEMU boards).

The console lock holds the number of the CPU that holds it
(freestanding/kernel/kconsole.c): a fault in that CPU's own printing is a
kernel panic, whose line takes the lock over. Before, the panic waited for
the lock its own CPU held, and the run ended at QEMU's timeout with no
word of why.

gdb stops the kernel in console_write, with the console lock held, and
sends it to address 0: the fetch faults at the kernel's privilege, a
panic. The panic's line must come out, after the line it cut short is
ended, and the system end with the panic's status, 70.
"""

import re

import pytest

from systest_lib import HERE, NEEDS_GDB, under_gdb

SPEC = HERE / "uartstall" / "stall.yaml"


@NEEDS_GDB
@pytest.mark.parametrize("board", ["qemu-virt-aarch64", "qemu-virt-riscv64"])
def test_a_panic_while_printing_is_said(board, tmp_path):
    # the tenth call: the system's first line, and a shard's, are under way
    script = ["break console_write", "ignore 1 9", "continue",
              'printf "console lock %u\\n", console_busy', "delete", "set $pc = 0", "detach"]
    # a hung panic ends at QEMU's timeout
    g, out, status = under_gdb(SPEC, board, tmp_path, script, env={"VANITY_QEMU_TIMEOUT": "60"})
    assert "console lock 1" in g.stdout, g.stdout + g.stderr  # held, by CPU 0
    panic = [ln for ln in out.splitlines() if "kernel panic" in ln]
    assert len(panic) == 1 and re.fullmatch(r"vanity: kernel panic on cpu 0: .* pc 0",
                                            panic[0]), out[-3000:]
    assert status == 70, out[-3000:]
