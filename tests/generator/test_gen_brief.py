"""The spec sketch of the product brief is the contract: it is accepted as
written, and it generates and compiles on the hosted board."""

import shutil

from vanity_testlib import REPO, vanity

SKETCH = REPO / "tests/generator/brief_sketch.yaml"


def test_brief_sketch_is_accepted_as_written(tmp_path):
    shutil.copy(SKETCH, tmp_path / "pingpong.yaml")
    for src in ("ping.c", "pong.c"):
        (tmp_path / src).write_text("#include <vanity_shard.h>\nvoid vn_main(void) {}\n")
    r = vanity("check", tmp_path / "pingpong.yaml")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().endswith("ok (2 shards, 2 channels)")
    r = vanity("build", tmp_path / "pingpong.yaml", "-o", tmp_path / "out",
               "--build-dir", tmp_path / "build")
    assert r.returncode == 0, r.stdout + r.stderr
    header = (tmp_path / "out/shards/ping/vanity_shard.h").read_text()
    assert "Device 'console', register map 'pl011'" in header
