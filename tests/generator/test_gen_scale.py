"""The largest systems the validator accepts fit each board's layout, and
each system over a limit is refused (docs/limits.md): what `vanity check`
accepts must build and boot, so every limit the layout or the kernel has is
checked here, at generation time, with a FILE:LINE:COL error naming it.
These are model-level checks, cheap enough for every run;
tests/system/test_scale.py builds and boots such systems.
"""

import argparse
import re
import sys

import pytest

from vanity_testlib import REPO, vanity
from generator import model as M
from generator import obs
from generator.boards import BOARDS
from generator.cli import load
from generator.errors import SpecError
from generator.validate import (MAX_CHANNELS, MAX_DEVICES, MAX_ENDPOINTS, MAX_MEMORY,
                                MAX_SHARDS, MAX_STACK)

sys.path.insert(0, str(REPO / "tests" / "system" / "scale"))
import ring_spec  # noqa: E402

BARE = ["qemu-virt-aarch64", "qemu-virt-riscv64"]
BOARD_NAMES = ["hosted", *BARE]


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


def _refused(spec, board, message):
    """vanity check refuses spec on board with an error, at a position in
    the spec, that says message; returns its line."""
    proc = vanity("check", spec, "--board", board)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    [line] = [x for x in proc.stderr.splitlines() if message in x] or [proc.stderr]
    assert line.startswith(f"{spec}:"), line
    row, col = line[len(f"{spec}:"):].split(":")[:2]
    assert int(row) > 0 and int(col) > 0, line
    return line


def test_limits_agree_with_the_kernel():
    """The generator's limits are the C ones, and the kernel's tables hold them."""
    kernel = (REPO / "runtime/core/kernel.h").read_text()
    trace = (REPO / "runtime/include/vanity/trace.h").read_text()
    assert f"#define VN_MAX_SHARDS {MAX_SHARDS}u" in kernel
    assert f"#define VN_OBS_MAX_SHARDS {MAX_SHARDS}u" in trace
    assert f"#define VN_OBS_MAX_CHANNELS {MAX_CHANNELS}u" in trace
    assert (obs.MAX_SHARDS, obs.MAX_CHANNELS) == (MAX_SHARDS, MAX_CHANNELS)
    devices = (REPO / "runtime/arch/hosted/kernel/devices.c").read_text()
    assert f"#define HK_MAX_DEVICES {MAX_DEVICES}u" in devices
    assert MAX_ENDPOINTS == 64 and 2 + 2 * ring_spec.MAX_FAN <= MAX_ENDPOINTS
    for name in BARE:
        b = BOARDS[name]
        # ASIDs: the kernel's 0 and one per shard, in 16 bits (aarch64 TCR.AS, Sv39)
        assert MAX_SHARDS + 1 <= 1 << 16
        # RAM is one top-level entry, and QEMU is given exactly that much
        assert b.ram[1] <= 1 << 30 and b.ram[0] % (1 << 30) == 0
        assert f"{b.ram[1] >> 20}M" in b.qemu or f"{b.ram[1] >> 30}G" in b.qemu
        # the counters leave room in the kernel's window (the page tables are
        # outside it, at the top of RAM)
        window = b.kernel[1] - b.kernel[0]
        assert obs.OBS_SIZE <= window - (4 << 20)


def test_hosted_images_stay_in_the_small_code_model():
    """Every shard image lies below 2 GiB, where a non-PIE executable's code
    must be, and private windows hold the largest memory and stack."""
    assert M.IMAGE_BASE + M.IMAGE_SIZE * MAX_SHARDS <= M.CODE_MODEL_END
    assert M.HEAP_OFFSET + MAX_MEMORY + M.PAGE + MAX_STACK <= M.WINDOW
    assert M.CODE_MODEL_END <= M.WINDOW_BASE
    assert M.WINDOW_BASE + M.WINDOW * MAX_SHARDS <= M.CHANNEL_BASE


