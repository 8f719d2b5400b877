"""Scale: a token ring of many shards, with a fan-out and fan-in through
one hub shard, builds, boots and completes on every board. make test runs
32 shards (the hub serves 31 workers, every notification bit it has).
`make test-scale` (VANITY_SCALE=1) runs the largest systems the limits
allow (docs/limits.md): 256 shards on every board; on hosted with 4,096
channels, the channel limit, the ones beyond the ring's and the hub's idle.
tests/generator/test_gen_scale.py checks, cheaply, that the validator
refuses anything larger.
"""

import os
import sys
import time

import pytest

from systest_lib import HERE, REPO, vanity

sys.path.insert(0, str(HERE / "scale"))
import ring_spec  # noqa: E402

BOARDS = ["hosted", "qemu-virt-aarch64", "qemu-virt-riscv64"]
SCALE = os.environ.get("VANITY_SCALE") == "1"
BUILD_TIMEOUT = 3600 if SCALE else 900


def _largest(board):
    """(shards, idle channels) of the largest system tested on board."""
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    from generator.validate import MAX_CHANNELS, MAX_SHARDS
    n = MAX_SHARDS
    if board == "hosted":
        return n, MAX_CHANNELS - n - 2 * ring_spec.fan(n)
    return n, 0


def _ring(tmp_path, board, n, idle):
    spec = ring_spec.write(tmp_path / "src", n, idle)
    out, build = tmp_path / "out", tmp_path / "build"
    start = time.monotonic()
    r = vanity("build", spec, "--board", board, "-o", out, "--build-dir", build,
               timeout=BUILD_TIMEOUT)
    assert r.status == 0, f"vanity could not build the system{r.report}"
    built = time.monotonic()
    r = vanity("run", spec, "--board", board, "-o", out, "--build-dir", build, timeout=600,
               env={"VANITY_QEMU_TIMEOUT": "540"})
    assert r.status == 0, r.report
    assert ring_spec.done_line(n) in r.stdout.splitlines(), r.report
    print(f"{board}: {n} shards: build {built - start:.0f} s, run "
          f"{time.monotonic() - built:.1f} s")


@pytest.mark.skipif(SCALE, reason="VANITY_SCALE=1 runs the largest systems instead")
@pytest.mark.parametrize("board", BOARDS)
def test_ring_and_hub_of_32(tmp_path, board):
    _ring(tmp_path, board, 32, 0)


@pytest.mark.skipif(not SCALE, reason="minutes per board: make test-scale")
@pytest.mark.parametrize("board", BOARDS)
def test_largest_system(tmp_path, board):
    _ring(tmp_path, board, *_largest(board))
