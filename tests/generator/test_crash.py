"""generator/crash.py without a system: crash dumps built here byte by byte
(the layout of vanity/trace.h), read back; the frame-pointer walk of each ISA
on a made-up stack; the ELF core file's header, notes and segments; and the
errors a bad file gives. tests/system/test_crashdump.py runs the real thing
on every board."""

import struct

import pytest

from generator import crash, obs
from generator.errors import SpecError


def rec(machine, flags=crash.HAS_REGS, signal=11, addr=0, pc=0, sp=0, name=b"w",
        cause=b"why"):
    return crash.CRASH_REC.pack(2, 3, signal, flags, addr, pc, sp, 0x24, 0xABC, machine, 1,
                                name, cause)


def stream(machine, regs, mem=(), **kw):
    chunks = [(obs.DUMP_CRASH, 2, 0, rec(machine, **kw)),
              (obs.DUMP_REGS, machine, 0, struct.pack(f"<{len(regs)}Q", *regs))]
    chunks += [(obs.DUMP_MEM, i, base, data) for i, (base, data) in enumerate(mem)]
    data = obs.dump_bytes(0, 1000, 0, chunks)
    return struct.pack("<Q", crash.CRASH_MAGIC) + data[8:]


def words(*ws):
    return struct.pack(f"<{len(ws)}Q", *ws)


def test_the_record_layout_is_the_kernels():
    assert crash.CRASH_REC.size == 192  # _Static_assert in vanity/trace.h


def test_parse_reads_every_field():
    regs = list(range(34))
    c = crash.parse(stream(crash.EM_AARCH64, regs, [(0x1000, b"\1" * 16)], pc=5, sp=6,
                           name=b"wild", cause=b"data abort"), "t")
    assert (c.shard, c.generation, c.signal, c.pc, c.sp, c.code) == (2, 3, 11, 5, 6, 0x24)
    assert (c.name, c.cause, c.machine, c.core, c.image_hash) == ("wild", "data abort", 183,
                                                                   1, 0xABC)
    assert c.regs == regs and c.read(0x1008, 8) == b"\1" * 8 and c.read(0x100c, 8) is None


@pytest.mark.parametrize("mangle, message", [
    (lambda d: b"", "empty"),
    (lambda d: b"X" + d[1:], "not a Vanity crash dump"),
    (lambda d: d[:-8], "truncated at byte"),
])
def test_bad_files_are_one_clear_error(mangle, message):
    good = stream(crash.EM_RISCV, [0] * 32)
    with pytest.raises(SpecError, match=message):
        crash.parse(mangle(good), "t.vdump")


@pytest.mark.parametrize("signal, message", [(40000, "signal 40000"), (-1, "signal -1")])
def test_a_signal_no_kernel_writes_is_corrupt(signal, message):
    """Not a number for the core file's 16-bit pr_cursig to fail on later."""
    with pytest.raises(SpecError, match="corrupt: " + message):
        crash.parse(stream(crash.EM_RISCV, [0] * 32, signal=signal), "t.vdump")


def test_a_shard_id_beyond_the_limit_is_corrupt():
    good = stream(crash.EM_RISCV, [0] * 32)
    at = good.index(rec(crash.EM_RISCV))
    bad = good[:at] + struct.pack("<I", 0xFFFFFFFF) + good[at + 4:]
    with pytest.raises(SpecError, match="corrupt: shard id 4294967295"):
        crash.parse(bad, "t.vdump")


def test_a_garbled_shard_trace_ring_costs_its_events_alone(tmp_path):
    """The shard writes its own trace ring, header and all, and a shard
    that crashed may have written over it: the report still has the cause
    and the registers, and says why there are no shard events."""
    # struct vn_trace_ring of 8 records with its magic written over
    ring = b"\0" * 4 + struct.pack("<IIIQ40x", 8, 2, 32, 0) + bytes(32 * 8)
    chunks = [(obs.DUMP_CRASH, 2, 0, rec(crash.EM_RISCV)),
              (obs.DUMP_REGS, crash.EM_RISCV, 0, words(*range(32))),
              (obs.DUMP_SHARD_TRACE, 2, 0, ring)]
    raw = obs.dump_bytes(0, 1000, 0, chunks)
    path = tmp_path / "w.1.vdump"
    path.write_bytes(struct.pack("<Q", crash.CRASH_MAGIC) + raw[8:])
    lines = crash.report(crash.read(path), path)
    assert lines[1] == "cause: why [SIGSEGV, code 0x24]"
    assert any(ln.startswith("pc 0x") for ln in lines)
    assert "last events of shard 'w': none (its trace ring is garbled: trace ring magic " \
        "0x00000000, expected 0x72546e56)" in lines