def test_largest_hosted_system_fits(tmp_path):
    """MAX_SHARDS shards and MAX_CHANNELS channels, the hub's notification
    bits all in use."""
    n = MAX_SHARDS
    spec = ring_spec.write(tmp_path, n, MAX_CHANNELS - n - 2 * ring_spec.fan(n))
    system = _load(spec, "hosted")
    assert (len(system.shards), len(system.channels)) == (MAX_SHARDS, MAX_CHANNELS)
    assert len(system.shards[0].endpoints) == MAX_ENDPOINTS
    assert max(len(s.endpoints) for s in system.shards[1:]) <= MAX_ENDPOINTS
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
@pytest.mark.parametrize("idle", [0, MAX_CHANNELS - MAX_SHARDS - 2 * ring_spec.fan(MAX_SHARDS)])
def test_largest_bare_system_fits(tmp_path, board, idle):
    """MAX_SHARDS shards, ring and hub, and with them up to MAX_CHANNELS
    channels spread over every shard, lie in RAM above the kernel's window
    and below the page-table pool at its top, which holds exactly the
    tables their spaces take."""
    b = BOARDS[board]
    system = _load(ring_spec.write(tmp_path, MAX_SHARDS, idle), board)
    assert len(system.shards) == MAX_SHARDS
    assert len(system.channels) == MAX_SHARDS + 2 * ring_spec.fan(MAX_SHARDS) + idle
    _disjoint(system)
    pool, top = system.page_tables, b.ram[0] + b.ram[1]
    assert pool.end == top and pool.size == _tables(system, b) * 4096
    assert all(b.kernel[1] <= r.addr and r.end <= pool.addr for _, r in _regions(system))


@pytest.mark.parametrize("board", BOARD_NAMES)
def test_too_many_shards(tmp_path, board):
    spec = ring_spec.write(tmp_path, MAX_SHARDS + 1)
    _refused(spec, board, f": error: {MAX_SHARDS + 1} shards; at most {MAX_SHARDS} are allowed "
             "(the kernel's shard table, VN_MAX_SHARDS)")


@pytest.mark.parametrize("board", BOARD_NAMES)
def test_too_many_channels(tmp_path, board):
    n = MAX_SHARDS
    spec = ring_spec.write(tmp_path, n, MAX_CHANNELS + 1 - n - 2 * ring_spec.fan(n))
    _refused(spec, board, f": error: {MAX_CHANNELS + 1} channels; at most {MAX_CHANNELS} are "
             "allowed (the kernel's channel counters, VN_OBS_MAX_CHANNELS)")


def test_too_many_endpoints(tmp_path):
    """A hub with one worker more than its notification bits hold."""
    spec = ring_spec.write(tmp_path, 40)
    text = spec.read_text().replace("channels:\n", "channels:\n"
                                    "  - {name: o32, from: s0, to: s32, message: 8, depth: 4}\n")
    spec.write_text(text)
    _refused(spec, "hosted", ": error: shard 's0' has 65 channel endpoints; at most 64 fit its "
             "notification bits (one 64-bit word)")


def _devices_spec(tmp_path, n):
    """n devices of a page each, split between two shards."""
    (tmp_path / "ok.c").write_text("#include <vanity_shard.h>\nvoid vn_main(void) {}\n")
    lines = ["vanity: 1", "system: devs", "shards:", "  - {name: a, sources: [ok.c]}",
             "  - {name: b, sources: [ok.c]}", "devices:"]
    lines += [f"  - {{name: dev{i}, address: {0x9000000 + i * 0x1000:#x}, size: 4KiB, "
              f"shard: {'ab'[2 * i // n]}}}" for i in range(n)]
    spec = tmp_path / "devs.yaml"
    spec.write_text("\n".join(lines) + "\n")
    return spec


@pytest.mark.parametrize("board", BOARD_NAMES)
def test_too_many_devices(tmp_path, board):
    """One device more than the hosted simulator's table holds is refused on
    every board: a spec must boot on each."""
    _refused(_devices_spec(tmp_path, MAX_DEVICES + 1), board,
             f": error: {MAX_DEVICES + 1} devices; at most {MAX_DEVICES} are allowed "
             "(the hosted simulator's device table, HK_MAX_DEVICES")


