"""QEMU's semihosting is the kernel's, never a shard's (boards.SEMIHOSTING:
userspace=off). A shard that makes the call the kernel makes, to create a
file on the host or to end QEMU, is stopped as for the undefined instruction
or breakpoint it is, and the system runs on (tests/system/semihost)."""

import pytest

from systest_lib import HERE, copy_spec, vanity


@pytest.mark.parametrize("board", ["qemu-virt-aarch64", "qemu-virt-riscv64"])
def test_a_shard_cannot_use_semihosting(board, tmp_path):
    probe = tmp_path / "probe"

    def edit(doc):
        for s in doc["shards"]:
            if s["name"] == "opener":
                s["cflags"] = ["-DPROBE_OPEN", f'-DPROBE_PATH="{probe}"']
    spec = copy_spec(HERE / "semihost" / "semihost.yaml", tmp_path / "src", edit)
    r = vanity("run", spec, "--board", board, "-o", tmp_path / "out",
               "--build-dir", tmp_path / "build", timeout=240)
    assert r.log("opener") == ["opening a host file"], r.report
    assert r.log("exiter") == ["ending QEMU"], r.report
    for name in ("opener", "exiter"):
        assert sum(ln.startswith(f"shard '{name}' faulted: ") for ln in r.kernel()) == 1, r.report
        assert any(ln.startswith(f"shard '{name}': on_fault=stop, stopped; ")
                   for ln in r.kernel()), r.report
    assert r.log("keeper") == ["still running"], r.report
    assert r.status == 3, r.report  # the keeper's, not SYS_EXIT's 77
    assert not probe.exists()
    assert "a shard wrote through semihosting" not in r.stdout + r.stderr, r.report
