"""Running the compiler for build.py and build_bare.py: one rule for when a
binary is rebuilt, and the one error a failed build raises.

A binary is rebuilt only when its command line or any input it may read
changed (a content hash, not timestamps, so a fresh clone builds the same).
"""

import hashlib
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RUNTIME = REPO / "runtime"


class BuildError(Exception):
    """A compiler or linker failure; the message says which binary."""


def c_files(*dirs):
    return sorted(p for d in dirs for p in Path(d).glob("*.c"))


def headers(*dirs):
    return sorted(p for d in dirs for p in Path(d).rglob("*.h"))


def _digest(cmd, inputs):
    h = hashlib.sha256("\0".join(map(str, cmd)).encode())
    for path in inputs:
        h.update(str(path).encode())
        h.update(Path(path).read_bytes())
    return h.hexdigest()


def compile_(what, cmd, inputs, target):
    """Runs cmd unless target is up to date with respect to cmd and inputs."""
    stamp = target.parent / ("." + target.name + ".stamp")
    digest = _digest(cmd, inputs)
    if target.exists() and stamp.exists() and stamp.read_text() == digest:
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, cwd=REPO)
    if proc.stdout:
        print(proc.stdout, end="")
    if proc.returncode != 0:
        raise BuildError(f"building {what} failed (exit {proc.returncode})")
    stamp.write_text(digest)
