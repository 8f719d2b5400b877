"""Model -> files: the Jinja2 environment, clang-format, and writing out/.

Templates receive the frozen model and only format it. Generated C goes
through clang-format with the repository's .clang-format, so the output
reads like hand-written code and diffs cleanly.
"""

import json
import shutil
import subprocess
from pathlib import Path

import jinja2

from .errors import fail
from .model import manifest
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


def clang_format(text, name, repo_root):
    exe = shutil.which("clang-format")
    if exe is None:
        raise fail("clang-format is not installed; install it with "
                   "'apt-get install clang-format' (or run 'make deps')")
    proc = subprocess.run(
        [exe, f"--style=file:{repo_root / '.clang-format'}", f"--assume-filename={name}"],
        input=text, capture_output=True, text=True)
    if proc.returncode != 0:
        raise fail(f"clang-format failed on {name}: {proc.stderr.strip()}")
    return proc.stdout


def render(system, repo_root):
    """Returns {relative path: text} for every generated file, in order."""
    env = _env(repo_root)

    def put(path, template, **ctx):
        text = env.get_template(template).render(system=system, **ctx)
        if path.endswith((".c", ".h")):
            text = clang_format(text, path, repo_root)
        files[path] = text

    files = {}
    files["manifest.json"] = json.dumps(manifest(system), indent=2, sort_keys=False) + "\n"
    put("report.txt", "report.txt.j2")
    put("kernel/tables.c", "tables.c.j2")
    if system.port == "aarch64":
        put("kernel/layout.c", "layout_a64.c.j2")
        put("kernel/blobs.S", "blobs_a64.S.j2")
        put("kernel/image.ld", "image_a64.ld.j2")
    shard_ld = "shard_a64.ld.j2" if system.port == "aarch64" else "shard.ld.j2"
    for shard in system.shards:
        base = f"shards/{shard.name}/"
        put(base + "vanity_shard.h", "vanity_shard.h.j2", shard=shard)
        put(base + "config.c", "config.c.j2", shard=shard)
        put(base + "shard.ld", shard_ld, shard=shard)
    return files


def write(files, out_dir):
    """Writes files under out_dir and removes files it no longer generates."""
    out_dir = Path(out_dir)
    for rel, text in files.items():
        path = out_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        data = text.encode("utf-8")
        if not path.is_file() or path.read_bytes() != data:
            path.write_bytes(data)
    for path in sorted(out_dir.rglob("*"), reverse=True):
        rel = path.relative_to(out_dir).as_posix()
        if path.is_file() and rel not in files:
            path.unlink()
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()
