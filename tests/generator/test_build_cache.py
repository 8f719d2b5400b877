"""The build's object cache (generator/toolchain.py): each runtime source is
compiled once per compiler, flags and preprocessed text, and every system
of a board links the same objects; anything that changes what the compiler
sees makes a new object."""

import os
import subprocess

import pytest

from vanity_testlib import REPO

from generator import toolchain

PY = "/usr/bin/python3"


def _source(tmp_path, gen_dir, value):
    """A source that includes a header from a build's generated directory."""
    gen_dir.mkdir(parents=True, exist_ok=True)
    (gen_dir / "board.h").write_text(f"/* from {gen_dir} */\n#define VALUE {value}\n")
    src = tmp_path / "part.c"
    src.write_text('#include "board.h"\n#ifndef EXTRA\n#define EXTRA 0\n#endif\n'
                   'int part(void) { return VALUE + EXTRA; }\n')
    return src


def _objects(src, gen_dir, *extra):
    return toolchain.objects("gcc", ["-O2", "-g", *extra, f"-I{gen_dir}"], [src], [gen_dir])


def test_what_the_compiler_sees_decides(tmp_path, monkeypatch):
    monkeypatch.setattr(toolchain, "CACHE", tmp_path / "cache")
    a, b = tmp_path / "a" / "out", tmp_path / "b" / "out"
    src = _source(tmp_path, a, 1)
    [first] = _objects(src, a)
    assert first.read_bytes()[:4] == b"\x7fELF"
    assert first.is_relative_to(tmp_path / "cache")

    # Another build's generated directory, the same text: the same object.
    _source(tmp_path, b, 1)
    assert _objects(src, b) == [first]
    # A macro the source never sees: the same object.
    assert _objects(src, b, "-DUNUSED=1") == [first]
    # Another value in the generated header, or from the command line, or
    # another compiler flag: new objects.
    _source(tmp_path, b, 2)
    [second] = _objects(src, b)
    [third] = _objects(src, b, "-DEXTRA=3")
    [fourth] = _objects(src, b, "-O0")
    assert len({first, second, third, fourth}) == 4
    assert len(list((tmp_path / "cache").glob("*/*.o"))) == 4


def test_a_compile_error_names_the_source(tmp_path, monkeypatch):
    monkeypatch.setattr(toolchain, "CACHE", tmp_path / "cache")
    src = tmp_path / "broken.c"
    src.write_text("int broken(void) { return }\n")
    try:
        toolchain.objects("gcc", ["-O2"], [src])
    except toolchain.BuildError as e:
        assert "broken.c" in str(e)
    else:
        raise AssertionError("a source that does not compile built")
    assert not list((tmp_path / "cache").glob("*/*"))  # nothing half-written is kept


