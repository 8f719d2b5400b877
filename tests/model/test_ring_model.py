"""The channel protocol model (runtime/include/vanity/ring.pml), checked with spin.

Each case generates the verifier (`spin -a` with -D switches), compiles pan
with gcc and runs an exhaustive safety search (assertions and invalid end
states). A passing case must report "errors: 0" and a complete search; a
mutation case (or the C before a fix) must report the violation, so the checker is shown
to be able to fail. pan is built at -O0: compiling it costs more than
running it, except in the biggest cases (restarts of both sides: 1.1 million
states with packed slots, 2.3 million and about 180 MB with sequenced ones,
a few seconds each); memory is capped with -DMEMLIM.

Each case checks the packed slot layout unless it says -DSEQ (sequenced
slots: the model's header says what that changes).
"""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MODEL = REPO / "runtime/include/vanity/ring.pml"

pytestmark = pytest.mark.skipif(
    not (shutil.which("spin") and shutil.which("gcc")),
    reason="spin or gcc missing: `make deps` installs them")


def verify(tmp_path, *defines, trail=False, model=MODEL, collapse=False):
    """Runs an exhaustive spin search of `model` with `defines`; returns
    (pan output, trail). `collapse`: store states compressed (-DCOLLAPSE,
    exact), for a larger state space in the same memory."""
    name = model.name
    shutil.copy(model, tmp_path / name)
    run = lambda cmd, timeout=60: subprocess.run(
        cmd, cwd=tmp_path, capture_output=True, text=True, timeout=timeout)
    gen = run(["spin", "-a", *defines, name])
    assert gen.returncode == 0, gen.stdout + gen.stderr
    cc = run(["gcc", "-O0", "-DSAFETY", "-DMEMLIM=512", *(["-DCOLLAPSE"] if collapse else []),
              "-o", "pan", "pan.c"])
    assert cc.returncode == 0, cc.stderr
    pan = run(["./pan", "-m20000", "-w21"], timeout=120)
    out = pan.stdout + pan.stderr
    assert "search depth too small" not in out, out
    assert "out of memory" not in out, out
    replay = ""
    if trail and (tmp_path / (name + ".trail")).exists():
        replay = run(["spin", "-t", "-p", *defines, name]).stdout
    return out, replay


def errors(out):
    m = re.search(r"errors: (\d+)", out)
    assert m, out
    return int(m.group(1))


def states(out):
    return int(re.search(r"(\d+) states, stored", out).group(1))


def assert_holds(out):
    assert errors(out) == 0, out
    assert "Search not completed" not in out, out
    assert "Full statespace search" in out, out
    assert states(out) > 1000, out  # the model did run


def assert_lost_wakeup(out):
    """The violation is the quiescence check: the system stopped short."""
    assert errors(out) >= 1, out
    assert "assertion violated ((p_done&&(delivered==" in out, out


# ---- the protocol holds -------------------------------------------------

def test_no_lost_message_or_wakeup_without_restarts(tmp_path):
    """4 messages through a 2-slot ring, singly or in bursts of 2, across the
    index wrap; both sides sleep."""
    out, _ = verify(tmp_path, "-DNMSG=4", "-DKILLS_P=0", "-DKILLS_C=0")
    assert_holds(out)


def test_store_buffering_with_the_fences(tmp_path):
    """The fenced stores may sit in a store buffer: still correct."""
    out, _ = verify(tmp_path, "-DWEAK", "-DKILLS_P=0", "-DKILLS_C=0")
    assert_holds(out)


def test_restarts_never_lose_or_reorder_a_message(tmp_path):
    """Either side stopped anywhere and restarted: the messages are intact
    (message safety alone: the wake-up check is off). A message copied but
    not released when the consumer stops comes again."""
    out, _ = verify(tmp_path, "-DNO_WAKEUP_CHECK", "-DKILLS_P=1", "-DKILLS_C=1")
    assert_holds(out)


def test_restarts_lose_no_wakeup(tmp_path):
    """A starting shard notifies every peer whose sleep flag is set
    (attach.c), so restarts of both sides lose neither a message nor a
    wake-up."""
    out, _ = verify(tmp_path, "-DKILLS_P=1", "-DKILLS_C=1")
    assert_holds(out)


# ---- the restart hole the model found, with the fix taken out ----------
# A shard stopped between its index store and its check of the peer's sleep
# flag owes the peer a notification that, before attach.c notified sleeping
# peers, nobody sent (NO_RESTART_NOTIFY is the C as it was). These show the
# model catches it.

def stopped_between_store_and_check(replay, who, store, kill, flag):
    """In the trail, `who`'s last `store` is followed by `kill` before `who`
    reads `flag`."""
    steps = [ln for ln in replay.splitlines() if re.match(r"\s*\d+:\s+proc", ln)]
    last = max(i for i, ln in enumerate(steps) if who in ln and f"[{store}]" in ln)
    rest = steps[last + 1:]
    killed = next(i for i, ln in enumerate(rest) if f"[{kill}]" in ln)
    return not any(who in ln and flag in ln for ln in rest[:killed])


