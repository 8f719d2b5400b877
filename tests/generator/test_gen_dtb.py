"""Boards from device trees: generator/dtb.py reads boards/<board>.dtb (and
boards/hosted.yaml), and a spec's device given by `compatible` (+ `index`)
or `path` gets its window and interrupt from it, exactly as if written."""

import argparse
import json
import re
import shutil
import subprocess

import pytest
import yaml

from vanity_testlib import BAD, REPO, vanity
from generator import dtb
from generator.cli import load
from generator.errors import SpecError

# bad/dtb_*.yaml -> the exact diagnostics, without the "tests/generator/bad/" prefix.
EXPECTED = {
    "dtb_no_compatible": [
        "7:29: error: device 'rtc': board 'qemu-virt-aarch64' has no device compatible with "
        "'arm,pl0311'; did you mean 'arm,pl031'? compatible devices on this board: "
        "arm,cortex-a15-gic, arm,gic-v2m-frame, arm,pl011, arm,pl031, arm,pl061, "
        "arm,primecell, cfi-flash, pci-host-ecam-generic, qemu,fw-cfg-mmio, virtio,mmio"],
    "dtb_ambiguous": [
        "7:29: error: device 'net': compatible 'virtio,mmio' matches 32 nodes on board "
        "'qemu-virt-aarch64' (/virtio_mmio@a000000, /virtio_mmio@a000200, "
        "/virtio_mmio@a000400, /virtio_mmio@a000600, /virtio_mmio@a000800, "
        "/virtio_mmio@a000a00, /virtio_mmio@a000c00, /virtio_mmio@a000e00, ... (24 more)); "
        "add 'index: N' (0 is the lowest address) or give 'path'"],
    "dtb_index_out_of_range": [
        "7:51: error: device 'net': index 32 is out of range: board 'qemu-virt-aarch64' has "
        "32 nodes compatible with 'virtio,mmio' (index 0..31, or -1 for the highest address "
        "down to -32)"],
    "dtb_unknown_path": [
        "7:23: error: device 'rtc': board 'qemu-virt-aarch64' has no node at path "
        "'/pl031@901000'; did you mean '/pl031@9010000'? nodes with a window on this board: "
        "/fw-cfg@9020000, /virtio_mmio@a000000, /virtio_mmio@a000200, /virtio_mmio@a000400, "
        "/virtio_mmio@a000600, /virtio_mmio@a000800, /virtio_mmio@a000a00, "
        "/virtio_mmio@a000c00, ... (32 more)"],
    "dtb_index_without_compatible": [
        "7:56: error: device 'rtc': 'index' picks one of several 'compatible' nodes; "
        "give 'compatible' with it"],
    "dtb_compatible_and_path": [
        "7:48: error: device 'rtc': give either 'compatible' or 'path', not both"],
    "dtb_same_node_twice": [
        "8:25: error: device 'clock' is node /pl031@9010000, like device 'rtc' (at 7:29); "
        "a device is granted once"],
    "dtb_hosted_unknown": [
        "7:30: error: device 'uart': board 'hosted' has no device compatible with "
        "'google,goldfish-rtc'; compatible devices on this board: arm,pl011, arm,pl031, "
        "arm,primecell, ns16550a, virtio,mmio"],
    "dtb_hosted_none_of": [
        "8:17: error: device 'rtc': board 'hosted' has no device compatible with any of "
        "'google,goldfish-rtc', 'sifive,test1'; compatible devices on this board: arm,pl011, "
        "arm,pl031, arm,primecell, ns16550a, virtio,mmio"],
}


def test_every_dtb_bad_spec_has_an_expectation():
    assert {p.stem for p in BAD.glob("dtb_*.yaml")} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_dtb_error(name, in_repo):
    args = argparse.Namespace(spec=f"tests/generator/bad/{name}.yaml", board=None)
    with pytest.raises(SpecError) as exc:
        load(args)
    assert [str(d) for d in exc.value.diags] == \
        [f"tests/generator/bad/{name}.yaml:{line}" for line in EXPECTED[name]]


def test_dtb_error_through_the_command_line():
    proc = vanity("check", "tests/generator/bad/dtb_ambiguous.yaml")
    assert proc.returncode == 1 and proc.stdout == "" and "Traceback" not in proc.stderr
    assert proc.stderr.splitlines() == \
        ["tests/generator/bad/dtb_ambiguous.yaml:" + EXPECTED["dtb_ambiguous"][0]]


