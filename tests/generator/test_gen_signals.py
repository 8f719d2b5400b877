"""Signals (spec `signals:`): a notification bit in each endpoint, no ring.

The spec of tests/system/signals is generated here and its tables, headers,
config and manifest are checked; the generated C compiles, and only the
sender can call vn_signal_<name>(). Bits: channel endpoints first, then
signals, then devices. `vanity top` and `vanity peek` show a signal as one.
"""

import json
import re
import subprocess

import pytest

from vanity_testlib import REPO, vanity
from generator import live, obs

CFLAGS = ["-fsyntax-only", "-Wall", "-Wextra", "-Werror", "-std=c11",
          "-I", str(REPO / "runtime/include")]
SPEC = REPO / "tests/system/signals/signals.yaml"


def _gcc(*args):
    return subprocess.run(["gcc", *CFLAGS, *map(str, args)], capture_output=True, text=True)


@pytest.fixture(scope="module", params=["hosted", "qemu-virt-riscv64"])
def out(request, tmp_path_factory):
    d = tmp_path_factory.mktemp(f"signals-{request.param}")
    r = vanity("gen", SPEC, "--board", request.param, "-o", d)
    assert r.returncode == 0, r.stderr
    return d


def test_the_kernel_table_holds_signals_without_a_ring(out):
    tables = (out / "kernel/tables.c").read_text()
    assert re.search(r"\.n_channels\s*= 4,", tables)
    for i, name in enumerate(("go", "ack", "tick", "tock")):
        entry = re.search(rf"\[{i}\] = \{{\s*\.name = \"{name}\",(.*?)\}},", tables, re.S)
        assert entry, tables
        body = re.sub(r"\s+", " ", entry[1])
        for field in (".msg_size = 0,", ".depth = 0,", ".addr = 0x0,", ".size = 0x0,"):
            assert field in body, body
    assert _gcc(out / "kernel/tables.c").returncode == 0


def test_the_manifest_lists_signals_apart(out):
    doc = json.loads((out / "manifest.json").read_text())
    assert doc["channels"] == []
    assert [(g["id"], g["name"], g["from"], g["to"], g["from_bit"], g["to_bit"])
            for g in doc["signals"]] == [(0, "go", "sender", "receiver", 0, 0),
                                         (1, "ack", "receiver", "sender", 1, 1),
                                         (2, "tick", "sender", "poller", 2, 0),
                                         (3, "tock", "poller", "sender", 1, 3)]
    receiver = next(s for s in doc["shards"] if s["name"] == "receiver")
    assert receiver["endpoints"] == []
    assert receiver["signals"] == [{"signal": "go", "dir": "recv", "bit": 0},
                                   {"signal": "ack", "dir": "send", "bit": 1}]
    report = (out / "report.txt").read_text()
    assert "0 channels, 4 signals." in report and "Signals (no ring" in report


def test_the_sender_gets_vn_signal_and_both_ends_a_bit(out):
    sender = (out / "shards/sender/vanity_shard.h").read_text()
    receiver = (out / "shards/receiver/vanity_shard.h").read_text()
    assert "static inline void vn_signal_go(void)" in sender
    assert "vn_signal_go" not in receiver.replace("vn_signal_go()", "")  # the comment only
    assert "#define VN_NOTIFY_GO (UINT64_C(1) << 0)" in sender
    assert "#define VN_NOTIFY_GO (UINT64_C(1) << 0)" in receiver
    assert "#define VN_SIGNAL_GO 0u" in receiver and "vn_tx_" not in receiver
    config = (out / "shards/receiver/config.c").read_text()
    assert re.search(r"\.n_sig\s*= 2,", config) and re.search(r"\.kernel_bits\s*= 0x1ull", config)
    for shard in ("sender", "receiver", "poller"):
        d = out / "shards" / shard
        proc = _gcc("-I", d, d / "config.c")
        assert proc.returncode == 0, proc.stderr


def _user(tmp_path, body):
    src = tmp_path / "user.c"
    src.write_text(f"#include <vanity_shard.h>\n\nvoid vn_main(void)\n{{\n\t{body}\n}}\n")
    return src


