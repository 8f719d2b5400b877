"""The host side of observability (generator/obs.py, ctf.py, perfetto.py,
live.py): synthetic dumps packed here with struct, field by field from
runtime/include/vanity/trace.h, decoded, converted to CTF and read back by
the real babeltrace2; top and peek against a fake hosted kernel socket and a
fake QMP server."""

import json
import os
import re
import shutil
import socket
import struct
import subprocess
import threading
import time
from pathlib import Path

import pytest

from vanity_testlib import PYTHON, REPO, vanity

from generator import cli, ctf, hist, live, obs, perfetto
from generator.errors import SpecError

SCHEMA = 0x0123456789ABCDEF
HZ = 62500000
PINGPONG = REPO / "examples" / "pingpong" / "pingpong.yaml"

USER_EVENTS = [
    (64, "rx_batch", [("count", "u32"), ("port", "enum", ["in", "out"]), ("mac", "bytes", 6)]),
    (65, "extremes", [("big", "u64"), ("small", "i64"), ("neg", "i32"), ("b", "i8"),
                      ("w", "u8")]),
    (66, "tick", []),
]


def manifest(board="hosted", schema=SCHEMA, shard_trace=None):
    shard_trace = shard_trace or {}
    return {
        "system": "demo", "board": board, "cores": 1,
        "shards": [{"id": 0, "name": "ping", "core": 0,
                    "trace": shard_trace.get(0)},
                   {"id": 1, "name": "pong", "core": 0, "trace": None}],
        "channels": [{"id": 0, "name": "ping_out", "from": "ping", "to": "pong",
                      "message": 8, "depth": 4, "addr_int": 0x2000, "size_int": 4096},
                     {"id": 1, "name": "pong_out", "from": "pong", "to": "ping",
                      "message": 8, "depth": 4, "addr_int": 0x3000, "size_int": 4096}],
        "trace": {"schema_hash": f"{schema:#018x}", "schema_hash_int": schema,
                  "clock_hz": None if board == "hosted" else HZ,
                  "kernel_events": obs.kernel_event_table(),
                  "events": [{"id": i, "name": n, "fields": obs.event_layout(f)}
                             for i, n, f in USER_EVENTS]},
    }


def rec(ts, ev, data):
    return obs.REC.pack(ts, ev, data.ljust(22, b"\0"))


def trace_ring(owner, n_recs, head, records):
    """A struct vn_trace_ring whose record n (of head) is records[n], as it
    would be after head writes: only the last n_recs are still there."""
    b = bytearray(struct.pack("<IIIIQ40x", 0x72546E56, n_recs, owner, 32, head))
    b += bytes(32 * n_recs)
    for n in range(max(0, head - n_recs), head):
        off = 64 + 32 * (n % n_recs)
        b[off:off + 32] = records[n]
    return bytes(b)


def hist_bytes(values, with_sum=True):
    """A struct vn_hist holding these samples, as the writer leaves it: no
    count, and with_sum=False, no sum either (a shard's run time: the kernel
    keeps that sum in run_ticks)."""
    buckets = [0] * 305
    for v in values:
        buckets[hist.bucket(v)] += 1
    return struct.pack("<4Q305Q", 0, sum(values) if with_sum else 0, max(values, default=0),
                       0, *buckets)


def obs_chunk(n_shards=2, n_channels=2, stats=None, notifies=(5, 6), schema=SCHEMA,
              run_hists=None):
    b = bytearray(struct.pack("<IIQQIIII", 0x624F6E56, 3, schema, HZ, n_shards, n_channels,
                              1, 0))
    for i in range(256):
        vals = list((stats or {}).get(i, [0] * 12))
        if stats is None:  # the run-time histogram's sum is run_ticks
            vals[obs.STAT_NAMES.index("run_ticks")] = sum((run_hists or {}).get(i, []))
        b += struct.pack("<II10Q", *vals)
    b += struct.pack("<4096Q", *(list(notifies) + [0] * (4096 - len(notifies))))
    assert len(b) == 55336
    for i in range(256):
        b += hist_bytes((run_hists or {}).get(i, []), with_sum=False)
    assert len(b) == 688168
    return bytes(b)


def chan_ring(head, tail, msg_size=8, depth=4, tx_wraps=0, rx_wraps=0, tx_full=0,
              rx_empty=0, hwm=0, stride=None):
    b = bytearray(384)
    struct.pack_into("<QQI", b, 0, head + (tx_wraps << 32), tx_full, hwm)
    struct.pack_into("<QQ", b, 128, tail + (rx_wraps << 32), rx_empty)
    struct.pack_into("<IIIIII", b, 256, 0, 0, 0x676E6952, msg_size, depth, stride or msg_size)
    return bytes(b)


def core_records():
    return [rec(1000, 0, struct.pack("<H", 0)),                 # switch_in ping
            rec(1500, 1, struct.pack("<HB", 0, 1)),             # switch_out ping: wait
            rec(1600, 3, struct.pack("<HHI", 1, 0, 7)),         # notify
            rec(1700, 5, struct.pack("<HQ", 0, 2**64 - 1)),     # irq_ack
            rec(1800, 0, struct.pack("<H", 1)),                 # switch_in pong
            rec(1900, 9, struct.pack("<Hi", 0xFFFF, -3))]       # halt


def user_records(n):
    out = []
    for i in range(n):
        if i % 3 == 0:
            out.append(rec(1100 + i, 64, struct.pack("<IB6s", 0xFFFFFFFF - i, i % 2,
                                                     bytes([0xDE, 0xAD, 0xBE, 0xEF, 0, i]))))
        elif i % 3 == 1:
            out.append(rec(1100 + i, 65, struct.pack("<QqibB", 2**64 - 1, -2**63,
                                                     -2**31 + i, -128, 255)))
        else:
            out.append(rec(1100 + i, 66, b""))
    return out


def sample_dump(schema=SCHEMA, user_n=3, ring_n=8):
    core = trace_ring(0x80000000, 512, 6, core_records())
    shard = trace_ring(0, ring_n, user_n, user_records(user_n))
    return obs.dump_bytes(schema, HZ, 2000, [
        (obs.DUMP_OBS, 0, 0x1000, obs_chunk(schema=schema)),
        (obs.DUMP_CORE_TRACE, 0, 0x9000, core),
        (obs.DUMP_SHARD_TRACE, 0, 0x100000, shard),
        (obs.DUMP_RING, 0, 0x2000, chan_ring(5, 3)),
    ])


def trace_dir(tmp_path, data, man=None):
    d = tmp_path / "trace"
    d.mkdir()
    (d / "vanity.raw").write_bytes(data)
    ctf.convert_dir(d, man or manifest(), "manifest.json")
    return d


# ---- the layout, held to trace.h -------------------------------------------------

