"""A hostile updater: reload images made wrong on purpose, handed to the
kernel by the real updater (examples/updater) over its UART, on any board.

An updater shard (`reload: {updates: [app]}`) passes the kernel whatever
bytes it received; the kernel must judge each image, and a wrong one must
cost nothing but its refusal. Each input is a genuine image of the app
(`vanity reload --write`) with one mutation:

  header  a field of struct vn_reload_hdr changed, its SHA-256 still right:
          magic, version, header size, machine, shard, board, interface,
          length or signature must be refused; the name is only a label
  hash    the image changed and the SHA-256 not: refused as corrupted
  layout  a field of the image's own header changed and the SHA-256 made
          right again: struct vn_image on a bare-metal board, the ELF
          header or a program header on hosted
  bytes   1 to 16 bytes of the image changed, the SHA-256 made right
  size    the image cut short or grown by random bytes, the header made
          right for it

An image the kernel accepts runs as the app: the app (`rollback: 1s`,
`watchdog: 1s`) may then fault or hang, which the kernel contains (a
rollback, a restart, a stop), and the loader, on the app's core, goes on.
The run ends with the genuine image, which must be accepted and start
version 2, and `quit`: the loader halts the system with status 0, which
is then its status whatever the app did (core/kernel.c).

tests/system/test_updater.py runs ten images on every board;
tests/fuzz/campaigns.py --only reload runs more (VANITY_RELOADFUZZ_SEED,
_IMAGES).
"""

import random
import re
import struct
import sys
import time

from systest_lib import REPO, Running, copy_example, shard_of, vanity

sys.path.insert(0, str(REPO))
from generator import reload as vrl  # noqa: E402

SPEC = REPO / "examples" / "updater" / "updater.yaml"
BOOT = 120

# struct vn_reload_hdr: (name, offset, struct format), and whether a change
# must be refused (all but the name, which only labels messages).
HDR_FIELDS = [("magic", 0, "<I", True), ("version", 4, "<H", True),
              ("hdr_size", 6, "<H", True), ("machine", 8, "<I", True),
              ("shard", 12, "<I", True), ("board", 16, "<Q", True),
              ("iface", 24, "<Q", True), ("length", 32, "<Q", True),
              ("sig_kind", 72, "<I", True), ("sig_len", 76, "<I", True),
              ("name", 80, "<Q", False)]
# struct vn_image (vn_bare_abi.h): magic, entry, ro_start, data_start,
# bss_start, end, iface
VN_IMAGE = ["magic", "entry", "ro_start", "data_start", "bss_start", "end", "iface"]
# Elf64_Ehdr fields and Elf64_Phdr fields: (name, offset, format)
EHDR = [("e_type", 16, "<H"), ("e_entry", 24, "<Q"), ("e_phoff", 32, "<Q"),
        ("e_phentsize", 54, "<H"), ("e_phnum", 56, "<H")]
PHDR = [("p_type", 0, "<I"), ("p_flags", 4, "<I"), ("p_offset", 8, "<Q"),
        ("p_vaddr", 16, "<Q"), ("p_filesz", 32, "<Q"), ("p_memsz", 40, "<Q"),
        ("p_align", 48, "<Q")]


def _value(rng, old, fmt):
    """A value for a field that held `old`: near it, a boundary, or random."""
    bits = struct.calcsize(fmt) * 8
    top = (1 << bits) - 1
    pick = rng.choice([0, 1, top, top >> 1, 1 << (bits - 1), old ^ (1 << rng.randrange(bits)),
                       old + rng.choice([1, 8, 4096, 1 << 20]),
                       old - rng.choice([1, 8, 4096, 1 << 20]), rng.getrandbits(bits)])
    pick &= top
    return pick if pick != old else (old + 1) & top


def _put(buf, off, fmt, rng):
    old = struct.unpack_from(fmt, buf, off)[0]
    struct.pack_into(fmt, buf, off, _value(rng, old, fmt))


