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


# ---- structure-aware mutation ------------------------------------------------------
#
# The text mutations above mostly break the YAML. These keep it well-formed
# and attack what the validator reads: keys (dropped, misspelt, unknown),
# types, numeric ranges, references between items, anchors and aliases, and
# huge and deep values. Specs (with inline register maps) go through
# `vanity check`, SVD files through `vanity import-svd`. Whatever comes in,
# the answer is exit 0 or 1, no traceback, and every error is located:
# FILE:LINE:COL for the file it is about.

import copy
import re
import xml.etree.ElementTree as ET

import yaml

from test_gen_regmap import SPEC as REGMAP_SPEC

STRUCT_SEED = 20261202
STRUCT_ROUNDS = 200
SVD_ROUNDS = 150
BOUNDARIES = [0, -1, 1, 7, 63, 64, 65, 255, 256, 257, 4096, 65536, 65537, 2**31, 2**32,
              2**63 - 1, 2**63, 2**64, -2**63, 10**30, 0.5, float("inf")]
OTHER_TYPES = [[], {}, "", "x" * 5000, "\u00e9\u4e2d", None, True, [1, [2, [3]]],
               {"a": {"b": {}}}, "0x", "1 KiB", "1ms", "-1s", "NaN"]
LOCATED = re.compile(r"^(?P<file>.+?):(?P<line>\d+):(?P<col>\d+): (error|warning): \S")


# How much of a tree _paths walks. A mutated tree shares values (kinds 6, 7
# and 8 below alias them), so its paths multiply with each mutation of one
# (400 aliases of a list of 400 aliases are 160 000) while its memory does
# not, and sharing can close a cycle (a value made to hold itself, through
# an alias): paths without end, each a tuple longer than the last.
MAX_PATHS = 20_000
MAX_DEPTH = 400  # kind 8 nests at most 120 deeper than 100


def _paths(tree):
    """Every (path, value) in a plain YAML tree, the root included, the first
    MAX_PATHS of them and none below MAX_DEPTH (without recursion: the
    trees get deep)."""
    stack, n = [((), tree)], 0
    while stack and n < MAX_PATHS:
        at, v = stack.pop()
        n += 1
        yield at, v
        items = () if len(at) >= MAX_DEPTH else v.items() if isinstance(v, dict) else \
            enumerate(v) if isinstance(v, list) else ()
        room = MAX_PATHS - n - len(stack)  # no more waiting than will be given
        stack.extend((at + (k,), c) for k, c in reversed(list(items)[:max(room, 0)]))


def _get(tree, path):
    for k in path:
        tree = tree[k]
    return tree


def _names(tree):
    return sorted({v for p, v in _paths(tree) if p and p[-1] == "name" and isinstance(v, str)})


def _mutate_tree(rng, tree):
    """One structure-aware change to a copy of tree; returns (tree, what)."""
    tree = copy.deepcopy(tree)
    paths = [p for p, _ in _paths(tree) if p]
    maps = [p for p, v in _paths(tree) if isinstance(v, dict)]
    seqs = [p for p, v in _paths(tree) if isinstance(v, list) and v]
    path = rng.choice(paths)
    parent, key = _get(tree, path[:-1]), path[-1]
    kind = rng.randrange(9)
    if kind == 0 and isinstance(parent, dict):            # drop a key
        del parent[key]
    elif kind == 1 and isinstance(parent, dict) and isinstance(key, str) and key:
        i = rng.randrange(len(key))                       # misspell a key
        typo = key[:i] + rng.choice("aeiouxz_-") + key[i + 1:]
        parent[typo] = parent.pop(key)
    elif kind == 2:                                       # an unknown key
        _get(tree, rng.choice(maps))[rng.choice(["extra", "Name", "shards", "0", "~"])] = 1
    elif kind == 3:                                       # a boundary number
        parent[key] = rng.choice(BOUNDARIES)
    elif kind == 4:                                       # another type
        parent[key] = copy.deepcopy(rng.choice(OTHER_TYPES))
    elif kind == 5 and _names(tree):                      # a reference redirected
        refs = [p for p, v in _paths(tree) if p and isinstance(v, str) and v in _names(tree)]
        p = rng.choice(refs)
        _get(tree, p[:-1])[p[-1]] = rng.choice(_names(tree) + ["nobody", "", "a b"])
    elif kind == 6 and seqs:                              # an item repeated (aliased)
        seq = _get(tree, rng.choice(seqs))
        seq.append(seq[rng.randrange(len(seq))])          # the same object: an alias
    elif kind == 7:                                       # one value shared twice
        others = [p for p in paths if p[:len(path)] != path and path[:len(p)] != p]
        if others:                                        # (safe_dump writes &id/*id)
            parent[key] = _get(tree, rng.choice(others))
    else:                                                 # deep, then huge
        v = parent[key]
        deep = max(len(p) for p in paths) < 100           # (Python's recursion, in
        for _ in range(rng.choice([20, 120]) if deep else 0):   # copy and dump;
            v = [v]                                       # deeper is tested apart)
        parent[key] = v if deep and rng.random() < 0.5 else [parent[key]] * 400
    return tree, f"kind {kind} at {'/'.join(map(str, path))}"