# ---- reading the committed trees ---------------------------------------------

def _one(board, compatible=None, index=None, path=None):
    n = dtb.find(dtb.board_tree(board), compatible=compatible, index=index, path=path)
    return n.path, n.address, n.size, n.irq


def test_aarch64_devices():
    assert _one("qemu-virt-aarch64", "arm,pl011") == ("/pl011@9000000", 0x9000000, 0x1000, 33)
    assert _one("qemu-virt-aarch64", "arm,pl031") == ("/pl031@9010000", 0x9010000, 0x1000, 34)
    # 32 virtio-mmio slots, index 0 at the lowest address; SPI 16 + n is GIC ID 48 + n.
    assert _one("qemu-virt-aarch64", "virtio,mmio", index=0) == \
        ("/virtio_mmio@a000000", 0xa000000, 0x200, 48)
    assert _one("qemu-virt-aarch64", "virtio,mmio", index=31) == \
        ("/virtio_mmio@a003e00", 0xa003e00, 0x200, 79)
    # -1 is the highest slot, the one QEMU gives its first virtio device
    assert _one("qemu-virt-aarch64", "virtio,mmio", index=-1) == \
        _one("qemu-virt-aarch64", "virtio,mmio", index=31)
    assert _one("qemu-virt-riscv64", "virtio,mmio", index=-2)[1] == 0x10007000
    assert _one("qemu-virt-aarch64", path="/pl031@9010000")[1:] == (0x9010000, 0x1000, 34)


def test_aarch64_ppi_and_cells():
    tree = dtb.board_tree("qemu-virt-aarch64")
    timer = next(n for n in tree.nodes if "arm,armv8-timer" in n.compatible)
    assert timer.irqs == (16 + 13, 16 + 14, 16 + 11, 16 + 10)     # PPIs
    gic = next(n for n in tree.nodes if "arm,cortex-a15-gic" in n.compatible)
    assert gic.reg[:2] == ((0x8000000, 0x10000), (0x8010000, 0x10000))


def test_riscv64_devices():
    assert _one("qemu-virt-riscv64", "ns16550a") == ("/soc/serial@10000000", 0x10000000, 0x100, 10)
    assert _one("qemu-virt-riscv64", "google,goldfish-rtc") == \
        ("/soc/rtc@101000", 0x101000, 0x1000, 11)
    assert _one("qemu-virt-riscv64", "virtio,mmio", index=7) == \
        ("/soc/virtio_mmio@10008000", 0x10008000, 0x1000, 8)


def test_hosted_description():
    assert _one("hosted", "arm,pl011") == ("/pl011@9000000", 0x9000000, 0x1000, 33)
    assert _one("hosted", "ns16550a") == ("/serial@10000000", 0x10000000, 0x1000, 42)
    assert _one("hosted", "arm,pl031")[0] == "/pl031@9010000"


def _spec(tmp_path, board, devices):
    (tmp_path / "ok.c").write_text("#include <vanity_shard.h>\nvoid vn_main(void) {}\n")
    doc = {"vanity": 1, "system": "dt", "board": board,
           "shards": [{"name": "a", "sources": ["ok.c"]}], "devices": devices}
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def test_resolved_device_flows_like_an_explicit_one(tmp_path):
    spec = _spec(tmp_path, "qemu-virt-riscv64", [
        {"name": "uart", "compatible": "ns16550a", "shard": "a"},
        {"name": "net", "compatible": "virtio,mmio", "index": 2, "shard": "a"},
        {"name": "rtc", "path": "/soc/rtc@101000", "irq": 12, "shard": "a"}])
    proc = vanity("gen", spec, "-o", tmp_path / "out")
    assert proc.returncode == 0, proc.stderr
    devices = json.loads((tmp_path / "out/manifest.json").read_text())["devices"]
    got = [(d["name"], d["address"], d["size"], d["irq"], d["from"], d["node"]) for d in devices]
    assert got == [
        # a page-aligned block alone in its page is granted the whole page
        ("uart", "0x10000000", "0x1000", 10, "boards/qemu-virt-riscv64.dtb",
         "/soc/serial@10000000"),
        ("net", "0x10003000", "0x1000", 3, "boards/qemu-virt-riscv64.dtb",
         "/soc/virtio_mmio@10003000"),
        ("rtc", "0x101000", "0x1000", 12, "boards/qemu-virt-riscv64.dtb", "/soc/rtc@101000")]
    tables = " ".join((tmp_path / "out/kernel/tables.c").read_text().split())
    assert '.name = "uart", .compatible = "ns16550a", .shard = 0, .bit = 0, .irq = 10, .base = 0x10000000, ' \
           '.size = 0x1000,' in tables
    report = (tmp_path / "out/report.txt").read_text()
    assert "from boards/qemu-virt-riscv64.dtb /soc/serial@10000000" in report


