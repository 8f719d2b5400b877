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
changed (generator/toolchain.py). The board record (generator/boards.py)
says how: its toolchain, and whether its shards are processes (hosted) or
blobs inside a kernel image (build_bare.py).
"""

import json
import subprocess
from pathlib import Path

from . import build_bare
from .boards import BOARDS
from .toolchain import (GENERATED_CFLAGS, RUNTIME, BuildError, c_files, compile_,
                        generated_headers, headers, objects, parallel, user_flags, user_inputs)

# Misusing a channel endpoint (sending on a receive end, or on an endpoint of
# another type) is a type error; C only warns about it, so make it an error.
CFLAGS = ["-std=gnu11", "-O2", "-g", "-Wall", "-Wextra", "-fno-strict-aliasing",
          "-Werror=incompatible-pointer-types", "-Werror=implicit-function-declaration"]

# Shards keep frame pointers, so a crash dump's backtrace can follow them
# (generator/crash.py).
SHARD_CFLAGS = ["-fno-omit-frame-pointer"]

__all__ = ["BuildError", "build", "run", "load_manifest"]

# VANITY_SANITIZE=1 builds a hosted system for robustness runs
# (docs/robustness.md): the kernel process (core, device models, threads)
# with AddressSanitizer and UndefinedBehaviorSanitizer, each shard with
# UBSan only (ASan's shadow memory would take the fixed windows the shards
# are linked at). VANITY_SANITIZE=thread builds the kernel process with
# ThreadSanitizer instead (its threads: the cores, the device thread and
# workers, the observation server). A finding aborts the process that made it.
SANITIZE_KERNEL = {
    "address": ["-fsanitize=address,undefined", "-fno-sanitize-recover=all",
                "-fno-omit-frame-pointer"],
    "thread": ["-fsanitize=thread", "-fno-omit-frame-pointer"],
}
SANITIZE_SHARD = ["-fsanitize=undefined", "-fno-sanitize-recover=all"]


def _sanitize():
    """The sanitizer VANITY_SANITIZE asks for: None, "address" or "thread"."""
    import os
    value = os.environ.get("VANITY_SANITIZE", "")
    if value in ("", "0"):
        return None
    return "thread" if value == "thread" else "address"


def _build_kernel(board, out_dir, build_dir, keys):
    hosted = RUNTIME / "arch" / board.port
    cc = board.toolchain.tool("gcc")
    incs = [RUNTIME / "include", RUNTIME / "core", hosted, out_dir / "kernel"]
    flags = [*CFLAGS, *SANITIZE_KERNEL.get(_sanitize(), []), *(f"-I{i}" for i in incs)]
    # sandbox.c: the kernel confines a shard's process before its exec
    runtime = c_files(RUNTIME / "core", hosted / "kernel") + [hosted / "sandbox.c"]
    tables = out_dir / "kernel" / "tables.c"
    target = build_dir / "kernel"
    # libxdp (and libbpf under it): the network card model's AF_XDP backend
    # (runtime/arch/hosted/kernel/net_xdp.c), installed by `make deps`.
    # -z now: every library call is bound at load, so none pays the dynamic
    # linker on its first use, inside a step (tens of microseconds under
    # ASan; a shard's budget started that long before its SWITCH_IN).
    command = lambda objs: [cc, *flags, *GENERATED_CFLAGS, *objs, tables, "-o", target,
                            "-Wl,-z,now", "-lxdp", "-lbpf", "-lpthread"]
    compile_("the kernel", lambda: command(objects(cc, flags, runtime, [out_dir], keys)),
             runtime + [tables] + headers(*incs), target, key=command(runtime))
    return target


def _build_shard(board, shard, spec_dir, out_dir, build_dir, keys):
    hosted = RUNTIME / "arch" / board.port
    cc = board.toolchain.tool("gcc")
    gen = out_dir / "shards" / shard["name"]
    user = [spec_dir / s for s in shard["sources"]]
    runtime_incs = [RUNTIME / "include", hosted]
    incs = [gen, *runtime_incs]
    base = shard["regions"]["image"]["addr"]
    target = build_dir / "shards" / shard["name"]
    cflags, reads = user_flags(shard.get("cflags", []), spec_dir)
    flags = [*CFLAGS, *SHARD_CFLAGS, "-fno-pie", "-DVN_PORT_HOSTED",
             *(() if shard.get("fp", True) else board.toolchain.integer_flags),
             *(SANITIZE_SHARD if _sanitize() else []), *cflags,
             *(f"-I{i}" for i in runtime_incs)]
    # The runtime's sources see no generated header: the same objects for
    # every shard with the same flags.
    runtime = c_files(RUNTIME / "lib", hosted / "shard") + [hosted / "sandbox.c"]
    # -z now: every library call is bound at load, on the boot stack; bound
    # at its first use, it ran the dynamic linker on the shard's stack, which
    # saves the vector registers there (2.7 KiB with AVX-512: more than a
    # one-page stack had left, tests/system/test_small_stack.py).
    command = lambda objs: [cc, *flags, f"-I{gen}", f"-I{out_dir}", "-no-pie",  # <regmaps/NAME.h>
                         *user, *objs, gen / "config.c", gen / "shard.ld",
                         f"-Wl,-Ttext-segment={base:#x}", "-Wl,-z,now", "-o", target]
    inputs = user + runtime + [gen / "config.c", gen / "shard.ld"] + \
        headers(*incs, spec_dir) + generated_headers(out_dir) + user_inputs(reads)
    compile_(f"shard '{shard['name']}'", lambda: command(objects(cc, flags, runtime, keys=keys)),
             inputs, target, key=command(runtime))
    return target


def strip_debug(board, elf):
    """A copy of a hosted shard's executable without its debug information
    (a quarter of its size), beside it as <name>.image: what a reload image
    carries. The ELF keeps it for gdb and `vanity dump`."""
    out = Path(elf).with_name(Path(elf).name + ".image")
    proc = subprocess.run([board.toolchain.tool("objcopy"), "--strip-debug", str(elf), str(out)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise BuildError(f"objcopy --strip-debug {Path(elf).name} failed: {proc.stderr.strip()}")
    return out


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
    board = BOARDS.get(manifest["board"])
    if board is None or not board.has_port:
        raise BuildError(f"board '{manifest['board']}' has no port yet")
    if board.image:
        return build_bare.build(board, manifest, spec_dir, out_dir, build_dir)
    keys = {}
    parallel(lambda shard: _build_shard(board, shard, spec_dir, out_dir, build_dir, keys),
             manifest["shards"])
    return _build_kernel(board, out_dir, build_dir, keys)


def run(kernel_path, extra_args=(), board=None, cores=1, gdb=False):
    """Runs a built system; returns its exit status (128+N if killed by N)."""
    if board is not None and BOARDS[board].image:
        return build_bare.run(BOARDS[board], kernel_path, extra_args, cores, gdb)
    with subprocess.Popen(build_bare.ended_with_us([str(kernel_path), *extra_args])) as proc:
        return build_bare.supervise(proc)
