"""A shard with the smallest stack a spec can give (`stack: 1`, one page)
sleeps for each of its messages, is woken, logs each with several
conversions and halts, on every board (tests/system/smallstack). What the
runtime's calls take of that page is measured by the shard itself, which
paints its stack first: on hosted the C library's formatting takes about
2.3 KiB of it (docs/hosted.md), and the first call of each library function
used to take up to 2.7 KiB more (the dynamic linker saving the vector
registers, AVX-512 on these machines), which overflowed the page; on the
QEMU boards the runtime's own formatting takes under 1 KiB."""

import re

from systest_lib import REPO, run_on_every_board

run = run_on_every_board(REPO / "tests" / "system" / "smallstack" / "smallstack.yaml")

# The most of its one page the runtime may take, on each board.
MOST = {"hosted": 3072, "qemu-virt-aarch64": 1024, "qemu-virt-riscv64": 1024}


def test_a_one_page_stack_is_enough_for_the_runtime(run):
    assert run.status == 0, run.report
    lines = run.stdout.splitlines()
    for i in range(8):
        x = f"{i << 40:#x}" if i else "0"  # C's %#x: no 0x before a zero
        assert f"[tiny] message {i}: {i}, {x}, ab   |  cde|" in lines, run.report
    used = re.search(r"^\[tiny\] stack: (\d+) of 4096 bytes used$", run.stdout, re.M)
    assert used, run.report
    assert int(used[1]) <= MOST[run.board], run.report
