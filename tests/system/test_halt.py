"""Stopping the whole system is authority a spec grants (`halt: true`), on
every board: a vn_halt of a shard without it is a fault of that shard, and
the system runs on until a shard with it ends it (tests/system/halt)."""

import re

import pytest

from systest_lib import HERE, vanity

BOARDS = ["hosted", "qemu-virt-aarch64", "qemu-virt-riscv64"]


@pytest.mark.parametrize("board", BOARDS)
def test_halt_needs_the_spec_authority(board, tmp_path):
    r = vanity("run", HERE / "halt" / "halt.yaml", "--board", board, "-o", tmp_path / "out",
               "--build-dir", tmp_path / "build", timeout=240)
    assert r.log("usurper") == ["halting the system"], r.report
    faults = [ln for ln in r.kernel() if ln.startswith("shard 'usurper' faulted: ")]
    assert len(faults) == 1 and re.fullmatch(
        r"shard 'usurper' faulted: vn_halt without `halt: true` in its spec"
        r"(, pc 0x[0-9a-f]+)?", faults[0]), r.report
    assert any(ln.startswith("shard 'usurper': on_fault=stop, stopped; ")
               for ln in r.kernel()), r.report
    assert r.log("keeper") == ["still running"], r.report
    assert r.status == 4, r.report  # the keeper's vn_halt(4), not the usurper's 9