@pytest.mark.parametrize("n", [3, 33, 40])
def test_a_register_count_other_than_the_machines_is_corrupt(n):
    """A core file of other counts is one gdb cannot read ("section .reg
    too small"): refused with the counts, not written."""
    with pytest.raises(SpecError, match=f"corrupt: {n} registers, where riscv64's record "
                       "has 32"):
        crash.parse(stream(crash.EM_RISCV, [0] * n), "t.vdump")


def test_shard_events_are_judged_against_the_spec(tmp_path, monkeypatch):
    """The shard writes its ring: one of a size the spec did not give it is
    garbled, and a record there with a kernel event's id is a forgery (the
    kernel writes its events on the cores' rings), left out and counted."""
    def ring(n_recs, records):
        head = struct.pack("<IIIIQ40x", 0x72546E56, n_recs, 2, 32, len(records))
        return head + b"".join(records) + bytes(32 * (n_recs - len(records)))

    def recd(ts, ev):
        return obs.REC.pack(ts, ev, bytes(22))

    man = {"shards": [{"id": 2, "name": "w", "trace": {"records": 8}}],
           "trace": {"kernel_events": obs.kernel_event_table(), "events": [
               {"id": 64, "name": "tick", "fields": []}]}}
    monkeypatch.setattr(crash, "_manifest", lambda path: man)
    for n_recs, records, want in (
            (16, [], "last events of shard 'w': none (its trace ring is garbled: a ring of "
                     "16 records; the spec gives the shard 8)"),
            (8, [recd(1, 64), recd(2, 6), recd(3, 0), recd(4, 64)],
             "last 2 events of shard 'w' (of 4); 2 records with a kernel event's id left "
             "out (forged):")):
        chunks = [(obs.DUMP_CRASH, 2, 0, rec(crash.EM_RISCV)),
                  (obs.DUMP_REGS, crash.EM_RISCV, 0, words(*range(32))),
                  (obs.DUMP_SHARD_TRACE, 2, 0, ring(n_recs, records))]
        raw = obs.dump_bytes(0, 1000, 0, chunks)
        path = tmp_path / "w.1.vdump"
        path.write_bytes(struct.pack("<Q", crash.CRASH_MAGIC) + raw[8:])
        lines = crash.report(crash.read(path), path)
        assert want in lines, lines
        if records:
            i = lines.index(want)
            assert [ln.split()[-1] for ln in lines[i + 1:i + 3]] == ["tick:", "tick:"], lines


def test_a_trace_dump_is_not_a_crash_dump():
    with pytest.raises(SpecError, match="not a Vanity crash dump"):
        crash.parse(obs.dump_bytes(0, 1, 0, []), "t")


def test_x86_walk_follows_rbp():
    # rbp = 0x2010: [rbp] = 0x2030 (caller's), [rbp+8] = 0x401234; then 0x402000.
    regs = [0] * 27
    regs[16], regs[19], regs[4] = 0x400100, 0x2000, 0x2010
    stack = words(0, 0, 0x2030, 0x401234, 0, 0, 0x2060, 0x402000, 0, 0, 0, 0, 0, 0)
    c = crash.parse(stream(crash.EM_X86_64, regs, [(0x2000, stack)]), "t")
    assert crash.backtrace(c) == [(0x400100, False), (0x401234, True), (0x402000, True)]


def test_aarch64_walk_follows_x29():
    regs = [0] * 34
    regs[32], regs[31], regs[29] = 0x41000048, 0x3000, 0x3000
    stack = words(0x3010, 0x41000128, 0x3020, 0x410011ec, 0, 0)
    c = crash.parse(stream(crash.EM_AARCH64, regs, [(0x3000, stack)]), "t")
    assert [pc for pc, _ in crash.backtrace(c)] == [0x41000048, 0x41000128, 0x410011ec]


