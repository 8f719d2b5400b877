"""The thread pointer register a shard may write (aarch64 TPIDR_EL0, riscv64
tp) is saved and restored with the rest of its registers, and zero when it
starts: two shards taking turns on one core each keep their own value
(tests/system/tpreg). Bare metal only: a hosted shard is a process, and its
thread pointer is the host's to keep.
"""

import pytest

from systest_lib import HERE, copy_spec_for_board, vanity

BOARDS = ["qemu-virt-aarch64", "qemu-virt-riscv64"]


@pytest.mark.parametrize("board", BOARDS)
def test_thread_pointer_is_each_shards_own(board, tmp_path):
    spec = copy_spec_for_board(HERE / "tpreg" / "tpreg.yaml", tmp_path / "src", board)
    r = vanity("run", spec, "-o", tmp_path / "out", "--build-dir", tmp_path / "build",
               timeout=240)
    assert r.status == 0, r.report
    assert r.log("left") == ["started with 0; after 100 turns 0xa11ce"], r.report
    assert r.log("right") == ["started with 0; after 100 turns 0xb0b"], r.report
