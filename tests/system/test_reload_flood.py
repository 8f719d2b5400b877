"""An updater shard that asks for reloads without end
(tests/system/reloadflood): each request is refused with a console line.

On every board, every refusal's line reaches the console and the system
ends well. On the QEMU boards the kernel prints each of those lines with
its lock released (freestanding/kernel/kconsole.c: vn_kmsg_later), as it
does a shard's own log lines: a line takes about 5 ms on a 115,200-baud
UART, and an updater that loops on a bad image must not keep every other
core from the kernel that long per call. gdb stops the kernel as it writes
a refusal's bytes and reads the kernel lock: the system has one core, so a
lock held then would be held by the very trap that prints.
"""

import pytest

from systest_lib import BOARDS, HERE, NEEDS_GDB, under_gdb, vanity

SPEC = HERE / "reloadflood" / "flood.yaml"
FLOODS = 200
REFUSED = "vanity: shard 'target': reload refused: not a Vanity reload image"
# console_write's text starts "shard 'target': reload refused" (s[23] is the
# 'r' of "refused"), a condition gdb can test without calling into the kernel
IS_REFUSAL = "s[0] == 's' && s[7] == 't' && s[16] == 'r' && s[23] == 'r' && s[25] == 'f'"


def said(r):
    return (r.stdout + r.stderr).splitlines()


@pytest.mark.parametrize("board", BOARDS)
def test_every_refusal_is_said(board, tmp_path):
    r = vanity("run", SPEC, "--board", board, "-o", tmp_path / "out",
               "--build-dir", tmp_path / "build", timeout=300)
    assert r.status == 0, r.report
    lines = said(r)
    assert sum(ln.startswith(REFUSED) for ln in lines) == FLOODS, r.report
    assert f"[flooder] flooded: {FLOODS} of {FLOODS} refused as no reload image" in lines, \
        r.report
    assert f"[target] told: {FLOODS} refusals" in lines, r.report


@NEEDS_GDB
@pytest.mark.parametrize("board", [b for b in BOARDS if b != "hosted"])
def test_a_refusal_is_printed_without_the_kernel_lock(board, tmp_path):
    script = [f"break console_write if {IS_REFUSAL}"]
    script += ["continue", 'printf "kernel lock %lu\\n", *(unsigned long *)&kernel_lock',
               "bt 3"] * 3
    script += ["delete", "detach"]
    g, out, status = under_gdb(SPEC, board, tmp_path, script)
    locks = [ln for ln in g.stdout.splitlines() if ln.startswith("kernel lock ")]
    assert locks == ["kernel lock 0"] * 3, g.stdout + g.stderr
    assert status == 0, out
    assert sum(ln.startswith(REFUSED) for ln in out.splitlines()) == FLOODS, out
