"""Running the compiler for build.py and build_bare.py: one rule for when a
binary is rebuilt, and the one error a failed build raises.

A binary is rebuilt only when its command line or any input it may read
changed (a content hash, not timestamps, so a fresh clone builds the same).
Independent binaries (the shards) are built side by side, one compiler per
host CPU (parallel()).

The runtime's own sources (the kernel, the shard library, the ports) are
the same in every system, so each is compiled once into an object cache
(objects()) and every system links the same objects: a build compiles only
its generated tables and its shards' own sources.
"""

import hashlib
import os
import re
import shutil
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RUNTIME = REPO / "runtime"

# The object cache: VANITY_CACHE, or build/cache/ in the repository (so
# `make clean` empties it). Kept to CACHE_MAX objects, the least recently
# used going first.
CACHE = Path(os.environ.get("VANITY_CACHE") or REPO / "build" / "cache")
CACHE_MAX = 4000


# The generated kernel sources (tables.c, and layout.c on bare metal) are
# compiled with every warning an error: a warning there is the generator's
# bug (an integer literal wider than its field, which GCC would cut to fit
# with a warning, say) and must stop the build, not change what the kernel
# does. On the final command line, where the runtime's objects are already
# compiled, so it reaches the generated sources alone.
GENERATED_CFLAGS = ["-Werror"]


class BuildError(Exception):
    """A compiler or linker failure; the message says which binary, and
    .output holds what the tool printed."""

    def __init__(self, message, output=""):
        super().__init__(message)
        self.output = output


# The flags that name a file or directory to include, longest first (joined
# to their argument, -Iinc, or not, -I inc).
_PATH_FLAGS = ("-idirafter", "-isystem", "-iquote", "-include", "-imacros", "-I")
# Flags whose argument may be the next item: left last, each would take the
# build's own next flag as its argument.
ARG_FLAGS = _PATH_FLAGS + ("-D", "-U", "-x", "-o", "-MF", "-MT", "-MQ", "-Xassembler",
                           "-Xpreprocessor", "-Xlinker")


def include_args(cflags):
    """(index, flag, path) for each path an include flag in cflags names:
    index is the item that holds the path, the flag's own (-Iinc) or the
    next one (-I inc)."""
    pending = None
    for i, f in enumerate(map(str, cflags)):
        if pending:
            yield i, pending, f
            pending = None
            continue
        flag = next((p for p in _PATH_FLAGS if f.startswith(p)), None)
        if flag and f == flag:
            pending = flag
        elif flag:
            yield i, flag, f[len(flag):]


def is_user_path(path):
    """Whether an include flag's path is the user's: not from the sysroot
    (=dir, $SYSROOT) and not another flag."""
    return not path.startswith(("=", "$SYSROOT", "-"))


def user_flags(cflags, spec_dir):
    """A shard's cflags as the compiler gets them, and the directories and
    files they add for it to read: a relative path an include flag names is
    the spec's directory's, as its sources are (the compiler runs in the
    repository). A path from the sysroot (=dir) or absolute stays as is."""
    out, reads = [str(f) for f in cflags], []
    for i, flag, path in include_args(cflags):
        if not is_user_path(path) or os.path.isabs(path):
            continue
        full = Path(spec_dir) / path
        reads.append(full)
        out[i] = str(full) if out[i] == path else flag + str(full)
    return out, reads


def user_inputs(reads):
    """What user_flags' directories and files give the compiler to read."""
    return sorted(p for r in reads for p in ([r] if r.is_file() else headers(r)))


def c_files(*dirs):
    return sorted(p for d in dirs for p in Path(d).glob("*.c"))


def headers(*dirs):
    return sorted(p for d in dirs for p in Path(d).rglob("*.h"))


def generated_headers(out_dir):
    """The headers under out_dir every binary may include: the register
    maps (<regmaps/NAME.h>). Each shard's own headers are in its own
    directory, so editing one shard rebuilds that shard only."""
    return headers(Path(out_dir) / "regmaps")


def parallel(fn, items):
    """fn(item) for every item, on one thread per host CPU (each waits on a
    compiler process); the results in items' order. A failure is raised
    once every item has been tried, the first in order."""
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        futures = [pool.submit(fn, item) for item in items]
    return [f.result() for f in futures]


def _digest(cmd, inputs):
    h = hashlib.sha256("\0".join(map(str, cmd)).encode())
    for path in inputs:
        h.update(str(path).encode())
        h.update(Path(path).read_bytes())
    return h.hexdigest()


