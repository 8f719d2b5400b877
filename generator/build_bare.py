"""Cross-compile a system for a bare-metal QEMU board, and boot it.

The boards: qemu-virt-aarch64 (runtime/arch/aarch64) and qemu-virt-riscv64
(runtime/arch/riscv64); their record (generator/boards.py) gives the
toolchain, its ISA flags and the QEMU command. Kernel and shards are
freestanding C (no C library: runtime/freestanding supplies string.h,
stdio.h's vsnprintf, which is runtime/lib/format.c, and stdlib.h's abort).
The kernel is built integer-only (-mgeneral-regs-only on aarch64,
rv64imac/lp64 on riscv64) and switches the shards' FP/SIMD registers
lazily; shards use them (riscv64: rv64imafdc/lp64d, whose libgcc is the
toolchain's default). riscv64 code is compiled for Zba and Zbb too
(Toolchain.extensions), and linked with the libgcc of its plain -march and
ABI.
"""

import fcntl
import functools
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

from .toolchain import (GENERATED_CFLAGS, RUNTIME, BuildError, compile_, generated_headers,
                        headers, objects, parallel, user_flags, user_inputs)

FREE = RUNTIME / "freestanding"

GDB_PORT = 1234


def qemu_timeout():
    """VANITY_QEMU_TIMEOUT: how many seconds a run on a QEMU board may take
    before QEMU is ended (exit 124), or None, the default (unset, empty or
    0): it runs until the system ends, as a hosted system does; a Ctrl-C
    or a SIGTERM ends it sooner (supervise). Raises BuildError naming the
    variable for anything but a whole number of seconds."""
    text = os.environ.get("VANITY_QEMU_TIMEOUT", "").strip()
    if not text:
        return None
    try:
        seconds = int(text)
    except ValueError:
        seconds = -1
    if seconds < 0:
        raise BuildError(f"VANITY_QEMU_TIMEOUT={text!r} is no number of seconds; "
                         "set it to a whole number, or unset it (or 0) for no bound")
    return seconds or None


def _arch(board):
    return RUNTIME / "arch" / board.port


