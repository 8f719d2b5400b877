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

import os
import re
import shutil
import subprocess
import time

import pytest

from systest_lib import HERE, PYTHON, REPO, VANITY, kill_session, vanity

SPEC = HERE / "uartstall" / "stall.yaml"


@pytest.mark.skipif(shutil.which("gdb-multiarch") is None,
                    reason="gdb-multiarch is not installed (make deps)")
@pytest.mark.parametrize("board", ["qemu-virt-aarch64", "qemu-virt-riscv64"])
def test_a_panic_while_printing_is_said(board, tmp_path):
    bld = tmp_path / "build"
    r = vanity("build", SPEC, "--board", board, "-o", tmp_path / "out", "--build-dir", bld,
               timeout=300)
    assert r.status == 0, r.report
    # QEMU starts halted (-S), its gdbstub on run/gdb.sock; a hung panic
    # ends at the (shortened) timeout
    cmd = [PYTHON, VANITY, "run", SPEC, "--board", board, "-o", tmp_path / "out",
           "--build-dir", bld, "--", "-S"]
    proc = subprocess.Popen([str(c) for c in cmd], cwd=REPO, text=True, errors="replace",
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True,
                            env=dict(os.environ, VANITY_QEMU_TIMEOUT="60"))
    try:
        sock = bld / "run" / "gdb.sock"
        until = time.monotonic() + 60
        while not sock.exists():
            assert proc.poll() is None and time.monotonic() < until, proc.communicate()
            time.sleep(0.05)
        # the tenth call: the system's first line, and a shard's, are under way
        script = ["set pagination off", f"target remote {sock}", "break console_write",
                  "ignore 1 9", "continue",
                  'printf "console lock %u\\n", console_busy', "delete", "set $pc = 0",
                  "detach"]
        (tmp_path / "gdb.cmd").write_text("\n".join(script) + "\n")
        g = subprocess.run(["gdb-multiarch", "-nx", "-batch", "-x", tmp_path / "gdb.cmd",
                            bld / "image.elf"], capture_output=True, text=True, timeout=120)
        assert "console lock 1" in g.stdout, g.stdout + g.stderr  # held, by CPU 0
        out, _ = proc.communicate(timeout=120)
    finally:
        kill_session(proc.pid)
    panic = [ln for ln in out.splitlines() if "kernel panic" in ln]
    assert len(panic) == 1 and re.fullmatch(r"vanity: kernel panic on cpu 0: .* pc 0",
                                            panic[0]), out[-3000:]
    assert proc.returncode == 70, out[-3000:]
