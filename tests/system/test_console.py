"""The console example (examples/console) on every board: a shard that owns
the UART and runs its driver (drivers/pl011 on qemu-virt-aarch64 and
hosted, drivers/ns16550 on qemu-virt-riscv64), fed by typed input.

One conversation per board, through `./vanity run`'s stdin: into QEMU's
serial port on the bare-metal boards (generator/build_bare.py passes stdin
through), into the hosted kernel's UART model on hosted. The conversation
waits for each answer before it types the next line, every wait bounded;
the tests below then check what it saw. A step that times out ends the
conversation (the system is killed) and the tests fail with the transcript.

  greeting   the hello shard's line arrives through the console, not vn_log
  echo       typed characters are echoed, and the shell answers the line
  backspace  DEL erases the last character, on screen and in the line
  line ends  CR, and CR LF as one line end (no empty line in between)
  help       the shell lists its commands
  quit       goodbye, then the console halts the system with status 0

Also: run()'s choice of QEMU's stdin, so that runs that type nothing (the
other tests) cannot hang on, or take over, a terminal.
"""

import os
import re
import shutil
import subprocess
import sys
import time

import pytest

from systest_lib import PYTHON, REPO, VANITY, Pipes, copy_example, kill_session, outliving

SPEC = REPO / "examples" / "console" / "console.yaml"
# hosted-ns16550: the same example on hosted with its 16550 model, so the
# riscv64 driver source also runs in the simulator.
BOARDS = ["qemu-virt-aarch64", "qemu-virt-riscv64", "hosted", "hosted-ns16550"]

FIRST_TIMEOUT = 180  # generate, (cross-)build and boot, up to the first prompt
STEP_TIMEOUT = 20    # each answer after that
EXIT_TIMEOUT = 20

PROMPT = "shell> "
GREETING = "hello from the hello shard, through the console"
NL = r"\r?\n"


class Conversation:
    """`vanity run` of the console example with a pipe as its stdin.
    out holds stdout and stderr as they come (decoded byte for byte)."""

    def __init__(self, board, workdir, spec=SPEC, extra=()):
        self.cmd = [PYTHON, str(VANITY), "run", str(spec), "--board", board,
                    "-o", str(workdir / "out"), "--build-dir", str(workdir / "build"), *extra]
        self.steps, self.status = [], None
        self.failed = None
        self.proc = subprocess.Popen(self.cmd, cwd=REPO, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     start_new_session=True)
        self.pipes = Pipes("latin-1", out=self.proc.stdout, err=self.proc.stderr)

    @property
    def out(self):
        return self.pipes.text("out")

    @property
    def err(self):
        return self.pipes.text("err")

    def expect(self, pattern, timeout=STEP_TIMEOUT, start=0):
        """Waits until pattern matches stdout from offset start; returns the
        match. On a timeout, or if the system ends first, records why and
        raises Stop."""
        deadline = time.monotonic() + timeout
        while True:
            m = re.compile(pattern).search(self.out, start)
            if m:
                return m
            if self.proc.poll() is not None and not self.pipes.alive():
                raise Stop(f"the system ended (status {self.proc.returncode}) "
                           f"before printing {pattern!r}")
            if time.monotonic() > deadline:
                raise Stop(f"no {pattern!r} within {timeout} s")
            time.sleep(0.02)

    def mark(self):
        return len(self.out)

    def type(self, text):
        """Types text; returns where the answer to it starts in out."""
        at = self.mark()
        self.steps.append(text)
        self.proc.stdin.write(text.encode("latin-1"))
        self.proc.stdin.flush()
        return at

    def wait(self, timeout=EXIT_TIMEOUT):
        try:
            self.status = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise Stop(f"the system did not end within {timeout} s") from None

    def close(self):
        """Kills whatever is left (the whole session) and collects the output."""
        if self.proc.poll() is None:
            kill_session(self.proc.pid)
            self.proc.wait()
        self.pipes.join(timeout=5)
        left = outliving(self.proc.pid)
        if left:
            kill_session(self.proc.pid)
            self.failed = (self.failed or "") + f"; processes outlived the system: {left}"

    @property
    def report(self):
        typed = "".join(f"\n  {s!r}" for s in self.steps)
        return (f"\n$ {' '.join(self.cmd)}\ntyped:{typed}\n"
                f"exit status {self.status}; {self.failed or 'the conversation went through'}"
                f"\n--- stdout\n{self.out}--- stderr\n{self.err}---")