def test_hole_producer_stopped_before_notify_loses_wakeup(tmp_path):
    """The producer publishes its last message and is stopped before it reads
    rx_sleeping; restarted, it has nothing more to send: the consumer sleeps
    forever on a queued message."""
    out, replay = verify(tmp_path, "-DNO_RESTART_NOTIFY", "-DKILLS_P=1", "-DKILLS_C=0",
                         trail=True)
    assert_lost_wakeup(out)
    assert stopped_between_store_and_check(replay, "Producer", "head = th", "kill_p = 1",
                                           "rx_sleeping"), replay


def test_hole_consumer_stopped_before_notify_deadlocks(tmp_path):
    """The consumer drains the full ring in one burst and is stopped before
    it reads tx_sleeping; restarted, it finds the ring empty and sleeps, and
    so does the starved producer, on a ring with free slots."""
    out, replay = verify(tmp_path, "-DNO_RESTART_NOTIFY", "-DKILLS_P=0", "-DKILLS_C=1",
                         trail=True)
    assert_lost_wakeup(out)
    assert stopped_between_store_and_check(replay, "Consumer", "tail = tl", "kill_c = 1",
                                           "tx_sleeping"), replay


def test_hole_single_receives_need_one_stop_per_slot(tmp_path):
    """Receiving one message at a time, it takes DEPTH such stops in a row."""
    out, _ = verify(tmp_path, "-DNO_RESTART_NOTIFY", "-DBURST=1", "-DKILLS_P=0", "-DKILLS_C=1")
    assert_holds(out)
    out, _ = verify(tmp_path, "-DNO_RESTART_NOTIFY", "-DBURST=1", "-DKILLS_P=0", "-DKILLS_C=2")
    assert_lost_wakeup(out)


# ---- the checker can fail: mutations it must catch ---------------------

def test_mutation_no_recheck_after_arm_is_caught(tmp_path):
    out, _ = verify(tmp_path, "-DNO_RECHECK", "-DKILLS_P=0", "-DKILLS_C=0")
    assert_lost_wakeup(out)


def test_mutation_unsigned_cached_head_is_caught(tmp_path):
    """A receive that takes just the one message it finds leaves the cached
    head behind tail; compared as a difference modulo the index width, not
    as values, that cache says a ring's worth and more is there, and the
    consumer takes slots not yet written."""
    out, _ = verify(tmp_path, "-DUNSIGNED_CACHE", "-DNO_WAKEUP_CHECK", "-DKILLS_P=0",
                    "-DKILLS_C=0")
    assert_lost_message(out)


def test_mutation_no_publish_fence_is_caught_under_store_buffering(tmp_path):
    out, _ = verify(tmp_path, "-DWEAK", "-DNO_PUBLISH_FENCE", "-DKILLS_P=0", "-DKILLS_C=0")
    assert_lost_wakeup(out)


def test_mutation_no_arm_fence_is_caught_under_store_buffering(tmp_path):
    out, _ = verify(tmp_path, "-DWEAK", "-DNO_ARM_FENCE", "-DKILLS_P=0", "-DKILLS_C=0")
    assert_lost_wakeup(out)


def test_sequential_consistency_alone_cannot_see_the_fences(tmp_path):
    """Why WEAK exists: without store buffers, dropping both fences passes."""
    out, _ = verify(tmp_path, "-DNO_PUBLISH_FENCE", "-DNO_ARM_FENCE",
                    "-DKILLS_P=0", "-DKILLS_C=0")
    assert_holds(out)


# ---- sequenced slots: the same properties, and what they add ----------
# A single receive and the arm's recheck read the slot's sequence word, a
# burst receive head (the words when head gives it nothing); a message is
# sent once its word is written, and a
# starting producer skips the messages a predecessor sealed but did not
# publish (vn_tx_resume).

SEQ = "-DSEQ"


def test_seq_no_lost_message_or_wakeup_without_restarts(tmp_path):
    """4 messages through a 2-slot ring, singly or in bursts of 2, across the
    index wrap; both sides sleep; the consumer runs ahead of head."""
    out, _ = verify(tmp_path, SEQ, "-DNMSG=4", "-DKILLS_P=0", "-DKILLS_C=0")
    assert_holds(out)


def test_seq_store_buffering_with_the_fences(tmp_path):
    """The word stores, too, may sit in a store buffer: still correct."""
    out, _ = verify(tmp_path, SEQ, "-DWEAK", "-DKILLS_P=0", "-DKILLS_C=0")
    assert_holds(out)


def test_seq_restarts_never_lose_or_reorder_a_message(tmp_path):
    """Either side stopped anywhere and restarted, the producer also between
    a message's word and head (the consumer may have that message already):
    the messages are intact (the wake-up check is off)."""
    out, _ = verify(tmp_path, SEQ, "-DNO_WAKEUP_CHECK", "-DKILLS_P=1", "-DKILLS_C=1")
    assert_holds(out)