LAYOUT_C = r"""
#include <stddef.h>
#include <stdio.h>
#include <vanity/trace.h>
#include <vanity/ring.h>
#define P(name, v) printf("%s %lu\n", name, (unsigned long)(v))
int main(void)
{
	P("rec", sizeof(struct vn_trace_rec));
	P("rec.ts", offsetof(struct vn_trace_rec, ts));
	P("rec.id", offsetof(struct vn_trace_rec, id));
	P("rec.data", offsetof(struct vn_trace_rec, data));
	P("data", VN_TRACE_DATA);
	P("ring", sizeof(struct vn_trace_ring));
	P("ring.magic", offsetof(struct vn_trace_ring, magic));
	P("ring.n_recs", offsetof(struct vn_trace_ring, n_recs));
	P("ring.owner", offsetof(struct vn_trace_ring, owner));
	P("ring.rec_size", offsetof(struct vn_trace_ring, rec_size));
	P("ring.head", offsetof(struct vn_trace_ring, head));
	P("ring.rec", (char *)vn_trace_recs((struct vn_trace_ring *)0) - (char *)0);
	P("stats", sizeof(struct vn_shard_stats));
	P("stats.run_ticks", offsetof(struct vn_shard_stats, run_ticks));
	P("stats.restarts", offsetof(struct vn_shard_stats, restarts));
	P("core_trace", sizeof(struct vn_core_trace));
	P("obs.schema_hash", offsetof(struct vn_obs, schema_hash));
	P("obs.clock_hz", offsetof(struct vn_obs, clock_hz));
	P("obs.n_shards", offsetof(struct vn_obs, n_shards));
	P("obs.halted", offsetof(struct vn_obs, halted));
	P("obs.shard", offsetof(struct vn_obs, shard));
	P("obs.chan_notifies", offsetof(struct vn_obs, chan_notifies));
	P("obs.run_hist", offsetof(struct vn_obs, run_hist));
	P("obs.core", offsetof(struct vn_obs, core));
	P("hist", sizeof(struct vn_hist));
	P("hist.sum", offsetof(struct vn_hist, sum));
	P("hist.max", offsetof(struct vn_hist, max));
	P("hist.bucket", offsetof(struct vn_hist, bucket));
	P("VN_HIST_BUCKETS", VN_HIST_BUCKETS);
	P("VN_DUMP_HIST", VN_DUMP_HIST);
	P("obs", sizeof(struct vn_obs));
	P("dump_hdr", sizeof(struct vn_dump_hdr));
	P("chunk", sizeof(struct vn_dump_chunk));
	P("chunk.len", offsetof(struct vn_dump_chunk, len));
	P("vring.tail", offsetof(struct vn_ring, tail));
	P("vring.tx_full", offsetof(struct vn_ring, tx_full));
	P("vring.tx_hwm", offsetof(struct vn_ring, tx_hwm));
	P("vring.rx_empty", offsetof(struct vn_ring, rx_empty));
	P("vring.head_size", sizeof(((struct vn_ring *)0)->head));
	P("vring.rx_sleeping", offsetof(struct vn_ring, rx_sleeping));
	P("vring.tx_sleeping", offsetof(struct vn_ring, tx_sleeping));
	P("vring.magic", offsetof(struct vn_ring, magic));
	P("vring.msg_size", offsetof(struct vn_ring, msg_size));
	P("vring.depth", offsetof(struct vn_ring, depth));
	P("vring.stride", offsetof(struct vn_ring, stride));
	P("vring", sizeof(struct vn_ring));
	P("VN_TRACE_MAGIC", VN_TRACE_MAGIC);
	P("VN_OBS_MAGIC", VN_OBS_MAGIC);
	P("VN_OBS_VERSION", VN_OBS_VERSION);
	P("VN_DUMP_MAGIC", VN_DUMP_MAGIC);
	P("VN_TRACE_CORE", VN_TRACE_CORE);
	P("VN_TRACE_CORE_RECS", VN_TRACE_CORE_RECS);
	P("VN_EV_USER", VN_EV_USER);
	P("VN_KEV_COUNT", VN_KEV_COUNT);
	P("VN_RING_MAGIC", VN_RING_MAGIC);
	P("VN_DUMP_SLOTS", VN_DUMP_SLOTS);
	return 0;
}
"""


def test_layout_matches_trace_h(tmp_path):
    src, exe = tmp_path / "layout.c", tmp_path / "layout"
    src.write_text(LAYOUT_C)
    subprocess.run(["gcc", "-std=gnu11", "-I", str(REPO / "runtime" / "include"), str(src),
                    "-o", str(exe)], check=True)
    c = {k: int(v) for k, v in (ln.split() for ln in
                                subprocess.run([str(exe)], capture_output=True, text=True,
                                               check=True).stdout.splitlines())}
    py = {
        "rec": obs.REC.size, "rec.ts": 0, "rec.id": 8, "rec.data": 10,
        "data": obs.TRACE_DATA, "ring": obs.RING_HDR.size, "ring.magic": 0,
        "ring.n_recs": 4, "ring.owner": 8, "ring.rec_size": 12, "ring.head": 16,
        "ring.rec": obs.RING_HDR.size, "stats": obs.SHARD_STATS.size,
        "stats.run_ticks": 8 + 8 * obs.STAT_NAMES[2:].index("run_ticks"),
        "stats.restarts": 8 + 8 * obs.STAT_NAMES[2:].index("restarts"),
        "core_trace": obs.CORE_TRACE_SIZE, "obs.schema_hash": 8, "obs.clock_hz": 16,
        "obs.n_shards": 24, "obs.halted": 36, "obs.shard": obs.OBS_SHARD,
        "obs.chan_notifies": obs.OBS_CHAN_NOTIFIES, "obs.core": obs.OBS_CORE,
        "obs.run_hist": obs.OBS_RUN_HIST, "hist": obs.HIST_SIZE, "hist.sum": 8,
        "hist.max": 16, "hist.bucket": hist.HEADER.size, "VN_HIST_BUCKETS": hist.BUCKETS,
        "VN_DUMP_HIST": obs.DUMP_HIST,
        "obs": obs.OBS_SIZE, "dump_hdr": obs.DUMP_HDR.size, "chunk": obs.CHUNK_HDR.size,
        "chunk.len": 16,
        "vring.tail": obs.RING_FIELDS["tail"][0],
        **{f"vring.{k}": obs.RING_FIELDS[k][0] for k in ("tx_full", "tx_hwm", "rx_empty")},
        "vring.head_size": 8,
        "vring.rx_sleeping": obs.RING_FIELDS["rx_sleeping"][0],
        "vring.tx_sleeping": obs.RING_FIELDS["tx_sleeping"][0],
        "vring.magic": obs.RING_FIELDS["magic"][0],
        "vring.msg_size": obs.RING_FIELDS["msg_size"][0],
        "vring.depth": obs.RING_FIELDS["depth"][0], "vring": obs.RING_SLOTS_OFFSET,
        "vring.stride": obs.RING_FIELDS["stride"][0],
        "VN_TRACE_MAGIC": obs.TRACE_MAGIC, "VN_OBS_MAGIC": obs.OBS_MAGIC,
        "VN_OBS_VERSION": obs.OBS_VERSION, "VN_DUMP_MAGIC": obs.DUMP_MAGIC,
        "VN_TRACE_CORE": obs.TRACE_CORE, "VN_TRACE_CORE_RECS": obs.TRACE_CORE_RECS,
        "VN_EV_USER": obs.EV_USER, "VN_KEV_COUNT": len(obs.KERNEL_EVENTS),
        "VN_RING_MAGIC": obs.RING_MAGIC, "VN_DUMP_SLOTS": obs.DUMP_SLOTS,
    }
    assert c == py


def test_kernel_events_follow_trace_h():
    text = (REPO / "runtime" / "include" / "vanity" / "trace.h").read_text()
    enum = re.findall(r"VN_KEV_(\w+) = (\d+),", text)
    assert [(n.lower(), int(i)) for n, i in enum] == \
        [(name, i) for i, (name, _) in enumerate(obs.KERNEL_EVENTS)]
    # the field comment: "NAME  type name, type name ..." in the same order
    comment = dict(re.findall(r"^ \*   ([A-Z_]+)\s+(u\d+ .*)$", text, re.M))
    for name, fields in obs.KERNEL_EVENTS:
        types = re.findall(r"\b([ui]\d+) ", comment[name.upper()])
        assert types == [("u8" if f[1] == "enum" else f[1]) for f in fields], name
    for table in obs.kernel_event_table():
        assert sum(f["size"] for f in table["fields"]) <= obs.TRACE_DATA


def test_event_layout():
    lay = obs.event_layout([("count", "u32"), ("port", "enum", ["in", "out"]),
                            ("mac", "bytes", 6), {"name": "x", "type": "i64"}])
    assert [(f["name"], f["offset"], f["size"]) for f in lay] == \
        [("count", 0, 4), ("port", 4, 1), ("mac", 5, 6), ("x", 11, 8)]
    assert lay[1]["values"] == ["in", "out"]
    with pytest.raises(ValueError, match="23 bytes"):
        obs.event_layout([("a", "u64"), ("b", "u64"), ("c", "bytes", 7)])
    with pytest.raises(ValueError, match="unknown type"):
        obs.event_layout([("a", "u128")])
    with pytest.raises(ValueError, match="list of values"):
        obs.event_layout([("a", "enum")])


# ---- decoding --------------------------------------------------------------------

def test_decode_fields_round_trip():
    t = obs.decode_trace(obs.parse_dump(sample_dump()), manifest())
    (core_name, core), (shard_name, shard) = t.rings
    assert (core_name, shard_name) == ("core0", "shard0_ping")
    assert core.is_core and core.index == 0 and core.dropped == 0
    ev = [(t.events.get(r.id).name, obs.decode_fields(t.events.get(r.id), r.data))
          for r in core.records]
    assert ev[1] == ("switch_out", {"shard": 0, "reason": "wait"})
    assert ev[3] == ("irq_ack", {"shard": 0, "bits": 2**64 - 1})
    assert ev[5] == ("halt", {"shard": 0xFFFF, "status": -3})
    e0, e1 = (obs.decode_fields(t.events.get(r.id), r.data) for r in shard.records[:2])
    assert e0 == {"count": 0xFFFFFFFF, "port": "in", "mac": b"\xde\xad\xbe\xef\0\0"}
    assert e1 == {"big": 2**64 - 1, "small": -2**63, "neg": -2**31 + 1, "b": -128, "w": 255}