def compile_(what, cmd, inputs, target, key=None):
    """Runs cmd unless target is up to date with respect to cmd and inputs.
    For a binary that links the runtime's cached objects, cmd is a function
    that makes them and returns the command line, and key the command line
    with the runtime's sources in their place (inputs has the sources and
    every header they may read): an up-to-date binary costs no look into
    the cache. The compiler (the command's first word) is part of the
    stamp, as of the cache's keys: an upgraded compiler builds again."""
    stamp = target.parent / ("." + target.name + ".stamp")
    line = cmd if key is None else key
    digest = _digest([_compiler(str(line[0])), *line], inputs)
    if target.exists() and stamp.exists() and stamp.read_text() == digest:
        return
    if callable(cmd):
        cmd = cmd()
    target.parent.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, cwd=REPO)
    if proc.stdout:
        print(proc.stdout, end="")
    if proc.returncode != 0:
        raise BuildError(f"building {what} failed (exit {proc.returncode})", proc.stdout)
    stamp.write_text(digest)


# A lock per object while it is made, so that the shards of one build that
# need the same object compile it once.
_making = {}
_making_lock = threading.Lock()


def _compiler(cc):
    """What identifies the compiler: its file, its size and its time, so
    an upgraded compiler misses the cache."""
    path = shutil.which(cc)
    if path is None:
        raise BuildError(f"{cc} is not installed")
    st = os.stat(path)
    return f"{os.path.realpath(path)} {st.st_size} {st.st_mtime_ns}"


# A line marker of the preprocessor's output: `# 12 "path" flags`.
_MARKER = re.compile(rb'^(# \d+ ")([^"]*)(")', re.M)


def _compile_flags(flags):
    """flags without those that act only on the preprocessor (-I, -D, -U,
    joined to their argument or not): the preprocessed text shows what
    they did."""
    out, skip = [], False
    for f in map(str, flags):
        if skip:
            skip = False
        elif f in ("-I", "-D", "-U"):
            skip = True
        elif not f.startswith(("-I", "-D", "-U")):
            out.append(f)
    return out


def _shown(path):
    return path.relative_to(REPO) if path.is_relative_to(REPO) else path


def _key(cc, flags, src, loose):
    """The cache key of src compiled with flags (see _object())."""
    def norm(text):
        for d in loose:
            text = text.replace(str(d).encode(), b"@")
        return text
    pre = subprocess.run([cc, *flags, "-E", str(src)], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, cwd=REPO)
    if pre.returncode != 0:
        raise BuildError(f"compiling {_shown(src)} failed: "
                         f"{pre.stderr.decode(errors='replace').strip()}")
    h = hashlib.sha256(_compiler(cc).encode())
    for part in (*_compile_flags(flags), str(src)):
        h.update(str(part).encode() + b"\0")
    h.update(_MARKER.sub(lambda m: m[1] + norm(m[2]) + m[3], pre.stdout))
    return h.hexdigest()


def _object(cc, flags, src, loose, keys):
    """src compiled with `cc flags -c`, from the cache or into it. The key
    is the compiler, the flags that are not the preprocessor's, and src's
    preprocessed text (whatever it includes, whatever macros it sees).
    `loose` are the directories of the build's own generated headers: their
    paths differ from one build to the next while their text decides, so
    they are left out of the key. (The runtime includes only the board's
    header from there, which is macros: no debug information names it.)
    `keys` keeps the keys one build has taken, so that its shards that
    share flags preprocess each source once."""
    args = (cc, tuple(map(str, flags)), src, tuple(map(str, loose)))
    if args not in keys:
        keys[args] = _key(*args)
    key = keys[args]
    obj = CACHE / key[:2] / (key + ".o")
    with _making_lock:
        lock = _making.setdefault(key, threading.Lock())
    with lock:
        if obj.exists():
            os.utime(obj)
            return obj
        obj.parent.mkdir(parents=True, exist_ok=True)
        tmp = obj.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        proc = subprocess.run([cc, *flags, "-c", str(src), "-o", str(tmp)],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              cwd=REPO)
        if proc.stdout:
            print(proc.stdout, end="")
        if proc.returncode != 0:
            tmp.unlink(missing_ok=True)
            raise BuildError(f"compiling {_shown(src)} failed "
                             f"(exit {proc.returncode})")
        os.replace(tmp, obj)
    _prune()
    return obj


def _prune():
    objs = list(CACHE.glob("*/*.o"))
    if len(objs) <= CACHE_MAX:
        return
    objs.sort(key=lambda p: p.stat().st_mtime_ns if p.exists() else 0)
    for p in objs[:len(objs) - CACHE_MAX // 2]:
        p.unlink(missing_ok=True)


def objects(cc, flags, srcs, loose=(), keys=None):
    """The runtime sources srcs, each compiled alone with `cc flags -c`
    (flags: everything but -c and -o), through the cache; their objects'
    paths, in order. See _object() for `loose` and `keys` (a dict one build
    passes to each of its calls)."""
    keys = {} if keys is None else keys
    return parallel(lambda src: _object(cc, flags, Path(src), loose, keys), srcs)
