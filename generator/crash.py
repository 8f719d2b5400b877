"""Crash dumps: what `vanity run` leaves per fault (<shard>.<generation>.vdump,
runtime/core/crash.c; the format is in vanity/trace.h), read back.

`vanity dump FILE` prints the cause, the registers, a backtrace and the last
trace records; `--core OUT` writes an ELF core file so that `gdb-multiarch
SHARD.elf OUT` shows the same state with `bt`, `info registers` and `x`.

The backtrace follows frame pointers (every shard is built with
-fno-omit-frame-pointer, generator/build.py and build_bare.py) through the
stack window the dump holds, and names each frame with binutils' addr2line
on the shard's ELF. The ELF is found through the dump's directory: `vanity
run` notes there which build the dumps come from (note_build); --elf
overrides. The dump's image hash (FNV-1a 64 of the shard's executable on
hosted, of its .bin blob on the QEMU boards; for a version `vanity reload`
built, of the .bin kept beside its ELF) tells whether that ELF is the one
that ran.
"""

import json
import shutil
import struct
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from . import obs
from .errors import SpecError, fail

CRASH_MAGIC = 0x31485352434E5600            # VN_CRASH_MAGIC
# struct vn_crash_rec: shard, generation, signal, flags, addr, pc, sp, code,
# image_hash, machine, core, shard_name[32], cause[96]
CRASH_REC = struct.Struct("<IIiIQQQQQII32s96s")
HAS_REGS, HAS_ADDR, WATCHDOG = 1, 2, 4     # VN_CRASH_*
MEM_STACK, MEM_FAULT = 0, 1                 # VN_CRASH_MEM_*
NOTE = ".vanity-build"                      # in a dump directory: which build

EM_X86_64, EM_AARCH64, EM_RISCV = 62, 183, 243
SIGNALS = {4: "SIGILL", 5: "SIGTRAP", 6: "SIGABRT", 7: "SIGBUS", 8: "SIGFPE", 9: "SIGKILL",
           11: "SIGSEGV", 24: "SIGXCPU"}


@dataclass
class Arch:
    name: str
    regs: tuple      # names, in pr_reg order
    pc: int          # indices into regs
    sp: int
    fp: int
    lr: int          # -1: none (x86-64: the return address is on the stack)
    addr2line: tuple  # tools to try, in order


ARCHES = {
    EM_X86_64: Arch("x86-64", (
        "r15", "r14", "r13", "r12", "rbp", "rbx", "r11", "r10", "r9", "r8", "rax", "rcx",
        "rdx", "rsi", "rdi", "orig_rax", "rip", "cs", "eflags", "rsp", "ss", "fs_base",
        "gs_base", "ds", "es", "fs", "gs"), 16, 19, 4, -1,
        ("addr2line", "x86_64-linux-gnu-addr2line")),
    EM_AARCH64: Arch("aarch64", tuple(f"x{i}" for i in range(31)) + ("sp", "pc", "pstate"),
                     32, 31, 29, 30, ("aarch64-linux-gnu-addr2line", "addr2line")),
    EM_RISCV: Arch("riscv64", (
        "pc", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3",
        "a4", "a5", "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11",
        "t3", "t4", "t5", "t6"), 0, 2, 8, 1,
        ("riscv64-unknown-elf-addr2line", "riscv64-linux-gnu-addr2line", "addr2line")),
}


@dataclass
class Crash:
    source: str
    dump: obs.Dump
    shard: int
    generation: int
    signal: int
    flags: int
    addr: int
    pc: int
    sp: int
    code: int
    image_hash: int
    machine: int
    core: int
    name: str
    cause: str
    regs: list
    fpregs: bytes
    mem: dict        # VN_CRASH_MEM_*: (addr, bytes)

    @property
    def arch(self):
        return ARCHES.get(self.machine)

    def read(self, addr, size):
        """size bytes at addr from the dump's memory, or None."""
        for base, data in self.mem.values():
            if base <= addr and addr + size <= base + len(data):
                return data[addr - base:addr - base + size]
        return None

    def word(self, addr):
        b = self.read(addr, 8)
        return None if b is None else struct.unpack("<Q", b)[0]


def _cstr(b):
    return b.split(b"\0", 1)[0].decode("utf-8", "replace")


