"""How `vanity run` starts QEMU (generator/build_bare.py): bounded in time
only when VANITY_QEMU_TIMEOUT says so, and told to end when `vanity run`
does. tests/system/test_run_signals.py kills a real run."""

import os
import subprocess

import pytest

from vanity_testlib import PYTHON, REPO
from generator import build_bare
from generator.boards import BOARDS

# what runs QEMU: with the parent-death signal, while we are its parent
WRAP = ["setpriv", "--pdeathsig", "TERM", "/bin/sh", "-c", build_bare._STILL_OURS,
        str(os.getpid())]

PINGPONG = REPO / "examples/pingpong/pingpong.yaml"


@pytest.mark.parametrize("text, seconds", [(None, None), ("", None), (" ", None), ("0", None),
                                           ("7", 7), (" 90 ", 90)])
def test_the_bound_is_none_unless_set(monkeypatch, text, seconds):
    if text is None:
        monkeypatch.delenv("VANITY_QEMU_TIMEOUT", raising=False)
    else:
        monkeypatch.setenv("VANITY_QEMU_TIMEOUT", text)
    assert build_bare.qemu_timeout() == seconds


@pytest.mark.parametrize("text", ["abc", "-3", "1.5", "60s"])
def test_a_bound_that_is_no_number_is_refused(monkeypatch, text):
    monkeypatch.setenv("VANITY_QEMU_TIMEOUT", text)
    with pytest.raises(build_bare.BuildError) as e:
        build_bare.qemu_timeout()
    assert str(e.value) == (f"VANITY_QEMU_TIMEOUT={text!r} is no number of seconds; set it "
                            "to a whole number, or unset it (or 0) for no bound")


def test_vanity_run_says_so_before_it_builds(tmp_path):
    r = subprocess.run([PYTHON, str(REPO / "vanity"), "run", str(PINGPONG), "--board",
                        "qemu-virt-riscv64", "-o", str(tmp_path / "out"), "--build-dir",
                        str(tmp_path / "build")], capture_output=True, text=True,
                       env={"PATH": "/usr/bin:/bin", "VANITY_QEMU_TIMEOUT": "soon"})
    assert (r.returncode, r.stdout) == (1, "")
    assert r.stderr == ("vanity: error: VANITY_QEMU_TIMEOUT='soon' is no number of seconds; "
                        "set it to a whole number, or unset it (or 0) for no bound\n")
    assert not (tmp_path / "out").exists()  # not even generated


class Started(Exception):
    pass


@pytest.fixture
def started(monkeypatch):
    """The command build_bare.run would start QEMU with (not started)."""
    seen = []

    def popen(cmd, **_):
        seen.append(cmd)
        raise Started

    monkeypatch.setattr(build_bare.subprocess, "Popen", popen)
    monkeypatch.setattr(build_bare.shutil, "which", lambda name: "/usr/bin/" + name)
    monkeypatch.setattr(build_bare, "_pdeathsig", lambda: True)

    def start(gdb=False):
        with pytest.raises(Started):
            build_bare.run(BOARDS["qemu-virt-riscv64"], "image.elf", gdb=gdb)
        return seen.pop()
    return start


def test_a_users_run_has_no_bound_and_ends_with_vanity_run(started, monkeypatch):
    monkeypatch.delenv("VANITY_QEMU_TIMEOUT", raising=False)
    cmd = started()
    assert cmd[:8] == [*WRAP, "qemu-system-riscv64"], cmd
    assert "timeout" not in cmd


def test_a_bound_runs_qemu_under_timeout(started, monkeypatch):
    monkeypatch.setenv("VANITY_QEMU_TIMEOUT", "7")
    cmd = started()
    assert cmd[:13] == [*WRAP, "timeout", "--foreground", "-k", "5", "7",
                        "qemu-system-riscv64"], cmd


def test_gdb_is_never_bounded(started, monkeypatch):
    monkeypatch.setenv("VANITY_QEMU_TIMEOUT", "7")
    cmd = started(gdb=True)
    assert "timeout" not in cmd and cmd[:7] == WRAP, cmd


def test_without_a_setpriv_that_can_qemu_runs_as_it_is(started, monkeypatch):
    monkeypatch.delenv("VANITY_QEMU_TIMEOUT", raising=False)
    monkeypatch.setattr(build_bare, "_pdeathsig", lambda: False)
    assert started()[0] == "qemu-system-riscv64"


def test_a_run_whose_parent_is_gone_runs_nothing():
    """The command runs only while its parent is the one that started it:
    one killed before setpriv set the parent-death signal would send none,
    so the child, given to another parent, must not go on to start QEMU or
    a hosted kernel. Here the parent is named wrongly, as it would be then."""
    ok = build_bare._while_parent(["echo", "ran"], os.getpid())
    gone = build_bare._while_parent(["echo", "ran"], 1)
    assert subprocess.run(ok, capture_output=True, text=True).stdout == "ran\n"
    r = subprocess.run(gone, capture_output=True, text=True)
    assert r.stdout == "" and r.returncode != 0, r


def test_this_hosts_setpriv_can():
    """Debian's util-linux (2.38) has --pdeathsig: make deps installs it."""
    build_bare._pdeathsig.cache_clear()
    assert build_bare._pdeathsig()