def test_most_devices_fit_hosted(tmp_path):
    proc = vanity("check", _devices_spec(tmp_path, MAX_DEVICES), "--board", "hosted")
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("board", BARE)
def test_ram_exhausted(tmp_path, board):
    """MAX_SHARDS shards of 4 MiB do not fit the board's 1 GiB."""
    spec = ring_spec.write(tmp_path, MAX_SHARDS)
    spec.write_text(spec.read_text().replace("    sources: [ring.c]\n",
                                             "    sources: [ring.c]\n    memory: 4MiB\n"))
    _refused(spec, board, f"beyond the RAM of board '{board}'")


@pytest.mark.parametrize("board", BARE)
def test_page_tables_take_the_top_of_ram(tmp_path, board):
    """A channel that fits in RAM, but not below the page tables at its
    top, is refused, naming what is left below them. The first size of
    the channel r1 refused is found by bisection (the channels after it
    move with it)."""
    spec = ring_spec.write(tmp_path, 2)
    text = spec.read_text()
    line = "  - {name: r1, from: s1, to: s0, message: 8, depth: 4}"
    assert line in text

    def with_message(m):
        spec.write_text(text.replace(line, line.replace("message: 8, depth: 4",
                                                        f"message: {m}, depth: 65536")))
        try:
            _load(spec, board)
        except SpecError as e:
            return e.diags[0].message
        return None

    lo, hi = 1, 65536   # accepted, refused
    assert with_message(lo) is None and with_message(hi) is not None
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if with_message(mid) else (mid, hi)
    message = with_message(hi)
    m = re.fullmatch(r"channel '\w+' ends at (0x[0-9a-f]+), beyond the RAM of board "
                     rf"'{board}' \(up to (0x[0-9a-f]+), below the kernel's ([\d,]+) page "
                     r"tables at its top\); use .*", message)
    assert m, message
    end, below, tables = int(m[1], 16), int(m[2], 16), int(m[3].replace(",", ""))
    b = BOARDS[board]
    top = b.ram[0] + b.ram[1]
    assert below == top - tables * 4096 < end <= top   # RAM had room; the tables did not
    _refused(spec, board, "page tables at its top")


# What a hosted system takes of this host: (the model's limit function, what
# 32 shards in a ring and hub need of it, what the error says of each).
HOST_LIMITS = {
    "descriptors": ("_fd_limit", lambda: M.hosted_descriptors(32, 32 + 2 * ring_spec.fan(32)),
                    "would hold {} file descriptors", "this host allows {} (ulimit -Hn)"),
    "processes": ("_proc_limit", lambda: M.hosted_tasks(32),
                  "would run {} processes and threads (32 shards", "this user may run {} "
                  "(ulimit -Hu)"),
}


@pytest.mark.parametrize("what", HOST_LIMITS)
def test_hosted_host_limits_refused(tmp_path, monkeypatch, what):
    """A host that allows one descriptor, or one process, fewer than the
    hosted system takes refuses it, and one that allows as many takes it
    (the process limit does not bind root, so there _proc_limit says None
    and nothing is checked). The QEMU boards have neither limit."""
    limit, need, says_need, says_limit = HOST_LIMITS[what]
    spec, need = ring_spec.write(tmp_path, 32), need()
    monkeypatch.setattr(M, limit, lambda: need - 1)
    with pytest.raises(SpecError) as exc:
        _load(spec, "hosted")
    [diag] = exc.value.diags
    assert diag.line > 0 and says_need.format(need) in diag.message
    assert says_limit.format(need - 1) in diag.message
    assert len(_load(spec, "qemu-virt-riscv64").shards) == 32
    monkeypatch.setattr(M, limit, lambda: need)
    assert len(_load(spec, "hosted").shards) == 32
