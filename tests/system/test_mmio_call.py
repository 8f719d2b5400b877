"""Devices on one page of two shards (spec/README.md, "Device";
docs/aarch64.md), on both QEMU boards: tests/system/mmiocall splits the
board's RTC page into two windows of two shards, so neither maps it and
each reaches its half through MMIO calls that the kernel checks and makes.
A call inside the caller's window works; one outside it faults the caller
(as an unmapped access would); one the device refuses (a width QEMU's
goldfish RTC does not take) faults the caller with SIGBUS, not the kernel:
a third shard runs on past both.
"""

import json
import re

import pytest

from systest_lib import HERE, RTC, copy_spec, vanity

SPEC = HERE / "mmiocall" / "mmiocall.yaml"


@pytest.fixture(scope="module", params=sorted(RTC), ids=lambda b: b.split("-")[-1])
def run(request, tmp_path_factory):
    board = request.param
    work = tmp_path_factory.mktemp(f"mmiocall-{board}")

    def edit(doc):
        doc["board"] = board
        for d, off in zip(doc["devices"], (0, 0x800)):
            d["address"] = RTC[board] + off
    spec = copy_spec(SPEC, work / "src", edit)
    r = vanity("run", spec, "-o", work / "out", "--build-dir", work / "build", timeout=240)
    r.work, r.board = work, board
    return r


def test_both_devices_are_reached_through_the_kernel(run):
    doc = json.loads((run.work / "out" / "manifest.json").read_text())
    assert [d.get("mediated") for d in doc["devices"]] == [True, True]
    tables = (run.work / "out" / "kernel" / "tables.c").read_text()
    assert len(re.findall(r"\.mediated\s*=\s*1,", tables)) == 2
    assert run.log("lo")[0] == "data register: read", run.report


def test_a_call_outside_the_callers_window_faults_it(run):
    base = RTC[run.board]
    assert run.log("hi") == ["reading lo's half"], run.report
    assert re.search(rf"^vanity: shard 'hi' faulted: MMIO call outside its devices at "
                     rf"{base:#x}, pc ", run.stderr, re.M), run.report


def test_a_call_the_device_refuses_faults_the_caller_not_the_kernel(run):
    base = RTC[run.board]
    if run.board == "qemu-virt-riscv64":  # the goldfish RTC takes 32-bit accesses only
        assert run.log("lo") == ["data register: read"], run.report
        assert re.search(rf"^vanity: shard 'lo' faulted: MMIO call refused by the device at "
                         rf"{base:#x}, pc ", run.stderr, re.M), run.report
    else:  # the PL031 takes a byte
        assert run.log("lo")[1:] == [run.log("lo")[1], "still here"], run.report
        assert run.log("lo")[1].startswith("one byte: "), run.report
    assert "kernel panic" not in run.stderr, run.report
    assert run.log("bystander") == ["alive"], run.report
    assert run.status == 1, run.report  # a shard was stopped by a fault


@pytest.mark.parametrize("board", sorted(RTC), ids=lambda b: b.split("-")[-1])
def test_a_shared_page_not_mediated_is_refused_at_boot(board, tmp_path):
    """The kernel maps a device that is not mediated into its owner whole
    pages at a time: tables.c edited so that one of two shards' devices on
    one page is not mediated (the other's page would be its owner's too)
    stops the boot with one line and status 1, before any shard runs."""
    from bare_suite import BareRun
    from systest_lib import boot_edited

    def edit(doc):
        doc["board"] = board
        for d, off in zip(doc["devices"], (0, 0x800)):
            d["address"] = RTC[board] + off
    spec = copy_spec(SPEC, tmp_path / "src", edit)
    hi = f".base       = {RTC[board] + 0x800:#x},\n\t        .size       = 0x800,\n"
    r = boot_edited(spec, board, tmp_path, {"tables.c": [
        (hi + "\t        .mediated   = 1,", hi + "\t        .mediated   = 0,")]})
    assert r.status == 1, r.report
    assert r.stdout == "" and BareRun(r).kernel()[-1] == \
        "cannot boot: devices of two shards share a page that is not mediated: rtc_hi", r.report
