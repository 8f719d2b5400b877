"""Running the compiler for build.py and build_bare.py: one rule for when a
binary is rebuilt, and the one error a failed build raises.

A binary is rebuilt only when its command line or any input it may read
changed (a content hash, not timestamps, so a fresh clone builds the same).
Independent binaries (the shards) are built side by side, one compiler per
host CPU (parallel()).
"""

import hashlib
import os
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RUNTIME = REPO / "runtime"


class BuildError(Exception):
    """A compiler or linker failure; the message says which binary."""


def c_files(*dirs):
    return sorted(p for d in dirs for p in Path(d).glob("*.c"))


def headers(*dirs):
    return sorted(p for d in dirs for p in Path(d).rglob("*.h"))


def generated_headers(out_dir):
    """The headers under out_dir every binary may include: the register
    maps (<regmaps/NAME.h>). Each shard's own headers are in its own
    directory, so editing one shard rebuilds that shard only."""
    return headers(Path(out_dir) / "regmaps")


def parallel(fn, items):
    """fn(item) for every item, on one thread per host CPU (each waits on a
    compiler process); the results in items' order. A failure is raised
    once every item has been tried, the first in order."""
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        futures = [pool.submit(fn, item) for item in items]
    return [f.result() for f in futures]


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
