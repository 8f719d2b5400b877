"""The in-system update path end to end (examples/updater): a reload image
of a new `app` travels into the running system over the UART as hex, the
loader shard receives it into its own heap and hands it to the kernel with
vn_reload(); the kernel checks it and swaps it in. A corrupted copy sent
the same way is refused with its reason, and the old version runs on.
"""

import os

import pytest

import reloadfuzz
from reloadfuzz import load
from systest_lib import REPO, Running, copy_example, shard_of, vanity

SPEC = REPO / "examples" / "updater" / "updater.yaml"
BOARDS = ["hosted", "qemu-virt-aarch64", "qemu-virt-riscv64"]
BOOT = 120


def version(v, loader_cflags=()):
    """An edit: the app built as version v, the loader with loader_cflags."""
    def edit(doc):
        shard_of(doc, "app").update(cflags=[f"-DVERSION={v}"])
        if loader_cflags:
            shard_of(doc, "loader").update(cflags=list(loader_cflags))
    return edit


def reload_image(tmp_path, board, v, loader_cflags=()):
    """The bytes of a reload image of the app at version v."""
    spec = copy_example(SPEC, tmp_path / f"v{v}", version(v, loader_cflags))
    image = tmp_path / f"app{v}.vrl"
    r = vanity("reload", spec, "app", "--board", board, "--build-dir", tmp_path / f"b{v}",
               "--write", image, timeout=BOOT)
    assert r.status == 0, r.report
    return image.read_bytes()


def start_v1(tmp_path, board, loader_cflags=(), prefix=()):
    """The system with the app at version 1, built and started (under the
    command prefix, if any)."""
    v1 = copy_example(SPEC, tmp_path / "v1", version(1, loader_cflags))
    common = ["--board", board, "-o", tmp_path / "out", "--build-dir", tmp_path / "b"]
    r = vanity("build", v1, *common, timeout=BOOT)
    assert r.status == 0, r.report
    return Running([v1, *common], prefix=prefix)


# The hosted kernel without CAP_SYS_PTRACE, as a system not run as root is:
# it cannot read a shard's process, which is not dumpable, so it reads the
# image where the loader put it, in the heap the two share (kernel/proc.c).
NO_PTRACE = ("setpriv", "--bounding-set=-sys_ptrace", "--inh-caps=-sys_ptrace", "--")


@pytest.mark.parametrize("board, prefix", [(b, ()) for b in BOARDS] + [("hosted", NO_PTRACE)],
                         ids=BOARDS + ["hosted-no-ptrace"])
def test_update_over_the_uart(tmp_path, board, prefix):
    if prefix and os.geteuid() != 0:
        pytest.skip("runs as root without CAP_SYS_PTRACE; as another user it has none "
                    "anyway, and the hosted case above is that one")
    good = reload_image(tmp_path, board, 2)
    system = start_v1(tmp_path, board, prefix=prefix)
    try:
        system.wait_for("app version 1 up", BOOT)
        system.send(load(good))
        system.wait_for(f"[loader] app image of {len(good)} bytes: accepted", 120)
        system.wait_for("[app] app version 2 up", 10)
        assert "shard 'app': reloaded, generation 2" in system.text, system.text
        bad = bytearray(good)
        bad[len(bad) // 2] ^= 0x01
        system.send(load(bytes(bad)))
        why = "corrupted: its SHA-256 does not match its header"
        system.wait_for(f"[loader] app image of {len(good)} bytes: {why}", 120)
        assert f"shard 'app': reload refused: {why}" in system.text, system.text
        system.send(b"quit\n")
        assert system.proc.wait(timeout=60) == 0, system.text
    finally:
        system.kill()
    assert system.text.count("app version") == 2, system.text  # 1, then 2, once each


@pytest.mark.parametrize("board", ["qemu-virt-aarch64", "qemu-virt-riscv64"])
def test_update_from_an_odd_address(tmp_path, board):
    """The loader built to keep its images 3 bytes into its heap
    (-DLOADER_OFFSET=3): the kernel reads an image at any address. Three
    reloads, all accepted. The third goes over the app's rollback target
    (both reload slots are taken), so the kernel checks the image where the
    loader keeps it before it copies it there, and must judge it as it
    judges the aligned copy. (Hosted reads every image out of the loader's
    process into a buffer of its own first, and has no slots to go over:
    nothing there sees the address.)"""
    odd = ["-DLOADER_OFFSET=3"]
    images = {v: reload_image(tmp_path, board, v, odd) for v in (2, 3)}
    system = start_v1(tmp_path, board, odd)
    try:
        system.wait_for("app version 1 up", BOOT)
        for k, v in enumerate((2, 3, 2), start=1):
            # the kernel's line, the loader's and the new app's come in any order
            system.send(load(images[v]))
            system.wait_for(f"shard 'app': reloaded, generation {k + 1}", 120)
            system.wait_for(rf"(?:\[loader\] app image of \d+ bytes: accepted[\s\S]*){{{k}}}",
                            10, regex=True)
            system.wait_for(rf"(?:\[app\] app version \d up[\s\S]*){{{k + 1}}}", 10,
                            regex=True)
        assert system.text.rfind("version 3 up") < system.text.rfind("version 2 up"), system.text
        system.send(b"quit\n")
        assert system.proc.wait(timeout=60) == 0, system.text
    finally:
        system.kill()
    assert "refused" not in system.text, system.text
    assert system.text.count("app version") == 4, system.text  # 1, 2, 3, then 2 again


@pytest.mark.parametrize("board", BOARDS)
def test_a_hostile_updater(tmp_path, board):
    """Images made wrong on purpose (reloadfuzz.py: a header field, the
    digest, the image's own header, its bytes or its size), each judged:
    none that must be refused is accepted, a corrupted one is refused as
    that, what is accepted runs or is contained, the loader never faults
    and the kernel lives; the genuine image is then accepted and runs."""
    o = reloadfuzz.campaign(board, tmp_path, seed=7, images=10)
    assert o.inputs == 10
    assert not o.wrong, f"{o.wrong}\n{o.text[-6000:]}"
    assert o.ok, f"statuses {[st for st, _ in o.runs]}, {o.note()}\n{o.text[-6000:]}"


def test_what_the_hostile_updater_counts_as_a_crash():
    """A sanitizer's report from the app, which runs the changed code of an
    image it was sent, is the app's own, contained; from the kernel or the
    loader it is a crash, as is a run that did not end with status 0."""
    def outcome(status, text):
        o = reloadfuzz.Outcome()
        o.runs.append((status, text))
        return o

    ubsan = "x.c:247:4: runtime error: subtraction of unsigned offset overflowed\n"
    ok = "[loader] app image of 12 bytes: accepted\nvanity: shard 'app' exited with status 1\n"
    assert not outcome(0, ok + "[app] " + ubsan).crash
    assert outcome(0, ok + ubsan).crash
    assert outcome(0, ok + "[loader] " + ubsan).crash
    assert outcome(0, ok + "==1==ERROR: AddressSanitizer: heap-buffer-overflow\n").crash
    assert outcome(0, "vanity: shard 'loader' faulted: SIGSEGV\n").crash
    assert outcome(1, ok).crash and not outcome(0, ok).crash
