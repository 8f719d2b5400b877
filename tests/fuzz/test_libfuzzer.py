"""libFuzzer targets that run in the hosted kernel's process, on what a
shard or a host tool controls (docs/robustness.md): the device models
(tests/fuzz/fuzz_devices.c) and the check of a reload's new executable
(tests/fuzz/fuzz_reload.c). Each target builds with ASan and UBSan,
replays its committed seeds (tests/fuzz/seeds/TARGET: inputs that once
found a bug, and for reload an image the check accepts) and runs a fixed
number of inputs without a crash or a broken invariant. A few seconds
each; `make fuzz` runs them for FUZZ_TIME seconds instead."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
RUNS = {"devices": 20000, "reload": 200000}  # a few seconds each


def clang():
    if os.environ.get("CLANG"):
        return shutil.which(os.environ["CLANG"])
    return shutil.which("clang") or shutil.which("clang-14")


@pytest.mark.parametrize("target", sorted(RUNS))
def test_target_under_libfuzzer(tmp_path, target):
    cc = clang()
    if not cc:
        pytest.skip("clang is not installed (make deps installs clang-14 and "
                    "libclang-rt-14-dev)")
    probe = tmp_path / "probe.c"
    probe.write_text("#include <stddef.h>\n#include <stdint.h>\n"
                     "int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)"
                     "{ (void)d; (void)n; return 0; }\n")
    p = subprocess.run([cc, "-fsanitize=fuzzer,address,undefined", "-o",
                        str(tmp_path / "probe"), str(probe)], capture_output=True, text=True)
    if p.returncode != 0:
        pytest.skip(f"{cc} cannot link libFuzzer (make deps installs libclang-rt-14-dev): "
                    f"{p.stderr.strip()[-200:]}")
    env = dict(os.environ, CLANG=cc, FUZZ_RUNS=str(RUNS[target]),
               FUZZ_DIR=str(tmp_path / "fuzz"))
    # 120 s bounds a hang; the runs take a few seconds.
    p = subprocess.run(["sh", str(REPO / "tests" / "fuzz" / "run.sh"), "120", target],
                       cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    out = p.stdout + p.stderr
    assert p.returncode == 0, out[-4000:]
    m = re.search(rf"^fuzz_{target}: ok: (\d+) runs", p.stdout, re.M)
    assert m and int(m[1]) == RUNS[target], out[-4000:]
    log = (tmp_path / "fuzz" / f"fuzz_{target}.d" / "log.txt").read_text()
    # The seeds were read: every one of them is in the first corpus.
    seeds = len(list((REPO / "tests" / "fuzz" / "seeds" / target).iterdir()))
    m = re.search(r"INFO: +(\d+) files found in corpus", log)
    assert m and int(m[1]) >= seeds, log[-2000:]