def test_two_systems_share_the_runtime_objects(tmp_path):
    """The second system of a board compiles none of the runtime again, and
    both run. The first compiles every runtime source, with no warning."""
    env = dict(os.environ, VANITY_CACHE=str(tmp_path / "cache"))
    count = lambda: len(list((tmp_path / "cache").glob("*/*.o")))
    seen = []
    for name in ("pingpong", "pipeline"):
        spec = REPO / "examples" / name / f"{name}.yaml"
        r = subprocess.run([PY, str(REPO / "vanity"), "run", str(spec), "-o",
                            str(tmp_path / name / "out"), "--build-dir",
                            str(tmp_path / name / "build")],
                           env=env, capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stdout + r.stderr
        assert "warning:" not in r.stdout + r.stderr, r.stdout + r.stderr
        seen.append(count())
    assert seen[0] > 20          # the kernel's and the shard library's sources
    assert seen[1] == seen[0]    # all of them again, from the cache


@pytest.mark.parametrize("board", ["qemu-virt-aarch64", "qemu-virt-riscv64"])
def test_a_bare_metal_build_from_nothing_has_no_warning(tmp_path, board):
    """Every runtime source of a bare-metal board, the kernel's and the
    shard library's, compiled from an empty cache: no compiler warning."""
    env = dict(os.environ, VANITY_CACHE=str(tmp_path / "cache"))
    r = subprocess.run([PY, str(REPO / "vanity"), "build",
                        str(REPO / "examples" / "pingpong" / "pingpong.yaml"), "--board", board,
                        "-o", str(tmp_path / "out"), "--build-dir", str(tmp_path / "build")],
                       env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "warning:" not in r.stdout + r.stderr, r.stdout + r.stderr


def test_include_flags_are_the_spec_directorys(tmp_path):
    """A relative path in a shard's include flags is the spec's directory's,
    like its sources; an absolute one, another flag, or one from the
    sysroot stays as written."""
    spec_dir = tmp_path / "spec"
    flags, reads = toolchain.user_flags(
        ["-I", "inc", "-I../common", "-iquote", "q", "-include", "pre.h", "-I/usr/x",
         "-I=sys", "-DX=-Ifoo", "-Wl,-Ifoo"], spec_dir)
    assert flags == ["-I", f"{spec_dir}/inc", f"-I{spec_dir}/../common", "-iquote",
                     f"{spec_dir}/q", "-include", f"{spec_dir}/pre.h", "-I/usr/x", "-I=sys",
                     "-DX=-Ifoo", "-Wl,-Ifoo"]
    assert reads == [spec_dir / "inc", spec_dir / "../common", spec_dir / "q",
                     spec_dir / "pre.h"]


def test_a_shard_includes_from_the_spec_directory(tmp_path):
    """cflags: [-I../inc] in a spec under sys/ finds inc/ beside sys/, not in
    the repository the compiler runs in; a header there rebuilds the shard."""
    (tmp_path / "inc").mkdir()
    (tmp_path / "inc" / "answer.h").write_text("#define ANSWER 42\n")
    (tmp_path / "sys").mkdir()
    (tmp_path / "sys" / "a.c").write_text(
        '#include <vanity_shard.h>\n#include "answer.h"\n'
        'void vn_main(void) { vn_log("answer %d", ANSWER); }\n')
    spec = tmp_path / "sys" / "inc.yaml"
    spec.write_text("vanity: 1\nsystem: inc\nshards:\n"
                    "  - {name: a, sources: [a.c], cflags: [-I../inc]}\n")
    build = lambda: subprocess.run(
        [PY, str(REPO / "vanity"), "build", str(spec), "-o", str(tmp_path / "out"),
         "--build-dir", str(tmp_path / "build")], capture_output=True, text=True, timeout=300)
    r = build()
    assert r.returncode == 0, r.stdout + r.stderr
    shard = tmp_path / "build" / "shards" / "a"
    before = shard.read_bytes()
    (tmp_path / "inc" / "answer.h").write_text("#define ANSWER 43\n")
    r = build()
    assert r.returncode == 0, r.stdout + r.stderr
    assert shard.read_bytes() != before


def test_another_compiler_builds_again(tmp_path):
    """A binary is up to date only for the compiler that made it: one
    with another size or time (an upgrade) makes it again, though the
    command line and the sources are the same."""
    cc = tmp_path / "cc"
    cc.write_text('#!/bin/sh\necho made >> "$(dirname "$0")/runs"\necho x > "$2"\n')
    cc.chmod(0o755)
    src = tmp_path / "a.c"
    src.write_text("int a;\n")
    target = tmp_path / "out" / "a"
    runs = tmp_path / "runs"

    def build():
        toolchain.compile_("a", [str(cc), "-o", str(target), str(src)], [src], target)
        return runs.read_text().count("made")

    assert build() == 1
    assert build() == 1  # up to date
    st = cc.stat()
    os.utime(cc, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    assert build() == 2  # the same command, another compiler
    assert build() == 2


@pytest.mark.parametrize("board", ["hosted", "qemu-virt-aarch64", "qemu-virt-riscv64"])
def test_a_warning_in_the_generated_tables_stops_the_build(tmp_path, board):
    """The generated kernel sources are compiled with warnings as errors
    (toolchain.GENERATED_CFLAGS): a table the generator got wrong, here an
    integer literal wider than any type, which GCC would otherwise cut to
    64 bits with a warning, stops the build."""
    from generator import build
    spec, out = REPO / "examples" / "pingpong" / "pingpong.yaml", tmp_path / "out"
    r = subprocess.run([PY, str(REPO / "vanity"), "gen", str(spec), "--board", board,
                        "-o", str(out)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    with open(out / "kernel" / "tables.c", "a") as f:
        f.write("const unsigned long long vn_too_wide = 0x1ffffffffffffffffULL;\n")
    with pytest.raises(toolchain.BuildError) as e:
        build.build(spec, out, tmp_path / "build")
    assert "error: integer constant is too large for its type" in e.value.output, \
        e.value.output
