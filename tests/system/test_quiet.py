"""`vanity run SPEC -- --quiet` on every board: the hosted kernel's option,
which the QEMU boards' console honours (generator/build_bare.Console).

The run is examples/pingpong with ping made to fault once and restart
(its -DPP_FAULT_AT hook), so that it has kernel lines of both kinds. Quiet
drops the informational ones (the system's start and its end with a
status) and, on QEMU, the firmware's banner before the kernel's first
line; it keeps what went wrong (the fault, the restart) and the shards'
output, and the status is the system's. The same run without --quiet
prints the two lines it drops, so the test could not pass by a run that
printed neither.
"""

import pytest

from systest_lib import BOARDS, REPO, copy_spec, shard_of, vanity

SPEC = REPO / "examples" / "pingpong" / "pingpong.yaml"
BOOT = "vanity: system 'pingpong' ({board}): 2 shards on 2 cores"
END = "vanity: system 'pingpong' exited with status 0"


@pytest.fixture(scope="module")
def spec(tmp_path_factory):
    def edit(doc):
        shard_of(doc, "ping")["cflags"] = ["-DPP_FAULT_AT=1000"]
    return copy_spec(SPEC, tmp_path_factory.mktemp("quiet") / "src", edit)


@pytest.mark.parametrize("board", BOARDS)
def test_quiet_drops_the_informational_lines_only(board, spec, tmp_path):
    def run(*extra):
        return vanity("run", spec, "--board", board, "-o", tmp_path / "out",
                      "--build-dir", tmp_path / "build", *extra, timeout=300)

    loud = run()  # builds too: the quiet run's stderr has no build lines
    quiet = run("--", "--quiet")
    for r in (loud, quiet):
        assert r.status == 0, r.report
        assert "[ping] 10000 round trips, every payload verified" in r.stdout.splitlines(), \
            r.report
        assert "[pong] echoed 11001 messages" in r.stdout.splitlines(), r.report
    err = loud.stderr.splitlines()
    assert BOOT.format(board=board) in err and err[-1] == END, loud.report
    err = quiet.stderr.splitlines()
    assert BOOT.format(board=board) not in err and END not in err, quiet.report
    assert all(line.startswith("vanity: ") for line in err), \
        f"only kernel lines, no firmware banner{quiet.report}"
    assert "vanity: shard 'ping': on_fault=restart, restarted (1)" in err, quiet.report
    assert [line for line in err if line.startswith("vanity: shard 'ping' faulted: ")], \
        quiet.report
