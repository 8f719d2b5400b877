"""What vanity reads back from a system, made wrong: a trace's dump (`vanity
trace DIR`, also as --stats and --perfetto) and a crash dump (`vanity dump
FILE`, also --core). Both are streams of chunks the kernel writes, and some
of their bytes are a shard's: its trace ring, its rings, its memory. Mutated
at random, aimed at the chunk headers and the first bytes of each body
(ring and record headers) more than at the rest; every input must end in
exit 0 or 1 (`vanity: error: FILE: ...`), never an internal error, within
a bound. Here the samples test_obs.py and test_crash.py build by hand; `make
fuzz` runs the same mutator on real ones from every board
(tests/fuzz/campaigns.py, "records")."""

import contextlib
import io
import json
import random
import shutil
import struct
import time

from vanity_testlib import REPO  # noqa: F401 (puts the generator on the path)
from generator import crash, ctf, obs
from generator.cli import main

SEED = 20261207
ROUNDS = 150  # inputs per kind of file and command
BOUND = 10.0  # seconds an input may take

VALUES = [0, 1, 2, 7, 8, 24, 0x7F, 0xFF, 0x100, 0xFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF,
          1 << 32, 1 << 40, (1 << 63) - 1, 1 << 63, (1 << 64) - 1]


def _chunks(data):
    """(header offset, body offset, body length) of each chunk, as far as
    the stream parses."""
    found, pos = [], obs.DUMP_HDR.size
    while pos + obs.CHUNK_HDR.size <= len(data):
        length = obs.CHUNK_HDR.unpack_from(data, pos)[3]
        body = pos + obs.CHUNK_HDR.size
        if length > len(data) - body:
            break
        found.append((pos, body, length))
        pos = body + length + (-length % 8)
    return found


def _overwrite(rng, b, at):
    """One change at `at` that keeps b's length: a word set to a telling
    value, a bit flipped, or a few random bytes."""
    kind = rng.randrange(3)
    if kind == 0 and len(b) >= 8:
        size = rng.choice((4, 8))
        at = min(at & ~(size - 1), len(b) - size)
        value = rng.choice(VALUES) & ((1 << 8 * size) - 1)
        b[at:at + size] = value.to_bytes(size, "little")
    elif kind == 1 and b:
        b[at % len(b)] ^= 1 << rng.randrange(8)
    else:
        n = rng.randrange(1, 17)
        b[at:at + n] = bytes(rng.randrange(256) for _ in range(len(b[at:at + n])))


def mutate(rng, data):
    """data with 1 to 4 changes. Most keep the stream's framing and change a
    chunk's body, at its start (a ring's or a record's header) more often
    than elsewhere, so that what decodes the bodies is reached; some change
    a chunk's or the dump's header; a few delete or repeat a span, or cut
    the end off."""
    b = bytearray(data)
    for _ in range(rng.randrange(1, 5)):
        chunks, roll = _chunks(bytes(b)), rng.random()
        if chunks and roll < 0.7:
            _, body, length = rng.choice(chunks)
            if length:
                reach = length if rng.random() < 0.4 else min(length, 64)
                _overwrite(rng, b, body + rng.randrange(reach))
        elif roll < 0.85:
            heads = [h for h, _, _ in chunks] or [0]
            _overwrite(rng, b, rng.choice(heads + [0]) + rng.randrange(obs.CHUNK_HDR.size))
        else:
            at, kind = rng.randrange(len(b) + 1), rng.randrange(3)
            if kind == 0:
                del b[at:at + rng.randrange(1, 65)]
            elif kind == 1:
                b[at:at] = b[at:at + rng.randrange(1, 65)]
            else:
                del b[at:]
    return bytes(b)


def run(argv):
    """(status, stderr, seconds) of `vanity ARGV` in this process."""
    err, t0 = io.StringIO(), time.monotonic()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        status = main([str(a) for a in argv])
    return status, err.getvalue(), time.monotonic() - t0


def judge(status, err, secs):
    """What is wrong with one input's outcome, or None."""
    if secs > BOUND:
        return f"took {secs:.1f} s"
    if status not in (0, 1) or "internal error" in err or "Traceback" in err:
        return f"exit {status}: {err[-600:]}"
    if status == 1 and not err.startswith("vanity: error: "):
        return f"exit 1 without an error line: {err[-600:]}"
    return None


def trace_commands(d, tmp):
    return [["trace", d], ["trace", d, "--stats"], ["trace", d, "--perfetto", tmp / "p.json"]]


def dump_commands(f, tmp):
    return [["dump", f], ["dump", f, "--core", tmp / "core"]]


def campaign(rng, rounds, samples, tmp, commands):
    """rounds mutations of each sample (name, bytes, place): each written to
    place and run through each of commands(place, tmp); its failures, as
    (input's description, what went wrong), one per input. The first few
    inputs that failed are kept in tmp."""
    failures = []
    for name, data, place in samples:
        for n in range(rounds):
            place.write_bytes(mutate(rng, data))
            for argv in commands(place.parent if place.name == ctf.KEPT_RAW else place, tmp):
                why = judge(*run(argv))
                if why:
                    keep = tmp / f"failed-{name}-{n}{place.suffix}"
                    if len(failures) < 5:
                        shutil.copy(place, keep)
                    failures.append((f"{name} #{n} ({keep}), vanity {' '.join(map(str, argv))}",
                                     why))
                    break
        place.write_bytes(data)
    return failures


def test_mutated_traces_are_clear_errors_or_read(tmp_path):
    import test_obs as t
    d = tmp_path / "trace"
    d.mkdir()
    (d / ctf.KEPT_MANIFEST).write_text(json.dumps(t.manifest()))
    data = t.sample_dump()
    (d / ctf.KEPT_RAW).write_bytes(data)
    assert run(["trace", d])[0] == 0  # the sample itself is read
    failures = campaign(random.Random(SEED), ROUNDS, [("trace", data, d / ctf.KEPT_RAW)],
                        tmp_path, trace_commands)
    assert not failures, "\n".join(f"{a}: {b}" for a, b in failures[:5])


def test_mutated_crash_dumps_are_clear_errors_or_read(tmp_path):
    import test_crash as t
    samples = []
    for machine, nregs in ((crash.EM_AARCH64, 34), (crash.EM_RISCV, 32), (crash.EM_X86_64, 27)):
        data = t.stream(machine, list(range(nregs)), [(0x1000, struct.pack("<4Q", 1, 2, 3, 4))],
                        pc=0x1008, sp=0x1000)
        f = tmp_path / f"m{machine}.vdump"
        f.write_bytes(data)
        assert run(["dump", f])[0] == 0, run(["dump", f])  # each sample itself is read
        samples.append((f"machine {machine}", data, f))
    failures = campaign(random.Random(SEED), ROUNDS, samples, tmp_path, dump_commands)
    assert not failures, "\n".join(f"{a}: {b}" for a, b in failures[:5])
