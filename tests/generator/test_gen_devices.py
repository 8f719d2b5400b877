"""Devices: each gets a notification bit in its owner after the channel
endpoints (the 64-bit limit counts both), VN_NOTIFY_/VN_DEVICE_ defines in
the owner's header only, and a row in the kernel's device table."""

import json
import re

import yaml

from vanity_testlib import REPO, vanity

IRQ_SPEC = REPO / "tests/system/irq/irq.yaml"


def _spec(tmp_path, doc):
    (tmp_path / "ok.c").write_text("#include <vanity_shard.h>\nvoid vn_main(void) {}\n")
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def _base(n_channels=1, devices=()):
    return {
        "vanity": 1, "system": "dev", "board": "qemu-virt-aarch64",
        "shards": [{"name": "hub", "sources": ["ok.c"]}, {"name": "leaf", "sources": ["ok.c"]}],
        "channels": [{"name": f"c{i}", "from": "hub", "to": "leaf", "message": 8, "depth": 2}
                     for i in range(n_channels)],
        "devices": list(devices),
    }


def _dev(name, i, **kw):
    return {"name": name, "address": 0x0a000000 + 0x1000 * i, "size": 0x1000, **kw}


def _defines(path):
    """The header's #define lines, with clang-format's alignment undone."""
    return {" ".join(ln.split()) for ln in path.read_text().splitlines()
            if ln.startswith("#define")}


def _gen(tmp_path, doc, board="qemu-virt-aarch64"):
    out = tmp_path / "out"
    proc = vanity("gen", _spec(tmp_path, doc), "--board", board, "-o", out)
    assert proc.returncode == 0, proc.stderr
    return out


def test_device_defines_in_the_owner_header_only(tmp_path):
    devs = [_dev("rtc", 0, irq=34, shard="hub"), _dev("gpio", 1, shard="hub")]
    out = _gen(tmp_path, _base(n_channels=2, devices=devs))
    hub = _defines(out / "shards/hub/vanity_shard.h")
    assert "#define VN_NOTIFY_C1 (UINT64_C(1) << 1)" in hub
    assert "#define VN_NOTIFY_RTC (UINT64_C(1) << 2)" in hub   # after the 2 endpoints
    assert "#define VN_NOTIFY_GPIO (UINT64_C(1) << 3)" in hub
    assert "#define VN_DEVICE_RTC_BASE 0xa000000ul" in hub
    assert "#define VN_DEVICE_RTC_SIZE 0x1000ul" in hub
    assert "#define VN_DEVICE_RTC_IRQ 34u" in hub
    assert not any("VN_DEVICE_GPIO_IRQ" in d for d in hub)    # no irq, no define
    leaf = (out / "shards/leaf/vanity_shard.h").read_text()
    assert "RTC" not in leaf and "GPIO" not in leaf
    tables = " ".join((out / "kernel/tables.c").read_text().split())
    assert re.search(r'\.name = "rtc",\s*\.compatible = "virtio,mmio",\s*\.shard = 0,\s*\.bit = 2,\s*\.irq = 34,\s*'
                     r'\.base = 0xa000000,\s*\.size = 0x1000,', tables)
    assert re.search(r'\.name = "gpio",\s*(\.compatible = "[^"]*",\s*)?\.shard = 0,\s*\.bit = 3,\s*\.irq = VN_NO_IRQ,', tables)
    assert ".n_devices = 2," in tables


def test_device_granted_by_the_shard_list(tmp_path):
    doc = _base(devices=[_dev("rtc", 0, irq=40)])
    doc["shards"][1]["devices"] = ["rtc"]
    out = _gen(tmp_path, doc)
    assert "#define VN_NOTIFY_RTC (UINT64_C(1) << 1)" in \
        _defines(out / "shards/leaf/vanity_shard.h")


def test_no_devices_no_device_table(tmp_path):
    tables = (_gen(tmp_path, _base()) / "kernel/tables.c").read_text()
    assert "vn_kdevice" not in tables and "n_devices" not in tables