def parse(data, source):
    dump = obs.parse_dump(data, source, CRASH_MAGIC, "crash dump")
    rec = dump.find(obs.DUMP_CRASH)
    if len(rec) != 1 or len(rec[0].data) != CRASH_REC.size:
        raise fail(f"{source}: corrupt: no crash record of {CRASH_REC.size} bytes")
    (shard, gen, sig, flags, addr, pc, sp, code, image_hash, machine, core, name,
     cause) = CRASH_REC.unpack(rec[0].data)
    if shard >= obs.MAX_SHARDS:
        raise fail(f"{source}: corrupt: shard id {shard}, and a system has at most "
                   f"{obs.MAX_SHARDS}")
    if not 0 <= sig < 128:  # what a kernel writes: a POSIX signal's number, or 0
        raise fail(f"{source}: corrupt: signal {sig}")
    regs = []
    r = dump.find(obs.DUMP_REGS)
    if r:
        if len(r[-1].data) % 8:
            raise fail(f"{source}: corrupt: registers of {len(r[-1].data)} bytes")
        regs = list(struct.unpack(f"<{len(r[-1].data) // 8}Q", r[-1].data))
    arch = ARCHES.get(machine)
    if regs and arch and len(regs) != len(arch.regs):
        raise fail(f"{source}: corrupt: {len(regs)} registers, where {arch.name}'s "
                   f"record has {len(arch.regs)}")
    fp = dump.find(obs.DUMP_FPREGS)
    mem = {c.index: (c.addr, c.data) for c in dump.find(obs.DUMP_MEM)}
    return Crash(source, dump, shard, gen, sig, flags, addr, pc, sp, code, image_hash,
                 machine, core, _cstr(name), _cstr(cause), regs,
                 fp[-1].data if fp else b"", mem)


def read(path):
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise fail(f"{path}: no such crash dump") from None
    except IsADirectoryError:
        raise fail(f"{path}: a directory, not a crash dump") from None
    return parse(data, str(path))


def fnv1a(data):
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


# ---- where the shard's ELF is ------------------------------------------------------

def note_build(dump_dir, build_dir, out_dir=None):
    """Records in dump_dir which build its dumps come from."""
    doc = {"build_dir": str(Path(build_dir).resolve())}
    if out_dir is not None:
        doc["out_dir"] = str(Path(out_dir).resolve())
    text = json.dumps(doc) + "\n"
    p = Path(dump_dir) / NOTE
    if not p.exists() or p.read_text() != text:
        p.write_text(text)


def _build_dir(dump_path):
    d = Path(dump_path).resolve().parent
    try:
        return Path(json.loads((d / NOTE).read_text())["build_dir"])
    except (OSError, ValueError, KeyError, TypeError):
        return d.parent  # the default: <build dir>/dumps/


def kept_path(build_dir, name, image_hash):
    """Where `vanity reload` keeps the ELF of each version of a shard it
    builds (generator/reload.py), by the hash of its image."""
    return Path(build_dir) / "reload" / "images" / f"{name}-{image_hash:016x}.elf"


def find_elf(crash, dump_path):
    """(ELF, the file the image hash is of) of the dump's shard, or (None, None)."""
    build = _build_dir(dump_path)
    shards = build / "shards"
    elf = kept_path(build, crash.name, crash.image_hash)  # a version `vanity reload` built
    if elf.is_file():
        return elf, image_file(elf)
    for elf, image in ((shards / f"{crash.name}.elf", shards / f"{crash.name}.bin"),
                       (shards / crash.name, shards / crash.name)):
        if elf.is_file():
            return elf, image
    return None, None


def image_file(elf):
    """The file a shard's image hash is of, given its ELF."""
    b = elf.with_suffix(".bin")
    return b if elf.suffix == ".elf" and b.is_file() else elf


# ---- backtrace -----------------------------------------------------------------------

def text_ranges(elf):
    """[(lo, hi)] of the executable segments of an ELF64 file."""
    try:
        data = Path(elf).read_bytes()
    except OSError:
        return []
    if data[:4] != b"\x7fELF" or len(data) < 64 or data[4] != 2:
        return []
    phoff = struct.unpack_from("<Q", data, 32)[0]
    phentsize, phnum = struct.unpack_from("<HH", data, 54)
    out = []
    for i in range(phnum):
        if phoff + (i + 1) * phentsize > len(data):
            break
        p_type, p_flags, _, vaddr, _, _, memsz = struct.unpack_from(
            "<IIQQQQQ", data, phoff + i * phentsize)
        if p_type == 1 and p_flags & 1:
            out.append((vaddr, vaddr + memsz))
    return out


def _walk(crash, fp, lo, hi, limit):
    """Return addresses along the chain of frame records from fp."""
    out, seen = [], set()
    while len(out) < limit and lo <= fp < hi and fp not in seen:
        seen.add(fp)
        if crash.machine == EM_RISCV:
            ret, nxt = crash.word(fp - 8), crash.word(fp - 16)
        else:
            nxt, ret = crash.word(fp), crash.word(fp + 8)
        if not ret:
            break
        out.append(ret)
        if nxt is None or nxt <= fp:
            break
        fp = nxt
    return out


