"""The spec reference's example is valid; driver register maps load; templates lint."""

import argparse
import re

import jinja2
import pytest

from vanity_testlib import REPO
from generator.cli import load
from generator.errors import SpecError


def _load(spec, repo_root=REPO):
    return load(argparse.Namespace(spec=str(spec), board=None), repo_root=repo_root)


def test_reference_example_is_valid(tmp_path):
    text = (REPO / "spec/README.md").read_text()
    example = re.search(r"## An annotated example\n\n```yaml\n(.*?)```", text, re.S).group(1)
    for name in ("echo.c", "util.c", "logger.c"):
        (tmp_path / name).write_text("")
    (tmp_path / "uartecho.yaml").write_text(example)
    model, warnings = _load(tmp_path / "uartecho.yaml")
    assert warnings == []
    assert [d.shard for d in model.devices] == ["echo", "logger", "echo"]
    assert model.devices[2].regmap == "pl031"  # listed by drivers/pl031 for arm,pl031
    assert [c.name for c in model.channels] == ["lines"]
    assert [(g.name, g.src, g.dst, g.id) for g in model.signals] == [("flush", "echo", "logger", 1)]


def _driver_repo(tmp_path, regmap_text):
    (tmp_path / "drivers/pl011").mkdir(parents=True)
    (tmp_path / "drivers/pl011/pl011.yaml").write_text(regmap_text)
    (tmp_path / "a.c").write_text("")
    spec = tmp_path / "s.yaml"
    spec.write_text("vanity: 1\nsystem: s\nshards:\n  - {name: a, sources: [a.c]}\n"
                    "devices:\n  - {name: uart, regmap: pl011, compatible: 'arm,pl011', "
                    "shard: a}\n")
    return spec


def test_driver_regmap_is_loaded(tmp_path):
    spec = _driver_repo(tmp_path, "registers:\n  - {name: DR, offset: 0}\n")
    model, _ = _load(spec, repo_root=tmp_path)
    assert model.regmaps == (("pl011", [{"name": "DR", "offset": 0, "width": 32,
                                         "access": "rw", "reset": 0, "fields": []}]),)


def test_driver_regmap_errors_name_the_driver_file(tmp_path, monkeypatch):
    spec = _driver_repo(tmp_path, "registers:\n  - {name: DR, offset: 2}\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SpecError) as exc:
        _load(spec.name, repo_root=tmp_path)
    assert [str(d) for d in exc.value.diags] == [
        "drivers/pl011/pl011.yaml:2:24: error: regmap 'pl011' register 'DR': offset 0x2 "
        "is not aligned to its 32-bit width (a multiple of 4)"]


TEMPLATES = sorted((REPO / "templates").glob("*.j2"))


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_template_lint(path):
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(REPO / "templates")))
    env.parse(path.read_text())                     # syntax
    lines = path.read_text().splitlines()
    assert len(lines) <= 80, "keep templates short: split, or move logic to the model"
    assert not [n for n, line in enumerate(lines, 1) if line != line.rstrip()], \
        "trailing whitespace"
    text = path.read_text()
    assert "namespace(" not in text and "loop.index" not in text, \
        "no counters in templates: compute ids and bits in the model"