def test_endpoints_and_devices_share_64_bits(tmp_path):
    devs = [_dev("d0", 0, shard="hub"), _dev("d1", 1, shard="hub")]
    ok = vanity("check", _spec(tmp_path, _base(n_channels=62, devices=devs)))
    assert ok.returncode == 0, ok.stderr
    devs.append(_dev("d2", 2, shard="hub"))
    bad = vanity("check", _spec(tmp_path, _base(n_channels=62, devices=devs)))
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
    assert re.search(r"error: shard 'hub' has 62 channel endpoints and 3 devices; at most 64 "
                     r"fit its notification bits", bad.stderr), bad.stderr


def test_device_irq_must_be_an_spi_on_aarch64(tmp_path):
    bad = vanity("check", _spec(tmp_path, _base(devices=[_dev("rtc", 0, irq=2, shard="hub")])))
    assert bad.returncode == 1
    assert "irq 2 is not a shared peripheral interrupt; give the GIC interrupt ID " \
           "(SPI n is 32 + n)" in bad.stderr


def test_device_irq_must_be_a_plic_source_on_riscv64(tmp_path):
    for irq in (0, 96):
        doc = _base(devices=[_dev("rtc", 0, irq=irq, shard="hub")])
        doc["board"] = "qemu-virt-riscv64"
        bad = vanity("check", _spec(tmp_path, doc))
        assert bad.returncode == 1
        assert f"irq {irq} is not a PLIC source; give the PLIC interrupt number " \
               "(1..95 on QEMU virt)" in bad.stderr, bad.stderr


def test_devices_on_one_page_of_two_shards_are_reached_through_the_kernel(tmp_path):
    """The MMU maps the pages that hold a window: two windows on one page
    of one shard are mapped into it; of two shards, into neither, and both
    owners' register accesses become calls to the kernel (mediated)."""
    def devs(second_owner):
        return [{"name": "a", "address": 0x0a000000, "size": 0x200, "shard": "hub"},
                {"name": "b", "address": 0x0a000200, "size": 0x200, "shard": second_owner},
                {"name": "c", "address": 0x0a001000, "size": 0x200, "shard": "leaf"}]
    for owner, mediated in (("hub", set()), ("leaf", {"a", "b"})):
        out = tmp_path / owner
        ok = vanity("gen", _spec(tmp_path, _base(devices=devs(owner))), "-o", out)
        assert ok.returncode == 0, ok.stderr
        manifest = json.loads((out / "manifest.json").read_text())
        assert {d["name"] for d in manifest["devices"] if d.get("mediated")} == mediated
        tables = (out / "kernel" / "tables.c").read_text()
        assert len(re.findall(r"\.mediated\s*=\s*1,", tables)) == len(mediated)
        for shard in ("hub", "leaf"):
            header = (out / "shards" / shard / "vanity_shard.h").read_text()
            # each shard owns a mediated device when there are any
            assert ("#define VN_MMIO_BY_KERNEL 1" in header) == bool(mediated), (shard, owner)


def test_device_and_channel_names_must_differ(tmp_path):
    bad = vanity("check", _spec(tmp_path, _base(devices=[_dev("C0", 0, shard="hub")])))
    assert bad.returncode == 1 and "has the name of channel 'c0'" in bad.stderr, bad.stderr


def test_irq_system_spec_checks_on_both_boards(tmp_path):
    for board in ("hosted", "qemu-virt-aarch64"):
        proc = vanity("gen", IRQ_SPEC, "--board", board, "-o", tmp_path / board)
        assert proc.returncode == 0, proc.stderr
        head = _defines(tmp_path / board / "shards/clock/vanity_shard.h")
        assert "#define VN_NOTIFY_RTC (UINT64_C(1) << 0)" in head
        assert "#define VN_DEVICE_RTC_IRQ 34u" in head
