"""`vanity reload SPEC SHARD`: a new version of one shard, into the running system.

The shard is rebuilt from its current sources and the spec as it is now,
into <build dir>/reload/ (the running system's out/ and build are not
touched), and wrapped as a reload image (runtime/include/vanity/reload.h):
a 128-byte header with the board, the shard, the interface hash, the
image's length and SHA-256, then the image: the shard's executable without
its debug information (objcopy --strip-debug) on the hosted board, its blob
(objcopy -O binary) on a bare-metal one.

The kernel checks it before anything stops, and answers: swapped (and the
generation now running), or refused and why. The way in is the one the
live tools use: the hosted kernel's obs.sock (`reload <id> <path>`), or on
a QEMU board the reload door (generator/gdbremote.py).
"""

import hashlib
import re
import shutil
import socket
import struct
from pathlib import Path

from .errors import fail

MAGIC = 0x4C524E56          # VN_RELOAD_MAGIC, "VNRL"
VERSION = 1
HDR = struct.Struct("<IHHIIQQQ32sII32s16x")  # struct vn_reload_hdr
assert HDR.size == 128

HEADER = Path(__file__).resolve().parent.parent / "runtime" / "include" / "vanity" / "reload.h"


def _reasons():
    """[(NAME, words)] of enum vn_reload_status, in order: the kernel's own
    table (VN_RELOAD_REASONS in vanity/reload.h), so the host tools say
    what the kernel says."""
    text = HEADER.read_text()
    body = text[text.index("#define VN_RELOAD_REASONS(X)"):text.index("enum vn_reload_status")]
    out = []
    for m in re.finditer(r"X\((\w+),((?:\s*\\?\s*\"(?:[^\"\\]|\\.)*\")+)\s*\)", body):
        out.append((m[1], "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', m[2]))))
    return out


REASONS = _reasons()
STATUS = tuple(name for name, _ in REASONS)


def why(status):
    """The kernel's words for a status (vn_reload_why)."""
    return REASONS[status][1] if 0 <= status < len(REASONS) else f"status {status}"


def elf_machine(elf):
    data = Path(elf).read_bytes()[:20]
    if data[:4] != b"\x7fELF":
        raise fail(f"{elf}: not an ELF file")
    return struct.unpack_from("<H", data, 18)[0]


def package(image, machine, shard_id, shard_name, board_hash, iface):
    """A reload image: the header, then `image`."""
    name = shard_name.encode()[:31]
    return HDR.pack(MAGIC, VERSION, HDR.size, machine, shard_id, board_hash, iface,
                    len(image), hashlib.sha256(image).digest(), 0, 0, name) + image


def unpack(data):
    """The header's fields of a reload image, as a dict."""
    if len(data) < HDR.size:
        raise fail(f"a reload image is at least {HDR.size} bytes; this one has {len(data)}")
    f = HDR.unpack_from(data)
    return {"magic": f[0], "version": f[1], "machine": f[3], "shard": f[4], "board": f[5],
            "iface": f[6], "length": f[7], "sha256": f[8],
            "name": f[11].rstrip(b"\0").decode(errors="replace")}


def build_image(spec_path, model, shard, out_dir, work):
    """Build `shard` (a model Shard) of `model`, generated into out_dir, in
    `work`; returns its reload image."""
    from . import build, build_bare
    from .boards import BOARDS
    board = BOARDS[model.board]
    manifest = build.load_manifest(out_dir)
    entry = next(s for s in manifest["shards"] if s["name"] == shard.name)
    spec_dir = Path(spec_path).resolve().parent
    try:
        if board.image:
            binary = build_bare._shard(board, entry, spec_dir, out_dir, work, {})
            image, elf = binary.read_bytes(), binary.with_suffix(".elf")
        else:
            elf = build._build_shard(board, entry, spec_dir, out_dir, work, {})
            image = build.strip_debug(board, elf).read_bytes()
    except build.BuildError as exc:
        raise fail(str(exc)) from None
    keep(work, shard.name, Path(elf), image)
    return package(image, elf_machine(elf), shard.id, shard.name, model.board_hash, shard.iface)


def keep(work, name, elf, image):
    """Every version built is kept under reload/images/, named by its image's
    hash, so `vanity dump` finds the ELF of the version that faulted, and
    the image beside it as .bin, the bytes the hash is of: a bare-metal
    shard's blob, a hosted shard's executable without its debug
    information."""
    from .crash import fnv1a, kept_path
    target = kept_path(Path(work).parent, name, fnv1a(image))
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        shutil.copyfile(elf, target)
        target.with_suffix(".bin").write_bytes(image)


PENDING = -1  # the swap waits for the shard to give its core up


def _answer(line, where):
    """(status, generation, words) of the kernel's one-line answer."""
    if line == "pending":
        return PENDING, 0, ("accepted, but not swapped yet: the shard has not given its core "
                            "up since (it will be swapped when it does)")
    words = line.split(" ", 2)
    if len(words) >= 2 and words[0] == "swapped" and words[1].isdigit():
        return 0, int(words[1]), "swapped"
    if len(words) == 3 and words[0] == "refused" and words[1].isdigit():
        return int(words[1]), 0, words[2]
    raise fail(f"{where}: unexpected answer {line!r}")


def send_hosted(build_dir, pkg, shard_id, timeout):
    """Through the hosted kernel's obs.sock; returns (status, generation, words)."""
    from . import live
    sock = live.obs_socket(build_dir)
    s = live.connect(sock, "start it with `vanity run SPEC`")
    s.settimeout(timeout)
    path = live.run_dir(build_dir) / f"reload.{shard_id}.vrl"
    path.write_bytes(pkg)
    data = b""
    try:
        s.sendall(f"reload {shard_id} {path.resolve()}\n".encode())
        while not data.endswith(b"\n"):
            b = s.recv(4096)
            if not b:
                break
            data += b
    except socket.timeout:
        raise fail(f"{sock}: the system did not answer within {timeout:g} s") from None
    except OSError as exc:
        raise fail(f"{sock}: {exc.strerror or exc}") from None
    finally:
        s.close()
        path.unlink(missing_ok=True)
    if not data:
        raise fail(f"{sock}: the system ended before it answered")
    return _answer(data.decode(errors="replace").strip(), sock)


def send(board, build_dir, manifest, pkg, shard_id, timeout):
    if board.image:
        from . import gdbremote
        status, generation = gdbremote.door_reload(build_dir, manifest, pkg, shard_id, timeout)
        if status == PENDING:
            return _answer("pending", build_dir)
        return status, generation, "swapped" if status == 0 else why(status)
    return send_hosted(build_dir, pkg, shard_id, timeout)
