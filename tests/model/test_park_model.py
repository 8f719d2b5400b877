"""The hosted port's parked wait (runtime/arch/hosted/park.pml), checked
with spin as the channel protocol is (test_ring_model.py: the same search,
and the same bar for a pass). Each mutation is a bug the model must catch,
so the checks are shown to be able to fail."""

from test_ring_model import (REPO, assert_holds, assert_references_hold, errors,  # noqa: F401
                             pytestmark, verify)

MODEL = REPO / "runtime/arch/hosted/park.pml"


def check(tmp_path, *defines):
    out, _ = verify(tmp_path, *defines, model=MODEL, collapse=True)
    return out


def assert_two_holders(out):
    """The kernel gave the core away while the shard ran its own code."""
    assert errors(out) >= 1, out
    assert "assertion violated  !(b_on)" in out, out


def test_one_holder_and_no_lost_wakeup(tmp_path):
    """3 messages; the other shard on the core takes it once."""
    assert_holds(check(tmp_path))


def test_no_lost_wakeup_without_the_looks(tmp_path):
    """The kernel's looks at a park only make up for a peer that never
    wakes the flag: with a peer that does, no wake-up waits for them."""
    assert_holds(check(tmp_path, "-DNO_LOOK"))


def test_one_holder_and_no_lost_wakeup_with_two_takes(tmp_path):
    """The other shard takes the core twice: parks taken back more often."""
    assert_holds(check(tmp_path, "-DNC=2"))


def test_no_lost_wakeup_when_the_peer_never_wakes_the_flag(tmp_path):
    """The peer sets the flag woken and may stop there, every time (broken,
    or lying): the kernel's looks at the park wake the shard."""
    assert_holds(check(tmp_path, "-DDROP_WAKE"))


def test_mutation_revoke_to_kernel_is_caught(tmp_path):
    assert_two_holders(check(tmp_path, "-DREVOKE_TO_KERNEL"))


def test_mutation_withdraw_by_store_is_caught(tmp_path):
    assert_two_holders(check(tmp_path, "-DWITHDRAW_STORE"))


def test_mutation_serve_by_load_is_caught(tmp_path):
    assert_two_holders(check(tmp_path, "-DSERVE_LOAD"))


def test_mutation_no_wake_at_park_loses_a_wakeup(tmp_path):
    """Checked without the kernel's looks, which would wake the shard up
    to 200 ms later: a wake-up must not wait for them."""
    out = check(tmp_path, "-DNO_PARK_WAKE", "-DNO_LOOK")
    assert errors(out) >= 1, out
    assert "assertion violated ((got==" in out, out


def test_mutation_deaf_as_armed_loses_a_wakeup(tmp_path):
    """A flag the shard stops listening to, set back to ARMED, is parked
    again by a park that comes after, and its peer's wake goes to it
    (without the looks, as above)."""
    out = check(tmp_path, "-DDEAF_TO_ARMED", "-DNO_LOOK")
    assert errors(out) >= 1, out
    assert "assertion violated ((got==" in out, out


def test_mutation_no_look_at_the_park_loses_a_wakeup(tmp_path):
    """Without the kernel's looks, a wake the peer never finished leaves
    the shard asleep with its message."""
    out = check(tmp_path, "-DDROP_WAKE", "-DNO_LOOK")
    assert errors(out) >= 1, out
    assert "assertion violated ((got==" in out, out


def test_every_c_reference_in_the_model_matches_the_source():
    assert_references_hold(MODEL, 28)
