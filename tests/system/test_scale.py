"""Scale: a token ring of many shards, with a fan-out and fan-in through
one hub shard, builds, boots and completes on every board. make test runs
32 shards (the hub serves 31 workers, every notification bit it has).
`make test-scale` (VANITY_SCALE=1) runs the largest systems the limits
allow (docs/limits.md): 256 shards and 4,096 channels, the channel limit,
on every board, the ones beyond the ring's and the hub's idle.
tests/generator/test_gen_scale.py checks, cheaply, that the validator
refuses anything larger.
"""

import os
import re
import sys
import time

import pytest

from systest_lib import HERE, REPO, vanity

sys.path.insert(0, str(HERE / "scale"))
import ring_spec  # noqa: E402

BOARDS = ["hosted", "qemu-virt-aarch64", "qemu-virt-riscv64"]
SCALE = os.environ.get("VANITY_SCALE") == "1"
BUILD_TIMEOUT = 3600 if SCALE else 900


def _largest():
    """(shards, idle channels) of the largest system the limits allow."""
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    from generator.validate import MAX_CHANNELS, MAX_SHARDS
    n = MAX_SHARDS
    return n, MAX_CHANNELS - n - 2 * ring_spec.fan(n)


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
    _ring(tmp_path, board, *_largest())


@pytest.mark.parametrize("board", ["qemu-virt-aarch64", "qemu-virt-riscv64"])
def test_shard_bytes_that_overflow_the_kernel_window_are_named(tmp_path, board):
    """The kernel image carries every shard's loadable bytes: 16 shards of
    almost 1 MiB of initialized data each fit their own windows but not the
    kernel's, and the build says so with the sizes, not only the linker's
    words."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "big.c").write_text(
        "#include <vanity_shard.h>\n\n"
        "static const volatile unsigned char table[900 * 1024] = {1};\n\n"
        "void vn_main(void)\n{\n\tvn_log(\"%u\", table[0]);\n}\n")
    shards = "".join(f"  - {{name: b{i}, sources: [big.c], core: 0}}\n" for i in range(16))
    spec = src / "big.yaml"
    spec.write_text(f"vanity: 1\nsystem: big\nshards:\n{shards}channels: []\n")
    r = vanity("build", spec, "--board", board, "-o", tmp_path / "out", "--build-dir",
               tmp_path / "build", timeout=BUILD_TIMEOUT)
    assert r.status != 0
    assert "the kernel image overflows its window" in r.stderr + r.stdout, r.report
    assert re.search(r"vanity: error: building the kernel image failed \(exit 1\): its window "
                     r"is 1[45] MiB, and the 16 shards' loadable bytes \(code and initialized "
                     r"data\), which it carries, take 1[45]\.\d MiB of it \(the largest: 'b\d+' "
                     r"9\d\d KiB", r.stderr), r.report
