"""Scale (issue #16): a token ring of many shards builds, boots and completes
on every board. make test runs 16 shards, past hosted's old cliff at 8
(shard images linked above 2 GiB). `make test-scale` (VANITY_SCALE=1) runs
the largest systems each board accepts: on hosted the shard limit, with
every notification bit of every shard used by a channel; on each QEMU board
the largest ring its page-table pool holds. tests/generator/test_gen_scale.py
checks, cheaply, that the validator refuses anything larger.
"""

import os
import sys

import pytest

from systest_lib import HERE, REPO, vanity

sys.path.insert(0, str(HERE / "scale"))
import ring_spec  # noqa: E402

BOARDS = ["hosted", "qemu-virt-aarch64", "qemu-virt-riscv64"]
SCALE = os.environ.get("VANITY_SCALE") == "1"
BUILD_TIMEOUT = 1800 if SCALE else 600


def _largest(board, tmp_path):
    """(shards, idle channels) of the largest ring accepted on board."""
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    from generator.validate import MAX_SHARDS
    if board == "hosted":
        return MAX_SHARDS, 31 * MAX_SHARDS
    return ring_spec.largest(board, tmp_path, MAX_SHARDS), 0


def _ring(tmp_path, board, n, idle):
    spec = ring_spec.write(tmp_path / "src", n, idle)
    out, build = tmp_path / "out", tmp_path / "build"
    r = vanity("build", spec, "--board", board, "-o", out, "--build-dir", build,
               timeout=BUILD_TIMEOUT)
    assert r.status == 0, f"vanity could not build the system{r.report}"
    r = vanity("run", spec, "--board", board, "-o", out, "--build-dir", build, timeout=300)
    assert r.status == 0, r.report
    assert f"[s0] 20 laps of {n} shards, token {20 * n}" in r.stdout.splitlines(), r.report


@pytest.mark.skipif(SCALE, reason="VANITY_SCALE=1 runs the largest rings instead")
@pytest.mark.parametrize("board", BOARDS)
def test_ring_of_16(tmp_path, board):
    _ring(tmp_path, board, 16, 0)


@pytest.mark.skipif(not SCALE, reason="minutes per board: make test-scale")
@pytest.mark.parametrize("board", BOARDS)
def test_largest_ring(tmp_path, board):
    n, idle = _largest(board, tmp_path / "probe")
    _ring(tmp_path, board, n, idle)
