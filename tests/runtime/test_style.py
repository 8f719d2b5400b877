"""Hand-written C keeps to 100 columns (a tab is 8), so that it reads the
same in a terminal, a diff and a review. Generated C (out/) is
clang-format's, at the width .clang-format gives it."""

import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

LIMIT = 100


def test_hand_written_c_fits_in_100_columns():
    files = subprocess.run(["git", "ls-files", "*.c", "*.h", "*.cpp"], cwd=REPO,
                           capture_output=True, text=True, check=True).stdout.split()
    files = [f for f in files if not f.startswith("out/")]
    assert len(files) > 100, files
    long = []
    for f in files:
        for n, line in enumerate((REPO / f).read_text().splitlines(), 1):
            width = len(line.expandtabs(8))
            if width > LIMIT:
                long.append(f"{f}:{n}: {width} columns")
    assert long == []