def _rehash(hdr, body):
    """The header, with the body's length and SHA-256."""
    f = vrl.unpack(hdr)
    name = bytes(hdr[80:112]).rstrip(b"\0").decode(errors="replace")
    return vrl.package(bytes(body), f["machine"], f["shard"], name, f["board"],
                       f["iface"])[:vrl.HDR.size]


def mutate(rng, image, hosted):
    """(mutated image, what was done, whether it must be refused)."""
    hdr, body = bytearray(image[:vrl.HDR.size]), bytearray(image[vrl.HDR.size:])
    kind = rng.choice(["header", "hash", "layout", "bytes", "bytes", "size"])
    if kind == "header":
        name, off, fmt, refuse = rng.choice(HDR_FIELDS)
        _put(hdr, off, fmt, rng)
        return bytes(hdr + body), f"header {name}", refuse
    if kind == "hash":
        body[rng.randrange(len(body))] ^= 1 << rng.randrange(8)
        return bytes(hdr + body), "hash", True
    if kind == "layout" and not hosted:
        i = rng.randrange(len(VN_IMAGE))
        _put(body, 8 * i, "<Q", rng)
        what = f"layout {VN_IMAGE[i]}"
    elif kind == "layout":
        phoff, phnum = struct.unpack_from("<Q", body, 32)[0], struct.unpack_from("<H", body, 56)[0]
        if rng.random() < 0.4 or not phnum:
            name, off, fmt = rng.choice(EHDR)
            what = f"layout {name}"
        else:
            i = rng.randrange(phnum)
            name, off, fmt = rng.choice(PHDR)
            off += phoff + 56 * i
            what = f"layout phdr {i} {name}"
        if off + struct.calcsize(fmt) <= len(body):
            _put(body, off, fmt, rng)
    elif kind == "bytes":
        n = rng.randrange(1, 17)
        for _ in range(n):
            body[rng.randrange(len(body))] = rng.getrandbits(8)
        what = f"bytes {n}"
    else:
        if rng.random() < 0.5:
            body = body[:rng.randrange(len(body))]
        else:
            body += rng.randbytes(rng.randrange(1, 8192))
        what = f"size {len(body)}"
    return bytes(_rehash(hdr, body) + body), what, False


def load(image):
    """The loader's protocol: `load N`, then the bytes in hex."""
    hexed = image.hex()
    lines = "\n".join(hexed[i:i + 64] for i in range(0, len(hexed), 64))
    return f"load {len(image)}\n{lines}\n".encode()


def _version(v):
    def edit(doc):
        app = shard_of(doc, "app")
        app.update(cflags=[f"-DVERSION={v}"], watchdog="1s")
        app["reload"] = {"rollback": "1s"}
    return edit


VERDICT = re.compile(r"^\[loader\] app image of (\d+) bytes: (.*)$", re.M)
EXITED = "the shard has exited; restart the system to run it again"


class Outcome:
    def __init__(self):
        self.inputs, self.verdicts = 0, {}
        self.wrong = []      # (input, what, verdict): accepted what must be refused
        self.runs = []       # (exit status, output) of each run of the system
        self.secs = 0.0

    @property
    def text(self):
        return "".join(t for _, t in self.runs)

    @property
    def app_faults(self):
        return len(re.findall(r"^vanity: shard 'app' (?:faulted|watchdog)", self.text, re.M))

    @property
    def crash(self):
        """A kernel that died, a run that did not end with the loader's
        halt status (0), a sanitizer's finding anywhere but in the app, or
        a shard the kernel should not have let be touched that faulted: the
        loader. The app runs what it was sent: an accepted image with bytes
        changed runs changed code, whose own undefined behaviour a
        sanitizing build reports in the app's output ("[app] ... runtime
        error") before the app exits; that is the app's, contained."""
        kernel_and_loader = "".join(line for line in self.text.splitlines(True)
                                    if not line.startswith("[app] "))
        return any(st != 0 for st, _ in self.runs) or \
            bool(re.search(r"kernel panic|internal error|Sanitizer|runtime error|"
                           r"shard 'loader' (?:faulted|watchdog)", kernel_and_loader))

    @property
    def ok(self):
        return not self.wrong and not self.crash

    def note(self):
        top = sorted(self.verdicts.items(), key=lambda kv: -kv[1])
        return (f"runs {len(self.runs)} (an accepted image may exit the app for good); "
                f"app faults {self.app_faults}; verdicts: "
                + "; ".join(f"{v} {n}" for v, n in top))


