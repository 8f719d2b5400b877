"""Observability end to end, on every board: a traced run of pingpong leaves
a CTF trace babeltrace2 decodes, with the kernel's events in it; `vanity top
--once --json` and `vanity peek` read the console example while it runs
(its hello_out channel switched to `latency: true`: top shows its transit
time and each shard's run time per activation).

These need the kernel side (trace rings, counters, dump writers, the hosted
kernel's obs.sock) and the generator's trace tables in manifest.json; until
the generator writes them, the tests skip, saying so.
"""

import json
import re
import shutil
import subprocess
import time

import pytest

import systest_lib
from systest_lib import REPO, copy_example, vanity

from generator import live

BOARDS = ["hosted", "qemu-virt-aarch64", "qemu-virt-riscv64"]
PINGPONG = REPO / "examples" / "pingpong" / "pingpong.yaml"
CONSOLE = REPO / "examples" / "console" / "console.yaml"
BOOT_TIMEOUT = 180


def _generated(spec, board, out):
    r = vanity("gen", spec, "--board", board, "-o", out)
    assert r.status == 0, r.report
    manifest = json.loads((out / "manifest.json").read_text())
    assert (manifest.get("trace") or {}).get("schema_hash"), "manifest.json has no trace schema"
    return manifest


@pytest.mark.parametrize("board", BOARDS)
def test_traced_run(tmp_path, board):
    if shutil.which("babeltrace2") is None:
        pytest.skip("babeltrace2 is not installed (make deps)")
    out, build, trace = tmp_path / "out", tmp_path / "b", tmp_path / "t"
    _generated(PINGPONG, board, out)
    r = vanity("run", PINGPONG, "--board", board, "-o", out, "--build-dir", build,
               "--trace", trace, timeout=BOOT_TIMEOUT)
    assert r.status == 0, r.report
    assert re.search(rf"^vanity: trace: {re.escape(str(trace))}: \d+ records", r.stderr,
                     re.M), r.report
    bt = subprocess.run(["babeltrace2", str(trace)], capture_output=True, text=True)
    assert bt.returncode == 0, bt.stderr
    for event in ("switch_in", "switch_out", "exit"):
        assert re.search(rf"\) {event}: \{{", bt.stdout), f"no {event} in\n{bt.stdout[-3000:]}"
    pj = tmp_path / "p.json"
    r = vanity("trace", trace, "--perfetto", pj)
    assert r.status == 0, r.report
    slices = [e for e in json.loads(pj.read_text())["traceEvents"] if e["ph"] == "X"]
    assert {e["name"] for e in slices} == {"ping", "pong"}


class Running(systest_lib.Running):
    """`vanity run` of the console example, kept running (its stdin open)."""

    def __init__(self, board, out, build, spec=CONSOLE):
        super().__init__([spec, "--board", board, "-o", out, "--build-dir", build])

    def stop(self):
        try:
            self.send(b"quit\n")
            self.proc.wait(timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            self.kill()


@pytest.mark.parametrize("board", BOARDS)
def test_top_and_peek_live(tmp_path, board):
    out, build = tmp_path / "out", tmp_path / "b"
    spec = copy_example(CONSOLE, tmp_path, lambda doc: [
        c.update(latency=True) for c in doc["channels"] if c["name"] == "hello_out"])
    _generated(spec, board, out)
    common = ["--board", board, "-o", out, "--build-dir", build]
    r = vanity("build", spec, *common, timeout=BOOT_TIMEOUT)
    assert r.status == 0, r.report
    system = Running(board, out, build, spec)
    try:
        # once `vanity run` has marked the build as starting (its first step),
        # top waits for the system's socket (and, on QEMU, 10 s more for the
        # kernel to be up, which a loaded machine may take longer for)
        deadline = time.monotonic() + 30
        while live.starting(live.run_dir(build)) != system.proc.pid:
            assert time.monotonic() < deadline and system.proc.poll() is None, system.text
            time.sleep(0.01)
        r = vanity("top", spec, *common, "--once", "--json", "--interval", "0.1")
        assert r.status == 0 or (board != "hosted" and "the system is not up" in r.stderr), \
            r.report
        if r.status == 0:
            assert [s["name"] for s in json.loads(r.stdout)["shards"]] == \
                ["console", "shell", "hello"]
        system.wait_for("shell> ", BOOT_TIMEOUT)
        r = vanity("top", spec, *common, "--once", "--json", "--interval", "0.5")
        assert r.status == 0, r.report
        rep = json.loads(r.stdout)
        assert [s["name"] for s in rep["shards"]] == ["console", "shell", "hello"]
        assert all(s["activations"] >= 1 and s["generation"] == 1 for s in rep["shards"])
        chans = {c["name"]: c for c in rep["channels"]}
        assert chans["hello_out"]["sent"] >= 1 and chans["hello_out"]["received"] >= 1
        assert chans["shell_out"]["depth"] == 64
        # hello sent its one line and exited: one transit, timed
        lat = chans["hello_out"]["latency"]
        assert lat["count"] == chans["hello_out"]["received"] == 1, lat
        assert 0 <= lat["p50"] <= lat["max"] < 60e9, lat
        assert chans["shell_out"]["latency"] is None
        for s in rep["shards"]:  # one sample per activation that ended
            # (a live read is not atomic: allow a switch while it copies)
            assert abs(s["activations"] - s["run_time"]["count"]) <= 2, s
            assert s["run_time"]["count"] >= 1, s
        r = vanity("top", spec, *common, "--once", "--interval", "0.2")
        assert r.status == 0 and r.stdout.startswith("vanity top - console on "), r.report
        assert "CHANNEL LATENCY" in r.stdout and "SHARD RUN/ACT" in r.stdout, r.stdout
        r = vanity("peek", spec, "shell_out", *common)
        assert r.status == 0, r.report
        assert re.match(r"channel shell_out \(shell -> console\): 0 of 64 slots queued, "
                        r"64-byte messages", r.stdout), r.report
    finally:
        system.stop()
    assert not live.run_mark(build).exists()
    r = vanity("top", spec, "--board", board, "-o", out, "--build-dir", build, "--once")
    assert r.status == 1 and "vanity: error: no running system: " in r.stderr, r.report
