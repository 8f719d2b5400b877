"""Register maps -> accessor headers: what exists, what compiles, what modify writes."""

import argparse
import re
import subprocess

import pytest

from vanity_testlib import REPO
from generator.cli import load
from generator.render import render

CFLAGS = ["-Wall", "-Wextra", "-Werror", "-std=c11", "-I", str(REPO / "runtime/include")]

SPEC = """\
vanity: 1
system: rm
shards:
  - {name: a, sources: [a.c]}
devices:
  - {name: tim0, regmap: tim, address: 0x9000000, size: 4KiB, shard: a}
  - {name: tim1, regmap: tim, address: 0x9001000, size: 4KiB, shard: a}
regmaps:
  tim:
    registers:
      - name: ST
        offset: 0
        read_side_effects: true
        fields:
          - {name: DONE, bits: 0, access: w1c}
          - name: MODE
            bits: "3:1"
            enum: [{name: IDLE, value: 0}, {name: FAST, value: 7}]
      - name: FL
        offset: 0x8
        width: 16
        reset: 0x8
        fields:
          - {name: Z, bits: 3, access: w0c}
          - {name: LEVEL, bits: "7:4"}
          - {name: OV, bits: 15, access: w1c}
      - {name: KEY, offset: 0xc, width: 8, access: wo}
      - {name: ID, offset: 0xe, width: 16, access: ro, reset: 0x1234}
      - {name: CMP, offset: 0x10, count: 4, stride: 8, width: 64}
"""


def _generate(tmp_path, spec=SPEC):
    (tmp_path / "a.c").write_text("")
    (tmp_path / "s.yaml").write_text(spec)
    model, _ = load(argparse.Namespace(spec=str(tmp_path / "s.yaml"), board=None))
    out = tmp_path / "out"
    for rel, text in render(model, REPO).items():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_text(text)
    return out


def _compile(tmp_path, out, body, run=False, head=""):
    src = tmp_path / "user.c"
    src.write_text(f"{head}#include <vanity_shard.h>\n#include <stdio.h>\n\n"
                   f"int main(void)\n{{\n{body}\n\treturn 0;\n}}\n")
    exe = tmp_path / "user"
    flags = ["-o", str(exe)] if run else ["-fsyntax-only"]
    proc = subprocess.run(["gcc", *CFLAGS, "-I", str(out / "shards/a"), *flags, str(src)],
                          capture_output=True, text=True)
    if run and proc.returncode == 0:
        return subprocess.run([str(exe)], capture_output=True, text=True)
    return proc


def test_header_written_once_per_map_and_included(tmp_path):
    out = _generate(tmp_path)
    assert sorted(p.name for p in (out / "regmaps").iterdir()) == ["tim.h"]
    shard_h = (out / "shards/a/vanity_shard.h").read_text()
    assert shard_h.count('#include "../../regmaps/tim.h"') == 1


def test_accessors_follow_access(tmp_path):
    text = (_generate(tmp_path) / "regmaps/tim.h").read_text()
    assert "tim_st_read(uintptr_t base)" in text
    assert "tim_st_modify" not in text            # a read has side effects
    assert "tim_key_write(" in text and "tim_key_read(" not in text
    assert "tim_id_read(" in text and "tim_id_write(" not in text
    assert "tim_id_modify" not in text
    assert "tim_cmp_read(uintptr_t base, unsigned i)" in text
    assert "#define TIM_ST_MODE_FAST" in text and "#define TIM_ST_MODE_MASK" in text
    assert re.search(r"#define TIM_FL_LEVEL_RESET +0x0u\n", text)
    assert re.search(r"#define TIM_FL_Z_RESET +0x1u\n", text)
    assert "_Static_assert(TIM_CMP_OFFSET" in text


def test_no_c_bitfields(tmp_path):
    text = (_generate(tmp_path) / "regmaps/tim.h").read_text()
    assert "struct" not in text and "union" not in text


def test_header_compiles_and_modify_keeps_flags(tmp_path):
    out = _generate(tmp_path)
    body = """\
	static uint64_t dev[8];
	uintptr_t base = (uintptr_t)dev;
	uint16_t *fl = (uint16_t *)((char *)dev + TIM_FL_OFFSET);
	*fl = 0x8000; /* OV set, Z clear */
	tim_fl_modify(base, TIM_FL_LEVEL_MASK, tim_fl_level_prep(5));
	printf("%#x\\n", *fl);
	tim_cmp_write(base, 3, 42);
	printf("%d %d\\n", (int)dev[2 + 3], (int)tim_cmp_read(base, 3));
	printf("%d\\n", (int)tim_st_mode_get(tim_st_mode_set(0, TIM_ST_MODE_FAST)));"""
    proc = _compile(tmp_path, out, body, run=True)
    assert proc.returncode == 0, proc.stderr
    # OV (w1c) was set but is not written back; Z (w0c) is written as 1.
    assert proc.stdout.split("\n")[:3] == ["0x58", "42 42", "7"]


