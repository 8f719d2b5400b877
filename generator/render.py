"""Model -> files: the Jinja2 environment, clang-format, and writing out/.

Templates receive the frozen model and only format it. Generated C goes
through clang-format with the repository's .clang-format, so the output
reads like hand-written code and diffs cleanly. What a template marks
`/* clang-format off */ ... /* clang-format on */` (the kernel's shard and
channel tables, written in clang-format's style already) is kept out of
clang-format's input, not only out of its changes: its time grows faster
than linearly with the length of one initializer, and a table of 4,096
channels would take it half a minute.
"""

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import jinja2

from .boards import BOARDS
from .errors import fail
from .model import manifest
from .regmap import view
from .units import format_size


def _human(n):
    """16 KiB, 128 MiB: for comments and the report."""
    text = format_size(n)
    return text[:-3] + " " + text[-3:] if text.endswith("iB") else text[:-1] + " B"


def _env(repo_root):
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(repo_root / "templates")),
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined, autoescape=False)
    env.filters["hex"] = lambda n: f"{n:#x}"
    env.filters["human"] = _human
    return env


OFF, ON = "/* clang-format off */\n", "/* clang-format on */\n"


def _cut(text):
    """text with each off...on region emptied (the markers kept), and the
    regions' bodies in order."""
    parts, bodies, pos = [], [], 0
    while (start := text.find(OFF, pos)) >= 0:
        end = text.find(ON, start + len(OFF))
        if end < 0:
            break
        parts.append(text[pos:start + len(OFF)])
        bodies.append(text[start + len(OFF):end])
        pos = end
    parts.append(text[pos:])
    return "".join(parts), bodies


def _splice(text, bodies, name):
    """Puts the bodies _cut took back between their markers."""
    pieces = text.split(OFF + ON)
    if len(pieces) != len(bodies) + 1:
        raise fail(f"clang-format moved a 'clang-format off' region of {name}")
    out = [pieces[0]]
    for body, piece in zip(bodies, pieces[1:]):
        out += [OFF, body, ON, piece]
    return "".join(out)


def clang_format(texts, repo_root):
    """{relative path: C text} -> the same, formatted. One clang-format
    process per host CPU, each given a share of the files (a process per
    file would spend more time starting than formatting)."""
    exe = shutil.which("clang-format")
    if exe is None:
        raise fail("clang-format is not installed; install it with "
                   "'apt-get install clang-format' (or run 'make deps')")
    if not texts:
        return {}
    names, cut = list(texts), {}
    with tempfile.TemporaryDirectory(prefix="vanity-fmt-") as tmp:
        for name in names:
            cut[name] = _cut(texts[name])
            path = Path(tmp, name)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(cut[name][0])
        jobs = min(os.cpu_count() or 1, len(names))
        procs = [subprocess.Popen([exe, f"--style=file:{repo_root / '.clang-format'}", "-i",
                                   *names[i::jobs]], cwd=tmp, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for i in range(jobs)]
        for proc in procs:
            _, err = proc.communicate()
            if proc.returncode != 0:
                raise fail(f"clang-format failed: {err.strip()}")
        return {name: _splice(Path(tmp, name).read_text(), cut[name][1], name)
                for name in names}


def render(system, repo_root):
    """Returns {relative path: text} for every generated file, in order."""
    env = _env(repo_root)

    def put(path, template, **ctx):
        files[path] = env.get_template(template).render(system=system, **ctx)

    files = {}
    board = BOARDS[system.board]
    arch = board.image
    files["manifest.json"] = json.dumps(manifest(system), indent=2, sort_keys=False) + "\n"
    put("report.txt", "report.txt.j2")
    put("kernel/board.h", "board.h.j2", board=board)
    put("kernel/tables.c", "tables.c.j2")
    if arch:
        put("kernel/layout.c", "layout_bare.c.j2", arch=arch)
        put("kernel/blobs.S", "blobs_bare.S.j2")
        put("kernel/image.ld", "image_bare.ld.j2")
    structures = {(kind, name): s for kind, name, s in system.structures}
    for name, regs in system.regmaps:
        put(f"regmaps/{name}.h", "regmap.h.j2",
            rmap=view(name, regs, structures.get(("regmaps", name), ())))
    for name, regs in system.models:
        put(f"kernel/{name}_dev.h", "regmap_dev.h.j2",
            rmap=view(name, regs, structures.get(("models", name), ())))
    shard_ld = "shard_bare.ld.j2" if arch else "shard.ld.j2"
    for shard in system.shards:
        base = f"shards/{shard.name}/"
        put(base + "vanity_shard.h", "vanity_shard.h.j2", shard=shard)
        put(base + "config.c", "config.c.j2", shard=shard)
        put(base + "shard.ld", shard_ld, shard=shard, arch=arch)
    files.update(clang_format({p: t for p, t in files.items() if p.endswith((".c", ".h"))},
                              repo_root))
    return files


GENERATED_MARK = "enerated by vanity"  # "Generated by" in text, "generated_by" in JSON


def _generated(path):
    """True if path is a file vanity wrote: its first lines say so."""
    with open(path, "rb") as f:
        head = f.read(256).decode("utf-8", errors="replace")
    return GENERATED_MARK in head or '"generated_by": "vanity' in head


def write(files, out_dir):
    """Writes files under out_dir and removes the files vanity generated there
    before but no longer does. Anything else in out_dir is left alone."""
    out_dir = Path(out_dir)
    for rel, text in files.items():
        path = out_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        data = text.encode("utf-8")
        if not path.is_file() or path.read_bytes() != data:
            path.write_bytes(data)
    for path in sorted(out_dir.rglob("*"), reverse=True):
        rel = path.relative_to(out_dir).as_posix()
        if path.is_file() and rel not in files and _generated(path):
            path.unlink()
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()
