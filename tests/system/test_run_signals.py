"""`vanity run` told to stop by a signal sent to it alone, as a supervisor
or `kill` sends one: SIGTERM or SIGHUP, or SIGINT without the terminal's
group. The system ends as it does when told to (a hosted kernel says so),
`vanity run` exits with 128 + the signal, nothing of the system is left
running, and the run's mark (generator/live.py) is gone.
"""

import signal

import pytest

from systest_lib import BOARDS, REPO, Running, kill_session, outliving, vanity

from generator import live

CONSOLE = REPO / "examples" / "console" / "console.yaml"
BOOT_TIMEOUT = 180
CASES = [(board, signal.SIGTERM) for board in BOARDS] + \
    [("hosted", signal.SIGHUP), ("hosted", signal.SIGINT)]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The console example built for each board: {board: (out, build)}."""
    done = {}

    def build(board):
        if board not in done:
            d = tmp_path_factory.mktemp(board)
            out, build_dir = d / "out", d / "b"
            r = vanity("build", CONSOLE, "--board", board, "-o", out, "--build-dir",
                       build_dir, timeout=BOOT_TIMEOUT)
            assert r.status == 0, r.report
            done[board] = out, build_dir
        return done[board]
    return build


@pytest.mark.parametrize("board, sig", CASES, ids=lambda c: getattr(c, "name", c))
def test_a_signal_to_vanity_run_ends_the_system(built, board, sig):
    out, build = built(board)
    system = Running([CONSOLE, "--board", board, "-o", out, "--build-dir", build])
    try:
        system.wait_for("shell> ", BOOT_TIMEOUT)
        assert live.starting(live.run_dir(build)) == system.proc.pid
        system.proc.send_signal(sig)  # to vanity run alone, not its group
        status = system.proc.wait(timeout=60)
        system.pipes.join(10)
        assert status == 128 + sig, system.text[-3000:]
        if board == "hosted":
            # SIGHUP is passed on as SIGTERM
            why, passed = ("interrupted by SIGINT", sig) if sig == signal.SIGINT else \
                ("terminated by SIGTERM", signal.SIGTERM)
            assert f"vanity: system 'console' {why}, exited with status {128 + passed}" in \
                system.text, system.text[-3000:]
        assert not outliving(system.proc.pid), system.text[-3000:]
        assert live.starting(live.run_dir(build)) is None
        assert not live.run_mark(build).exists()
    finally:
        system.kill()
        kill_session(system.proc.pid)  # what a failure left


@pytest.mark.parametrize("board", BOARDS)
def test_a_killed_vanity_run_takes_its_system_with_it(built, board):
    """SIGKILL to `vanity run` alone, which it cannot catch to pass on: the
    system is told to end all the same (its parent-death signal, SIGTERM:
    build_bare.ended_with_us), and it does. On a QEMU board this is a
    user's run, with no VANITY_QEMU_TIMEOUT: nothing else would end it."""
    out, build = built(board)
    system = Running([CONSOLE, "--board", board, "-o", out, "--build-dir", build],
                     env={"VANITY_QEMU_TIMEOUT": ""})
    try:
        system.wait_for("shell> ", BOOT_TIMEOUT)
        before = outliving(system.proc.pid, grace=0)
        assert len(before) >= 2, before  # vanity run and what runs the system
        system.proc.send_signal(signal.SIGKILL)
        assert system.proc.wait(timeout=10) == -signal.SIGKILL
        assert not outliving(system.proc.pid, grace=15), (before, system.text[-3000:])
        if board == "hosted":
            assert "vanity: system 'console' terminated by SIGTERM" in system.text, \
                system.text[-3000:]
    finally:
        system.kill()
        kill_session(system.proc.pid)