def test_overflow_counts_dropped_records():
    t = obs.decode_trace(obs.parse_dump(sample_dump(user_n=21, ring_n=8)), manifest())
    shard = t.rings[1][1]
    assert shard.head == 21 and shard.dropped == 13
    assert [r.seq for r in shard.records] == list(range(13, 21))
    assert [r.ts for r in shard.records] == [1100 + i for i in range(13, 21)]
    # a live copy: 3 more were written while it was read; their slots are gone
    raw = trace_ring(0, 8, 21, user_records(21))
    live_ring = obs.decode_trace_ring(raw, "x", head_after=24)
    assert [r.seq for r in live_ring.records] == list(range(16, 21))


@pytest.mark.parametrize("mangle, message", [
    (lambda d: b"", "empty"),
    (lambda d: d[:20], "truncated: 20 bytes"),
    (lambda d: b"X" + d[1:], "not a Vanity dump"),
    (lambda d: d[:32] + struct.pack("<I", 9) + d[36:], "chunk kind 9"),
    (lambda d: d[:-100], "truncated at byte"),
    (lambda d: d[:48] + struct.pack("<Q", 2**40) + d[56:], "truncated at byte 32"),
])
def test_corrupt_dumps_are_clear_errors(mangle, message):
    with pytest.raises(SpecError, match=message) as exc:
        obs.parse_dump(mangle(sample_dump()), "d.raw")
    assert str(exc.value).startswith("vanity: error: d.raw: ")


def test_corrupt_ring_is_an_error():
    bad = bytearray(sample_dump())
    pos = 32 + 24 + obs.OBS_CORE + 24  # the core trace ring's magic
    bad[pos] ^= 0xFF
    with pytest.raises(SpecError, match="trace ring magic"):
        obs.decode_trace(obs.parse_dump(bytes(bad)), manifest())


def test_a_garbled_shard_ring_costs_that_ring_alone(tmp_path):
    """A shard writes its trace ring, header and all: a garbled header
    leaves that ring out, with why, and the kernel's ring and the rest of
    the trace are decoded (a core ring's is the kernel's: an error, above)."""
    core = trace_ring(0x80000000, 512, 6, core_records())
    for garble in (lambda b: b"\0" * 4 + b[4:],                          # the magic
                   lambda b: b[:8] + struct.pack("<I", 7) + b[12:]):      # the owner
        shard = garble(trace_ring(0, 8, 3, user_records(3)))
        data = obs.dump_bytes(SCHEMA, HZ, 2000, [
            (obs.DUMP_OBS, 0, 0x1000, obs_chunk()), (obs.DUMP_CORE_TRACE, 0, 0x9000, core),
            (obs.DUMP_SHARD_TRACE, 0, 0x100000, shard)])
        t = obs.decode_trace(obs.parse_dump(data), manifest())
        assert [name for name, _ in t.rings] == ["core0"] and len(t.rings[0][1].records) == 6
        [(name, why)] = t.skipped
        assert name == "shard0_ping" and ("trace ring magic" in why or "belongs to 0x7" in why)
    d = tmp_path / "t"
    d.mkdir()
    (d / "vanity.raw").write_bytes(data)
    assert [n for n, _ in ctf.convert_dir(d, manifest(), "m").rings] == ["core0"]
    assert sorted(p.name for p in d.iterdir() if not p.name.startswith(".")) == \
        ["core0", "metadata"]
    bad_magic = obs.dump_bytes(SCHEMA, HZ, 2000, [
        (obs.DUMP_OBS, 0, 0x1000, obs_chunk()),
        (obs.DUMP_SHARD_TRACE, 0, 0x100000, b"\0" * 4 + trace_ring(0, 8, 0, [])[4:])])
    rep = live.top_report(manifest(), obs.parse_dump(bad_magic))
    assert rep["shards"][0]["trace"]["corrupt"].startswith("trace ring magic 0x00000000")
    assert "ping" in live.format_top(rep) and " corrupt" in live.format_top(rep).splitlines()[3]


def test_a_shard_forges_no_kernel_event_and_stretches_no_run(capsys):
    """Only the kernel writes its events (ids below 64), on the cores'
    rings: a record with such an id in a shard's ring is the shard's
    forgery, left out and counted, so it draws no run slice and no fault.
    And the shard stamps its own records: one stamped after the dump was
    taken bounds nothing (the run still going at the end ends at the last
    honest record), and one stamped 0 moves the origin, not the kernel's
    records' spacing."""
    core = trace_ring(0x80000000, 512, 6, core_records())
    forged = [rec(0, 0, struct.pack("<H", 1)),                  # switch_in pong
              rec(1200, 6, struct.pack("<HB", 1, 11)),          # fault pong
              rec(0, 66, b""), rec(2**64 - 1, 66, b"")]         # two ticks, far apart
    data = obs.dump_bytes(SCHEMA, HZ, 2000, [
        (obs.DUMP_OBS, 0, 0x1000, obs_chunk()), (obs.DUMP_CORE_TRACE, 0, 0x9000, core),
        (obs.DUMP_SHARD_TRACE, 0, 0x100000, trace_ring(0, 8, 4, forged))])
    t = obs.decode_trace(obs.parse_dump(data), manifest())
    assert t.forged == 2
    assert [r.id for r in dict(t.rings)["shard0_ping"].records] == [66, 66]
    assert obs.trace_span(t) == (0, 1900)
    lines = list(obs.text_events(t))
    assert lines[0].startswith("[   0.000000000] shard0_ping tick"), lines
    assert lines[1].startswith(f"[{1000 / HZ:14.9f}] core0 switch_in: shard=0"), lines
    assert not any("fault" in ln for ln in lines), lines
    pf = perfetto.perfetto(t)["traceEvents"]
    assert not [e for e in pf if e.get("name") == "fault"], pf
    runs = {e["name"]: (e["ts"], e["dur"]) for e in pf if e.get("ph") == "X"}
    us = 1e6 / HZ  # a tick
    assert runs == {"ping": (pytest.approx(1000 * us), pytest.approx(500 * us)),
                    "pong": (pytest.approx(1800 * us), pytest.approx(100 * us))}, runs
    cli._skipped_lines(t)
    assert "2 records in shard trace rings carry a kernel event's id (below 64)" in \
        capsys.readouterr().err


def test_a_shard_ring_of_another_size_than_the_spec_gives_is_garbled():
    """The ring's size is in its header, which the shard writes: it must be
    the one the spec gave the shard, or the shard could make the tools read
    past its ring or report records it never had."""
    man = manifest(shard_trace={0: {"records": 8}})
    core = trace_ring(0x80000000, 512, 6, core_records())
    data = obs.dump_bytes(SCHEMA, HZ, 2000, [
        (obs.DUMP_OBS, 0, 0x1000, obs_chunk()), (obs.DUMP_CORE_TRACE, 0, 0x9000, core),
        (obs.DUMP_SHARD_TRACE, 0, 0x100000, trace_ring(0, 16, 3, user_records(3)))])
    dump = obs.parse_dump(data)
    why = "a ring of 16 records; the spec gives the shard 8"
    assert obs.decode_trace(dump, man).skipped == [("shard0_ping", why)]
    assert live.top_report(man, dump)["shards"][0]["trace"] == {"corrupt": why}
    ok = obs.dump_bytes(SCHEMA, HZ, 2000, [
        (obs.DUMP_OBS, 0, 0x1000, obs_chunk()),
        (obs.DUMP_SHARD_TRACE, 0, 0x100000, trace_ring(0, 8, 3, user_records(3)))])
    assert live.top_report(man, obs.parse_dump(ok))["shards"][0]["trace"] == \
        {"records": 3, "dropped": 0, "capacity": 8}


def test_schema_mismatch_names_both_hashes():
    dump = obs.parse_dump(sample_dump(schema=0x1111), "d.raw")
    with pytest.raises(SpecError) as exc:
        obs.decode_trace(dump, manifest(schema=0x1111222233334444))
    msg = str(exc.value)
    assert "0x0000000000001111" in msg and "0x1111222233334444" in msg
    assert msg.startswith("vanity: error: d.raw: schema hash")