def _cc_include(tc):
    cc = tc.tool("gcc")
    try:
        out = subprocess.run([cc, "-print-file-name=include"], capture_output=True,
                             text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        raise BuildError(f"{cc} is not installed; install {tc.package}") from None
    return out


def _flags(tc, own):
    own = [f + tc.extensions if f.startswith("-march=") else f for f in own]
    return ["-std=gnu11", "-O2", "-g", "-Wall", "-Wextra", "-fno-strict-aliasing",
            "-ffreestanding", "-nostdinc", "-isystem", _cc_include(tc),
            "-fno-pie", *tc.flags, *own, "-fno-stack-protector",
            "-fno-tree-loop-distribute-patterns", "-fno-asynchronous-unwind-tables",
            "-fno-unwind-tables"]


@functools.lru_cache(maxsize=None)
def _libgcc(tc, own):
    """libgcc for code built with `own`: the multilib of its plain -march
    and ABI, named by path, since gcc would pick the default multilib (of
    another ABI) for a -march with extensions (Toolchain.extensions). Asked
    of gcc once per toolchain and flags, not once per shard."""
    cc = tc.tool("gcc")
    try:
        return subprocess.run([cc, *tc.flags, *own, "-print-libgcc-file-name"],
                              capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        raise BuildError(f"{cc} is not installed; install {tc.package}") from None


LDFLAGS = ["-nostdlib", "-nostartfiles", "-static", "-no-pie",
           "-Wl,--no-warn-rwx-segments", "-Wl,--build-id=none"]


def _sources(*dirs):
    return sorted(p for d in dirs for ext in ("*.c", "*.S") for p in Path(d).glob(ext))


def _objcopy(tc, elf, binary):
    proc = subprocess.run([tc.tool("objcopy"), "-O", "binary", str(elf), str(binary)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise BuildError(f"objcopy {elf.name} failed: {proc.stderr.strip()}")


def _shard(board, shard, spec_dir, out_dir, build_dir, keys, mediated=False):
    tc, arch = board.toolchain, _arch(board)
    cc = tc.tool("gcc")
    gen = out_dir / "shards" / shard["name"]
    user = [spec_dir / s for s in shard["sources"]]
    runtime_incs = [RUNTIME / "include", FREE / "include", arch]
    incs = [gen, *runtime_incs]
    elf = build_dir / "shards" / (shard["name"] + ".elf")
    own = tc.shard_flags if shard.get("fp", True) else tc.integer_flags
    cflags, reads = user_flags(shard.get("cflags", []), spec_dir)
    flags = [*_flags(tc, own), "-fno-omit-frame-pointer",  # crash.py's backtrace
             *cflags, *(f"-I{i}" for i in runtime_incs)]
    # The runtime's sources see no generated header: the same objects for
    # every shard with the same flags.
    runtime = _sources(RUNTIME / "lib", FREE, FREE / "shard", arch / "shard")
    # A shard whose device shares a page with another shard's reaches its
    # devices through the kernel (vanity/mmio.h): every source of its own
    # must see that, whatever it includes first, so it is a flag of theirs.
    own_flags = ["-DVN_MMIO_BY_KERNEL"] if mediated else []
    command = lambda objs: [cc, *flags, *own_flags, f"-I{gen}", f"-I{out_dir}",  # <regmaps/>
                            *user, *objs, gen / "config.c", *LDFLAGS, "-T", gen / "shard.ld",
                            "-o", elf, _libgcc(tc, own)]
    compile_(f"shard '{shard['name']}'", lambda: command(objects(cc, flags, runtime, keys=keys)),
             user + runtime + [gen / "config.c", gen / "shard.ld"] +
             headers(*incs, spec_dir) + generated_headers(out_dir) + user_inputs(reads), elf,
             key=command(runtime))
    binary = elf.with_suffix(".bin")
    if not binary.exists() or binary.stat().st_mtime < elf.stat().st_mtime:
        _objcopy(tc, elf, binary)
    return binary


def _sizes(tc, elf):
    """{section: bytes} of the sections that make up the kernel."""
    proc = subprocess.run([tc.tool("size"), "-A", str(elf)], capture_output=True, text=True)
    sizes = {}
    for line in proc.stdout.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0].startswith(".") and parts[1].isdigit():
            sizes[parts[0]] = int(parts[1])
    return sizes


def _sections(tc, elf):
    """[{name, addr, size, addr_int, size_int}] of the kernel image's loaded sections (those
    with an address: not the debug ones), in address order."""
    proc = subprocess.run([tc.tool("size"), "-A", str(elf)], capture_output=True, text=True)
    out = []
    for line in proc.stdout.splitlines():
        parts = line.split()
        if (len(parts) == 3 and parts[0].startswith(".") and parts[1].isdigit()
                and parts[2].isdigit() and int(parts[2]) != 0):
            addr, size = int(parts[2]), int(parts[1])
            out.append({"name": parts[0], "addr": f"0x{addr:x}", "size": f"0x{size:x}",
                        "addr_int": addr, "size_int": size})
    return sorted(out, key=lambda x: x["addr_int"])


def write_sections(tc, elf, board_name, path):
    """build/.../kernel-sections.json, beside image.elf (docs/contract.md)."""
    doc = {"board": board_name, "image": str(elf), "sections": _sections(tc, elf)}
    text = json.dumps(doc, indent=2) + "\n"
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


def size_line(tc, elf):
    s = _sizes(tc, elf)
    return (f"kernel: text {s.get('.text', 0)} B, rodata {s.get('.rodata', 0)} B, "
            f"data {s.get('.data', 0)} B, bss {s.get('.bss', 0)} B "
            f"(+ shard images {s.get('.vn_shards', 0)} B)")


def _test_hooks():
    """The kernel's build-time test hooks, from the environment (tests
    only): VANITY_TEST_ASID_BITS=N makes the kernel take the MMU for one
    with no more than N ASID bits (hooks.h: arch_asid_bits), so that a
    system test can make the shards share an ASID on a board that has
    enough; VANITY_TEST_SECONDARY_AT_START=1 makes riscv64 start its other
    harts at the boot entry, as the firmware may (start.S)."""
    hooks = []
    bits = os.environ.get("VANITY_TEST_ASID_BITS", "")
    if bits:
        if not bits.isdigit() or int(bits) > 16:
            raise BuildError(f"VANITY_TEST_ASID_BITS={bits!r}: want 0 to 16")
        hooks.append(f"-DVN_TEST_ASID_BITS={int(bits)}")
    if os.environ.get("VANITY_TEST_SECONDARY_AT_START", "") == "1":
        hooks.append("-DVN_TEST_SECONDARY_AT_START")
    return hooks


def build(board, manifest, spec_dir, out_dir, build_dir):
    tc, arch = board.toolchain, _arch(board)
    keys = {}  # toolchain.objects(): the shards' runtime objects, looked up once
    mediated = {d["shard"] for d in manifest["devices"] if d.get("mediated")}
    blobs = parallel(lambda s: _shard(board, s, spec_dir, out_dir, build_dir, keys,
                                      s["name"] in mediated),
                     manifest["shards"])
    kdir = out_dir / "kernel"
    cc = tc.tool("gcc")
    incs = [RUNTIME / "include", FREE / "include", RUNTIME / "core", FREE / "kernel",
            arch, kdir]
    # The kernel formats its lines with the shards' formatter, without its
    # floating point.
    flags = [*_flags(tc, tc.integer_flags), *_test_hooks(), "-DVN_FORMAT_NO_FLOAT",
             *(f"-I{i}" for i in incs)]
    runtime = _sources(RUNTIME / "core", arch, FREE, FREE / "kernel") + \
        [RUNTIME / "lib" / "format.c"]
    gens = [kdir / "tables.c", kdir / "layout.c", kdir / "blobs.S"]
    target = build_dir / "image.elf"
    command = lambda objs: [cc, *flags, *GENERATED_CFLAGS, f"-Wa,-I{build_dir / 'shards'}",
                            *objs, *gens, *LDFLAGS, "-T", kdir / "image.ld", "-o", target,
                            _libgcc(tc, tc.integer_flags)]
    before = target.stat().st_mtime if target.exists() else None
    try:
        compile_("the kernel image", lambda: command(objects(cc, flags, runtime, [out_dir], keys)),
                 runtime + gens + blobs + [kdir / "image.ld"] + headers(*incs), target,
                 key=command(runtime))
    except BuildError as e:
        if "overflows its window" in e.output:
            raise BuildError(f"{e}: {_window_use(manifest, blobs)}", e.output) from None
        raise
    if before != target.stat().st_mtime:
        line = size_line(tc, target)
        (build_dir / "size.txt").write_text(line + "\n")
        print(f"vanity: {line}", file=sys.stderr)
    write_sections(tc, target, manifest["board"], build_dir / "kernel-sections.json")
    return target


def _window_use(manifest, blobs):
    """Why the kernel image overflowed its window: it carries every shard's
    loadable bytes (its code and initialized data; not its bss)."""
    window = int(manifest["kernel"]["size"], 0)
    sizes = sorted(((b.stat().st_size, b.stem) for b in blobs), reverse=True)
    largest = ", ".join(f"'{name}' {size >> 10} KiB" for size, name in sizes[:3])
    return (f"its window is {window >> 20} MiB, and the {len(sizes)} shards' loadable bytes "
            f"(code and initialized data), which it carries, take "
            f"{sum(s for s, _ in sizes) / (1 << 20):.1f} MiB of it (the largest: {largest}); "
            f"make the shards' initialized data smaller (zeroed data takes no room), "
            f"or use fewer shards")


def qemu_command(board, image, cores, gdb=False):
    """With gdb, QEMU's one gdbstub is the user's debugger's (TCP), not the
    reload door's socket (live.qemu_args)."""
    qemu = list(board.qemu)
    if gdb and "-gdb" in qemu:
        i = qemu.index("-gdb")
        del qemu[i:i + 2]
    cmd = [*qemu, "-smp", str(cores), "-kernel", str(image)]
    if gdb:
        cmd += ["-S", "-gdb", f"tcp:127.0.0.1:{GDB_PORT}"]
    return cmd


def _serial_stdin():
    """What QEMU's serial port reads: our stdin, so that what is typed or
    piped in reaches the guest's UART, unless stdin is a terminal we are
    not in the foreground of (a background job, or a test runner that
    started us in a session of our own). QEMU would put that terminal into
    raw mode and take its keystrokes, or be stopped by SIGTTIN; it reads
    nothing instead (/dev/null)."""
    try:
        os.fstat(0)
    except OSError:
        return subprocess.DEVNULL  # no stdin at all
    if not os.isatty(0):
        return None  # a pipe or a file: pass it on
    try:
        return None if os.tcgetpgrp(0) == os.getpgrp() else subprocess.DEVNULL
    except OSError:
        return subprocess.DEVNULL  # a terminal, but not our controlling one


class Console:
    """The guest's UART, split into the two streams a hosted system has:
    kernel lines ("vanity: ...") to stderr, everything else (shard logs, a
    console shard's own output) to stdout. The kernel ends the lines it
    writes, its own and the shards' logs ("[name] ..."), with CR LF for a
    terminal; those CRs are dropped, while a console shard's bytes pass as
    they are (as on hosted). A line goes out as soon as its first bytes
    decide its stream, so a prompt without a newline is not held back.
    Whatever comes before the kernel's first line (OpenSBI's banner) is
    firmware: stderr. Quiet (`vanity run ... -- --quiet`, the hosted
    kernel's option) drops the firmware's lines and the kernel's two
    informational ones, which the hosted kernel's --quiet drops too: the
    system's start (boot.c) and its end with a status (run.c: finish).
    Every other kernel line (a fault, a watchdog, a dump) still goes out.

    A stream whose reader has gone (`vanity run ... | head`) takes nothing
    more (_Sink): the system runs on to its end, as a hosted system does
    (its kernel drops what it cannot write, hosted/kernel/console.c), and
    QEMU's output is still read, so the guest never waits for it."""

    PREFIX = b"vanity: "
    LOG = re.compile(rb"\[(?:[A-Za-z_][A-Za-z0-9_]*)?(\] ?)?")
    INFO = re.compile(rb"vanity: system '\w+' (?:\([\w-]+\): \d+ shards? on \d+ cores?"
                      rb"|exited with status -?\d+)")

    class _Drop:
        def write(self, b):
            pass

        def flush(self):
            pass

    class _Sink:
        def __init__(self, stream):
            self.stream = stream

        def write(self, b):
            self._do(lambda s: s.write(b))

        def flush(self):
            self._do(lambda s: s.flush())

        def _do(self, what):
            if self.stream is None:
                return
            try:
                what(self.stream)
            except BrokenPipeError:
                null = os.open(os.devnull, os.O_WRONLY)
                try:  # what its buffer holds goes nowhere at our exit, unsaid
                    os.dup2(null, self.stream.fileno())
                except (OSError, ValueError):
                    pass
                finally:
                    os.close(null)
                self.stream = None

    def __init__(self, out, err, quiet=False):
        self.out, self.err = self._Sink(out), self._Sink(err)
        self.quiet = quiet
        self.drop = self._Drop()
        self.head = b""       # the start of a line whose stream is not decided
        self.line = None      # (stream, drop CRs) of the current line, once decided
        self.booted = False
        self.cr = False       # a CR held back from a line whose CRs are dropped

    def _decide(self, h):
        text = h.rstrip(b"\r\n")
        ended = h != text
        if h.startswith(self.PREFIX):
            self.booted = True
            if not self.quiet:
                return self.err, True
            if not ended:
                return None  # the kernel ends its lines: whole, it says which
            return (self.drop if self.INFO.fullmatch(text) else self.err), True
        if self.PREFIX.startswith(text) and not ended:
            return None
        if not self.booted:
            return (self.drop if self.quiet else self.err), False
        m = self.LOG.match(text)
        if m and m.group(1) == b"] ":
            return self.out, True
        if m and m.end() == len(text) and not ended:
            return None
        return self.out, False

    def feed(self, data):
        for piece in data.splitlines(keepends=True):
            self._piece(piece)
        self.out.flush()
        self.err.flush()

    def _piece(self, b):
        if self.line is None:
            self.head += b
            self.line = self._decide(self.head)
            if self.line is None:
                return
            b, self.head = self.head, b""
        stream, drop = self.line
        if drop:
            if self.cr and not b.startswith(b"\n"):
                stream.write(b"\r")
            self.cr = b.endswith(b"\r")
            b = b.replace(b"\r\n", b"\n").rstrip(b"\r") if self.cr else \
                b.replace(b"\r\n", b"\n")
        stream.write(b)
        if b.endswith(b"\n"):
            self.line = None

    def close(self):
        h = self.head
        if h.startswith(self.PREFIX):  # a kernel line cut short (quiet waits for its end)
            quiet = self.quiet and self.INFO.fullmatch(h.rstrip(b"\r\n"))
            (self.drop if quiet else self.err).write(h)
        elif h:
            (self.out if self.booted else self.drop if self.quiet else self.err).write(h)
        self.out.flush()
        self.err.flush()


def supervise(proc, pump=None):
    """Waits for the system running in `proc` (the hosted kernel, or QEMU)
    to end; returns its exit status, 128+N if a signal N ended it. pump(),
    if given, reads proc's output until it ends.

    A Ctrl-C (the terminal sends it to proc as well), a SIGTERM or a SIGHUP
    to us is passed on to proc, as SIGINT, SIGTERM and SIGTERM: the system
    ends as it does when told to (the hosted kernel stops its shards and
    leaves its dumps; QEMU exits), and we wait for that, so that it is
    never left running without `vanity run`. We then return 128 + the
    signal we were sent. A second Ctrl-C kills proc."""
    got = []  # the signals we were sent

    def pass_on(sig, ours):
        got.append(ours)
        try:
            proc.send_signal(sig)
        except OSError:
            pass

    handlers = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGHUP):
            handlers[sig] = signal.signal(sig, lambda ours, _: pass_on(signal.SIGTERM, ours))
    try:
        while True:
            try:
                if pump is not None:
                    pump()
                status = proc.wait()
                break
            except KeyboardInterrupt:
                pass_on(signal.SIGKILL if signal.SIGINT in got else signal.SIGINT,
                        signal.SIGINT)
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
    if got:
        return 128 + got[0]
    return 128 - status if status < 0 else status


CONSOLE_PIPE = 1 << 20


def _widen(fd):
    """QEMU's console output reaches us through a pipe. A full pipe leaves
    the guest's UART without room (riscv64's NS16550A: its kernel waits a
    while, then drops bytes and says how many, freestanding/kernel/
    kconsole.c; aarch64's PL011: QEMU stops the guest until it can write).
    Widened from the default 64 KiB to 1 MiB, as much as a hosted kernel
    queues (hosted/kernel/console.c), so that a pause of ours on a loaded
    host, or a reader of ours that stops for a while, costs the guest
    nothing; to the host's most for a user (fs.pipe-max-size) where that
    is less."""
    for size in (CONSOLE_PIPE, None):
        try:
            if size is None:
                with open("/proc/sys/fs/pipe-max-size") as f:
                    size = int(f.read())
            fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, size)
            return
        except (OSError, ValueError):
            pass


@functools.lru_cache(maxsize=None)
def _pdeathsig():
    """Whether setpriv can set the parent-death signal (util-linux 2.33 on;
    not busybox's)."""
    try:
        return subprocess.run(["setpriv", "--pdeathsig", "TERM", "true"],
                              capture_output=True).returncode == 0
    except OSError:
        return False


def ended_with_us(cmd):
    """cmd, run so that it is sent SIGTERM when we end (the parent-death
    signal, util-linux's setpriv): QEMU exits on it, `timeout` passes it on
    to QEMU, and a hosted kernel ends its system as it does when told to.
    supervise passes on the signals we can catch; this covers a SIGKILL, a
    crash, and a harness that kills only us. The signal is the starting
    thread's, so cmd is started from the main thread, which lives as long
    as we do. Where setpriv cannot set it, cmd as it is."""
    return _while_parent(cmd, os.getpid()) if _pdeathsig() else cmd


# Run once the parent-death signal is set, and only if the parent is still
# `parent`: one that ended before setpriv set it (we were killed between
# the fork and its prctl) sends no signal, and the child was given to
# another parent already.
_STILL_OURS = 'test "$PPID" = "$0" && exec "$@"'


def _while_parent(cmd, parent):
    return ["setpriv", "--pdeathsig", "TERM", "/bin/sh", "-c", _STILL_OURS, str(parent), *cmd]


def run(board, image, extra_args=(), cores=1, gdb=False):
    """Boots the image; returns QEMU's exit status, which is the system's
    (aarch64: semihosting SYS_EXIT; riscv64: the sifive_test device).
    Bounded by VANITY_QEMU_TIMEOUT seconds if it is set (qemu_timeout),
    unless --gdb, which starts QEMU halted and waits for the debugger. QEMU
    is told to end (SIGTERM) when we do, however we end: it never runs on
    without `vanity run`, even when that is killed (ended_with_us). The
    guest's UART is our stdin when it is safe (_serial_stdin), and our
    stdout and stderr as a hosted system's would be (Console). `--quiet`
    among the arguments is the hosted kernel's option, the Console's to
    honour: QEMU has none of that name."""
    quiet = "--quiet" in extra_args
    extra_args = [a for a in extra_args if a != "--quiet"]
    timeout = None if gdb else qemu_timeout()
    qemu = board.qemu[0]
    if shutil.which(qemu) is None:
        print(f"vanity: error: {qemu} is not installed; install {board.qemu_package}",
              file=sys.stderr)
        return 1
    cmd = qemu_command(board, image, cores, gdb) + list(extra_args)
    if gdb:
        print(f"vanity: QEMU is halted, waiting for gdb on 127.0.0.1:{GDB_PORT}:\n"
              f"  gdb-multiarch {image} -ex 'target remote 127.0.0.1:{GDB_PORT}'",
              file=sys.stderr, flush=True)
    elif timeout is not None:
        cmd = ["timeout", "--foreground", "-k", "5", str(timeout), *cmd]
    cmd = ended_with_us(cmd)
    sys.stdout.flush()
    sys.stderr.flush()
    console = Console(sys.stdout.buffer, sys.stderr.buffer, quiet)

    def pump():
        for chunk in iter(lambda: os.read(proc.stdout.fileno(), 65536), b""):
            console.feed(chunk)

    try:
        with subprocess.Popen(cmd, stdin=_serial_stdin(), stdout=subprocess.PIPE) as proc:
            _widen(proc.stdout.fileno())
            status = supervise(proc, pump)
    finally:
        console.close()
    if status == 124 and timeout is not None:
        print(f"vanity: error: QEMU did not finish within {timeout} s (killed; "
              "VANITY_QEMU_TIMEOUT)", file=sys.stderr)
    return status