def test_seq_restarts_lose_no_wakeup(tmp_path):
    """A starting shard notifies a sleeping peer (attach.c) also when its
    predecessor stopped between a word and head, having owed the consumer
    a wake-up since the word."""
    out, _ = verify(tmp_path, SEQ, "-DKILLS_P=1", "-DKILLS_C=1")
    assert_holds(out)


def test_seq_words_at_the_publish(tmp_path):
    """A latency channel's burst copies every message, then writes the
    words (its stamps go between): the same properties, with restarts."""
    out, _ = verify(tmp_path, SEQ, "-DSEAL_AT_PUBLISH", "-DKILLS_P=1", "-DKILLS_C=1")
    assert_holds(out)


def test_seq_word_before_its_message_is_caught(tmp_path):
    """The mutation: a burst storing each word before its message. A
    consumer takes the slot before the message is in it."""
    out, _ = verify(tmp_path, SEQ, "-DWORD_FIRST", "-DKILLS_P=0", "-DKILLS_C=0")
    assert errors(out) > 0 and "assertion violated" in out, out


def test_seq_restart_notify_is_needed(tmp_path):
    """The restart hole is there with sequenced slots too, on either side."""
    out, _ = verify(tmp_path, SEQ, "-DNO_RESTART_NOTIFY", "-DKILLS_P=1", "-DKILLS_C=0")
    assert_lost_wakeup(out)
    out, _ = verify(tmp_path, SEQ, "-DNO_RESTART_NOTIFY", "-DKILLS_P=0", "-DKILLS_C=1")
    assert_lost_wakeup(out)


def assert_lost_message(out):
    """The violation is the consumer's: a message other than the next one."""
    assert errors(out) >= 1, out
    assert "assertion violated (v==(delivered+k))" in out, out


def stopped_between_word_and_head(replay):
    """In the trail, the producer's last store before it is stopped is a
    sequence word, not head."""
    steps = [ln for ln in replay.splitlines() if re.match(r"\s*\d+:\s+proc", ln)]
    killed = next(i for i, ln in enumerate(steps) if "[kill_p = 1]" in ln)
    stores = [ln for ln in steps[:killed]
              if "Producer" in ln and ("[word[" in ln or "[head = th]" in ln)]
    return bool(stores) and "[word[" in stores[-1]


def test_seq_mutation_no_resume_loses_a_message(tmp_path):
    """Without vn_tx_resume, a producer stopped after a message's word and
    before head is followed by one that starts at the published head: it
    writes its first message where the sealed one is, which the consumer
    took already (then that first message is never read) or takes in its
    stead."""
    out, replay = verify(tmp_path, SEQ, "-DNO_RESUME", "-DNO_WAKEUP_CHECK",
                         "-DKILLS_P=1", "-DKILLS_C=0", trail=True)
    assert_lost_message(out)
    assert stopped_between_word_and_head(replay), replay


def test_seq_mutation_no_clamp_is_caught(tmp_path):
    """A burst receive comparing the cached head unsigned, once the consumer
    is past the published head, takes slots not yet written."""
    out, _ = verify(tmp_path, SEQ, "-DNO_CLAMP", "-DNO_WAKEUP_CHECK",
                    "-DKILLS_P=0", "-DKILLS_C=0")
    assert_lost_message(out)


def test_seq_mutation_no_recheck_after_arm_is_caught(tmp_path):
    out, _ = verify(tmp_path, SEQ, "-DNO_RECHECK", "-DKILLS_P=0", "-DKILLS_C=0")
    assert_lost_wakeup(out)


def test_seq_mutation_no_publish_fence_is_caught_under_store_buffering(tmp_path):
    """The consumer's recheck reads the word: the word store, buffered past
    the flag load, loses the wake-up."""
    out, _ = verify(tmp_path, SEQ, "-DWEAK", "-DNO_PUBLISH_FENCE", "-DKILLS_P=0", "-DKILLS_C=0")
    assert_lost_wakeup(out)


def test_seq_mutation_no_arm_fence_is_caught_under_store_buffering(tmp_path):
    out, _ = verify(tmp_path, SEQ, "-DWEAK", "-DNO_ARM_FENCE", "-DKILLS_P=0", "-DKILLS_C=0")
    assert_lost_wakeup(out)


# ---- the model's notes name real lines of C -----------------------------

def assert_references_hold(model, at_least):
    """Each `C: file:line `text`` note of `model` names a line that says it."""
    refs = re.findall(r"C: (\S+?):(\d+) `([^`]+)`", model.read_text())
    assert len(refs) >= at_least
    for path, line, text in refs:
        lines = (REPO / path).read_text().splitlines()
        assert text in lines[int(line) - 1], f"{path}:{line} no longer says `{text}`"


def test_every_c_reference_in_the_model_matches_the_source():
    assert_references_hold(MODEL, 31)
