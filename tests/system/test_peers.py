"""Peers know, on every board (docs/shard-api.md, "Peers"): tests/system/peers
has a watcher that waits on a channel nothing is ever sent on, and learns
from the kernel that its producer restarted (generation 2) and then exited,
and that another peer was stopped by a fault; and a sleeper whose vn_sleep
sleeps its whole 100 ms although a message is ready and its peer exits
meanwhile, with the next vn_wait reporting both. On the bare-metal boards
the build leaves the kernel image's sections in kernel-sections.json.
"""

import json
import re

import pytest

from systest_lib import HERE, run_on_every_board

SPEC = HERE / "peers" / "peers.yaml"
peers = run_on_every_board(SPEC, timeout=240)


def test_the_watcher_learns_each_change_of_its_peers(peers):
    r = peers
    assert r.log("watcher") == [
        "producer live, generation 1",
        "producer live, generation 2",   # restarted after its fault
        "producer exited, generation 2",
        "doomed live, generation 1",
        "doomed stopped, generation 1",  # on_fault: stop
        "done",
    ], r.report
    # doomed was stopped by a fault: that makes the status 1.
    assert r.status == 1, r.report
    assert "shard 'producer': on_fault=restart, restarted (1)" in r.kernel(), r.report


def test_vn_sleep_sleeps_its_time_with_input_ready(peers):
    r = peers
    [line] = r.log("sleeper") or [None]
    m = re.fullmatch(r"slept (\d+) ms with 1 pending; wait then returned poke 1; "
                     r"watcher state 1", line or "")
    assert m, r.report
    assert 100 <= int(m[1]) < 5000, r.report


def test_the_kernel_sections_are_listed_beside_the_image(peers):
    r = peers
    if r.board == "hosted":
        pytest.skip("the hosted kernel is a host process: no kernel-sections.json")
    doc = json.loads((r.work / "build" / "kernel-sections.json").read_text())
    manifest = json.loads((r.work / "out" / "manifest.json").read_text())
    window = manifest["kernel"]
    assert doc["board"] == r.board
    names = [s["name"] for s in doc["sections"]]
    assert names[0] == ".text" and {".rodata", ".bss", ".vn_shards"} <= set(names), doc
    assert doc["sections"][0]["addr"] == window["addr"], doc
    end = window["addr_int"] + window["size_int"]
    for s in doc["sections"]:
        assert s["addr"] == hex(s["addr_int"]) and s["size"] == hex(s["size_int"])
        assert window["addr_int"] <= s["addr_int"] and s["addr_int"] + s["size_int"] <= end, s
    # the same figures as the size line the build printed
    text = next(s for s in doc["sections"] if s["name"] == ".text")
    assert f"kernel: text {text['size_int']} B," in r.stderr, r.report
