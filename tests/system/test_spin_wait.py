"""vn_wait's timeouts under each wait policy, on every board
(docs/shard-api.md): tests/system/spinwait has a yield shard that spins
2 ms before it sleeps, one that sleeps at once and a poll shard. Each waits
0, 500 us and 1900 us (inside the spin) and 5 ms (past it), with nothing
to wake it, then for ever until a message comes. A timed wait times out,
never before its timeout and never by hanging until the message; the last
ends with it.
"""

import re

from systest_lib import HERE, run_on_every_board, vanity

SPEC = HERE / "spinwait" / "spinwait.yaml"
spinwait = run_on_every_board(SPEC, timeout=240)

LINE = re.compile(r"wait (0|500 us|1900 us|5 ms): (timed out|woken), (\d+) us")
TIMEOUT_US = {"0": 0, "500 us": 500, "1900 us": 1900, "5 ms": 5000}


def test_timed_waits_end_on_time_and_the_last_with_the_message(spinwait):
    r = spinwait
    assert r.status == 0, r.report
    for shard in ("spinner", "sleeper", "poller"):
        log = r.log(shard)
        assert len(log) == 5, r.report
        for line, what in zip(log, TIMEOUT_US):
            m = LINE.fullmatch(line)
            assert m and m.group(1) == what, r.report
            assert m.group(2) == "timed out", r.report
            assert int(m.group(3)) >= TIMEOUT_US[what], r.report
        assert log[4] == "wait for ever: received", r.report


def test_a_wait_sleeps_only_once_its_spin_is_spent(tmp_path):
    """Hosted, which counts the waits that slept (VANITY_STATS=1): the
    spinner's 500 us and 1900 us waits end inside its 2 ms spin (a spin cut
    short by a tenth would sleep in the second), so only its 5 ms wait and
    the last one sleep; the sleeper's four sleep; the poller's never."""
    r = vanity("run", SPEC, "-o", tmp_path / "out", "--build-dir", tmp_path / "build",
               env={"VANITY_STATS": "1"}, timeout=240)
    assert r.status == 0, r.report
    assert r.stats("spinner")["waits"] == 2, r.report
    assert r.stats("sleeper")["waits"] == 4, r.report
    assert r.stats("poller")["waits"] == 0, r.report
