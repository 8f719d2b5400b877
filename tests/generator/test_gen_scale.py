"""The largest systems the validator accepts fit each board's layout (issue
#16): what `vanity check` accepts must build and boot, so every limit the
layout or the kernel has is checked here, at generation time. These are
model-level checks, cheap enough for every run; tests/system/test_scale.py
builds and boots such systems.
"""

import argparse
import sys

import pytest

from vanity_testlib import REPO, vanity
from generator import model as M
from generator.boards import BOARDS
from generator.cli import load
from generator.errors import SpecError
from generator.validate import MAX_ENDPOINTS, MAX_MEMORY, MAX_SHARDS, MAX_STACK

sys.path.insert(0, str(REPO / "tests" / "system" / "scale"))
import ring_spec  # noqa: E402

BARE = ["qemu-virt-aarch64", "qemu-virt-riscv64"]


def _load(path, board):
    return load(argparse.Namespace(spec=str(path), board=board))[0]


def _regions(system):
    for s in system.shards:
        yield from ((f"{s.name}.{k}", r) for k, r in
                    (("image", s.image), ("ctl", s.ctl), ("heap", s.heap), ("stack", s.stack)))
    yield from ((f"channel {c.name}", c.region) for c in system.channels)


def _disjoint(system):
    ordered = sorted(_regions(system), key=lambda x: x[1].addr)
    for (a, ra), (b, rb) in zip(ordered, ordered[1:]):
        assert ra.end <= rb.addr, f"{a} {ra} overlaps {b} {rb}"


def test_hosted_images_stay_in_the_small_code_model():
    """Every shard image lies below 2 GiB, where a non-PIE executable's code
    must be, and private windows hold the largest memory and stack."""
    assert M.IMAGE_BASE + M.IMAGE_SIZE * MAX_SHARDS <= M.CODE_MODEL_END
    assert M.HEAP_OFFSET + MAX_MEMORY + M.PAGE + MAX_STACK <= M.WINDOW
    assert M.CODE_MODEL_END <= M.WINDOW_BASE
    assert M.WINDOW_BASE + M.WINDOW * MAX_SHARDS <= M.CHANNEL_BASE


def test_largest_hosted_system_fits(tmp_path):
    """MAX_SHARDS shards with every notification bit used by a channel."""
    spec = ring_spec.write(tmp_path, MAX_SHARDS, 31 * MAX_SHARDS)
    system = _load(spec, "hosted")
    assert len(system.shards) == MAX_SHARDS
    assert len(system.channels) == MAX_SHARDS * MAX_ENDPOINTS // 2
    assert max(s.image.end for s in system.shards) <= M.CODE_MODEL_END
    _disjoint(system)


def _tables(system, board):
    """Page tables the kernel will take, counted again from the model."""
    total = M._kernel_tables(board)
    for s in system.shards:
        chans = [c for c in system.channels if s.name in (c.src, c.dst)]
        total += M.shard_tables((s.image, s.ctl, s.heap, s.stack), chans, s.devices)
    return total


@pytest.mark.parametrize("board", BARE)
def test_largest_bare_ring_fits(tmp_path, board):
    """The largest ring accepted lies in RAM above the kernel's window and
    within the page-table pool; one shard more is refused with an error
    that points at the shard, not at boot."""
    n = ring_spec.largest(board, tmp_path, MAX_SHARDS)
    assert n >= 32
    b = BOARDS[board]
    system = _load(tmp_path / str(n) / "ring.yaml", board)
    _disjoint(system)
    lo, hi = b.kernel[1], b.ram[0] + b.ram[1]
    assert all(lo <= r.addr and r.end <= hi for _, r in _regions(system))
    assert _tables(system, b) <= b.page_tables
    spec = ring_spec.write(tmp_path / "over", n + 1)
    proc = vanity("check", spec, "--board", board)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith(f"{spec}:")
    assert f": error: shard 's{n}' does not fit the page tables of board '{board}'" \
        in proc.stderr


@pytest.mark.parametrize("board", BARE)
def test_many_channels_refused_on_bare_metal(tmp_path, board):
    """64 shards with 2,048 channels is accepted on hosted only."""
    spec = ring_spec.write(tmp_path, MAX_SHARDS, 31 * MAX_SHARDS)
    with pytest.raises(SpecError) as exc:
        _load(spec, board)
    [diag] = exc.value.diags
    assert "does not fit the page tables" in diag.message and diag.line > 0