class Stop(Exception):
    """The conversation cannot go on."""


def converse(c, spans):
    """The scripted conversation; fills spans with {step: (start, end)}, the
    span of out that answers each step, as each one is answered."""
    first = c.expect(re.escape(PROMPT), timeout=FIRST_TIMEOUT)
    c.expect(re.escape(GREETING), timeout=STEP_TIMEOUT)
    spans["boot"] = (0, first.end())

    def step(name, text, until):
        at = c.type(text)
        m = c.expect(until, start=at)
        m = c.expect(re.escape(PROMPT), start=m.end())  # the shell is ready again
        spans[name] = (at, m.end())

    step("echo", "hello world\n", r"echo: hello world" + NL)
    step("backspace", "hellx\x7fo there\n", r"echo: hello there" + NL)
    step("cr", "one\r", r"echo: one" + NL)
    step("crlf", "two\r\n", r"echo: two" + NL)
    step("after_crlf", "three\n", r"echo: three" + NL)
    step("help", "help\n", r"commands: .*" + NL)
    at = c.type("quit\n")
    c.expect(r"goodbye" + NL, start=at)
    c.wait()
    spans["quit"] = (at, c.mark())


def ns16550_variant(work):
    """A copy of the example whose UART is the 16550."""
    def edit(doc):
        [uart] = doc["devices"]
        assert uart["compatible"] == ["arm,pl011", "ns16550a"]
        uart["compatible"] = ["ns16550a"]
    return copy_example(SPEC, work, edit)


@pytest.fixture(scope="module", params=BOARDS)
def console(request, tmp_path_factory):
    """One conversation with the console example on a board."""
    work = tmp_path_factory.mktemp(f"console-{request.param}")
    board, spec = request.param, SPEC
    if board == "hosted-ns16550":
        board, spec = "hosted", ns16550_variant(work)
    c = Conversation(board, work, spec, extra=("--trace", str(work / "trace")))
    c.trace = work / "trace"
    c.spans = {}
    try:
        converse(c, c.spans)
    except Stop as exc:
        c.failed = str(exc)
    finally:
        c.proc.stdin.close()
        c.close()
    c.board = request.param
    return c


def answer(c, step):
    """What the system printed in answer to one step of the conversation;
    fails the test if the conversation did not get that far."""
    assert step in c.spans, f"the conversation stopped before '{step}'{c.report}"
    lo, hi = c.spans[step]
    return c.out[lo:hi]


def lines(text):
    return [ln.rstrip("\r") for ln in text.split("\n")]


def test_greeting_and_prompt(console):
    """The shell's first line, then its prompt (the greeting may come
    between them: the shards run concurrently)."""
    boot = answer(console, "boot")
    assert re.search(r"^shell: type 'help' for the commands\r\n"
                     r"(" + re.escape(GREETING) + r"\r\n)?" + re.escape(PROMPT) + r"$",
                     boot, re.M), console.report


def test_greeting_comes_through_the_console_not_vn_log(console):
    """The hello shard has no device and never calls vn_log: its line is
    printed by the console shard, so it has no "[hello] " prefix."""
    answer(console, "boot")
    found = [ln for ln in lines(console.out) if GREETING in ln]
    assert found in ([GREETING], [PROMPT + GREETING]), console.report
    assert not [ln for ln in lines(console.out + console.err) if ln.startswith("[hello]")], \
        console.report


def test_typed_characters_are_echoed_and_answered(console):
    text = answer(console, "echo")
    assert re.fullmatch(r"hello world\r\necho: hello world\r\nshell> ", text), console.report


def test_backspace_erases(console):
    text = answer(console, "backspace")
    assert re.fullmatch(r"hellx\x08 \x08o there\r\necho: hello there\r\nshell> ", text), \
        console.report