def _located(err, path):
    """Error lines that do not name a place (in the fuzzed file, or another
    file the spec names), or name a line past the file's end."""
    lines = path.read_text(encoding="utf-8", errors="replace").count("\n") + 1
    bad = []
    for line in err.splitlines():
        m = LOCATED.match(line)
        if line.startswith("vanity: error: ") and "more errors not shown" in line:
            continue
        if not m:
            bad.append(line)
        elif m["file"] == str(path) and not 1 <= int(m["line"]) <= lines:
            bad.append(line)
    return bad


def _spec_corpus(tmp_path):
    corpus = [yaml.safe_load(p.read_text()) for p in sorted(REPO.glob("examples/*/*.yaml"))]
    for p in sorted(REPO.glob("examples/*/*.c")) + [REPO / "examples/pingpong/msg.h"]:
        shutil.copy(p, tmp_path / p.name)
    (tmp_path / "a.c").write_text("")
    corpus.append(yaml.safe_load(REGMAP_SPEC))
    # Each driver's register map, inline in a spec of its own.
    for rm in sorted(REPO.glob("drivers/*/*.yaml")):
        spec = yaml.safe_load(REGMAP_SPEC)
        spec["regmaps"] = {"tim": yaml.safe_load(rm.read_text())}
        corpus.append(spec)
    return corpus


def test_structured_spec_mutations_are_located(tmp_path, capsys):
    rng = random.Random(STRUCT_SEED)
    corpus = _spec_corpus(tmp_path)
    refused = 0
    for n in range(STRUCT_ROUNDS):
        tree, done = corpus[n % len(corpus)], []
        for _ in range(rng.randrange(1, 4)):
            tree, what = _mutate_tree(rng, tree)
            done.append(what)
        path = tmp_path / f"fuzz{n % 7}.yaml"
        path.write_text(yaml.safe_dump(tree, sort_keys=False, width=200))
        status = main(["check", str(path)])
        err = capsys.readouterr().err
        where = f"round {n} ({'; '.join(done)}): status {status}\n{err[:2000]}"
        assert status in (0, 1), where
        assert "internal error" not in err and "Traceback" not in err, where
        assert not _located(err, path), where
        refused += status == 1
    # The campaign must reach the validator's checks, not only the parser's.
    assert STRUCT_ROUNDS // 2 < refused < STRUCT_ROUNDS


def test_alias_bombs_and_huge_documents_are_refused_fast(tmp_path, capsys):
    import time
    laughs = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    laughs += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 10)]
    cases = {
        "laughs": ("\n".join(laughs) + "\n", "values once its aliases are expanded"),
        "deep": ("vanity: 1\nshards: " + "[" * 5000 + "]" * 5000 + "\n", "nesting is too deep"),
        "self": ("vanity: 1\nshards: &r\n  - name: s\n    x: *r\n", "alias refers to itself"),
        "huge": ("vanity: 1\nshards:\n" + "  - {name: s, sources: [s.c]}\n" * 80000,
                 "a spec is at most"),
    }
    for name, (text, expect) in cases.items():
        path = tmp_path / f"{name}.yaml"
        path.write_text(text)
        start = time.monotonic()
        status = main(["check", str(path)])
        took = time.monotonic() - start
        err = capsys.readouterr().err
        assert status == 1 and expect in err, f"{name}: {err[:500]}"
        assert not _located(err, path), f"{name}: {err[:500]}"
        # Generous for a loaded machine; the point is seconds, not hours.
        assert took < 60, f"{name}: {took:.1f} s"


def _mutate_svd(rng, root):
    elems = list(root.iter())
    e = rng.choice(elems[1:])
    parent = next(p for p in root.iter() if e in list(p))
    kind = rng.randrange(6)
    if kind == 0:                                         # drop an element
        parent.remove(e)
    elif kind == 1:                                       # a value: another type or range
        e.text = str(rng.choice(BOUNDARIES + ["", "x", "0x", "[3:9]", "#1x1", "-", "1e3",
                                             "read-only-ish", "\u00e9"]))
    elif kind == 2:                                       # an element repeated
        parent.append(copy.deepcopy(e))
    elif kind == 3:                                       # a dangling derivedFrom
        e.set("derivedFrom", rng.choice(["NOPE", "TIMER0", "", "TIMER0.CTRL"]))
    elif kind == 4:                                       # a misspelt tag
        e.tag = e.tag[:-1] + "x"
    else:                                                 # deep, then wide
        for _ in range(rng.choice([30, 300])):
            child = ET.SubElement(e, e.tag)
            e = child


def test_structured_svd_mutations_are_located(tmp_path, capsys):
    rng = random.Random(STRUCT_SEED)
    sample = REPO / "tests/generator/regmap_sample.svd"
    for n in range(SVD_ROUNDS):
        root = ET.parse(sample).getroot()
        for _ in range(rng.randrange(1, 4)):
            _mutate_svd(rng, root)
        path = tmp_path / "fuzz.svd"
        ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
        status = main(["import-svd", str(path), "-o", str(tmp_path / "out")])
        err = capsys.readouterr().err
        where = f"round {n}: status {status}\n{err[:2000]}"
        assert status in (0, 1), where
        assert "internal error" not in err and "Traceback" not in err, where
        assert not _located(err, path), where