def backtrace(crash, elf=None, limit=32):
    """[(pc, is_return_address)] from the registers, following frame records
    through the stack window (x86-64: [rbp] = caller's rbp, [rbp+8] = return
    address; aarch64: [x29] = caller's x29, [x29+8] = x30; riscv64: [s0-16] =
    caller's s0, [s0-8] = ra).

    The faulting function may have no frame record of its own (a leaf:
    GCC sets none up in a function that calls nothing), so its caller's
    return address is still where the call left it: on top of the stack
    (x86-64) or in the link register. With the ELF, that word is taken as a
    frame when it points into code, in another function than the pc's, and
    is not the first return address of the chain. A riscv64 leaf that saved
    s0 but not ra is told by [s0-8] pointing into the stack."""
    a = crash.arch
    if a is None or len(crash.regs) <= max(a.pc, a.sp, a.fp):
        return []
    pc, fp, sp = crash.regs[a.pc], crash.regs[a.fp], crash.regs[a.sp]
    stack = crash.mem.get(MEM_STACK)
    lo, hi = (stack[0], stack[0] + len(stack[1])) if stack else (0, 0)
    frames = [(pc, False)]
    if crash.machine == EM_RISCV:
        slot = crash.word(fp - 8)
        if slot is not None and lo <= slot < hi and slot > fp:
            frames.append((crash.regs[a.lr], True))
            fp = slot
            return frames + [(r, True) for r in _walk(crash, fp, lo, hi, limit)]
    chain = _walk(crash, fp, lo, hi, limit)
    leaf = crash.word(sp) if a.lr < 0 else crash.regs[a.lr]
    text = text_ranges(elf) if elf is not None else []
    if leaf and any(t0 <= leaf < t1 for t0, t1 in text) and leaf not in chain[:1]:
        names = addr2line(crash, elf, [(pc, False), (leaf, True)])
        if len(names) == 2 and names[0][0] != names[1][0]:
            frames.append((leaf, True))
    return frames + [(r, True) for r in chain][:limit - len(frames)]


def addr2line(crash, elf, pcs):
    """[(function, "file:line")] of each pc (a return address looks up the call
    before it); '??' where unknown. Empty if no addr2line fits the ELF."""
    tools = [t for t in crash.arch.addr2line if shutil.which(t)] if crash.arch else []
    if not tools or elf is None or not pcs:
        return []
    addrs = [f"{max(pc - 1, 0) if ret else pc:#x}" for pc, ret in pcs]
    for tool in tools:
        proc = subprocess.run([tool, "-f", "-C", "-e", str(elf), *addrs],
                              capture_output=True, text=True)
        lines = proc.stdout.splitlines()
        if proc.returncode == 0 and len(lines) == 2 * len(addrs):
            return [(lines[2 * i], _short(lines[2 * i + 1])) for i in range(len(addrs))]
    return []


def _short(where):
    """file:line, the file relative to the current directory when under it."""
    path, _, line = where.rpartition(":")
    if not path or path == "??":
        return where
    try:
        path = str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        pass
    return f"{path}:{line.split(' ')[0]}"


# ---- the report ----------------------------------------------------------------------

def _regs_lines(crash):
    a = crash.arch
    if a is None:
        return [f"  (registers of machine {crash.machine}, which this tool does not know)"]
    cells = [f"{n:>7} 0x{v:016x}" for n, v in zip(a.regs, crash.regs)]
    return ["  " + "  ".join(cells[i:i + 4]) for i in range(0, len(cells), 4)]


def _hexdump(base, data, mark=None, width=16, limit=8):
    out = []
    start = (mark - base) // width * width - width * 2 if mark is not None else 0
    start = max(0, start)
    for off in range(start, min(len(data), start + width * limit), width):
        row = data[off:off + width]
        out.append(f"  0x{base + off:016x}: {row.hex(' ')}")
    return out


def _manifest(dump_path):
    d = Path(dump_path).resolve().parent
    try:
        out = json.loads((d / NOTE).read_text()).get("out_dir")
        if out:
            return json.loads((Path(out) / "manifest.json").read_text())
    except (OSError, ValueError):
        pass
    return {}


