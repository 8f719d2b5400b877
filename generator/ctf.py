"""A decoded trace (generator/obs.py) as CTF 1.8: the format LTTng, barectf
and Zephyr write, read by babeltrace2 and Trace Compass.

The directory holds `metadata` (TSDL, written from the manifest's event
table) and one stream file per trace ring: `core<N>` for a core's kernel
events, `shard<ID>_<name>` for a shard's own. Each stream file has two
packets: an empty one, then one with every record the ring still held;
the second one's `events_discarded` is the number the ring overwrote, so
babeltrace2 reports them as discarded events of that stream.

Layout of a packet (all little-endian, byte-aligned, no padding):
  header:  u32 magic 0xc1fc1fc1, u8 uuid[16], u32 stream_id (0)
  context: u64 timestamp_begin, u64 timestamp_end, u64 content_size,
           u64 packet_size (both in bits), u64 events_discarded,
           u32 cpu_id (the ring's core), u32 ring (a shard id, or
           0x80000000 | core)
  events:  u16 id, u64 timestamp, then the fields as the record holds them.
"""

import re
import struct
import uuid as uuidlib
from pathlib import Path


CTF_MAGIC = 0xC1FC1FC1
PACKET_HEADER = struct.Struct("<I16sI")
PACKET_CONTEXT = struct.Struct("<QQQQQII")
EVENT_HEADER = struct.Struct("<HQ")

# TSDL keywords: a field named like one is written with a leading '_', which
# CTF readers strip (as they strip it from any name that starts with '_').
TSDL_KEYWORDS = {
    "align", "callsite", "const", "char", "clock", "double", "enum", "env", "event",
    "floating_point", "float", "integer", "int", "long", "short", "signed", "stream",
    "string", "struct", "trace", "typealias", "typedef", "unsigned", "variant", "void",
    "_Bool", "_Complex", "_Imaginary",
}

_INT_TYPES = {"u8": (8, False), "u16": (16, False), "u32": (32, False), "u64": (64, False),
              "i8": (8, True), "i16": (16, True), "i32": (32, True), "i64": (64, True)}


def tsdl_name(name):
    if name in TSDL_KEYWORDS or name.startswith("_"):
        return "_" + name
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise ValueError(f"'{name}' is not a C identifier")
    return name


def tsdl_string(s):
    return '"' + str(s).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _field_decl(f):
    name = tsdl_name(f["name"])
    t = f["type"]
    if t == "enum":
        labels = ", ".join(f"{tsdl_string(v)} = {i}" for i, v in enumerate(f["values"]))
        return f"enum : uint8_t {{ {labels} }} {name};"
    if t == "bytes":
        return f"vn_hex8_t {name}[{f['size']}];"
    return f"{t}_t {name};"


def metadata(trace, trace_uuid):
    """The TSDL metadata of a trace."""
    m = trace.manifest
    hz = trace.clock_hz or 1000000000
    lines = ["/* CTF 1.8 */", "",
             "/* Written by vanity from the spec's manifest; the binary layout is "
             "runtime/include/vanity/trace.h. */", ""]
    for t, (bits, signed) in _INT_TYPES.items():
        lines.append(f"typealias integer {{ size = {bits}; align = 8; "
                     f"signed = {'true' if signed else 'false'}; }} := {t}_t;")
    lines += [
        "typealias integer { size = 8; align = 8; signed = false; } := uint8_t;",
        "typealias integer { size = 16; align = 8; signed = false; } := uint16_t;",
        "typealias integer { size = 32; align = 8; signed = false; } := uint32_t;",
        "typealias integer { size = 64; align = 8; signed = false; } := uint64_t;",
        "typealias integer { size = 8; align = 8; signed = false; base = 16; } := vn_hex8_t;",
        "",
        "trace {",
        "\tmajor = 1;",
        "\tminor = 8;",
        f"\tuuid = \"{trace_uuid}\";",
        "\tbyte_order = le;",
        "\tpacket.header := struct {",
        "\t\tuint32_t magic;",
        "\t\tuint8_t uuid[16];",
        "\t\tuint32_t stream_id;",
        "\t};",
        "};",
        "",
        "env {",
        "\tdomain = \"vanity\";",
        "\ttracer_name = \"vanity\";",
        f"\ttrace_name = {tsdl_string(m.get('system', 'vanity') + '-' + m.get('board', ''))};",
        f"\tsystem = {tsdl_string(m.get('system', ''))};",
        f"\tboard = {tsdl_string(m.get('board', ''))};",
        f"\tschema_hash = \"{trace.dump.schema_hash:#018x}\";",
        f"\tclock_hz = {hz};",
        "};",
        "",
        "clock {",
        "\tname = vanity;",
        f"\tuuid = \"{trace_uuid}\";",
        "\tdescription = \"the port's raw clock (vn_obs.clock_hz ticks a second)\";",
        f"\tfreq = {hz};",
        "\toffset = 0;",
        "\tprecision = 1;",
        "\tabsolute = false;",
        "};",
        "",
        "typealias integer { size = 64; align = 8; signed = false; "
        "map = clock.vanity.value; } := vn_clock_t;",
        "",
        "stream {",
        "\tid = 0;",
        "\tpacket.context := struct {",
        "\t\tvn_clock_t timestamp_begin;",
        "\t\tvn_clock_t timestamp_end;",
        "\t\tuint64_t content_size;",
        "\t\tuint64_t packet_size;",
        "\t\tuint64_t events_discarded;",
        "\t\tuint32_t cpu_id;",
        "\t\tuint32_t ring;",
        "\t};",
        "\tevent.header := struct {",
        "\t\tuint16_t id;",
        "\t\tvn_clock_t timestamp;",
        "\t};",
        "};",
    ]
    for ev in trace.events:
        lines += ["", "event {", f"\tname = {tsdl_string(ev.name)};", f"\tid = {ev.id};",
                  "\tstream_id = 0;"]
        if ev.fields:
            lines.append("\tfields := struct {")
            lines += [f"\t\t{_field_decl(f)}" for f in ev.fields]
            lines.append("\t};")
        else:  # CTF wants a payload; an event with no fields has an empty one
            lines.append("\tfields := struct { };")
        lines.append("};")
    return "\n".join(lines) + "\n"


