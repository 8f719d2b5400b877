"""The in-system update path end to end (examples/updater): a reload image
of a new `app` travels into the running system over the UART as hex, the
loader shard receives it into its own heap and hands it to the kernel with
vn_reload(); the kernel checks it and swaps it in. A corrupted copy sent
the same way is refused with its reason, and the old version runs on.
"""

import pytest

from systest_lib import REPO, Running, copy_example, shard_of, vanity

SPEC = REPO / "examples" / "updater" / "updater.yaml"
BOARDS = ["hosted", "qemu-virt-aarch64", "qemu-virt-riscv64"]
BOOT = 120


def load(image):
    hexed = image.hex()
    lines = "\n".join(hexed[i:i + 64] for i in range(0, len(hexed), 64))
    return f"load {len(image)}\n{lines}\n".encode()


@pytest.mark.parametrize("board", BOARDS)
def test_update_over_the_uart(tmp_path, board):
    def version(v):
        return lambda doc: shard_of(doc, "app").update(cflags=[f"-DVERSION={v}"])

    v1 = copy_example(SPEC, tmp_path / "v1", version(1))
    v2 = copy_example(SPEC, tmp_path / "v2", version(2))
    image = tmp_path / "app2.vrl"
    r = vanity("reload", v2, "app", "--board", board, "--build-dir", tmp_path / "b2",
               "--write", image, timeout=BOOT)
    assert r.status == 0, r.report
    good = image.read_bytes()
    common = ["--board", board, "-o", tmp_path / "out", "--build-dir", tmp_path / "b"]
    r = vanity("build", v1, *common, timeout=BOOT)
    assert r.status == 0, r.report
    system = Running([v1, *common])
    try:
        system.wait_for("app version 1 up", BOOT)
        system.send(load(good))
        system.wait_for(f"[loader] app image of {len(good)} bytes: accepted", 120)
        system.wait_for("[app] app version 2 up", 10)
        assert "shard 'app': reloaded, generation 2" in system.text, system.text
        bad = bytearray(good)
        bad[len(bad) // 2] ^= 0x01
        system.send(load(bytes(bad)))
        why = "corrupted: its SHA-256 does not match its header"
        system.wait_for(f"[loader] app image of {len(good)} bytes: {why}", 120)
        assert f"shard 'app': reload refused: {why}" in system.text, system.text
        system.send(b"quit\n")
        assert system.proc.wait(timeout=60) == 0, system.text
    finally:
        system.kill()
    assert system.text.count("app version") == 2, system.text  # 1, then 2, once each
