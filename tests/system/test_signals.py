"""Signals on every board (spec/README.md, "Signal"; docs/shard-api.md,
"Signals"): tests/system/signals has a sender that signals a yield receiver
and a poll receiver ROUNDS times each, waiting for the answering signal
every time, so each signal is one wake-up. The receiver counts its wake-ups
with VN_NOTIFY_GO, then learns from the same bit that the sender exited;
no shard has a ring, and the system has no channel memory at all.
"""

import json
import re

from systest_lib import HERE, run_on_every_board

SPEC = HERE / "signals" / "signals.yaml"
ROUNDS = int(re.search(r"#define ROUNDS (\d+)", (HERE / "signals" / "rounds.h").read_text())[1])
signals = run_on_every_board(SPEC, timeout=240)


def test_each_signal_wakes_its_receiver_once(signals):
    r = signals
    assert r.status == 0, r.report
    assert r.log("sender") == [f"sent {ROUNDS} go and {ROUNDS} tick"], r.report
    assert r.log("poller") == [f"woken {ROUNDS} times by tick"], r.report
    assert r.log("receiver") == [
        f"woken {ROUNDS} times by go; sender exited, generation 1; "
        "rings: 0 tx, 0 rx; signal ends: 2"], r.report


def test_a_signal_has_no_ring(signals):
    r = signals
    doc = json.loads((r.work / "out" / "manifest.json").read_text())
    assert doc["channels"] == [] and len(doc["signals"]) == 4
    assert all(s["endpoints"] == [] for s in doc["shards"])
    assert "channel rings:                     0 B" in (r.work / "out" / "report.txt").read_text()
