"""Shared ASIDs on both QEMU boards (docs/boards.md, "ASIDs"). QEMU virt
has 16 ASID bits on both, enough for any system; a build with
VANITY_TEST_ASID_BITS makes the kernel take the MMU for one with fewer
(hooks.h: arch_asid_bits), too few for the six shards of
tests/system/asid and the kernel. The shards' spaces then share one ASID
(0 with no bits at all, on riscv64: the kernel's own), and a CPU drops its
TLB entries under it at every switch between spaces, which the kernel says
in one boot line. Isolation holds as with an ASID each: a shard that
touches another's page right after that shard wrote it (the last
translation the CPU made) faults, whether the page is not mapped for it
(another's heap) or mapped read-only (a pool it may only read), on both
cores; the shards that own those pages find their values intact. The same
system with the ASIDs the board has fits, and says nothing of them.
"""

import json
import re
import shutil

import pytest

from bare_suite import BareSystem, FAULT_RE
from systest_lib import HERE, copy_spec, shard_of

SPEC = HERE / "asid" / "asid.yaml"
N_SHARDS = 6

# (board, bits): bits None is the board's own.
CASES = [("qemu-virt-aarch64", None), ("qemu-virt-aarch64", 1),
         ("qemu-virt-riscv64", None), ("qemu-virt-riscv64", 1), ("qemu-virt-riscv64", 0)]

# What each fault says: (what, detail) for a page not mapped, a write to a
# read-only one.
FAULTS = {
    "qemu-virt-aarch64": (("data abort", r"translation fault, level [23], read"),
                          ("data abort", r"permission fault, level [23], write")),
    "qemu-virt-riscv64": (("load page fault", r"not mapped, level [0-2], read"),
                          ("store/AMO page fault", r"not writable, level [0-2], write")),
}
QEMU = {"qemu-virt-aarch64": "qemu-system-aarch64", "qemu-virt-riscv64": "qemu-system-riscv64"}


class Board:
    def __init__(self, name):
        self.name, self.tag = name, name.split("-")[-1]


@pytest.mark.parametrize("board_name, bits", CASES,
                         ids=[f"{b}-{'own' if n is None else f'{n}bit'}" for b, n in CASES])
def test_isolation_with_shared_asids(board_name, bits, tmp_path):
    if shutil.which(QEMU[board_name]) is None:
        pytest.skip(f"{QEMU[board_name]} is not installed")
    board = Board(board_name)
    layout = BareSystem(board, copy_spec(SPEC, tmp_path / "layout-src"), tmp_path / "layout").gen()
    pool = next(p for p in layout.doc["pools"] if p["name"] == "page")["addr_int"]
    heap = {k: layout.region(k, "heap")[0] + 0x40 for k in ("keeper", "keeper1")}
    probes = {"snoop": (heap["keeper"], 0), "snoop1": (heap["keeper1"], 0),
              "scribbler": (pool + 0x40, 1)}

    def edit(doc):
        for k in ("keeper", "keeper1"):
            shard_of(doc, k)["cflags"] = [f"-DOWN_ADDR={heap[k]:#x}"]
        shard_of(doc, "writer")["cflags"] = [f"-DOWN_ADDR={pool + 0x40:#x}"]
        for name, (addr, write) in probes.items():
            shard_of(doc, name)["cflags"] = [f"-DPROBE_ADDR={addr:#x}", f"-DPROBE_WRITE={write}"]

    env = {"VANITY_TEST_ASID_BITS": "" if bits is None else str(bits)}
    r = BareSystem(board, copy_spec(SPEC, tmp_path / "src", edit), tmp_path).run(env=env)
    lines = r.kernel()
    said = [ln for ln in lines if ln.startswith("MMU ASIDs:")]
    if bits is None:
        assert said == [], r.report
    else:
        shared = 1 if bits else 0
        assert said == [f"MMU ASIDs: {bits} bits, too few for {N_SHARDS} shards and the kernel: "
                        f"the shards' address spaces share ASID {shared}, and a CPU drops its "
                        f"TLB entries under it at every switch between them"], r.report
        assert lines.index(said[0]) == 1, r.report  # right after the system's line
    for k in ("keeper", "writer", "keeper1"):
        assert r.log(k) == ["wrote its memory 200 times, 0 changed under it"], r.report
    unmapped, read_only = FAULTS[board_name]
    for name, (addr, write) in probes.items():
        verb = "writing" if write else "reading"
        assert r.log(name) == [f"{verb} {addr:#x}"], r.report
        found = [m for m in (FAULT_RE.match(ln) for ln in lines) if m and m["shard"] == name]
        assert len(found) == 1, r.report
        what, detail = read_only if write else unmapped
        assert found[0]["addr"] == f"{addr:#x}", r.report
        assert re.fullmatch(what, found[0]["what"]), r.report
        assert re.fullmatch(detail, found[0]["detail"]), r.report
    assert r.status == 1, r.report  # three shards stopped by their faults
    assert lines[-1] == "system 'asid' exited with status 1", r.report
