"""vn_wait_on on every board (docs/shard-api.md): a shard waiting on a mask
of its channels is not woken by a message on another one, and is woken by
one on a channel of the mask. tests/system/waiton has a yield waiter and a
poll waiter; each has a message queued on b while it waits 20 ms on a alone.
News of a peer on a channel outside the mask (the quitter exits) does not
end a wait either: it is kept for the wait that watches that channel.
"""

from systest_lib import HERE, run_on_every_board

SPEC = HERE / "waiton" / "waiton.yaml"
waiton = run_on_every_board(SPEC, timeout=240)


def test_a_wait_on_a_mask_ignores_the_other_channels(waiton):
    r = waiton
    assert r.status == 0, r.report
    assert r.log("sender") == ["sent"], r.report
    for shard in ("waiter", "pwaiter"):
        log = r.log(shard)
        assert len(log) == 5, r.report
        assert log[0] == "b: ready", r.report
        # Timed out, as it should; woken by a only if the host held this
        # shard back for the sender's 250 ms. Never by b.
        assert log[1] in ("a for 20 ms, b queued: timed out",
                          "a for 20 ms, b queued: woken by a"), r.report
        assert log[2:] == ["a: received", "b: received",
                           "c: news, its sender exited"], r.report
