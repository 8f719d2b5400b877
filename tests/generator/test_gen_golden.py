"""The committed out/ trees match the generator, byte for byte."""

import os
import shutil

import pytest

from vanity_testlib import REPO, vanity

EXAMPLES = sorted(REPO.glob("examples/*/*.yaml"))
BOARDS = ["hosted", "qemu-virt-aarch64", "qemu-virt-riscv64"]  # GEN_BOARDS in the Makefile
# Variants committed for some boards only (GEN_VARIANTS in the Makefile).
VARIANTS = [(REPO / "examples/l2fwd/split/split.yaml", b) for b in ("hosted", "qemu-virt-riscv64")]
CASES = [(spec, board) for spec in EXAMPLES for board in BOARDS] + VARIANTS


def _tree(root):
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _system(spec):
    import yaml
    return yaml.safe_load(spec.read_text())["system"]


def _id(case):
    return f"{case[0].parent.name}-{case[1]}"


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_out_is_up_to_date(case, tmp_path):
    spec, board = case
    rel = spec.relative_to(REPO)
    proc = vanity("gen", rel, "--board", board, "-o", tmp_path)
    assert proc.returncode == 0, proc.stderr
    committed = REPO / "out" / _system(spec) / board
    stale = "out/ is stale: run `make gen` and commit the result"
    assert committed.is_dir(), stale
    assert _tree(tmp_path) == _tree(committed), stale


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_diff_reports_no_change(case):
    spec, board = case
    proc = vanity("diff", spec.relative_to(REPO), "--board", board)
    assert (proc.returncode, proc.stdout) == (0, ""), proc.stdout + proc.stderr


def test_deterministic_across_working_directories(tmp_path):
    spec = REPO / "examples/pipeline/pipeline.yaml"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    a, b = tmp_path / "a", tmp_path / "b"
    assert vanity("gen", spec.relative_to(REPO), "-o", a).returncode == 0
    shutil.copytree(REPO / "examples", tmp_path / "examples")
    assert vanity("gen", os.path.relpath(spec, elsewhere), "-o", b, cwd=elsewhere).returncode == 0
    assert _tree(a) == _tree(b)
    for name, data in _tree(a).items():
        assert str(REPO).encode() not in data, f"{name} holds an absolute path"
        assert str(tmp_path).encode() not in data, f"{name} holds an absolute path"