def test_only_the_sender_can_signal(out, tmp_path):
    src = _user(tmp_path, "vn_signal_go(); (void)vn_wait(VN_NOTIFY_ACK);")
    assert _gcc("-I", out / "shards/sender", src).returncode == 0
    proc = _gcc("-I", out / "shards/receiver", src)
    assert proc.returncode != 0 and "vn_signal_go" in proc.stderr


def test_bits_channels_then_signals_then_devices(tmp_path):
    (tmp_path / "a.c").write_text("")
    (tmp_path / "s.yaml").write_text(
        "vanity: 1\nsystem: mix\nshards:\n"
        "  - {name: a, sources: [a.c], devices: [uart]}\n"
        "  - {name: b, sources: [a.c]}\n"
        "channels:\n  - {name: c, from: a, to: b, message: 8, depth: 2}\n"
        "signals:\n  - {name: s, from: b, to: a}\n"
        "devices:\n  - {name: uart, compatible: \"arm,pl011\"}\n")
    r = vanity("gen", tmp_path / "s.yaml", "-o", tmp_path / "out")
    assert r.returncode == 0, r.stderr
    doc = json.loads((tmp_path / "out/manifest.json").read_text())
    a = doc["shards"][0]
    assert [e["bit"] for e in a["endpoints"]] == [0] and a["signals"][0]["bit"] == 1
    assert doc["devices"][0]["bit"] == 2
    assert [(c["id"], c["name"]) for c in doc["channels"]] == [(0, "c")]
    assert [(g["id"], g["name"]) for g in doc["signals"]] == [(1, "s")]
    r = vanity("check", tmp_path / "s.yaml")
    assert r.stdout.strip().endswith("ok (2 shards, 1 channel, 1 signal)"), r.stdout


def test_top_and_peek_show_a_signal_as_one():
    from test_obs import SCHEMA, HZ, manifest, obs_chunk, chan_ring
    man = manifest()
    sig = man["channels"].pop()
    man["signals"] = [{"id": sig["id"], "name": "wake", "from": sig["from"], "to": sig["to"],
                       "from_bit": 1, "to_bit": 1}]
    dump = obs.parse_dump(obs.dump_bytes(SCHEMA, HZ, 2000, [
        (obs.DUMP_OBS, 0, 0x1000, obs_chunk(notifies=(5, 9))),
        (obs.DUMP_RING, 0, 0x2000, chan_ring(3, 1)),
    ]), "d.raw")
    rep = live.top_report(man, dump)
    assert [c["name"] for c in rep["channels"]] == ["ping_out"]
    assert rep["signals"] == [{"id": 1, "name": "wake", "from": "pong", "to": "ping",
                               "notifications": 9}]
    text = live.format_top(rep).splitlines()
    i = text.index(next(t for t in text if t.startswith("SIGNAL")))
    assert text[i + 1].split() == ["wake", "pong->ping", "9"]
    with pytest.raises(Exception, match="'wake' is a signal .* no ring to peek"):
        live.find_channel(man, "wake")


def test_a_shards_signals_are_in_its_interface_hash(tmp_path):
    """A reload image must be built against the same signals (their ids and
    bits are compiled in); a shard without signals keeps its old hash."""
    import argparse
    from generator.cli import load
    (tmp_path / "a.c").write_text("")
    base = ("vanity: 1\nsystem: s\nshards:\n  - {name: a, sources: [a.c]}\n"
            "  - {name: b, sources: [a.c]}\n  - {name: c, sources: [a.c]}\n")
    iface = {}
    for name, extra in (("none", ""), ("go", "signals:\n  - {name: go, from: a, to: b}\n"),
                        ("run", "signals:\n  - {name: run, from: a, to: b}\n")):
        (tmp_path / f"{name}.yaml").write_text(base + extra)
        model, _ = load(argparse.Namespace(spec=str(tmp_path / f"{name}.yaml"), board=None))
        iface[name] = {s.name: s.iface for s in model.shards}
    assert iface["none"]["c"] == iface["go"]["c"] == iface["run"]["c"]
    assert len({iface[n]["a"] for n in iface}) == 3 and len({iface[n]["b"] for n in iface}) == 3
