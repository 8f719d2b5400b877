"""Bursts that do not fit, on every board (tests/system/bursts): senders
that wait for ever after a burst that went out only in part, as
examples/pipeline's source does, into rings of both slot layouts. A burst
cut short leaves its endpoint waiting for space (vanity/ring.h), so every
sender is woken and every message arrives, in order.
"""

from systest_lib import HERE, run_on_every_board

SPEC = HERE / "bursts" / "bursts.yaml"
bursts = run_on_every_board(SPEC, timeout=120)


def test_partial_bursts_wait_for_space(bursts):
    r = bursts
    assert r.status == 0, r.report
    assert r.log("tx_seq") == ["sent 20000"], r.report
    assert r.log("tx_packed") == ["sent 20000"], r.report
    assert r.log("rx") == ["received 20000 and 20000, 0 out of order"], r.report
