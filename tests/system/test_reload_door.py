"""Hot reload through the door of the QEMU boards (tests/system/reload_door):
producer -> worker -> consumer, a stream of 8000 numbered messages, one a
millisecond. While it flows, the test hands the running kernel reload images
of worker through the door (generator/gdbremote.py: QEMU's gdbstub writes
the image and the request, QMP reads the answer), as `vanity reload` does:

  refusals   a corrupted image, a truncated one, one with another interface
             (another spec's worker), one for the other ISA (the other
             board's worker), an oversized one (its sections end past the
             shard's window), one whose entry point lies outside its window,
             and one for a shard without `reload:`: each is
             answered with its status, the generation stays, and the stream
             runs on; an image too large for the door is refused by the host
  reload     worker built with -DADD=1000 replaces it under traffic: the
             consumer sees the stream in order, nothing lost or duplicated,
             and the value change exactly once, at the message the old
             version handed over its count for (the handoff). With -DBIG=1
             its code, rodata and data grow by pages: it runs only if the
             kernel maps the new section boundaries
  rollback   a version that faults at start (-DFAULT=1, smaller again) is
             rolled back within the spec's 300 ms: the one before runs again
             (mapped big again), and the consumer never sees its values

The images are built here from copies of the spec (vanity build) and wrapped
in the reload header of runtime/include/vanity/reload.h.
"""

import hashlib
import json
import re
import struct
import subprocess
import sys
import time

import pytest

from systest_lib import HERE, PYTHON, REPO, VANITY, copy_spec, kill_session, shard_of, vanity

sys.path.insert(0, str(REPO))
from generator import gdbremote  # noqa: E402
from generator.errors import SpecError  # noqa: E402

BOARDS = ["qemu-virt-aarch64", "qemu-virt-riscv64"]
MACHINE = {"qemu-virt-aarch64": 183, "qemu-virt-riscv64": 243}
OTHER = {"qemu-virt-aarch64": "qemu-virt-riscv64", "qemu-virt-riscv64": "qemu-virt-aarch64"}
SPEC = HERE / "reload_door" / "reload.yaml"
COUNT = 8000
TIMEOUT = 240

# enum vn_reload_status (vanity/reload.h)
OK, TRUNCATED, FORMAT, DIGEST, ISA, BOARD, SHARD, SIZE, IMAGE, IFACE = range(10)
OFF = 17
WORDS = {TRUNCATED: "truncated: shorter than its header says",
         DIGEST: "corrupted: its SHA-256 does not match its header",
         ISA: "built for another ISA",
         SIZE: "too large for the shard's image region",
         IMAGE: "not an image this board can run",
         IFACE: "its interface (channels, devices, memory, events) differs from the "
                "running system's",
         OFF: "the shard cannot be reloaded: its spec has no reload: key"}


def package(image, manifest, name, machine, board_hash=None):
    """A reload image (struct vn_reload_hdr, then the blob) of shard `name`."""
    s = next(x for x in manifest["shards"] if x["name"] == name)
    hdr = struct.pack("<IHHIIQQQ32sII32s16s", 0x4C524E56, 1, 128, machine, s["id"],
                      int(board_hash or manifest["board_hash"], 16), int(s["iface"], 16),
                      len(image), hashlib.sha256(image).digest(), 0, 0, name.encode(),
                      b"")
    assert len(hdr) == 128
    return hdr + image


def build(work, board, tag, edit=None, spec=SPEC):
    """A copy of the spec (edited), built for board: (manifest, build dir)."""
    spec = copy_spec(spec, work / tag / "src", edit)
    out, bld = work / tag / "out", work / tag / "build"
    r = vanity("build", spec, "--board", board, "-o", out, "--build-dir", bld,
               timeout=TIMEOUT)
    assert r.status == 0, r.report
    return json.loads((out / "manifest.json").read_text()), bld, spec


def cflags(*flags):
    def edit(doc):
        shard_of(doc, "worker")["cflags"] = list(flags)
    return edit


def deeper(doc):
    next(c for c in doc["channels"] if c["name"] == "feed")["depth"] = 32


def blob(bld, name):
    return (bld / "shards" / f"{name}.bin").read_bytes()


