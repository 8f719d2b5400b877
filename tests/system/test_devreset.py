"""A restarted shard finds its devices reset (tests/system/devreset): the
kernel resets a virtio card before the new generation starts, so a card its
predecessor left running does no more DMA into the zeroed heap. On the QEMU
boards, with a virtio-net card on a UDP backend; hosted resets its models
the same way (hk_devices_restart, tests/system/test_l2fwd_hosted.py).
"""

import pytest

from systest_lib import HERE, copy_spec_for_board, vanity

BOARDS = ["qemu-virt-aarch64", "qemu-virt-riscv64"]


@pytest.mark.parametrize("board", BOARDS)
def test_restarted_shard_finds_its_card_reset(board, tmp_path):
    spec = copy_spec_for_board(HERE / "devreset" / "devreset.yaml", tmp_path / "src", board)
    net = ["-netdev", "dgram,id=n0,local.type=inet,local.host=127.0.0.1,local.port=0,"
           "remote.type=inet,remote.host=127.0.0.1,remote.port=9",
           "-device", "virtio-net-device,netdev=n0"]
    r = vanity("run", spec, "-o", tmp_path / "out", "--build-dir", tmp_path / "build",
               "--", *net, timeout=240)
    # card 1: a network card; both generations find it reset
    assert r.log("owner") == ["card 0x1, status at start 0"] * 2, r.report
    assert "shard 'owner': on_fault=restart, restarted (1)" in r.kernel(), r.report