# ---- CTF and babeltrace2 ------------------------------------------------------------

needs_bt2 = pytest.mark.skipif(shutil.which("babeltrace2") is None,
                               reason="babeltrace2 is not installed (make deps)")


def babeltrace(d):
    """babeltrace2's output: events on stdout, then its warnings (stderr)."""
    r = subprocess.run(["babeltrace2", str(d)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return r.stdout + r.stderr


@needs_bt2
def test_babeltrace2_decodes_every_field(tmp_path):
    d = trace_dir(tmp_path, sample_dump(user_n=3))
    assert sorted(p.name for p in d.iterdir()) == [
        ".vanity-manifest.json", ".vanity.raw", "core0", "metadata", "shard0_ping"]
    out = babeltrace(d)
    lines = [ln for ln in out.splitlines() if not ln.startswith("WARNING")]
    assert len(lines) == 9
    assert "switch_in: { cpu_id = 0, ring = 2147483648 }, { shard = 0 }" in lines[0]
    assert 'switch_out: { cpu_id = 0, ring = 2147483648 }, { shard = 0, reason = ( "wait"' \
        in out
    assert "{ shard = 0, bits = 18446744073709551615 }" in out
    assert "{ shard = 65535, status = -3 }" in out
    assert "notify: { cpu_id = 0, ring = 2147483648 }, { from = 1, to = 0, channel = 7 }" in out
    assert ('rx_batch: { cpu_id = 0, ring = 0 }, { count = 4294967295, port = ( "in" : '
            'container = 0 ), mac = [ [0] = 0xDE, [1] = 0xAD, [2] = 0xBE, [3] = 0xEF, '
            '[4] = 0x0, [5] = 0x0 ] }') in out
    assert ("extremes: { cpu_id = 0, ring = 0 }, { big = 18446744073709551615, "
            "small = -9223372036854775808, neg = -2147483647, b = -128, w = 255 }") in out
    assert re.search(r"tick: \{ cpu_id = 0, ring = 0 \}", out)
    meta = (d / "metadata").read_text()
    assert 'schema_hash = "0x0123456789abcdef";' in meta
    assert f"freq = {HZ};" in meta and "byte_order = le;" in meta


@needs_bt2
def test_babeltrace2_reports_dropped_records(tmp_path):
    d = trace_dir(tmp_path, sample_dump(user_n=21, ring_n=8))
    out = babeltrace(d)
    assert re.search(r"discarded 13 events .* within stream \"[^\"]*shard0_ping\"", out)
    assert len(re.findall(r"\] \(\+[^)]*\) (rx_batch|extremes|tick):", out)) == 8


@needs_bt2
def test_babeltrace2_keyword_field_names(tmp_path):
    man = manifest()
    man["trace"]["events"].append({"id": 70, "name": "odd", "fields": obs.event_layout(
        [("struct", "u8"), ("_lead", "u16")])})
    records = user_records(2) + [rec(1200, 70, struct.pack("<BH", 9, 513))]
    dump = obs.dump_bytes(SCHEMA, HZ, 2000, [
        (obs.DUMP_SHARD_TRACE, 0, 0, trace_ring(0, 8, 3, records))])
    out = babeltrace(trace_dir(tmp_path, dump, man))
    assert "odd: { cpu_id = 0, ring = 0 }, { struct = 9, _lead = 513 }" in out


# ---- vanity trace ------------------------------------------------------------------

def test_vanity_trace_text_and_perfetto(tmp_path):
    d = trace_dir(tmp_path, sample_dump(user_n=3))
    r = vanity("trace", d)
    assert r.returncode == 0, r.stderr
    assert "core0 switch_out: shard=0, reason=wait" in r.stdout
    assert "shard0_ping rx_batch: count=4294967295, port=in, mac=deadbeef0000" in r.stdout
    pj = tmp_path / "p.json"
    r = vanity("trace", d, "--perfetto", pj)
    assert r.returncode == 0, r.stderr
    doc = json.loads(pj.read_text())
    evs = doc["traceEvents"]
    names = {(e["tid"], e["args"]["name"]) for e in evs if e.get("name") == "thread_name"}
    assert names == {(1, "shard ping"), (2, "shard pong"), (1000, "core 0 (kernel)")}
    slices = [e for e in evs if e["ph"] == "X"]
    assert [(s["tid"], s["name"], s["ts"], round(s["dur"], 3), s["args"]["reason"])
            for s in slices] == [(1, "ping", 0.0, 8.0, "wait"),
                                 (2, "pong", 12.8, 1.6, "running at the end of the trace")]
    inst = {e["name"]: e for e in evs if e["ph"] == "i"}
    assert inst["rx_batch"]["tid"] == 1 and inst["rx_batch"]["args"] == {
        "count": 4294967295, "port": "in", "mac": "deadbeef0000"}
    assert inst["extremes"]["args"]["big"] == str(2**64 - 1)
    assert inst["notify"]["tid"] == 1000 and inst["halt"]["args"]["status"] == -3
    assert "switch_in" not in inst and "switch_out" not in inst


def test_vanity_trace_errors(tmp_path):
    r = vanity("trace", tmp_path / "nope")
    assert r.returncode == 1 and r.stderr == \
        f"vanity: error: {tmp_path / 'nope'}: no such trace directory\n"
    (tmp_path / "empty").mkdir()
    r = vanity("trace", tmp_path / "empty")
    assert r.returncode == 1 and "not a trace written by `vanity run --trace`" in r.stderr
    d = trace_dir(tmp_path, sample_dump())
    (d / ".vanity.raw").write_bytes(sample_dump()[:-8])
    r = vanity("trace", d)
    assert r.returncode == 1 and "truncated" in r.stderr and "Traceback" not in r.stderr
    man = manifest(schema=0x42)
    (d / ".vanity-manifest.json").write_text(json.dumps(man))
    (d / ".vanity.raw").write_bytes(sample_dump())
    r = vanity("trace", d)
    assert r.returncode == 1 and "0x0123456789abcdef" in r.stderr and \
        "0x0000000000000042" in r.stderr and len(r.stderr.splitlines()) == 1


def test_convert_dir_without_dump(tmp_path):
    with pytest.raises(SpecError, match="wrote no trace dump"):
        ctf.convert_dir(tmp_path, manifest())


# ---- QEMU command line -----------------------------------------------------------

def test_qemu_args():
    aarch64 = ("qemu-system-aarch64", "-M", "virt", "-nographic", "-semihosting")
    riscv = ("qemu-system-riscv64", "-M", "virt", "-bios", "default")
    a = live.qemu_args(aarch64, "/tmp/a,b/vanity.raw", "/tmp/run/qmp.sock")
    assert "-semihosting" not in a
    assert a[-6:] == ("-semihosting-config", "enable=on,target=native,userspace=off,arg=vanity-trace=/tmp/a,,b/vanity.raw",
                      "-qmp", "unix:/tmp/run/qmp.sock,server=on,wait=off",
                      "-gdb", "unix:/tmp/run/gdb.sock,server=on,wait=off")  # the reload door
    # A board's own -gdb gives way to the door's, as its -qmp does.
    assert live.qemu_args(aarch64 + ("-gdb", "tcp::1"), None, "/tmp/run/qmp.sock").count("-gdb") == 1
    r = live.qemu_args(riscv, "/tmp/t/vanity.raw", None)
    assert r == riscv + ("-semihosting-config", "enable=on,target=native,userspace=off,arg=vanity-trace=/tmp/t/vanity.raw")
    assert live.qemu_args(aarch64, None, None) == aarch64  # untraced: semihosting stays
    # Crash dumps: a second word of the command line, after the trace's.
    c = live.qemu_args(riscv, "/tmp/t/vanity.raw", None, "/tmp/d,x")
    assert c == riscv + ("-semihosting-config", "enable=on,target=native,userspace=off,arg=vanity-trace="
                         "/tmp/t/vanity.raw,arg=vanity-dumps=/tmp/d,,x")
    assert live.qemu_args(riscv, None, None, "/tmp/d")[-1] == \
        "enable=on,target=native,userspace=off,arg=vanity-dumps=/tmp/d"
    # VANITY_STATS=1: the counters at the end, a word of its own.
    assert live.qemu_args(riscv, None, None, "/tmp/d", stats=True)[-1] == \
        "enable=on,target=native,userspace=off,arg=vanity-dumps=/tmp/d,arg=vanity-stats=1"
    with pytest.raises(SpecError, match="cannot hold a path with a space"):
        live.qemu_args(riscv, None, None, "/tmp/a b")
    # The kernel reads at most CMDLINE_MAX bytes of it: a longer one is refused
    # here, not cut short there.
    with pytest.raises(SpecError, match="use shorter directories"):
        live.qemu_args(riscv, "/tmp/" + "t" * 300 + "/vanity.raw", None, "/tmp/" + "d" * 200)


# ---- top and peek --------------------------------------------------------------------

def stats(state, gen, act, run, sysc, yields, waits, wakes, notes, irqs, faults, restarts):
    return [state, gen, act, run, sysc, yields, waits, wakes, notes, irqs, faults, restarts]


def snapshot_bytes(step):
    """A hosted snapshot; `step` advances the counters between two of them."""
    st = {0: stats(1, 1, 100 + 50 * step, HZ * step // 4, 900, 10, 20, 30, 4, 0, 0, 0),
          1: stats(2, 2, 70, 1000, 500, 1, 2, 3, 4, 5, 1, 1)}
    shard = trace_ring(0, 8, 10 + step, [rec(i, 66, b"") for i in range(10 + step)])
    return obs.dump_bytes(SCHEMA, HZ, 5000 + step, [
        (obs.DUMP_OBS, 0, 0, obs_chunk(stats=st, notifies=(11, 12))),
        (obs.DUMP_CORE_TRACE, 0, 0, trace_ring(0x80000000, 512, 0, [])),
        (obs.DUMP_SHARD_TRACE, 0, 0, shard),
        (obs.DUMP_RING, 0, 0, chan_ring(2**32 - 1 if not step else 1, 2**32 - 3, tx_wraps=step,
                                        tx_full=7, rx_empty=8, hwm=4)),
        (obs.DUMP_RING, 1, 0, chan_ring(0, 0)),
    ])


def peek_bytes():
    slots = b"".join(bytes([i] * 8) for i in range(4))  # slot i holds i i i ...
    # tail 0xfffffffe, head 1: messages 0xfffffffe, 0xffffffff, 0 (slots 2, 3, 0)
    return obs.dump_bytes(SCHEMA, HZ, 1, [
        (obs.DUMP_RING, 0, 0, chan_ring(1, 0xFFFFFFFE, tx_wraps=1)),
        (obs.DUMP_SLOTS, 0, 0, slots)])


class FakeKernel:
    """The hosted kernel's obs.sock: answers `snapshot` and `peek N`."""

    def __init__(self, path):
        self.path = path
        self.requests = []
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(str(path))
        self.sock.listen(4)
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        step = 0
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                line = conn.makefile("rb").readline().decode().strip()
                self.requests.append(line)
                try:
                    if line == "snapshot":
                        conn.sendall(snapshot_bytes(step))
                        step += 1
                    elif line == "peek 0":
                        conn.sendall(peek_bytes())
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client was stopped while it read (SIGINT to top)

    def close(self):
        self.sock.close()


@pytest.fixture
def hosted_system(tmp_path):
    """A generated pingpong (manifest with trace tables) and a fake kernel."""
    out, build = tmp_path / "out", tmp_path / "b"
    out.mkdir()
    (build / "run").mkdir(parents=True)
    man = manifest()
    man["system"] = "pingpong"
    (out / "manifest.json").write_text(json.dumps(man))
    k = FakeKernel(build / "run" / "obs.sock")
    yield out, build, k
    k.close()


def test_top_once_json(hosted_system):
    out, build, k = hosted_system
    r = vanity("top", PINGPONG, "-o", out, "--build-dir", build, "--once", "--json",
               "--interval", "0.2")
    assert r.returncode == 0, r.stderr
    rep = json.loads(r.stdout)
    assert k.requests == ["snapshot", "snapshot"]
    ping, pong = rep["shards"]
    assert (ping["name"], ping["state"], ping["activations"], ping["syscalls"]) == \
        ("ping", "running", 150, 900)
    assert 100 <= ping["activations_per_s"] <= 250      # 50 more in ~0.2 s
    assert 50 <= ping["run_pct"] <= 125                 # a quarter second of clock
    assert ping["trace"] == {"records": 11, "dropped": 3, "capacity": 8}
    assert (pong["state"], pong["generation"], pong["faults"], pong["restarts"],
            pong["trace"]) == ("blocked", 2, 1, 1, None)
    c0, c1 = rep["channels"]
    assert (c0["sent"], c0["received"], c0["queued"], c0["high_water"], c0["full_stalls"],
            c0["empty_stalls"], c0["notifications"], c0["bytes_sent"]) == \
        (2**32 + 1, 2**32 - 3, 4, 4, 7, 8, 11, 8 * (2**32 + 1))
    assert c0["sent_per_s"] > 0 and c1["sent"] == 0 and c1["notifications"] == 12


def test_top_once_text(hosted_system):
    out, build, _ = hosted_system
    r = vanity("top", PINGPONG, "-o", out, "--build-dir", build, "--once", "--interval", "0.1")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith("vanity top - pingpong on hosted: 2 shards, 2 channels")
    assert re.match(r"ping\s+0 running\s+1\s+\S+\s+\S+\s+900\s+20\s+30\s+0\s+0\s+11/3$",
                    lines[3]), lines[3]
    assert re.match(r"pong\s+0 blocked\s+2 .* 500 .*off$", lines[4]), lines[4]
    assert re.match(r"ping_out\s+ping->pong\s+4\.3G\s+\S+\s+4\.3G\s+\S+\s+34\.4G\s+4/4\s+4"
                    r"\s+7\s+8\s+11$", lines[7]), lines[7]


def test_a_garbled_ring_header_is_that_channels_alone():
    """Both shards of a channel can write the line its magic, message size
    and depth are on. A header garbled there is reported for that channel
    (top) or refused with the reason (peek), and the other channels'
    counters are still shown."""
    man = manifest()
    bad_magic = bytearray(chan_ring(0, 0))
    bad_magic[264:268] = b"\0\0\0\0"
    snap = obs.parse_dump(obs.dump_bytes(SCHEMA, HZ, 1, [
        (obs.DUMP_OBS, 0, 0, obs_chunk()),
        (obs.DUMP_RING, 0, 0, chan_ring(5, 3, depth=1 << 20)),  # a depth the spec did not give
        (obs.DUMP_RING, 1, 0, bytes(bad_magic))]), "t", obs.DUMP_MAGIC, "trace dump")
    pong_out = dict(man["channels"][1])
    snap_ok = obs.parse_dump(obs.dump_bytes(SCHEMA, HZ, 1, [
        (obs.DUMP_OBS, 0, 0, obs_chunk()),
        (obs.DUMP_RING, 0, 0, chan_ring(7, 3))]), "t", obs.DUMP_MAGIC, "trace dump")
    rep = live.top_report(man, snap, snap_ok, 1.0)
    c0, c1 = rep["channels"]
    assert c0["corrupt"] == ("the ring says 8-byte messages, depth 1048576; the spec 8, "
                             "depth 4") and "sent" not in c0
    assert c1["corrupt"].startswith("ring magic 0x00000000") and "sent" not in c1
    text = live.format_top(rep)
    assert "ping_out      ping->pong              corrupt ring header: the ring says" in text
    ok = live.top_report(man, snap_ok, snap, 1.0)["channels"][0]
    assert ok["sent"] == 7 and ok["sent_per_s"] is None  # no rate from a garbled sample
    with pytest.raises(SpecError, match="corrupt: ring magic"):
        live.peek_report(man, obs.parse_dump(obs.dump_bytes(SCHEMA, HZ, 1, [
            (obs.DUMP_RING, 1, 0, bytes(bad_magic)), (obs.DUMP_SLOTS, 1, 0, bytes(32))]),
            "t", obs.DUMP_MAGIC, "trace dump"), pong_out)


@pytest.mark.parametrize("ring, why", [
    (chan_ring(2**40, 0), "head is 1099511627776 past tail, beyond the depth 4"),
    (chan_ring(3, 1, hwm=0xFFFFFFFF), "a high-water mark of 4294967295, beyond the depth 4"),
], ids=["head", "high-water"])
def test_ring_indices_beyond_the_depth_are_garbled(ring, why):
    """A ring its shards keep honestly never holds more than its depth (the
    copy reads head before tail): counts past it are a shard's writing, and
    the row says so rather than show them."""
    snap = obs.parse_dump(obs.dump_bytes(SCHEMA, HZ, 1, [
        (obs.DUMP_OBS, 0, 0, obs_chunk()), (obs.DUMP_RING, 0, 0, ring),
        (obs.DUMP_RING, 1, 0, chan_ring(7, 3, hwm=4))]), "t", obs.DUMP_MAGIC, "trace dump")
    rep = live.top_report(manifest(), snap)
    c0, c1 = rep["channels"]
    assert c0["corrupt"] == why and "queued" not in c0
    assert (c1["queued"], c1["high_water"]) == (4, 4)
    assert "ping_out      ping->pong              corrupt ring header: " + why in \
        live.format_top(rep)


def test_queued_messages_are_numbered_by_the_64_bit_indices():
    """A message's number is its ring index, past 2**32 as below it; one
    below the tail read again after the slots (a live read) was released
    meanwhile and is left out."""
    from generator import obs
    ring = {"depth": 4, "msg_size": 1, "tail": 2**32 - 2, "fill": 3, "stride": 1}
    slots = bytes([0, 1, 2, 3])
    assert obs.queued_messages(ring, slots) == [
        (2**32 - 2, b"\x02"), (2**32 - 1, b"\x03"), (2**32, b"\x00")]
    assert obs.queued_messages(ring, slots, tail_after=2**32) == [(2**32, b"\x00")]


def test_sequenced_slots_are_read_at_their_stride():
    """A sequenced channel's slots are the message, padded to 8 bytes, then
    its sequence word: peek shows the message alone, and a consumer past the
    published head (it took sealed messages before head was stored) makes
    nothing queued, not 2**64 - 1."""
    from generator import obs
    ring = {"depth": 2, "msg_size": 3, "tail": 5, "fill": 2, "stride": 16}
    slots = b"abc" + bytes(5) + (6).to_bytes(8, "little") + b"xyz" + bytes(5) + \
        (7).to_bytes(8, "little")
    assert obs.queued_messages(ring, slots) == [(5, b"xyz"), (6, b"abc")]
    hdr = bytearray(obs.RING_SLOTS_OFFSET)
    for name, v in (("head", 9), ("tail", 10), ("magic", obs.RING_MAGIC),
                    ("msg_size", 60), ("depth", 16), ("stride", 72)):
        off, fmt = obs.RING_FIELDS[name]
        struct.pack_into("<" + fmt, hdr, off, v)
    r = obs.decode_channel_ring(bytes(hdr))
    assert (r["sent"], r["received"], r["fill"], r["stride"]) == (9, 10, 0, 72)
    # The header says the layout: a stride neither layout has is corrupt,
    # and so is one the spec's channel does not have (a peer wrote it).
    for bad in (0, 64, 73):
        struct.pack_into("<I", hdr, obs.RING_FIELDS["stride"][0], bad)
        with pytest.raises(SpecError, match=f"corrupt: a slot stride of {bad} bytes"):
            obs.decode_channel_ring(bytes(hdr))
    struct.pack_into("<I", hdr, obs.RING_FIELDS["stride"][0], 60)
    chan = {"message": 60, "depth": 16, "slots": "sequenced", "stride": 72}
    with pytest.raises(SpecError, match=r"slots 60 bytes apart, the spec 72 \(sequenced"):
        live._ring(bytes(hdr), chan, "ring 0")
    struct.pack_into("<I", hdr, obs.RING_FIELDS["stride"][0], 72)
    assert live._ring(bytes(hdr), chan, "ring 0")["stride"] == 72


def test_peek(hosted_system):
    out, build, k = hosted_system
    r = vanity("peek", PINGPONG, "ping_out", "-o", out, "--build-dir", build)
    assert r.returncode == 0, r.stderr
    assert k.requests == ["peek 0"]
    lines = r.stdout.splitlines()
    assert lines[0].startswith("channel ping_out (ping -> pong): 3 of 4 slots queued, "
                               "8-byte messages (tail 4294967294, head 4294967297)")
    assert lines[1:] == [
        "#4294967294 (slot 2)", "  0000  02 02 02 02 02 02 02 02  |........|",
        "#4294967295 (slot 3)", "  0000  03 03 03 03 03 03 03 03  |........|",
        "#4294967296 (slot 0)", "  0000  00 00 00 00 00 00 00 00  |........|"]
    r = vanity("peek", PINGPONG, "nope", "-o", out, "--build-dir", build)
    assert r.returncode == 1 and "no channel 'nope'" in r.stderr


def test_no_running_system_is_a_clear_error(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "manifest.json").write_text(json.dumps(manifest()))
    for cmd in (["top", "--once"], ["peek", "ping_out"]):
        r = vanity(cmd[0], PINGPONG, *cmd[1:], "-o", out, "--build-dir", tmp_path / "b")
        assert r.returncode == 1, r
        assert r.stderr.startswith("vanity: error: no running system: ") and \
            f"(start it with `vanity run {PINGPONG}`)" in r.stderr and \
            len(r.stderr.splitlines()) == 1
    r = vanity("top", tmp_path / "missing.yaml", "--once")
    assert r.returncode == 1 and "Traceback" not in r.stderr


def _stale_socket(path):
    """An earlier run's socket: the file, with nothing listening on it."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(str(path))
    s.close()


def test_a_starting_system_is_waited_for(hosted_system):
    """`vanity top` started before `vanity run` has its socket up: while the
    run's mark names a live process, an earlier run's socket (or none) is
    waited for; without the mark, or with one a dead process left, it is
    the error at once."""
    out, build, k = hosted_system
    k.close()
    sock = build / "run" / "obs.sock"
    sock.unlink()
    _stale_socket(sock)
    top = [PYTHON, REPO / "vanity", "top", PINGPONG, "-o", out, "--build-dir", build,
           "--once", "--json", "--interval", "0.05"]
    t0 = time.monotonic()
    r = vanity(*top[2:])
    assert r.returncode == 1 and "nothing listens on" in r.stderr and \
        "the system has ended" in r.stderr, r.stderr
    dead = subprocess.Popen(["sleep", "10"])
    mark = f"{dead.pid} {live._started(dead.pid)}\n"
    dead.kill()
    dead.wait()
    live.run_mark(build).write_text(mark)
    r = vanity(*top[2:])
    assert r.returncode == 1 and "the system has ended" in r.stderr, r.stderr
    assert time.monotonic() - t0 < live.BOOT_WAIT  # neither waited
    with live.RunMark(build):
        assert live.starting(build / "run") == os.getpid()
        p = subprocess.Popen(list(map(str, top)), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        try:
            time.sleep(1.0)
            assert p.poll() is None, p.communicate()  # still waiting
            sock.unlink()
            k2 = FakeKernel(sock)
            stdout, stderr = p.communicate(timeout=60)
        finally:
            p.kill()
        k2.close()
        assert p.returncode == 0, stderr
        assert [s["name"] for s in json.loads(stdout)["shards"]] == ["ping", "pong"]
        assert k2.requests == ["snapshot", "snapshot"]
    assert not live.run_mark(build).exists()


def test_a_start_that_never_comes_up(tmp_path, monkeypatch):
    """A live mark, and nothing ever listens: the wait ends, saying so."""
    monkeypatch.setattr(live, "BOOT_WAIT", 0.3)
    (tmp_path / "run").mkdir()
    with live.RunMark(tmp_path):
        with pytest.raises(SpecError, match=r"nothing listens on .*obs.sock after 0.3 s, "
                           rf"though `vanity run` \(pid {os.getpid()}\) runs this build"):
            live.connect(live.obs_socket(tmp_path), "start it")
    with pytest.raises(SpecError, match=r"no running system: .*obs.sock does not exist"):
        live.connect(live.obs_socket(tmp_path), "start it")


def test_live_schema_mismatch(hosted_system):
    out, build, _ = hosted_system
    man = json.loads((out / "manifest.json").read_text())
    man["trace"]["schema_hash_int"] = 7
    (out / "manifest.json").write_text(json.dumps(man))
    r = vanity("top", PINGPONG, "-o", out, "--build-dir", build, "--once", "--interval", "0.05")
    assert r.returncode == 1 and "0x0000000000000007" in r.stderr and \
        "0x0123456789abcdef" in r.stderr


class FakeQmp:
    """QEMU's QMP socket over a fake guest memory: pmemsave writes files."""

    def __init__(self, path, memory):
        self.memory = memory  # [(addr, bytes)]
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(str(path))
        self.sock.listen(1)
        threading.Thread(target=self.serve, daemon=True).start()

    def read(self, addr, size):
        for base, data in self.memory:
            if base <= addr and addr + size <= base + len(data):
                return data[addr - base:addr - base + size]
        return None

    def serve(self):
        conn, _ = self.sock.accept()
        f = conn.makefile("rwb")
        f.write(b'{"QMP": {"version": {}, "capabilities": []}}\n')
        f.flush()
        for line in f:
            req = json.loads(line)
            if req["execute"] == "pmemsave":
                a = req["arguments"]
                data = self.read(a["val"], a["size"])
                if data is None:
                    f.write(b'{"error": {"class": "GenericError", "desc": "bad address"}}\n')
                else:
                    Path(a["filename"]).write_bytes(data)
                    f.write(b'{"event": "X"}\n{"return": {}}\n')
            else:
                f.write(b'{"return": {}}\n')
            f.flush()
        conn.close()


def _kernel_with_vn_obs(tmp_path):
    """A build directory whose kernel ELF has a symbol vn_obs, and its address."""
    build = tmp_path / "b"
    (build / "run").mkdir(parents=True)
    src = tmp_path / "k.c"
    src.write_text("char vn_obs[64] = {1};\nint main(void) { return vn_obs[0]; }\n")
    subprocess.run(["gcc", "-o", str(build / "image.elf"), str(src)], check=True)
    base = live.elf_symbol(build / "image.elf", "vn_obs")
    return build, base


def test_qmp_snapshot_and_peek(tmp_path):
    build, base = _kernel_with_vn_obs(tmp_path)
    nm = subprocess.run(["nm", str(build / "image.elf")], capture_output=True, text=True).stdout
    assert f"{base:016x} D vn_obs" in nm
    st = {0: stats(1, 1, 100, 10, 900, 10, 20, 30, 4, 0, 0, 0)}
    core = trace_ring(0x80000000, 512, 6, core_records())
    shard = trace_ring(0, 8, 3, user_records(3))
    slots = b"".join(bytes([i] * 8) for i in range(4))
    memory = [(base, obs_chunk(n_shards=2, stats=st) + core),
              (0x100000, shard),
              (0x2000, chan_ring(3, 1, tx_full=2) + slots),
              (0x3000, chan_ring(0, 0) + bytes(32))]
    man = manifest("qemu-virt-aarch64", shard_trace={0: {"addr_int": 0x100000,
                                                          "size_int": 4096, "records": 8}})
    FakeQmp(build / "run" / "qmp.sock", memory)
    target = live.Target(man, build, "hint")
    try:
        snap = target.snapshot()
        rep = live.top_report(man, snap)
        assert rep["shards"][0]["activations"] == 100
        assert rep["shards"][0]["trace"] == {"records": 3, "dropped": 0, "capacity": 8}
        assert rep["channels"][0]["sent"] == 3 and rep["channels"][0]["full_stalls"] == 2
        t = obs.decode_trace(snap, man)
        assert [name for name, _ in t.rings] == ["core0", "shard0_ping"]
        assert len(t.rings[0][1].records) == 6
        ring, msgs = live.peek_report(man, target.peek(0), man["channels"][0])
        assert msgs == [(1, bytes([1] * 8)), (2, bytes([2] * 8))]
    finally:
        target.close()


def test_qmp_waits_for_a_booting_kernel(tmp_path, monkeypatch):
    """Until the kernel publishes vn_obs (its magic, written last) the
    system is booting: top and peek wait for it, up to BOOT_WAIT, and then
    say it is not up rather than calling the counters corrupt."""
    build, base = _kernel_with_vn_obs(tmp_path)
    up = obs_chunk(n_shards=2, stats={0: stats(1, 1, 100, 10, 900, 10, 20, 30, 4, 0, 0, 0)})
    booting = bytes(4) + up[4:]  # all set up but the magic
    memory = [(base, booting + trace_ring(0x80000000, 512, 6, core_records())),
              (0x2000, chan_ring(3, 1) + bytes(32)), (0x3000, chan_ring(0, 0) + bytes(32))]
    man = manifest("qemu-virt-aarch64")
    qmp = FakeQmp(build / "run" / "qmp.sock", memory)
    reads = []

    def read(addr, size):  # the magic appears at the third look
        if addr == base:
            reads.append(addr)
            if len(reads) == 3:
                memory[0] = (base, up + memory[0][1][len(up):])
        return FakeQmp.read(qmp, addr, size)
    qmp.read = read
    target = live.Target(man, build, "hint")
    try:
        assert live.top_report(man, target.snapshot())["shards"][0]["activations"] == 100
        assert len(reads) == 3
    finally:
        target.close()

    (build / "run" / "qmp.sock").unlink()
    memory[0] = (base, booting + memory[0][1][len(up):])
    FakeQmp(build / "run" / "qmp.sock", memory)
    monkeypatch.setattr(live, "BOOT_WAIT", 0.2)
    target = live.Target(man, build, "hint")
    try:
        with pytest.raises(live.NotUp, match="the system is not up: its kernel has not "
                                             "published its counters"):
            target.peek(0)
    finally:
        target.close()


def test_qmp_says_the_system_ended_when_qemu_goes_mid_read(tmp_path):
    """QEMU exits while a snapshot reads (the system ended): that is what
    the error says, never an OSError's 'None': Broken pipe."""
    path = tmp_path / "qmp.sock"
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(str(path))
    srv.listen(1)

    def serve():
        conn, _ = srv.accept()
        f = conn.makefile("rwb")
        f.write(b'{"QMP": {}}\n')
        f.flush()
        f.readline()
        f.write(b'{"return": {}}\n')
        f.flush()
        conn.recv(1, socket.MSG_PEEK)  # the first pmemsave has come, and
        f.close()
        conn.close()  # QEMU exits with it unread: the client's read is reset
    threading.Thread(target=serve, daemon=True).start()
    q = live.Qmp(path)
    try:
        for _ in range(2):  # the reset read, then a write to the closed socket
            with pytest.raises(SpecError, match="QEMU closed the connection"):
                q.read(0, 8)
    finally:
        q.close()
        srv.close()


# ---- vanity run --trace -------------------------------------------------------------

def _fake_build(monkeypatch, tmp_path, kernel_text):
    """cmd_run with the build replaced: the 'kernel' is a script."""
    from generator import build
    kernel = tmp_path / "b" / "kernel"
    kernel.parent.mkdir()
    kernel.write_text(kernel_text)
    kernel.chmod(0o755)
    monkeypatch.setattr(cli, "_build", lambda args, model: (build, kernel))
    out = tmp_path / "out"
    out.mkdir()
    man = manifest()
    man["system"] = "pingpong"
    (out / "manifest.json").write_text(json.dumps(man))
    return out


def test_run_trace_hosted(monkeypatch, tmp_path, capsys):
    raw = tmp_path / "sample.raw"
    raw.write_bytes(sample_dump(user_n=21, ring_n=8))
    out = _fake_build(monkeypatch, tmp_path,
                      f'#!/bin/sh\ncp {raw} "$VANITY_TRACE_DUMP"\nexit 3\n')
    monkeypatch.delenv("VANITY_TRACE_DUMP", raising=False)
    d = tmp_path / "t"
    assert cli.main(["run", str(PINGPONG), "-o", str(out), "--trace", str(d)]) == 3
    err = capsys.readouterr().err
    assert f"vanity: trace: {d}: 14 records from 2 rings, 13 dropped (overwritten); " \
        f"read it with `babeltrace2 {d}`" in err
    assert sorted(p.name for p in d.iterdir()) == [
        ".vanity-manifest.json", ".vanity.raw", "core0", "metadata", "shard0_ping"]
    if shutil.which("babeltrace2"):
        assert "discarded 13 events" in babeltrace(d)


def test_run_trace_without_a_dump(monkeypatch, tmp_path, capsys):
    out = _fake_build(monkeypatch, tmp_path, "#!/bin/sh\nexit 0\n")
    d = tmp_path / "t"
    assert cli.main(["run", str(PINGPONG), "-o", str(out), "--trace", str(d)]) == 1
    assert "wrote no trace dump" in capsys.readouterr().err


def test_run_trace_qemu(monkeypatch, tmp_path, capsys):
    from generator import build_bare
    out = _fake_build(monkeypatch, tmp_path, "")
    man = json.loads((out / "manifest.json").read_text())
    man["board"] = "qemu-virt-riscv64"
    (out / "manifest.json").write_text(json.dumps(man))
    seen = {}

    def fake_run(board, image, extra, cores, gdb):
        seen["qemu"] = board.qemu
        arg = board.qemu[board.qemu.index("-semihosting-config") + 1]
        Path(arg.split("arg=vanity-trace=", 1)[1].split(",arg=")[0]).write_bytes(sample_dump())
        return 0

    monkeypatch.setattr(build_bare, "run", fake_run)
    d = tmp_path / "t"
    assert cli.main(["run", str(PINGPONG), "--board", "qemu-virt-riscv64", "-o", str(out),
                     "--trace", str(d)]) == 0, capsys.readouterr().err
    q = seen["qemu"]
    assert q[0] == "qemu-system-riscv64"
    assert q[q.index("-qmp") + 1] == f"unix:{tmp_path / 'b' / 'run' / 'qmp.sock'},server=on,wait=off"
    assert (d / "metadata").exists() and (d / ".vanity.raw").exists()


def test_top_refreshes_until_interrupted(hosted_system):
    import signal
    import sys
    import time
    out, build, k = hosted_system
    p = subprocess.Popen([sys.executable, str(REPO / "vanity"), "top", str(PINGPONG), "-o",
                          str(out), "--build-dir", str(build), "--interval", "0.2"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         # as from a terminal, also when this runs in a background job
                         # (whose children start with SIGINT ignored)
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.time() + 20
    while len(k.requests) < 4 and time.time() < deadline:
        time.sleep(0.05)
    p.send_signal(signal.SIGINT)
    stdout, stderr = p.communicate(timeout=20)
    assert p.returncode == 130, stderr
    assert stdout.count("vanity top - pingpong on hosted") >= 2 and "Traceback" not in stderr


def test_vanity_trace_against_a_spec(tmp_path):
    d = trace_dir(tmp_path, sample_dump())
    out = tmp_path / "out"
    out.mkdir()
    (out / "manifest.json").write_text(json.dumps(manifest()))
    r = vanity("trace", d, "--spec", PINGPONG, "-o", out)
    assert r.returncode == 0 and "rx_batch" in r.stdout, r.stderr
    (out / "manifest.json").write_text(json.dumps(manifest(schema=0xABC)))
    r = vanity("trace", d, "--spec", PINGPONG, "-o", out)
    assert r.returncode == 1 and r.stderr == (
        f"vanity: error: {d / '.vanity.raw'}: schema hash 0x0123456789abcdef does not match "
        f"0x0000000000000abc of {out / 'manifest.json'}: it was recorded by a system built "
        "from another spec (rebuild, or give the spec it was built from)\n")


def test_trace_dir_keeps_other_files(tmp_path):
    d = tmp_path / "t"
    d.mkdir()
    (d / "notes.txt").write_text("mine")
    (d / "core7").write_text("old stream")
    (d / "vanity.raw").write_bytes(sample_dump())
    r = vanity("trace", d)
    assert r.returncode == 1 and "only an unconverted dump, vanity.raw" in r.stderr
    ctf.convert_dir(d, manifest())
    assert sorted(p.name for p in d.iterdir()) == [
        ".vanity-manifest.json", ".vanity.raw", "core0", "metadata", "notes.txt",
        "shard0_ping"]


# ---- latency histograms -------------------------------------------------------------

def latency_dump():
    """ping_out is a latency channel (its histogram: 100 samples of 10..1000
    ticks); ping ran 4 activations, pong none."""
    return obs.parse_dump(obs.dump_bytes(SCHEMA, HZ, 2000, [
        (obs.DUMP_OBS, 0, 0x1000, obs_chunk(run_hists={0: [100, 200, 300, 4000]})),
        (obs.DUMP_RING, 0, 0x2000, chan_ring(100, 100)),
        (obs.DUMP_HIST, 0, 0x2200, hist_bytes([10 * i for i in range(1, 101)])),
        (obs.DUMP_RING, 1, 0x3000, chan_ring(0, 0)),
    ]), "d.raw")


def test_top_shows_latency_percentiles():
    man = manifest()
    rep = live.top_report(man, latency_dump())
    c0, c1 = rep["channels"]
    ns = 1e9 / HZ
    assert c1["latency"] is None
    lat = c0["latency"]
    assert lat["count"] == 100 and lat["max"] == round(1000 * ns, 1)
    for key, exact in (("p50", 500), ("p90", 900), ("p99", 990), ("p99.9", 1000)):
        assert exact * ns <= lat[key] <= exact * ns * 1.125 + 0.1, (key, lat)
    ping, pong = rep["shards"]
    assert ping["run_time"]["count"] == 4 and ping["run_time"]["max"] == round(4000 * ns, 1)
    # the mean's sum is run_ticks: the run-time histogram keeps none
    assert ping["run_time"]["mean"] == round(1150 * ns, 1)
    assert pong["run_time"]["count"] == 0 and pong["run_time"]["p50"] is None
    json.dumps(rep)
    text = live.format_top(rep).splitlines()
    i = text.index(next(t for t in text if t.startswith("CHANNEL LATENCY")))
    assert text[i].split()[2:] == ["COUNT", "P50", "P90", "P99", "P99.9", "MAX"]
    assert text[i + 1].split()[:2] == ["ping_out", "100"]
    j = text.index(next(t for t in text if t.startswith("SHARD RUN/ACT")))
    assert [t.split()[0] for t in text[j + 1:j + 3]] == ["ping", "pong"]


def test_a_histogram_whose_max_or_sum_contradicts_its_buckets():
    """The consumer writes its channel's histogram: a max below the highest
    samples would cap every percentile, a sum of 2^64 - 1 make the mean;
    both are then not shown, the percentiles are the buckets' edges, and
    the row says why. A copy taken while samples go in (counted in their
    buckets before the max and the sum) is not called inconsistent."""
    buckets = [0] * hist.BUCKETS
    buckets[200] = 1000
    low, high = hist.bucket_low(200), hist.bucket_high(200)
    bad = {"buckets": buckets, "max": 0, "sum": 2**64 - 1, "count": 1000}
    s = hist.summary(bad)
    assert s["inconsistent"] == "max 0 is below more samples than a copy in flight can hold"
    assert s["max"] is None and s["mean"] is None and s["p50"] == high
    s = hist.summary({**bad, "max": low + 5})
    assert s["inconsistent"] == f"sum {2**64 - 1} is outside what the buckets allow"
    assert hist.summary({**bad, "max": low + 5, "sum": 1000 * low + 9})["mean"] == low + 0.009
    assert hist.summary({**bad, "max": high + 1})["inconsistent"] == \
        f"max {high + 1} is above its highest bucket holding a sample (up to {high})"
    # copies in flight: 900 is in its bucket, not yet in the max or the sum;
    # three samples in the buckets, not yet in the sum
    in_flight = [0] * hist.BUCKETS
    for v in (100, 120, 130, 900):
        in_flight[hist.bucket(v)] += 1
    s = hist.summary({"buckets": in_flight, "max": 130, "sum": 350})
    assert "inconsistent" not in s and s["max"] == 130 and s["p99"] == hist.bucket_high(
        hist.bucket(900)), s  # the max caps only within its own bucket
    assert "inconsistent" not in hist.summary({"buckets": in_flight, "max": 900, "sum": 900})
    # the kernel's run-time histograms are its own: taken as they are
    assert "inconsistent" not in hist.summary(bad, trusted=True)
    raw = struct.pack("<4Q305Q", 0, 2**64 - 1, 0, 0, *buckets)
    dump = obs.parse_dump(obs.dump_bytes(SCHEMA, HZ, 2000, [
        (obs.DUMP_OBS, 0, 0x1000, obs_chunk()), (obs.DUMP_RING, 0, 0x2000, chan_ring(4, 4)),
        (obs.DUMP_HIST, 0, 0x2200, raw)]), "d.raw")
    text = live.format_top(live.top_report(manifest(), dump))
    assert "(inconsistent: max 0 is below more samples" in text
    assert "(inconsistent: max 0" in obs.format_latency(obs.latency_stats(dump, manifest()))


def test_latency_stats_table():
    stats = obs.latency_stats(latency_dump(), manifest())
    assert list(stats["channels"]) == ["ping_out"] and list(stats["shards"]) == ["ping", "pong"]
    table = obs.format_latency(stats).splitlines()
    assert table[0] == "latency: channel transit time"
    assert table[2].split()[:2] == ["ping_out", "100"]