def start(board, spec, out, bld):
    """vanity run in the background, once QEMU's sockets are there."""
    cmd = [PYTHON, VANITY, "run", spec, "--board", board, "-o", out, "--build-dir", bld]
    proc = subprocess.Popen([str(c) for c in cmd], cwd=REPO, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    run = bld / "run"
    until = time.monotonic() + 60
    while not ((run / "gdb.sock").exists() and (run / "qmp.sock").exists()):
        if proc.poll() is not None or time.monotonic() > until:
            kill_session(proc.pid)
            pytest.fail(f"QEMU did not start: {proc.communicate()}")
        time.sleep(0.05)
    return proc


@pytest.fixture(scope="module", params=BOARDS)
def board(request):
    return request.param


def test_door(board, tmp_path):
    machine = MACHINE[board]
    base, bld, spec = build(tmp_path, board, "base")
    v2, v2_bld, _ = build(tmp_path, board, "v2", cflags("-DADD=1000", "-DBIG=1"))
    v3, v3_bld, _ = build(tmp_path, board, "v3", cflags("-DADD=2000", "-DFAULT=1"))
    other_if, if_bld, _ = build(tmp_path, board, "iface", deeper)
    isa, isa_bld, _ = build(tmp_path, OTHER[board], "isa")
    worker = next(s for s in base["shards"] if s["name"] == "worker")
    assert other_if["shards"][worker["id"]]["iface"] != worker["iface"]
    assert v2["shards"][worker["id"]]["iface"] == worker["iface"]

    sections = struct.Struct("<QQQQQQ")  # struct vn_image: magic .. end
    _, _, ro0, data0, _, end0 = sections.unpack_from(blob(bld, "worker"))
    _, _, ro2, data2, _, end2 = sections.unpack_from(blob(v2_bld, "worker"))
    assert ro2 > ro0 and data2 - ro2 > data0 - ro0 and end2 > end0  # new boundaries
    good = package(blob(v2_bld, "worker"), base, "worker", machine)
    corrupted = bytearray(good)
    corrupted[128 + 200] ^= 0x55
    img = bytearray(blob(v2_bld, "worker"))
    window = worker["regions"]["image"]
    struct.pack_into("<Q", img, 40, window["addr_int"] + window["size_int"] + 4096)  # end
    astray = bytearray(blob(v2_bld, "worker"))
    struct.pack_into("<Q", astray, 8, window["addr_int"] - 4096)  # entry
    refusals = [
        ("corrupted", bytes(corrupted), DIGEST),
        ("truncated", good[:-64], TRUNCATED),
        ("iface", package(blob(if_bld, "worker"), other_if, "worker", machine), IFACE),
        ("isa", package(blob(isa_bld, "worker"), isa, "worker", MACHINE[OTHER[board]],
                        base["board_hash"]), ISA),
        ("oversized", package(bytes(img), base, "worker", machine), SIZE),
        ("entry astray", package(bytes(astray), base, "worker", machine), IMAGE),
        ("no reload", package(blob(bld, "producer"), base, "producer", machine), OFF),
    ]

    proc = start(board, spec, tmp_path / "base" / "out", bld)
    answers = {}
    try:
        for what, pkg, _ in refusals:
            shard = worker["id"] if what != "no reload" else 0
            answers[what] = gdbremote.door_reload(bld, base, pkg, shard, timeout=30)
        with pytest.raises(SpecError, match="holds"):
            gdbremote.door_reload(bld, base, good + bytes(2 << 20), worker["id"])
        answers["v2"] = gdbremote.door_reload(bld, base, good, worker["id"], timeout=30)
        time.sleep(0.5)
        answers["v3"] = gdbremote.door_reload(
            bld, base, package(blob(v3_bld, "worker"), base, "worker", machine),
            worker["id"], timeout=30)
        out, err = proc.communicate(timeout=TIMEOUT)
    finally:
        if proc.poll() is None:
            kill_session(proc.pid)
            out, err = proc.communicate()
    report = f"\nanswers {answers}\n--- stdout\n{out}--- stderr\n{err}---"
    assert proc.returncode == 0, report

    gen0 = answers["corrupted"][1]
    for what, _, status in refusals:
        assert answers[what][0] == status, f"{what}{report}"
        if what != "no reload":
            assert answers[what][1] == gen0, f"{what}{report}"
            assert f"vanity: shard 'worker': reload refused: {WORDS[status]}" in err, \
                f"{what}{report}"
    assert f"vanity: shard 'producer': reload refused: {WORDS[OFF]}" in err, report
    # crasher crash-looped on worker's core all along, within its budget
    assert len(re.findall(r"shard 'crasher': on_fault=restart, restarted", err)) >= 3, report
    assert "gave up" not in err, report
    assert answers["v2"] == (OK, gen0 + 1), report
    assert f"vanity: shard 'worker': reloaded, generation {gen0 + 1}, its state handed over" \
        in err, report
    assert answers["v3"][0] == OK, report
    assert re.search(r"shard 'worker': faulted within 300 ms of its reload: rolled back to "
                     r"its previous image \(generation \d+\)", err), report

    log = [ln[len("[consumer] "):] for ln in out.splitlines() if ln.startswith("[consumer] ")]
    changes = [ln for ln in log if ln.startswith("add ")]
    assert len(changes) == 1, report  # 0 -> 1000 once; never 2000, never back
    m = re.fullmatch(r"add 1000 from seq (\d+)", changes[0])
    assert m, report
    assert log[-1] == f"got {COUNT} in order, 1 changes", report
    wlog = [ln[len("[worker] "):] for ln in out.splitlines() if ln.startswith("[worker] ")]
    assert f"adds 1000: took over {m[1]} moved from generation {gen0} (which added 0)" \
        in wlog, report  # the handoff: the count crossed, to the message
    # Back after the rollback, it takes up the state it left when it quiesced.
    assert any(re.fullmatch(r"adds 1000: took over \d+ moved from generation \d+ "
                            r"\(which added 1000\)", ln) for ln in wlog), report
    assert not any(ln.startswith("adds 2000") for ln in wlog), report
    big = "big: code, rodata and data beyond the first version's: sum 131072"
    assert wlog.count(big) == 2, report  # after the reload, and after the rollback


def reload_ticker(board, tmp_path, spec, after):
    """spec runs; `after` seconds in, ticker is replaced through the door by
    a build of it with -DVERSION=2, and the system runs to its end: (the
    door's answer, the seconds it took, stdout, stderr, a report)."""
    base, bld, src = build(tmp_path, board, "base", spec=spec)
    _, v2_bld, _ = build(tmp_path, board, "v2", spec=spec,
                         edit=lambda doc: shard_of(doc, "ticker").update(
                             cflags=["-DVERSION=2"]))
    ticker = next(s for s in base["shards"] if s["name"] == "ticker")
    proc = start(board, src, tmp_path / "base" / "out", bld)
    answer, took = None, None
    try:
        time.sleep(after)
        t0 = time.monotonic()
        answer = gdbremote.door_reload(
            bld, base, package(blob(v2_bld, "ticker"), base, "ticker", MACHINE[board]),
            ticker["id"], timeout=30)
        took = time.monotonic() - t0
        out, err = proc.communicate(timeout=TIMEOUT)
    finally:
        if proc.poll() is None:
            kill_session(proc.pid)
            out, err = proc.communicate()
    report = f"\nanswer {answer} after {took} s\n--- stdout\n{out}--- stderr\n{err}---"
    assert proc.returncode == 0, report
    assert answer[0] == OK, report
    return answer, took, out, err, report


def test_swap_between_activations(board, tmp_path):
    """Without a handoff the shard is not asked: the kernel swaps it at a
    pick on its core while another shard spins there."""
    answer, _, out, err, report = reload_ticker(board, tmp_path,
                                                HERE / "reload_door" / "ticker.yaml", 0.5)
    assert f"vanity: shard 'ticker': reloaded, generation {answer[1]}" in err, report
    log = [ln for ln in out.splitlines() if ln.startswith("[ticker] ")]
    assert log[:2] == ["[ticker] version 1 starts", "[ticker] version 2 starts"], report
    assert re.fullmatch(r"\[ticker\] version 2 ends after \d+ ticks", log[2]), report
    assert "[spinner] spun and yielded" in out, report


def test_the_door_is_looked_at_while_its_core_only_yields(board, tmp_path):
    """CPU 0 looks at the door about every millisecond while its shards
    run. Here core 0 holds a shard in an 11 s timed wait and one that only
    yields for 10 s, so every trap there takes the YIELD path, which looks
    at the door only when the core has a time due. The door's next look is
    one of those times, whatever the waits' deadlines: the reload of ticker
    (core 1) is answered while the spinner still spins, not once it stops
    (the door's look was lost to the waits' deadline before)."""
    _, took, out, _, report = reload_ticker(board, tmp_path,
                                            HERE / "reload_door" / "sleeper.yaml", 1.0)
    assert took < 5, report  # the spinner spins 9 s more
    log = [ln for ln in out.splitlines() if ln.startswith("[ticker] ")]
    assert log[:2] == ["[ticker] version 1 starts", "[ticker] version 2 starts"], report
    assert "[spinner] spun and yielded" in out and "[sleeper] slept" in out, report


def test_the_door_is_looked_at_while_a_shard_holds_cpu0_without_a_call(board, tmp_path):
    """A shard that holds CPU 0 and never calls the kernel (a poll loop)
    leaves it no trap of its own; CPU 0's timer is set for the door's
    latest next look all the same (10 ms after the last). So the reload of
    ticker (core 1) is answered while hog still holds CPU 0, not once it
    lets go (it was, 7 s later, before)."""
    _, took, out, _, report = reload_ticker(board, tmp_path,
                                            HERE / "reload_door" / "hogged.yaml", 1.0)
    assert took < 4, report  # hog holds CPU 0 for 7 s more
    log = [ln for ln in out.splitlines() if ln.startswith("[ticker] ")]
    assert log[:2] == ["[ticker] version 1 starts", "[ticker] version 2 starts"], report
    assert "[hog] held core 0 without a call" in out, report