def test_cr_ends_a_line(console):
    assert re.fullmatch(r"one\r\necho: one\r\nshell> ", answer(console, "cr")), console.report


def test_cr_lf_is_one_line_end(console):
    """The LF after a CR is no second (empty) line: the shell would prompt
    once more for it."""
    assert re.fullmatch(r"two\r\necho: two\r\nshell> ", answer(console, "crlf")), \
        console.report
    assert re.fullmatch(r"three\r\necho: three\r\nshell> ", answer(console, "after_crlf")), \
        console.report


def test_help_lists_the_commands(console):
    text = answer(console, "help")
    assert re.fullmatch(r"help\r\ncommands: help, quit; any other line is echoed\r\nshell> ",
                        text), console.report


def test_quit_says_goodbye_and_halts_with_status_0(console):
    text = answer(console, "quit")
    assert text.startswith("quit\r\ngoodbye\r\n"), console.report
    assert console.status == 0, console.report
    assert "vanity: system 'console' exited with status 0" in console.err, console.report
    # The console sleeps on its UART for good, but a UART can interrupt.
    assert "is stuck" not in console.err, console.report


def test_receive_interrupts_were_acknowledged(console):
    """The console acknowledges every UART interrupt (vn_irq_ack) and logs
    the first failure; none may fail, or input would stop after one."""
    answer(console, "quit")
    assert "[console] vn_irq_ack failed" not in console.out, console.report


# ---- QEMU's stdin -----------------------------------------------------------------

PROBE = ("import subprocess, sys; sys.path.insert(0, sys.argv[1]); "
         "from generator.build_bare import _serial_stdin; "
         "s = _serial_stdin(); "
         "print('devnull' if s is subprocess.DEVNULL else 'inherit' if s is None else s)")


def _serial_stdin_with(stdin, controlling=False):
    """What run() gives QEMU as stdin when vanity's own stdin is `stdin`, in
    a session of its own (as the system tests start it), optionally with
    that terminal as its controlling terminal, in the foreground."""
    def setup():
        if controlling:
            import fcntl
            import termios
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)
    proc = subprocess.run([PYTHON, "-c", PROBE, str(REPO)], stdin=stdin, capture_output=True,
                          text=True, start_new_session=True, preexec_fn=setup, timeout=30)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def test_qemu_reads_a_piped_stdin():
    r, w = os.pipe()
    try:
        assert _serial_stdin_with(r) == "inherit"
    finally:
        os.close(r)
        os.close(w)


def test_qemu_reads_its_own_terminal():
    master, slave = os.openpty()
    try:
        assert _serial_stdin_with(slave, controlling=True) == "inherit"
    finally:
        os.close(master)
        os.close(slave)


def test_qemu_leaves_a_foreign_terminal_alone():
    """A terminal that is not ours (a test run from a shell: pytest's stdin,
    in the new session each system test runs in) must not be put into raw
    mode by QEMU, nor its keystrokes taken: QEMU gets /dev/null."""
    master, slave = os.openpty()
    try:
        assert _serial_stdin_with(slave) == "devnull"
    finally:
        os.close(master)
        os.close(slave)


def test_qemu_reads_dev_null():
    assert _serial_stdin_with(subprocess.DEVNULL) == "inherit"


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-v"]))


def test_device_events_in_the_trace(console):
    """The traced conversation's kernel events include the UART's interrupts
    and the console's acknowledgements, decoded by babeltrace2."""
    assert "quit" in console.spans, f"the conversation did not end{console.report}"
    if shutil.which("babeltrace2") is None:
        pytest.skip("babeltrace2 is not installed (make deps)")
    bt = subprocess.run(["babeltrace2", str(console.trace)], capture_output=True, text=True)
    assert bt.returncode == 0, bt.stderr + console.report
    assert re.search(r"\) irq: \{ cpu_id = 0, ring = \d+ \}, \{ shard = 0, irq = \d+ \}",
                     bt.stdout), bt.stdout[-2000:]
    assert re.search(r"\) irq_ack: \{ cpu_id = 0, ring = \d+ \}, \{ shard = 0, bits = \d+ \}",
                     bt.stdout), bt.stdout[-2000:]
