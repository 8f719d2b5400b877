"""Generated C compiles cleanly, and a shard cannot name another shard's channel."""

import re
import subprocess

import pytest

from vanity_testlib import REPO, vanity

CFLAGS = ["-fsyntax-only", "-Wall", "-Wextra", "-Werror", "-std=c11",
          "-I", str(REPO / "runtime/include")]
OUT = REPO / "out"
SHARDS = sorted(OUT.glob("*/hosted/shards/*"))
TABLES = sorted(OUT.glob("*/hosted/kernel/tables.c"))


def _gcc(*args):
    return subprocess.run(["gcc", *CFLAGS, *map(str, args)], capture_output=True, text=True)


@pytest.mark.parametrize("shard", SHARDS, ids=lambda p: f"{p.parts[-4]}/{p.name}")
def test_config_compiles(shard):
    proc = _gcc("-I", shard, shard / "config.c")
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("tables", TABLES, ids=lambda p: p.parts[-4])
def test_tables_compile(tables):
    proc = _gcc(tables)
    assert proc.returncode == 0, proc.stderr


def test_restart_groups_past_the_64th_shard(tmp_path):
    """A restart group is a list of shard ids, so groups of shards past the
    64th render, compile and name their own members (a 64-bit mask once
    aliased shard 64 with shard 0, and overflowed its literal)."""
    (tmp_path / "f.c").write_text("#include <vanity_shard.h>\n\nvoid vn_main(void) {}\n")
    policy = "on_fault: {{restart: {{budget: 1, window: 1s}}, then: {{restart: [{}]}}}}"
    shards = [f"  - {{name: s{i}, sources: [f.c], core: {int(i in (64, 65))}"
              + (", " + policy.format({0: "s1", 67: "s66"}[i]) if i in (0, 67) else "") + "}"
              for i in range(70)]
    spec = tmp_path / "many.yaml"
    spec.write_text("vanity: 1\nsystem: many\nshards:\n" + "\n".join(shards) + "\n")
    r = vanity("gen", spec, "-o", tmp_path / "out")
    assert r.returncode == 0, r.stderr
    tables = tmp_path / "out" / "kernel" / "tables.c"
    groups = re.findall(r"\.group = \(const uint16_t\[\]\)\{([^}]*)\}, \.n_group = (\d+)",
                        tables.read_text())
    assert groups == [("0, 1", "2"), ("67, 66", "2")]
    proc = _gcc(tables)
    assert proc.returncode == 0, proc.stderr


def test_padding_never_takes_a_members_name(tmp_path):
    """The bytes a structure skips are a member the generator names; a
    member of the map may not have that name (it starts with vn_)."""
    (tmp_path / "f.c").write_text("#include <vanity_shard.h>\n\nvoid vn_main(void) {}\n")
    spec = tmp_path / "pad.yaml"
    spec.write_text(
        "vanity: 1\nsystem: pad\nshards: [{name: a, sources: [f.c], devices: [d]}]\n"
        "devices: [{name: d, regmap: m, address: 0x10000, size: 4096}]\n"
        "regmaps: {m: {registers: [{name: R, offset: 0}], structures: [{name: S, members: "
        "[{name: pad_b, offset: 0, width: 8}, {name: b, offset: 4, width: 32}]}]}}\n")
    r = vanity("gen", spec, "-o", tmp_path / "out")
    assert r.returncode == 0, r.stderr
    header = tmp_path / "out" / "regmaps" / "m.h"
    assert "uint8_t vn_pad_b[3];" in header.read_text()
    proc = _gcc("-include", "stdint.h", header)
    assert proc.returncode == 0, proc.stderr


def _shard_source(tmp_path, body):
    src = tmp_path / "user.c"
    src.write_text("#include <vanity_shard.h>\n\nvoid vn_main(void)\n{\n"
                   f"\t{body}\n}}\n")
    return src


def test_own_channel_compiles(tmp_path):
    src = _shard_source(tmp_path, "vn_tx_reserve(&vn_tx_ping_to_pong);")
    proc = _gcc("-I", OUT / "pingpong/hosted/shards/ping", src)
    assert proc.returncode == 0, proc.stderr


def test_other_shards_channel_does_not_compile(tmp_path):
    src = _shard_source(tmp_path, "vn_rx_peek(&vn_rx_ping_to_pong);")
    proc = _gcc("-I", OUT / "pingpong/hosted/shards/ping", src)
    assert proc.returncode != 0
    assert "vn_rx_ping_to_pong" in proc.stderr


def test_sending_on_a_receive_endpoint_does_not_compile(tmp_path):
    """With the flags `vanity build` uses (no blanket -Werror), misusing an
    endpoint's direction is an error, not a warning."""
    from generator.build import CFLAGS as BUILD_CFLAGS
    src = _shard_source(tmp_path, "uint64_t m[8] = {0}; vn_send(&vn_rx_pong_to_ping, m);")
    proc = subprocess.run(["gcc", *BUILD_CFLAGS, "-fsyntax-only", "-I", str(REPO / "runtime/include"),
                           "-I", str(OUT / "pingpong/hosted/shards/ping"), str(src)],
                          capture_output=True, text=True)
    assert proc.returncode != 0
    assert "incompatible-pointer-types" in proc.stderr


def test_model_ring_header_is_ring_h(tmp_path):
    """model.py sizes each channel's region with ring.h's header size."""
    from generator.model import RING_HEADER
    src = tmp_path / "ring.c"
    src.write_text("#include <vanity/ring.h>\n"
                   f"_Static_assert(VN_RING_SLOTS_OFFSET == {RING_HEADER}, \"RING_HEADER\");\n")
    proc = _gcc("-I", REPO / "runtime/include", src)
    assert proc.returncode == 0, proc.stderr


def test_event_description_stays_a_comment(tmp_path):
    """An event's description is text in a comment of the generated header:
    a '*/' in it must not end the comment and let the rest in as C."""
    from vanity_testlib import vanity
    (tmp_path / "a.c").write_text("#include <vanity_shard.h>\n\nvoid vn_main(void)\n{\n}\n")
    spec = tmp_path / "t.yaml"
    spec.write_text("vanity: 1\nsystem: t\nshards:\n  - {name: a, sources: [a.c]}\n"
                    "events:\n  - {name: e, description: \"x */ int oops = ; /*\"}\n")
    r = vanity("gen", spec, "-o", tmp_path / "out")
    assert r.returncode == 0, r.stderr
    proc = _gcc("-I", tmp_path / "out/shards/a", tmp_path / "a.c")
    assert proc.returncode == 0, proc.stderr
