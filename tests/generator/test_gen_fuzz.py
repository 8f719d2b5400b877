"""Malformed specs never crash the generator: exit 0 or 1, never a traceback."""

import random
import shutil

import pytest

from vanity_testlib import REPO
from generator.cli import main

SEED = 20240601
ROUNDS = 300
GARBAGE = [":", "-", "[", "{", "}", "]", "'", '"', "\t", "&a", "*a", "!!int", "#", "\x00",
           "\u2028", "? ", "%", "|", ">", "0x", "-1", "1e9", "~", "\n  ", "yes", "null"]


def _mutate(rng, text):
    lines = text.splitlines(keepends=True)
    kind = rng.randrange(5)
    if kind == 0 and lines:                              # delete a line (a key)
        del lines[rng.randrange(len(lines))]
        return "".join(lines)
    if kind == 1:                                        # truncate
        return text[:rng.randrange(len(text) + 1)]
    if kind == 2:                                        # insert garbage
        at = rng.randrange(len(text) + 1)
        return text[:at] + rng.choice(GARBAGE) + text[at:]
    if kind == 3 and lines:                              # swap a value's type
        i = rng.randrange(len(lines))
        key, sep, _ = lines[i].partition(": ")
        if sep:
            value = rng.choice(["[1, 2]", "{a: 1}", "''", "-5", "true", "99999999999999999999",
                                "1.5", "ping", "0", "65537", "1KB", "~"])
            lines[i] = f"{key}: {value}\n"
        return "".join(lines)
    i, j = rng.randrange(len(text) + 1), rng.randrange(len(text) + 1)   # duplicate a span
    return text[:max(i, j)] + text[min(i, j):max(i, j)] + text[max(i, j):]


def test_mutations_never_crash(tmp_path, capsys):
    rng = random.Random(SEED)
    specs = sorted(REPO.glob("examples/*/*.yaml"))
    for spec in specs:
        for src in spec.parent.glob("*.c"):
            shutil.copy(src, tmp_path / src.name)
    for n in range(ROUNDS):
        text = specs[n % len(specs)].read_text()
        for _ in range(rng.randrange(1, 4)):
            text = _mutate(rng, text)
        path = tmp_path / "fuzz.yaml"
        path.write_text(text, encoding="utf-8", errors="surrogateescape")
        status = main(["check", str(path)])
        err = capsys.readouterr().err
        assert status in (0, 1), f"round {n}: status {status}\n{err}\n--- spec:\n{text}"
        assert "internal error" not in err and "Traceback" not in err