def _events(crash, manifest, n):
    """The last n records of the shard's ring and of its core's ring."""
    events = obs.EventTable(manifest)
    names = obs.shard_names(manifest)
    lines = []
    for kind, index, title in ((obs.DUMP_SHARD_TRACE, crash.shard, f"shard '{crash.name}'"),
                               (obs.DUMP_CORE_TRACE, crash.core, f"core {crash.core}")):
        c = crash.dump.one(kind, index)
        if c is None:
            lines.append(f"last events of {title}: none (no trace ring)")
            continue
        where = f"{crash.source}: {obs.DUMP_KINDS[kind]}"
        try:
            ring = obs.decode_trace_ring(c.data, where)
            why = (obs.shard_trace_problem(manifest, index, ring.owner, ring.n_recs)
                   if kind == obs.DUMP_SHARD_TRACE else None)
            if why:
                raise fail(f"{where}: corrupt: {why}")
        except SpecError as exc:
            if kind == obs.DUMP_CORE_TRACE:
                raise  # the kernel's own
            # the shard writes its ring, header and all: a wild write may
            # have hit it, and the rest of the report stands
            lines.append(f"last events of {title}: none (its trace ring is garbled: "
                         f"{obs.corrupt_why(exc)})")
            continue
        forged = obs.drop_forged(ring) if kind == obs.DUMP_SHARD_TRACE else 0
        recs = ring.records[-n:]
        lines.append(f"last {len(recs)} events of {title} (of {ring.head})"
                     + (f"; {forged} records with a kernel event's id left out (forged)"
                        if forged else "") + ":")
        hz = crash.dump.clock_hz
        for rec in recs:
            when = (crash.dump.now - rec.ts) / hz * 1e3 if hz else 0.0
            ev = events.get(rec.id)
            if ev is None:
                lines.append(f"  -{when:10.3f} ms  event#{rec.id}: {rec.data.hex()}")
                continue
            fields = obs.decode_fields(ev, rec.data)
            args = ", ".join(f"{k}={_name_shard(k, v, names)}" for k, v in fields.items())
            lines.append(f"  -{when:10.3f} ms  {ev.name}: {args}")
    return lines


def _name_shard(key, v, names):
    if key in ("shard", "to", "from", "by") and isinstance(v, int) and v in names:
        return f"{v} ({names[v]})"
    return obs.format_value(v)


def report(crash, dump_path, elf=None, n_events=16):
    """The text `vanity dump` prints."""
    a = crash.arch
    lines = [f"crash dump {dump_path}: shard '{crash.name}' (id {crash.shard}), life "
             f"{crash.generation}, core {crash.core}, {a.name if a else crash.machine}"]
    sig = SIGNALS.get(crash.signal, f"signal {crash.signal}")
    lines.append(f"cause: {crash.cause} [{sig}, code {crash.code:#x}]")
    if crash.flags & HAS_ADDR:
        lines.append(f"fault address: 0x{crash.addr:016x}")
    if not crash.flags & HAS_REGS:
        lines.append("registers: none (the port could not see them)")
    else:
        lines.append(f"pc 0x{crash.pc:016x}  sp 0x{crash.sp:016x}")
    if elf is None:
        elf, image = find_elf(crash, dump_path)
    else:
        image = image_file(elf)
    if elf is None:
        lines.append("image: the shard's ELF was not found (give it with --elf); "
                     "no function names")
    else:
        h = fnv1a(image.read_bytes()) if image and image.is_file() else None
        same = h == crash.image_hash
        lines.append(f"image: {elf} ({'matches' if same else 'DIFFERS FROM'} the dump's "
                     f"image hash {crash.image_hash:#018x})")
    if crash.flags & HAS_REGS:
        frames = backtrace(crash, elf)
        names = addr2line(crash, elf, frames)
        lines.append("backtrace:")
        for i, (pc, _) in enumerate(frames):
            fn, where = names[i] if i < len(names) else ("??", "??")
            lines.append(f"  #{i:<2} 0x{pc:016x} in {fn} at {where}")
        lines.append("registers:")
        lines += _regs_lines(crash)
    for which, title, mark in ((MEM_FAULT, "memory at the fault", crash.addr
                                if crash.flags & HAS_ADDR else crash.pc),
                               (MEM_STACK, "stack from sp", crash.sp)):
        if which in crash.mem:
            base, data = crash.mem[which]
            lines.append(f"{title} (0x{base:x}, {len(data)} bytes in the dump):")
            lines += _hexdump(base, data, mark if base <= mark < base + len(data) else None)
    st = crash.dump.one(obs.DUMP_STATS, crash.shard)
    if st is not None and len(st.data) == obs.SHARD_STATS.size:
        v = obs.SHARD_STATS.unpack(st.data)
        lines.append(f"counters: activations {v[2]}, syscalls {v[4]}, waits {v[6]}, "
                     f"faults {v[10]}, restarts {v[11]}")
    lines += _events(crash, _manifest(dump_path), n_events)
    return lines


