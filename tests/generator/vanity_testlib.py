"""Helpers shared by the generator tests (a unique name: tests/ has no packages)."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BAD = Path(__file__).resolve().parent / "bad"
PYTHON = "/usr/bin/python3"

if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def vanity(*args, cwd=REPO):
    """Runs the vanity command; returns the CompletedProcess (text)."""
    return subprocess.run([PYTHON, str(REPO / "vanity"), *map(str, args)], cwd=cwd,
                          capture_output=True, text=True)