def _verdict(system, i, timeout):
    """The loader's verdict on the i-th image it received in this run."""
    deadline = time.monotonic() + timeout
    while True:
        found = VERDICT.findall(system.text)
        if len(found) > i:
            return found[i][1]
        assert time.monotonic() < deadline and system.proc.poll() is None, \
            f"no verdict on image {i} within {timeout} s:\n{system.text[-6000:]}"
        time.sleep(0.05)


class _System:
    """The v1 system, run again whenever an accepted image has made the
    app exit (it stays exited: every later request is refused)."""

    def __init__(self, args, out, images):
        self.args, self.out, self.images = args, out, images
        self.run, self.seen = None, 0

    def start(self):
        # a QEMU board's run ends after VANITY_QEMU_TIMEOUT: room for them all
        self.run = Running(self.args, env={"VANITY_QEMU_TIMEOUT": str(120 + 10 * self.images)})
        self.seen = 0
        self.run.wait_for("app version 1 up", BOOT)

    def end(self):
        try:
            self.run.send(b"quit\n")
            self.out.runs.append((self.run.end(60), self.run.text))
        finally:
            self.run.kill()

    def send(self, image, timeout):
        """The verdict on image, in a new run if the app has exited."""
        while True:
            mark = len(self.run.text)
            self.run.send(load(image))
            verdict = _verdict(self.run, self.seen, timeout)
            self.seen += 1
            if verdict != EXITED:
                return verdict, mark
            self.end()
            self.start()

    def close(self):
        if self.run and self.run.proc.poll() is None:
            self.run.kill()
            self.out.runs.append((None, self.run.text))


def campaign(board, work, seed, images, timeout=60):
    """Runs `images` mutated images of the app through the loader on
    `board`, then the genuine one and `quit`. Returns an Outcome; raises
    AssertionError (with the output) if an image gets no verdict or the
    genuine one does not run."""
    rng = random.Random(seed)
    out = Outcome()
    t0 = time.monotonic()
    common = ["--board", board, "--build-dir", work / "b2"]
    v2 = copy_example(SPEC, work / "v2", _version(2))
    r = vanity("reload", v2, "app", *common, "--write", work / "app2.vrl", timeout=BOOT)
    assert r.status == 0, r.report
    good = (work / "app2.vrl").read_bytes()
    v1 = copy_example(SPEC, work / "v1", _version(1))
    common = ["--board", board, "-o", work / "out", "--build-dir", work / "b1"]
    r = vanity("build", v1, *common, timeout=BOOT)
    assert r.status == 0, r.report
    system = _System([v1, *common], out, images)
    try:
        system.start()
        for i in range(images):
            image, what, refuse = mutate(rng, good, board == "hosted")
            verdict, _ = system.send(image, timeout)
            out.inputs += 1
            out.verdicts[verdict] = out.verdicts.get(verdict, 0) + 1
            if refuse and verdict == "accepted" or what == "hash" and "corrupted" not in verdict:
                out.wrong.append((i, what, verdict))
        # a fault of the last accepted image may still be on its way
        time.sleep(1.5)
        verdict, mark = system.send(good, timeout)
        text = system.run.text
        assert verdict == "accepted", f"the genuine image: {verdict}\n{text[-6000:]}"
        deadline = time.monotonic() + timeout
        while "[app] app version 2 up\n" not in system.run.text[mark:]:
            assert time.monotonic() < deadline, \
                f"the genuine image did not start:\n{system.run.text[-6000:]}"
            time.sleep(0.05)
        system.end()
    finally:
        system.close()
        out.secs = time.monotonic() - t0
    return out