@pytest.mark.parametrize("board, compatible, regmap, address", [
    ("hosted", "arm,pl011", "pl011", "0x9000000"),
    ("qemu-virt-aarch64", "arm,pl011", "pl011", "0x9000000"),
    ("qemu-virt-riscv64", "ns16550a", "ns16550", "0x10000000")])
def test_compatible_list_and_regmap_follow_the_board(tmp_path, board, compatible, regmap,
                                                     address):
    """One spec for every board: the first compatible the board has wins, and
    the register map is the one (drivers/*/NAME.yaml) that lists it."""
    spec = _spec(tmp_path, board, [
        {"name": "uart", "compatible": ["arm,pl011", "ns16550a"], "shard": "a"}])
    proc = vanity("gen", spec, "-o", tmp_path / "out")
    assert proc.returncode == 0, proc.stderr
    [d] = json.loads((tmp_path / "out/manifest.json").read_text())["devices"]
    assert (d["compatible"], d["regmap"], d["address"]) == (compatible, regmap, address)
    header = (tmp_path / "out/shards/a/vanity_shard.h").read_text()
    assert f'#include "../../regmaps/{regmap}.h"' in header


def test_regmap_by_compatible_prefers_an_inline_map(tmp_path):
    spec = _spec(tmp_path, "qemu-virt-aarch64",
                 [{"name": "rtc", "compatible": "arm,pl031", "shard": "a"}])
    doc = yaml.safe_load(spec.read_text())
    doc["regmaps"] = {"myrtc": {"compatible": "arm,pl031",
                                "registers": [{"name": "DR", "offset": 0, "access": "ro"}]}}
    spec.write_text(yaml.safe_dump(doc, sort_keys=False))
    proc = vanity("gen", spec, "-o", tmp_path / "out")
    assert proc.returncode == 0, proc.stderr
    [d] = json.loads((tmp_path / "out/manifest.json").read_text())["devices"]
    assert d["regmap"] == "myrtc"


def test_explicit_device_says_spec(tmp_path):
    spec = _spec(tmp_path, "qemu-virt-aarch64",
                 [{"name": "rtc", "address": 0x9010000, "size": 4096, "shard": "a"}])
    assert vanity("gen", spec, "-o", tmp_path / "out").returncode == 0
    dev = json.loads((tmp_path / "out/manifest.json").read_text())["devices"][0]
    assert (dev["from"], dev["node"]) == ("spec", None)


# ---- the committed DTBs are what QEMU dumps today ---------------------------

QEMU = {
    "qemu-virt-aarch64": ["qemu-system-aarch64", "-M", "virt,gic-version=2,dumpdtb={}",
                          "-cpu", "cortex-a53", "-nic", "none"],
    "qemu-virt-riscv64": ["qemu-system-riscv64", "-M", "virt,aclint=on,dumpdtb={}",
                          "-cpu", "rv64,zba=on,zbb=on", "-bios", "default", "-nic", "none"],
}


@pytest.mark.parametrize("board", sorted(QEMU))
def test_committed_dtb_matches_qemu(board, tmp_path):
    cmd = QEMU[board]
    if not shutil.which(cmd[0]) or not shutil.which("dtc"):
        pytest.skip(f"needs {cmd[0]} and dtc")
    out = tmp_path / "d.dtb"
    cmd = [c.format(out) for c in cmd] + ["-m", "256M", "-smp", "4", "-nographic",
                                          "-monitor", "none"]
    subprocess.run(cmd, check=True, capture_output=True, timeout=60)

    def dts(path, fmt="dtb"):
        text = subprocess.run(["dtc", "-q", "-I", fmt, "-O", "dts", str(path)], check=True,
                              capture_output=True, text=True).stdout
        # /chosen's rng-seed and kaslr-seed are random on every run
        return re.sub(r"(seed = )<[^>]*>", r"\1<...>", text)
    committed = REPO / "boards" / f"{board}.dtb"
    assert dts(out) == dts(committed), "run `make boards` and commit boards/"
    assert dts(committed) == dts(REPO / "boards" / f"{board}.dts", "dts")
