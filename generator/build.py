"""Compile generated sources and the runtime into a runnable system.

The build reads only what the generator wrote (manifest.json and the files
beside it) plus the runtime, so `out/` is the single interface between the
generator and the compiler. For the hosted board it produces:

    build/<system>/hosted/kernel          the supervising kernel process
    build/<system>/hosted/shards/<name>   one executable per shard

Each shard is linked non-PIE at its own window (-Ttext-segment), so the
addresses in the manifest are the addresses the shard really runs at.

For qemu-virt-aarch64 and qemu-virt-riscv64 (cross-compiled, freestanding:
generator/build_bare.py) it produces:

    build/<system>/<board>/shards/<name>.elf  each shard, linked at its window
    build/<system>/<board>/shards/<name>.bin  its loadable bytes (objcopy)
    build/<system>/<board>/image.elf          the kernel, with every .bin inside

Each shard is linked on its own by its generated shard.ld, at the address
it runs at, and flattened to a blob; the kernel's generated blobs.S pulls
the blobs in with .incbin, and image.ld places the kernel. At boot the
kernel copies each blob to its window (again on restart).

A binary is rebuilt only when its command line or any input it may read
changed (a content hash, not timestamps, so a fresh clone builds the same).
"""

import hashlib
import json
import os
import signal
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RUNTIME = REPO / "runtime"

CC = os.environ.get("CC", "gcc")
# Misusing a channel endpoint (sending on a receive end, or on an endpoint of
# another type) is a type error; C only warns about it, so make it an error.
CFLAGS = ["-std=gnu11", "-O2", "-g", "-Wall", "-Wextra", "-fno-strict-aliasing",
          "-Werror=incompatible-pointer-types", "-Werror=implicit-function-declaration"]


class BuildError(Exception):
    """A compiler or linker failure; the message says which binary."""


def _c_files(*dirs):
    return sorted(p for d in dirs for p in Path(d).glob("*.c"))


def _headers(*dirs):
    return sorted(p for d in dirs for p in Path(d).rglob("*.h"))


def _digest(cmd, inputs):
    h = hashlib.sha256("\0".join(map(str, cmd)).encode())
    for path in inputs:
        h.update(str(path).encode())
        h.update(Path(path).read_bytes())
    return h.hexdigest()


def _compile(what, cmd, inputs, target):
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


def _build_kernel(out_dir, build_dir):
    hosted = RUNTIME / "arch" / "hosted"
    srcs = _c_files(RUNTIME / "core", hosted / "kernel") + [out_dir / "kernel" / "tables.c"]
    incs = [RUNTIME / "include", RUNTIME / "core", hosted]
    target = build_dir / "kernel"
    cmd = [CC, *CFLAGS, *(f"-I{i}" for i in incs), *srcs, "-o", target, "-lpthread"]
    _compile("the kernel", cmd, srcs + _headers(*incs), target)
    return target


def _build_shard(shard, spec_dir, out_dir, build_dir):
    hosted = RUNTIME / "arch" / "hosted"
    gen = out_dir / "shards" / shard["name"]
    user = [spec_dir / s for s in shard["sources"]]
    srcs = user + _c_files(RUNTIME / "lib", hosted / "shard") + [gen / "config.c"]
    incs = [gen, RUNTIME / "include", hosted]
    base = shard["regions"]["image"]["addr"]
    target = build_dir / "shards" / shard["name"]
    cmd = [CC, *CFLAGS, "-fno-pie", "-no-pie", "-DVN_PORT_HOSTED", *shard.get("cflags", []),
           *(f"-I{i}" for i in incs), *srcs, gen / "shard.ld",
           f"-Wl,-Ttext-segment={base:#x}", "-o", target]
    inputs = srcs + [gen / "shard.ld"] + _headers(*incs, spec_dir)
    _compile(f"shard '{shard['name']}'", cmd, inputs, target)
    return target


def _addr(value):
    return int(value, 0) if isinstance(value, str) else int(value)


def load_manifest(out_dir):
    manifest = json.loads((Path(out_dir) / "manifest.json").read_text())
    for shard in manifest["shards"]:
        for region in shard["regions"].values():
            region["addr"] = _addr(region["addr"])
            region["size"] = _addr(region["size"])
    return manifest


def build(spec_path, out_dir, build_dir):
    """Builds the system generated in out_dir; returns the kernel's path."""
    out_dir, build_dir = Path(out_dir), Path(build_dir)
    manifest = load_manifest(out_dir)
    spec_dir = Path(spec_path).resolve().parent
    if manifest["board"] in ("qemu-virt-aarch64", "qemu-virt-riscv64"):
        from . import build_bare
        return build_bare.build(manifest, spec_dir, out_dir, build_dir, _compile, _headers)
    if manifest["board"] != "hosted":
        raise BuildError(f"board '{manifest['board']}' has no port yet")
    for shard in manifest["shards"]:
        _build_shard(shard, spec_dir, out_dir, build_dir)
    return _build_kernel(out_dir, build_dir)


def run(kernel_path, extra_args=(), board=None, cores=1, gdb=False):
    """Runs a built system; returns its exit status (128+N if killed by N)."""
    if board in ("qemu-virt-aarch64", "qemu-virt-riscv64"):
        from . import build_bare
        return build_bare.run(board, kernel_path, extra_args, cores, gdb)
    try:
        status = subprocess.call([str(kernel_path), *extra_args])
    except KeyboardInterrupt:
        return 128 + signal.SIGINT
    return 128 - status if status < 0 else status
