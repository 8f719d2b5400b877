"""A shard with the smallest stack a spec can give (`stack: 1`, one page)
sleeps for each of its messages, is woken, logs each with several
conversions, doubles among them, and halts, on every board
(tests/system/smallstack). What the runtime's calls take of that page is
measured by the shard itself, which paints its stack first. Every board
formats with the runtime's formatter, about 1.4 KiB deep while it converts a
double (hosted used the C library's, about 2.3 KiB deep); and on hosted the
first call of each library function used to take up to 2.7 KiB more (the
dynamic linker saving the vector registers, AVX-512 on these machines),
which overflowed the page."""

import re

from systest_lib import REPO, run_on_every_board

run = run_on_every_board(REPO / "tests" / "system" / "smallstack" / "smallstack.yaml")

# The most of its one page the runtime may take, on every board (measured:
# 1400 bytes on hosted, 1376 on aarch64, 1352 on riscv64).
MOST = 1536


def test_a_one_page_stack_is_enough_for_the_runtime(run):
    assert run.status == 0, run.report
    lines = run.stdout.splitlines()
    for i in range(8):
        x = f"{i << 40:#x}" if i else "0"  # C's %#x: no 0x before a zero
        # Python's % is C's, correctly rounded: the runtime's formatter
        # prints doubles as glibc does, on every board
        # (a long double, 128-bit on the QEMU boards, x87's on hosted, is
        # converted to the double it holds)
        doubles = "%.3f" % (i / 3), "%g %e %.2f" % (i * 1e10, -float(i) / 7, i / 4)
        assert f"[tiny] message {i}: {i}, {doubles[0]}, {x}, ab   |  cde| {doubles[1]}" \
            in lines, run.report
    used = re.search(r"^\[tiny\] stack: (\d+) of 4096 bytes used$", run.stdout, re.M)
    assert used, run.report
    assert int(used[1]) <= MOST, run.report
