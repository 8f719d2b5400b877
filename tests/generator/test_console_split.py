"""`vanity run` on a QEMU board splits the guest's UART as a hosted system's
output is split (generator/build_bare.Console): kernel lines to stderr,
shard lines to stdout, the kernel's CRs dropped, a console shard's bytes
untouched, firmware before the kernel's first line to stderr, whatever the
chunks the bytes arrive in."""

import io

import pytest

from generator.build_bare import Console

UART = (b"\r\nOpenSBI v1.1\r\nbanner\r\n"
        b"vanity: system 'x' (qemu-virt-riscv64): 2 shards on 1 core\r\n"
        b"[talker] hi\r\n"
        b"shell: type 'help'\r\nshell> hello\r\necho: hello\r\n"
        b"[a] b\r\n"
        b"vanity: shard 'a' faulted: SIGSEGV at 0x8, pc 0x80\r\n"
        b"[not a log line\r\n[x] y\rz\r\n"
        b"shell> ")
OUT = (b"[talker] hi\n"
       b"shell: type 'help'\r\nshell> hello\r\necho: hello\r\n"
       b"[a] b\n"
       b"[not a log line\r\n[x] y\rz\n"
       b"shell> ")
ERR = (b"\r\nOpenSBI v1.1\r\nbanner\r\n"
       b"vanity: system 'x' (qemu-virt-riscv64): 2 shards on 1 core\n"
       b"vanity: shard 'a' faulted: SIGSEGV at 0x8, pc 0x80\n")


@pytest.mark.parametrize("step", [1, 2, 3, 5, 8, 13, len(UART)])
def test_split(step):
    out, err = io.BytesIO(), io.BytesIO()
    c = Console(out, err)
    for i in range(0, len(UART), step):
        c.feed(UART[i:i + step])
    c.close()
    assert (out.getvalue(), err.getvalue()) == (OUT, ERR)


def test_a_prompt_is_not_held_back():
    out, err = io.BytesIO(), io.BytesIO()
    c = Console(out, err)
    c.feed(b"vanity: system 'x'\r\nshell> ")
    assert out.getvalue() == b"shell> "


QUIET_UART = (UART + b"\r\nvanity: system 'x' exited with status 0\r\n"
              b"vanity: system 'x' halted by shard 'a', exited with status 3\r\n")


@pytest.mark.parametrize("step", [1, 2, 3, 5, 8, 13, len(QUIET_UART)])
def test_quiet_drops_firmware_and_the_informational_lines(step):
    """-- --quiet: what the hosted kernel's --quiet drops (the system's start
    and its end with a status), and the firmware's banner before the
    kernel's first line; every other kernel line stays, whatever the
    chunks."""
    out, err = io.BytesIO(), io.BytesIO()
    c = Console(out, err, quiet=True)
    for i in range(0, len(QUIET_UART), step):
        c.feed(QUIET_UART[i:i + step])
    c.close()
    assert out.getvalue() == OUT + b"\r\n"  # the console shard's line end, as it is
    assert err.getvalue() == (b"vanity: shard 'a' faulted: SIGSEGV at 0x8, pc 0x80\n"
                              b"vanity: system 'x' halted by shard 'a', exited with status 3\n")


def test_quiet_firmware_without_a_kernel_line_is_dropped():
    out, err = io.BytesIO(), io.BytesIO()
    c = Console(out, err, quiet=True)
    c.feed(b"\r\nOpenSBI v1.1\r\nno newline at the end")
    c.close()
    assert (out.getvalue(), err.getvalue()) == (b"", b"")


def test_quiet_a_kernel_line_cut_short_is_still_the_kernels():
    out, err = io.BytesIO(), io.BytesIO()
    c = Console(out, err, quiet=True)
    c.feed(b"vanity: system 'x' (hosted): 1 shard on 1 core\r\nvanity: shard 'a' fau")
    c.close()
    assert (out.getvalue(), err.getvalue()) == (b"", b"vanity: shard 'a' fau")


class Gone(io.BytesIO):
    """A stream whose reader has left (`| head`) after `room` bytes."""

    def __init__(self, room):
        super().__init__()
        self.room = room

    def write(self, b):
        if self.tell() + len(b) > self.room:
            raise BrokenPipeError(32, "Broken pipe")
        return super().write(b)


def test_a_stream_whose_reader_left_takes_nothing_more():
    """stdout breaks at the second shard line: the rest is read and split
    on, and every kernel line still reaches stderr."""
    out, err = Gone(len(b"[talker] hi\n")), io.BytesIO()
    c = Console(out, err)
    c.feed(UART)
    c.feed(b"\r\nvanity: system 'x' exited with status 0\r\n")
    c.close()
    assert out.getvalue() == b"[talker] hi\n"
    assert err.getvalue() == ERR + b"vanity: system 'x' exited with status 0\n"