WIDE = """\
vanity: 1
system: rw
shards:
  - {name: a, sources: [a.c]}
devices:
  - {name: win, regmap: wide, address: 0x100000000, size: 8GiB, shard: a}
regmaps:
  wide:
    registers:
      - {name: W, offset: 0x4, count: 17, stride: 0x10000000}
"""


def test_an_array_index_times_its_stride_does_not_wrap_at_4gib(tmp_path):
    """Element 16 of a 256 MiB stride is 4 GiB past the first: the accessor
    widens the index before it multiplies (in 32 bits the address would
    wrap to the first element's). The window is address space reserved
    without memory; the two pages written are the only ones touched."""
    out = _generate(tmp_path, WIDE)
    body = """\
	size_t len = (16ul << 28) + 8192;
	uint8_t *w = mmap(NULL, len, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (w == MAP_FAILED)
		return 2;
	wide_w_write((uintptr_t)w, 16, 0x5a5a5a5a);
	wide_w_write((uintptr_t)w, 1, 7);
	printf("%#x %#x %u %u\\n", *(uint32_t *)(w + (16ul << 28) + 4),
	       *(uint32_t *)(w + 4), wide_w_read((uintptr_t)w, 16) == 0x5a5a5a5a,
	       *(uint32_t *)(w + (1ul << 28) + 4));"""
    proc = _compile(tmp_path, out, body, run=True, head="#define _DEFAULT_SOURCE\n#include <sys/mman.h>\n")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split("\n")[0] == "0x5a5a5a5a 0 1 7", proc.stdout


@pytest.mark.parametrize("body", ["tim_id_write(VN_DEVICE_TIM0_BASE, 1);",
                                  "(void)tim_key_read(VN_DEVICE_TIM0_BASE);",
                                  "tim_st_modify(VN_DEVICE_TIM0_BASE, 1, 1);",
                                  "(void)tim_st_done_prep(1); tim_id_x_set(0, 1);"])
def test_forbidden_access_does_not_compile(tmp_path, body):
    proc = _compile(tmp_path, _generate(tmp_path), "\t" + body)
    assert proc.returncode != 0
    assert "implicit declaration" in proc.stderr


def test_reading_a_register_compiles(tmp_path):
    proc = _compile(tmp_path, _generate(tmp_path),
                    "\t(void)tim_id_read(VN_DEVICE_TIM1_BASE);")
    assert proc.returncode == 0, proc.stderr


def test_pl011_driver_map_compiles(tmp_path):
    spec = SPEC.replace("regmap: tim, address: 0x9001000", "regmap: pl011, address: 0x9001000")
    out = _generate(tmp_path, spec)
    assert sorted(p.name for p in (out / "regmaps").iterdir()) == ["pl011.h", "tim.h"]
    proc = _compile(tmp_path, out, "\tpl011_cr_modify(VN_DEVICE_TIM1_BASE, "
                    "PL011_CR_UARTEN_MASK, pl011_cr_uarten_prep(1));")
    assert proc.returncode == 0, proc.stderr


def test_virtio_rings_come_from_the_map_in_both_views(tmp_path):
    """virtio_mmio.yaml's structures (the split virtqueue's rings) are
    declared alike in the driver's header and the device-side one, which a
    file may include together; their layout is virtio's (checked by the C
    compiler against the map's offsets, and here against the spec's)."""
    out = tmp_path / "out"
    r = subprocess.run([str(REPO / "vanity"), "gen", str(REPO / "examples/l2fwd/l2fwd.yaml"),
                        "--board", "hosted", "-o", str(out)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    drv = (out / "regmaps" / "virtio_mmio.h").read_text()
    dev = (out / "kernel" / "virtio_mmio_dev.h").read_text()
    block = re.compile(r"#ifndef VANITY_REGMAP_VIRTIO_MMIO_H_STRUCTURES.*?#endif[^\n]*", re.S)
    assert block.search(drv) and block.search(drv)[0] == block.search(dev)[0]
    (tmp_path / "t.c").write_text(
        '#include "regmaps/virtio_mmio.h"\n#include "kernel/virtio_mmio_dev.h"\n'
        "_Static_assert(sizeof(struct virtio_mmio_vq_desc) == 16, \"desc\");\n"
        "_Static_assert(offsetof(struct virtio_mmio_vq_used, ring[1].len) == 16, \"used\");\n"
        "_Static_assert(VIRTIO_MMIO_VQ_DESC_FLAGS_WRITE_MASK == 2, \"write\");\n"
        "int main(void) { return 0; }\n")
    proc = subprocess.run(["gcc", *CFLAGS, "-I", str(out), "-c", str(tmp_path / "t.c"),
                           "-o", str(tmp_path / "t.o")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
