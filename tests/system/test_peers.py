"""Peers know, on every board (docs/shard-api.md, "Peers"): tests/system/peers
has a watcher that waits on a channel nothing is ever sent on, and learns
from the kernel that its producer restarted (generation 2) and then exited,
and that another peer was stopped by a fault; and a sleeper whose vn_sleep
sleeps its whole 100 ms although a message is ready and its peer exits
meanwhile, with the next vn_wait reporting both.
"""

import re

import pytest

from systest_lib import HERE, vanity

BOARDS = ["hosted", "qemu-virt-aarch64", "qemu-virt-riscv64"]
SPEC = HERE / "peers" / "peers.yaml"
TIMEOUT = 240


@pytest.fixture(scope="module", params=BOARDS)
def peers(request, tmp_path_factory):
    work = tmp_path_factory.mktemp(f"peers-{request.param}")
    return vanity("run", SPEC, "--board", request.param, "-o", work / "out",
                  "--build-dir", work / "build", timeout=TIMEOUT)


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