# ---- ELF core file ---------------------------------------------------------------------

NT_PRSTATUS, NT_FPREGSET = 1, 2
PT_LOAD, PT_NOTE = 1, 4


def _note(name, ntype, desc):
    n = name.encode() + b"\0"
    return (struct.pack("<III", len(n), len(desc), ntype) + n + b"\0" * (-len(n) % 4) +
            desc + b"\0" * (-len(desc) % 4))


def _prstatus(crash):
    """struct elf_prstatus of 64-bit Linux: siginfo, cursig, the rest zero but
    the pid, then pr_reg and pr_fpvalid."""
    head = struct.pack("<iiihxxQQiiii", crash.signal, 0, 0, crash.signal, 0, 0,
                       1 + crash.shard, 0, 0, 0)
    head += b"\0" * 64  # utime, stime, cutime, cstime
    regs = struct.pack(f"<{len(crash.regs)}Q", *crash.regs)
    return head + regs + struct.pack("<i", 1 if crash.fpregs else 0) + b"\0" * 4


def core_bytes(crash):
    """An ELF core file of the crash: its registers (NT_PRSTATUS, NT_FPREGSET)
    and its memory windows as PT_LOAD segments."""
    if not crash.flags & HAS_REGS or crash.arch is None:
        raise fail(f"{crash.source}: no registers in this dump; no core file can be "
                   "made from it")
    notes = _note("CORE", NT_PRSTATUS, _prstatus(crash))
    if crash.fpregs:
        notes += _note("CORE", NT_FPREGSET, crash.fpregs)
    segs = sorted(crash.mem.values())
    phnum = 1 + len(segs)
    off = 64 + 56 * phnum
    phdrs, body = [], [notes]
    phdrs.append(struct.pack("<IIQQQQQQ", PT_NOTE, 0, off, 0, 0, len(notes), 0, 4))
    off += len(notes)
    for base, data in segs:
        pad = -off % 8
        body.append(b"\0" * pad)
        off += pad
        phdrs.append(struct.pack("<IIQQQQQQ", PT_LOAD, 6, off, base, 0, len(data),
                                 len(data), 1))
        body.append(data)
        off += len(data)
    ident = b"\x7fELF" + bytes([2, 1, 1, 0]) + b"\0" * 8
    ehdr = ident + struct.pack("<HHIQQQIHHHHHH", 4, crash.machine, 1, 0, 64, 0, 0, 64, 56,
                               phnum, 64, 0, 0)
    return ehdr + b"".join(phdrs) + b"".join(body)


def summary(dump_dir):
    """One line per dump in a directory, oldest first: file, cause, where."""
    files = sorted(Path(dump_dir).glob("*.vdump"), key=lambda p: (p.stat().st_mtime, p.name))
    if not files:
        raise fail(f"{dump_dir}: no crash dumps (*.vdump) in this directory")
    lines = []
    for f in files:
        try:
            c = read(f)
        except SpecError as exc:
            lines.append(f"{f.name}: {exc.diags[0] if exc.diags else 'unreadable'}")
            continue
        elf = find_elf(c, f)[0]
        where = ""
        if c.flags & HAS_REGS:
            names = addr2line(c, elf, backtrace(c, elf)[:1])
            fn, at = names[0] if names else ("??", "??")
            where = f" in {fn} at {at}" if fn != "??" else f" at pc 0x{c.pc:x}"
        sig = SIGNALS.get(c.signal, f"signal {c.signal}")
        lines.append(f"{f.name}: shard '{c.name}' life {c.generation}: {c.cause} [{sig}]{where}")
    return lines


def show(path, elf=None, core=None, n_events=16):
    """`vanity dump`: print the report (for a directory: one line per dump);
    write the core file if asked."""
    if Path(path).is_dir():
        if core is not None or elf is not None:
            raise fail(f"{path}: --core and --elf take one dump, not a directory")
        lines = summary(path)
        print("\n".join(lines))
        return 0
    crash = read(path)
    if elf is not None and not elf.is_file():
        raise fail(f"{elf}: no such ELF file")
    lines = report(crash, path, elf, n_events)
    if core is not None:
        core.write_bytes(core_bytes(crash))
        elf_hint = elf or find_elf(crash, path)[0] or "SHARD.elf"
        lines.append(f"core file: {core} (gdb-multiarch {elf_hint} {core})")
    print("\n".join(lines))
    sys.stdout.flush()  # `vanity dump FILE | head`: cli.main
    return 0


__all__ = ["SpecError", "read", "parse", "report", "core_bytes", "show", "note_build",
           "backtrace", "fnv1a"]