def test_riscv_walk_tells_a_leaf_that_saved_only_s0():
    # A leaf's frame: [s0-8] holds the caller's s0 (a stack address), and
    # its return address is still in ra.
    regs = [0] * 32
    regs[0], regs[1], regs[2], regs[8] = 0x81000010, 0x81000100, 0x5000, 0x5010
    stack = words(0, 0x5030, 0, 0, 0x5040, 0x81000200, 0, 0)
    c = crash.parse(stream(crash.EM_RISCV, regs, [(0x5000, stack)]), "t")
    assert [pc for pc, _ in crash.backtrace(c)] == [0x81000010, 0x81000100, 0x81000200]


def test_the_walk_stops_at_the_window():
    regs = [0] * 34
    regs[32], regs[29] = 0x41000048, 0x9000  # fp outside the stack window
    c = crash.parse(stream(crash.EM_AARCH64, regs, [(0x3000, words(0, 0))]), "t")
    assert crash.backtrace(c) == [(0x41000048, False)]


@pytest.mark.parametrize("machine, n_regs, prstatus", [
    (crash.EM_X86_64, 27, 336), (crash.EM_AARCH64, 34, 392), (crash.EM_RISCV, 32, 376)])
def test_core_file_layout(machine, n_regs, prstatus):
    regs = list(range(100, 100 + n_regs))
    c = crash.parse(stream(machine, regs, [(0x2000, b"s" * 40), (0x9000, b"f" * 16)]), "t")
    core = crash.core_bytes(c)
    assert core[:4] == b"\x7fELF" and core[4] == 2 and core[5] == 1
    e_type, e_machine = struct.unpack_from("<HH", core, 16)
    phoff, phnum = struct.unpack_from("<Q", core, 32)[0], struct.unpack_from("<H", core, 56)[0]
    assert (e_type, e_machine, phnum) == (4, machine, 3)
    segs = [struct.unpack_from("<IIQQQQQQ", core, phoff + 56 * i) for i in range(phnum)]
    note = segs[0]
    assert note[0] == crash.PT_NOTE
    namesz, descsz, ntype = struct.unpack_from("<III", core, note[2])
    assert (namesz, descsz, ntype) == (5, prstatus, crash.NT_PRSTATUS)
    assert core[note[2] + 12:note[2] + 17] == b"CORE\0"
    desc = note[2] + 12 + 8
    assert struct.unpack_from("<i", core, desc)[0] == 11  # si_signo
    assert struct.unpack_from(f"<{n_regs}Q", core, desc + 112) == tuple(regs)
    loads = {s[3]: core[s[2]:s[2] + s[5]] for s in segs[1:]}
    assert segs[1][0] == crash.PT_LOAD and loads == {0x2000: b"s" * 40, 0x9000: b"f" * 16}


def test_no_core_without_registers():
    c = crash.parse(stream(crash.EM_RISCV, [], flags=0), "t")
    with pytest.raises(SpecError, match="no registers"):
        crash.core_bytes(c)


def test_the_image_hash_tells_a_rebuilt_elf(tmp_path):
    elf = tmp_path / "shard"
    elf.write_bytes(b"the image that ran")
    regs = [0] * 27
    data = stream(crash.EM_X86_64, regs)
    rec_at = data.index(rec(crash.EM_X86_64))
    fixed = crash.CRASH_REC.pack(*(list(crash.CRASH_REC.unpack(rec(crash.EM_X86_64)))[:8] +
                                   [crash.fnv1a(b"the image that ran")] +
                                   list(crash.CRASH_REC.unpack(rec(crash.EM_X86_64)))[9:]))
    data = data[:rec_at] + fixed + data[rec_at + len(fixed):]
    path = tmp_path / "w.1.vdump"
    path.write_bytes(data)
    c = crash.read(path)
    assert any("(matches the dump's image hash" in ln for ln in crash.report(c, path, elf))
    elf.write_bytes(b"rebuilt since")
    assert any("(DIFFERS FROM the dump's image hash" in ln
               for ln in crash.report(c, path, elf))


def test_fnv1a_is_the_standard_one():
    assert crash.fnv1a(b"") == 0xCBF29CE484222325
    assert crash.fnv1a(b"a") == 0xAF63DC4C8601EC8C