def _packet(trace_uuid, ts_begin, ts_end, discarded, cpu, ring, events):
    body = b"".join(events)
    size = PACKET_HEADER.size + PACKET_CONTEXT.size + len(body)
    return (PACKET_HEADER.pack(CTF_MAGIC, trace_uuid.bytes, 0) +
            PACKET_CONTEXT.pack(ts_begin, ts_end, size * 8, size * 8, discarded, cpu, ring) +
            body)


def ring_core(trace, ring):
    """The core a ring's records were written on."""
    if ring.is_core:
        return ring.index
    for s in trace.manifest.get("shards", []):
        if s["id"] == ring.index:
            return int(s.get("core", 0))
    return 0


def stream_bytes(trace, ring, trace_uuid):
    """One ring as a stream file. Records are in write order; a ring written
    on one core has non-decreasing timestamps, which CTF requires (they are
    sorted, stably, in case a hosted shard migrated between host CPUs whose
    clocks disagree)."""
    events, skipped = [], 0
    records = sorted(ring.records, key=lambda r: r.ts)
    for rec in records:
        ev = trace.events.get(rec.id)
        if ev is None:
            skipped += 1
            continue
        used = sum(f["size"] for f in ev.fields)
        events.append(EVENT_HEADER.pack(rec.id, rec.ts) + bytes(rec.data[:used]))
    begin = records[0].ts if records else trace.dump.now
    end = records[-1].ts if records else trace.dump.now
    cpu = ring_core(trace, ring)
    # The first packet is empty and discards nothing: the second's count is
    # then what babeltrace2 reports as discarded before it.
    return (_packet(trace_uuid, begin, begin, 0, cpu, ring.owner, []) +
            _packet(trace_uuid, begin, end, ring.dropped + skipped, cpu, ring.owner, events))


def write_ctf(trace, out_dir):
    """Writes the CTF trace into out_dir; returns the stream files' names."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    trace_uuid = uuidlib.uuid4()
    names = []
    for name, ring in trace.rings:
        (out_dir / name).write_bytes(stream_bytes(trace, ring, trace_uuid))
        names.append(name)
    (out_dir / "metadata").write_text(metadata(trace, trace_uuid), encoding="utf-8")
    return names


# ---- a trace directory ------------------------------------------------------------

RAW = "vanity.raw"           # where the kernel writes its dump
KEPT_RAW = ".vanity.raw"     # the dump, kept (CTF readers skip dot files)
KEPT_MANIFEST = ".vanity-manifest.json"  # the manifest it was decoded with
STREAM_NAME = re.compile(r"metadata|core\d+|shard\d+_[A-Za-z0-9_.-]*")


def convert_dir(trace_dir, manifest, manifest_name="the spec"):
    """After a traced run: decodes DIR/vanity.raw against the manifest,
    writes the CTF trace into DIR, and keeps the dump and the manifest as
    dot files (babeltrace2 ignores them; `vanity trace DIR` reads them).
    Returns the decoded trace."""
    import json
    import os
    from .errors import fail
    from .obs import decode_trace, read_dump
    trace_dir = Path(trace_dir)
    raw = trace_dir / RAW
    if not raw.exists():
        raise fail(f"{raw}: the system wrote no trace dump (did it start? was the "
                   "kernel built with tracing?)")
    trace = decode_trace(read_dump(raw), manifest, manifest_name)
    for old in trace_dir.iterdir():  # a previous run's streams (nothing else)
        if old.is_file() and STREAM_NAME.fullmatch(old.name):
            old.unlink()
    write_ctf(trace, trace_dir)
    (trace_dir / KEPT_MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n",
                                            encoding="utf-8")
    os.replace(raw, trace_dir / KEPT_RAW)
    trace.dump.source = str(trace_dir / KEPT_RAW)
    return trace


def load_dir(trace_dir, manifest=None, manifest_name=None):
    """The trace `vanity run --trace DIR` left in DIR, decoded again: with
    the manifest it was written with, or the one given (which must match)."""
    import json
    from .errors import fail
    from .obs import decode_trace, read_dump
    d = Path(trace_dir)
    if not d.is_dir():
        raise fail(f"{d}: no such trace directory")
    if not (d / KEPT_RAW).exists() or not (d / KEPT_MANIFEST).exists():
        if (d / RAW).exists():
            what = f"only an unconverted dump, {RAW}: the run that wrote it did not finish"
        elif not any(d.iterdir()):
            what = "an empty directory"
        else:
            what = f"no {KEPT_RAW} and {KEPT_MANIFEST} in it"
        raise fail(f"{d}: not a trace written by `vanity run --trace` ({what})")
    if manifest is None:
        manifest_name = str(d / KEPT_MANIFEST)
        try:
            manifest = json.loads((d / KEPT_MANIFEST).read_text(encoding="utf-8"))
        except ValueError as exc:
            raise fail(f"{manifest_name}: corrupt: {exc}") from None
    return decode_trace(read_dump(d / KEPT_RAW), manifest, manifest_name)
