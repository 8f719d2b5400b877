"""A reader of `vanity run`'s output that pauses, or leaves
(tests/system/uartstall: a shard logs 2.6 MB, then the system ends).

A reader that pauses, on the QEMU boards (hosted: test_hosted.py,
test_unread_output_stops_no_shard).

`vanity run` relays the guest's UART from QEMU's standard output, through
a pipe it widens to 1 MiB (generator/build_bare.py: _widen). Here the
reader pauses (SIGSTOP to `vanity run`) while a shard logs 2.6 MB: the
pipe fills, and the guest's UART has no room. Then:
  - riscv64's NS16550A model tells the guest so (its transmitter stays
    busy), and the kernel waits 100 ms for it, then drops the byte with
    the rest of its line, and the lines after it that find no room, and
    counts them; once there is room, "vanity: console: N bytes not
    written: the UART had no room for them" comes out first, on a line of
    its own (freestanding/kernel/kconsole.c). Its last line, the system's
    status, waits longer, and comes out after the count still owed;
  - aarch64's PL011 model stops the guest until QEMU can write: nothing is
    dropped.
On both, every byte the shard logged either reaches the reader or is
counted, a line arrives whole or cut short (never joined to another's
end), the whole ones in order, and the system ends with status 0. Before the kernel counted, riscv64 lost the rest of the
run unsaid, its status line too.

A reader that leaves after the first line (`vanity run ... | head -1`), on
every board: the system runs on to its end, with its status, as a hosted
system always did (its kernel drops what it cannot write). On the QEMU
boards `vanity run` relays the console, and used to stop reading QEMU at
its first broken write: the guest then waited for room until QEMU's
timeout, and `vanity run` said "Broken pipe".
"""

import os
import re
import signal
import subprocess
import time

import pytest

from systest_lib import BOARDS, HERE, PYTHON, REPO, VANITY, kill_session, processes, vanity

SPEC = HERE / "uartstall" / "stall.yaml"
LINES = 20000
ON_UART = len("[chatty] line 00000 ") + 111 + 2  # "\r\n": the relay keeps "\n" only
WHOLE = re.compile(r"\[chatty\] line (\d{5}) (0123456789){11}0")
DIGITS = "0123456789" * 11 + "0"


def cut_short(line):
    """Whether line is the start of a line chatty logs (all of it, or less)."""
    m = re.match(r"\[chatty\] line (\d{1,5})", line)
    n = m[1].ljust(5, "0") if m else "00000"
    return f"[chatty] line {n} {DIGITS}".startswith(line)


NOTE = re.compile(r"vanity: console: (\d+) bytes? not written: the UART had no room for "
                  r"(?:it|them)")


def written(pid):
    """Bytes process pid has written, ever (/proc/PID/io: wchar)."""
    with open(f"/proc/{pid}/io") as f:
        return int(next(ln for ln in f if ln.startswith("wchar:")).split()[1])


def pause_until_blocked(relay, session, quiet=3.0, longest=60):
    """Stops the relay, then waits until QEMU has written nothing for
    `quiet` seconds, whatever the host's speed: its pipe is full and the
    guest has found no room (riscv64: for longer than the kernel's 100 ms,
    so it has dropped bytes), or it has ended. Returns how long it paused."""
    start = time.monotonic()
    os.kill(relay, signal.SIGSTOP)
    qemu = None
    while qemu is None and time.monotonic() - start < 10:
        qemu = next((pid for pid, p in processes().items()
                     if p[3] == session and p[0].startswith("qemu-system")), None)
        time.sleep(0.05)
    assert qemu is not None, "no QEMU in the run's session"
    last, since = -1, time.monotonic()
    while time.monotonic() - start < longest:
        try:
            now = written(qemu)
        except OSError:
            break  # QEMU has ended: the guest did not wait for the reader
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            break
        time.sleep(0.05)
    os.kill(relay, signal.SIGCONT)
    return time.monotonic() - start


def launch(board, tmp_path):
    """`vanity run` of the system, built first; (the process, the bytes of
    its stdout up to the end of its first line)."""
    out, bld = tmp_path / "out", tmp_path / "build"
    r = vanity("build", SPEC, "--board", board, "-o", out, "--build-dir", bld, timeout=300)
    assert r.status == 0, r.report
    cmd = [PYTHON, VANITY, "run", SPEC, "--board", board, "-o", out, "--build-dir", bld]
    proc = subprocess.Popen([str(c) for c in cmd], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)
    first = b""
    while b"\n" not in first:
        got = os.read(proc.stdout.fileno(), 4096)
        if not got:
            kill_session(proc.pid)
            pytest.fail(f"the system ended before its first line: {proc.stderr.read()!r}")
        first += got
    return proc, first


@pytest.mark.parametrize("board", ["qemu-virt-aarch64", "qemu-virt-riscv64"])
def test_a_paused_reader_loses_nothing_unsaid(board, tmp_path):
    proc, first = launch(board, tmp_path)  # the shard logs: pause the reader now
    try:
        paused = pause_until_blocked(proc.pid, proc.pid)
        rest, err = proc.communicate(timeout=120)
    finally:
        kill_session(proc.pid)
    stdout, err = (first + rest).decode(errors="replace"), err.decode(errors="replace")
    report = f"\npaused {paused:.1f} s\n--- stderr\n{err[-3000:]}\n--- stdout tail\n" \
             f"{stdout[-1000:]}"
    assert proc.returncode == 0, report
    assert err.splitlines()[-1] == "vanity: system 'uartstall' exited with status 0", report
    whole = [int(m[1]) for m in WHOLE.finditer(stdout)]
    assert whole == sorted(set(whole)), "whole lines out of order" + report
    # a line is whole or cut short (its end dropped), never joined to
    # another's end, nor an end without its start
    joined = [ln for ln in stdout.splitlines() if not cut_short(ln)]
    assert not joined, (joined[:3], report)
    dropped = sum(int(n) for n in NOTE.findall(err))
    # every byte on the UART reached stdout ("\r\n" as "\n": the relay
    # keeps the CR of a cut line too short to tell a shard's) or was
    # counted; the count's line starts with a "\r\n" of its own when it
    # ends a cut line, which the relay sends to stdout
    arrived = len(stdout.replace("\r", "").encode()) + stdout.count("\n")
    notes = len(NOTE.findall(err))
    assert abs(LINES * ON_UART - dropped - arrived) <= 2 * notes, \
        (LINES * ON_UART, dropped, arrived, report)
    if board == "qemu-virt-aarch64":
        assert dropped == 0 and len(whole) == LINES, (dropped, len(whole), report)
    else:
        # 2.6 MB against the pipes' 1.1 MiB: QEMU wrote nothing for 3 s
        assert dropped > 0, report
        assert LINES - len(whole) >= dropped // ON_UART, (len(whole), dropped, report)


@pytest.mark.parametrize("board", BOARDS)
def test_a_reader_that_leaves_ends_nothing(board, tmp_path):
    proc, _ = launch(board, tmp_path)
    try:
        proc.stdout.close()  # | head -1
        _, err = proc.communicate(timeout=120)
    finally:
        kill_session(proc.pid)
    err = err.decode(errors="replace")
    assert proc.returncode == 0, err[-3000:]
    assert err.splitlines()[-1] == "vanity: system 'uartstall' exited with status 0", \
        err[-3000:]
    assert "error" not in err and "Traceback" not in err, err[-3000:]
