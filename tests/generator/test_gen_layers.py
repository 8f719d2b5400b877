"""The generator's layers: one-way imports, and validation that changes
nothing it checks (docs/architecture.md)."""

import ast
import copy
from pathlib import Path

from vanity_testlib import REPO
from generator import keys as K
from generator.boards import BOARDS
from generator.errors import Diags
from generator.parse import parse_file
from generator.resolve import resolve
from generator.schema import Schema
from generator.semantics import Semantics

GENERATOR = REPO / "generator"


def _imports():
    """{module: modules of the package it imports}."""
    out = {}
    for path in GENERATOR.glob("*.py"):
        found = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                found |= {node.module} if node.module else {a.name for a in node.names}
        out[path.stem] = found - {"__init__"}
    return out


def test_imports_have_no_cycle():
    graph, done, path = _imports(), set(), []

    def visit(m):
        assert m not in path, f"import cycle: {' -> '.join(path[path.index(m):] + [m])}"
        if m in done:
            return
        path.append(m)
        for n in sorted(graph.get(m, ())):
            visit(n)
        path.pop()
        done.add(m)

    for m in sorted(graph):
        visit(m)


def test_layers_import_downwards_only():
    graph = _imports()
    assert "build" not in graph["build_bare"]
    for low in ("parse", "schema", "resolve", "semantics", "regmap"):
        assert not graph[low] & {"validate", "model", "render", "cli", "build"}, low
    assert not graph["schema"] & {"resolve", "semantics", "regmap"}
    assert "semantics" not in graph["resolve"]


def _snapshot(value):
    """The values and node positions of a Checked tree, for comparison."""
    if isinstance(value, dict):
        nodes = {k: (n.line, n.col) for k, n in getattr(value, "nodes", {}).items()}
        return ({k: _snapshot(v) for k, v in value.items()}, nodes,
                sorted(getattr(value, "resolved", ())))
    if isinstance(value, list):
        return [_snapshot(v) for v in value]
    return copy.copy(value)


def test_validation_changes_nothing_it_checks():
    """Resolution fills device windows and register maps in a copy; the
    schema's values stay as the spec wrote them, and the semantic checks
    leave the resolved values alone too."""
    spec = REPO / "examples" / "console" / "console.yaml"
    diags = Diags()
    schema = Schema(diags, spec.parent, REPO)
    top = schema.obj(K.SPEC, parse_file(spec, str(spec)), None)
    before = _snapshot(top)
    board = BOARDS["qemu-virt-aarch64"]
    resolved = resolve(schema, top, board)
    assert _snapshot(top) == before
    [uart] = [d for d in resolved["devices"] if d["name"] == "uart"]
    [spec_uart] = [d for d in top["devices"] if d["name"] == "uart"]
    assert uart["address"] == 0x09000000 and "address" not in spec_uart
    assert "regmap" in uart and "pl011" in resolved["regmaps"]
    checked = _snapshot(resolved)
    Semantics(schema, resolved, board).run()
    assert not diags.errors, diags.items
    assert _snapshot(resolved) == checked


def test_a_driver_map_error_points_into_the_driver(tmp_path):
    """Driver maps go through the position-keeping parser and the schema."""
    root = tmp_path / "repo"
    (root / "drivers" / "gpio").mkdir(parents=True)
    (root / "drivers" / "gpio" / "gpio.yaml").write_text(
        "compatible: acme,gpio\nregisters:\n  - {name: DATA, offset: 0x0, widht: 32}\n")
    spec = tmp_path / "s.yaml"
    spec.write_text("vanity: 1\nsystem: s\nshards:\n  - {name: a, sources: [a.c]}\n"
                    "devices:\n  - {name: gpio, address: 0x9000000, size: 0x1000, shard: a,"
                    " regmap: gpio}\n")
    (tmp_path / "a.c").write_text("")
    diags = Diags()
    schema = Schema(diags, tmp_path, root)
    top = schema.obj(K.SPEC, parse_file(spec, "s.yaml"), None)
    resolved = resolve(schema, top, BOARDS["hosted"])
    assert resolved["devices"][0]["regmap"] == "gpio"
    [err] = [d for d in diags.errors if "widht" in d.message]
    assert Path(err.file).name == "gpio.yaml" and (err.line, err.col) == (3, 31)
