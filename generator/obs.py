"""Observability on the host: the trace event tables, and (below) the dump
stream decoder that `vanity run --trace`, `vanity trace`, `vanity top` and
`vanity peek` share.

The binary layout is runtime/include/vanity/trace.h; tests/generator/
test_obs.py holds the constants here equal to it (compiled with gcc).
"""

import struct
from dataclasses import dataclass, field

from . import events as _ev
from . import hist as _hist
from .errors import SpecError, fail
from .model import ring_stride

# ---- event tables -----------------------------------------------------------

# The event tables are events.py's (the generator's manifest is written from
# them too); the names below are the host tools' view of them.
TRACE_DATA = _ev.EVENT_BYTES          # VN_TRACE_DATA: an event's fields must fit
EV_USER = _ev.USER_BASE               # VN_EV_USER: below are the kernel's events
KERNEL_EVENTS = _ev.KERNEL_EVENTS     # in enum vn_kevent order: the id is the index
SWITCH_REASONS = list(_ev.SWITCH_REASONS)  # switch_out's reason, by value

# `by` in wake and `shard` in halt: not a shard (a timeout or device; the kernel).
NO_SHARD = 0xFFFF


def event_layout(fields):
    """An event's fields as the manifest writes them: [{"name", "type",
    "offset", "size"(, "values")}], packed by events.layout (which raises
    ValueError for fields that are unknown or do not fit a record)."""
    return [f.doc() for f in _ev.layout(fields)]


def kernel_event_table():
    """KERNEL_EVENTS as the manifest writes them: [{"id", "name", "fields"}]."""
    return [{"id": i, "name": name, "fields": event_layout(fields)}
            for i, (name, fields) in enumerate(KERNEL_EVENTS)]


# ---- the binary layout (runtime/include/vanity/trace.h, vanity/ring.h) -------


TRACE_MAGIC = 0x72546E56          # VN_TRACE_MAGIC
OBS_MAGIC = 0x624F6E56            # VN_OBS_MAGIC
OBS_VERSION = 3                   # VN_OBS_VERSION (2: run_hist[] before core[]; 3: 256 shards)
DUMP_MAGIC = 0x31574152444E5600   # VN_DUMP_MAGIC
TRACE_CORE = 0x80000000           # VN_TRACE_CORE
TRACE_CORE_RECS = 512             # VN_TRACE_CORE_RECS
MAX_SHARDS, MAX_CHANNELS, MAX_CORES = 256, 4096, 16

REC = struct.Struct("<QH22s")                 # struct vn_trace_rec: ts, id, data
RING_HDR = struct.Struct("<IIIIQ40x")         # struct vn_trace_ring, before rec[]
SHARD_STATS = struct.Struct("<II10Q")         # struct vn_shard_stats
OBS_HDR = struct.Struct("<IIQQIIII")          # struct vn_obs, up to shard[]
DUMP_HDR = struct.Struct("<QQQQ")             # struct vn_dump_hdr
CHUNK_HDR = struct.Struct("<IIQQ")            # struct vn_dump_chunk

# offsetof() in struct vn_obs; sizeof(struct vn_core_trace).
HIST_SIZE = _hist.BYTES                                    # sizeof(struct vn_hist): 2472
OBS_SHARD = OBS_HDR.size                                   # 40
OBS_CHAN_NOTIFIES = OBS_SHARD + MAX_SHARDS * SHARD_STATS.size  # 22568
OBS_RUN_HIST = OBS_CHAN_NOTIFIES + 8 * MAX_CHANNELS        # 55336
OBS_CORE = OBS_RUN_HIST + MAX_SHARDS * HIST_SIZE           # 688168
CORE_TRACE_SIZE = RING_HDR.size + TRACE_CORE_RECS * REC.size  # 16448
OBS_SIZE = OBS_CORE + MAX_CORES * CORE_TRACE_SIZE


def trace_ring_bytes(n_recs):
    """VN_TRACE_RING_BYTES(n)."""
    return RING_HDR.size + REC.size * n_recs


# enum vn_dump_kind
DUMP_OBS, DUMP_CORE_TRACE, DUMP_SHARD_TRACE, DUMP_RING, DUMP_SLOTS, DUMP_HIST = 1, 2, 3, 4, 5, 6
# a crash dump's own (generator/crash.py)
DUMP_CRASH, DUMP_REGS, DUMP_FPREGS, DUMP_MEM, DUMP_STATS = 7, 8, 9, 10, 11
DUMP_KINDS = {DUMP_OBS: "obs", DUMP_CORE_TRACE: "core trace", DUMP_SHARD_TRACE:
              "shard trace", DUMP_RING: "ring", DUMP_SLOTS: "slots",
              DUMP_HIST: "histogram", DUMP_CRASH: "crash record", DUMP_REGS: "registers",
              DUMP_FPREGS: "FP registers", DUMP_MEM: "memory", DUMP_STATS: "counters"}

# struct vn_ring (vanity/ring.h): the header's fields and their offsets.
RING_MAGIC = 0x676E6952
RING_SLOTS_OFFSET = 384
RING_FIELDS = {  # name: (offset, struct format)
    "head": (0, "Q"), "tx_full": (8, "Q"), "tx_hwm": (16, "I"),
    "tail": (128, "Q"), "rx_empty": (136, "Q"),
    "rx_sleeping": (256, "I"), "tx_sleeping": (260, "I"), "magic": (264, "I"),
    "msg_size": (268, "I"), "depth": (272, "I"), "stride": (276, "I"),
}

# enum vn_state (runtime/core/kernel.h)
SHARD_STATES = ["ready", "running", "blocked", "finished", "stopped"]


# ---- the dump stream ----------------------------------------------------------

@dataclass
class Chunk:
    kind: int
    index: int
    addr: int
    data: bytes


@dataclass
class Dump:
    """A dump or live snapshot: its header and its chunks, in stream order."""
    source: str
    schema_hash: int
    clock_hz: int
    now: int
    chunks: list = field(default_factory=list)

    def find(self, kind, index=None):
        return [c for c in self.chunks if c.kind == kind and (index is None or c.index == index)]

    def one(self, kind, index):
        found = self.find(kind, index)
        return found[-1] if found else None


def dump_bytes(schema_hash, clock_hz, now, chunks):
    """The stream form of a dump: what the kernel writes (and what live
    snapshots over QMP are assembled into). chunks: (kind, index, addr, bytes)."""
    out = [DUMP_HDR.pack(DUMP_MAGIC, schema_hash, clock_hz, now)]
    for kind, index, addr, data in chunks:
        out.append(CHUNK_HDR.pack(kind, index, addr, len(data)))
        out.append(bytes(data) + b"\0" * (-len(data) % 8))
    return b"".join(out)


TRACE_KINDS = range(DUMP_OBS, DUMP_HIST + 1)   # a dump's; a crash dump takes them all


def parse_dump(data, source="dump", magic_want=DUMP_MAGIC, what="dump"):
    """Decodes a dump stream (or, with the crash dump's magic, a crash dump);
    a wrong magic, a truncated or corrupt stream is a SpecError naming
    `source`, never a partial result."""
    if not data:
        raise fail(f"{source}: empty (the system wrote no dump: did it start, "
                   "and was it built with tracing?)")
    if len(data) < DUMP_HDR.size:
        raise fail(f"{source}: truncated: {len(data)} bytes, shorter than the "
                   f"{DUMP_HDR.size}-byte dump header")
    magic, schema, clock_hz, now = DUMP_HDR.unpack_from(data)
    if magic != magic_want:
        raise fail(f"{source}: not a Vanity {what} (magic {magic:#018x}, "
                   f"expected {magic_want:#018x})")
    dump = Dump(source, schema, clock_hz, now)
    pos = DUMP_HDR.size
    while pos < len(data):
        if len(data) - pos < CHUNK_HDR.size:
            raise fail(f"{source}: truncated at byte {pos}: {len(data) - pos} bytes "
                       f"left, a chunk header is {CHUNK_HDR.size}")
        kind, index, addr, length = CHUNK_HDR.unpack_from(data, pos)
        known = DUMP_KINDS if magic_want != DUMP_MAGIC else TRACE_KINDS
        if kind not in known:
            raise fail(f"{source}: corrupt at byte {pos}: chunk kind {kind} "
                       f"(known: 1..{max(known)})")
        body = pos + CHUNK_HDR.size
        if length > len(data) - body:
            raise fail(f"{source}: truncated at byte {pos}: a {DUMP_KINDS[kind]} chunk "
                       f"of {length} bytes, {len(data) - body} left")
        dump.chunks.append(Chunk(kind, index, addr, data[body:body + length]))
        pos = body + length + (-length % 8)
    obs = dump.find(DUMP_OBS)
    if obs:
        hdr = decode_obs(obs[-1].data, source)
        if hdr.schema_hash != schema:
            raise fail(f"{source}: corrupt: the header's schema hash {schema:#018x} "
                       f"differs from the kernel's {hdr.schema_hash:#018x}")
    return dump


def read_dump(path):
    try:
        data = open(path, "rb").read()
    except FileNotFoundError:
        raise fail(f"{path}: no such file (the system wrote no dump)") from None
    return parse_dump(data, str(path))


def manifest_schema(manifest):
    t = manifest.get("trace") or {}
    if "schema_hash_int" in t:
        return int(t["schema_hash_int"])
    if "schema_hash" in t:
        return int(str(t["schema_hash"]), 0)
    return None


def check_schema(dump, manifest, manifest_name="the spec"):
    """The dump must come from a system built from this manifest's spec."""
    want = manifest_schema(manifest)
    if want is None:
        raise fail(f"{manifest_name} has no trace schema hash (generated before "
                   "tracing existed: run `vanity gen` again)")
    if dump.schema_hash != want:
        raise fail(f"{dump.source}: schema hash {dump.schema_hash:#018x} does not match "
                   f"{want:#018x} of {manifest_name}: it was recorded by a system built "
                   "from another spec (rebuild, or give the spec it was built from)")


# ---- kernel counters ------------------------------------------------------------

@dataclass
class ObsHeader:
    magic: int
    version: int
    schema_hash: int
    clock_hz: int
    n_shards: int
    n_channels: int
    n_cores: int
    halted: int
    shards: list        # of dicts (struct vn_shard_stats), n_shards of them
    chan_notifies: list  # n_channels of them (empty if the chunk stops before)
    run_hists: list = field(default_factory=list)  # hist.decode() dicts, per shard


STAT_NAMES = ["state", "generation", "activations", "run_ticks", "syscalls", "yields",
              "waits", "wakes", "notifies", "irqs", "faults", "restarts"]


def decode_obs(buf, source="dump"):
    if len(buf) < OBS_HDR.size:
        raise fail(f"{source}: truncated: the kernel's counters are {len(buf)} bytes")
    magic, version, schema, clock_hz, ns, nc, ncores, halted = OBS_HDR.unpack_from(buf)
    if magic != OBS_MAGIC:
        raise fail(f"{source}: corrupt: counters magic {magic:#010x}, "
                   f"expected {OBS_MAGIC:#010x}")
    if version != OBS_VERSION:
        raise fail(f"{source}: counters version {version}; this vanity reads "
                   f"version {OBS_VERSION}")
    if ns > MAX_SHARDS or nc > MAX_CHANNELS or ncores > MAX_CORES:
        raise fail(f"{source}: corrupt: {ns} shards, {nc} channels, {ncores} cores")
    if len(buf) < OBS_SHARD + ns * SHARD_STATS.size:
        raise fail(f"{source}: truncated: the counters of {ns} shards do not fit "
                   f"in {len(buf)} bytes")
    shards = [dict(zip(STAT_NAMES, SHARD_STATS.unpack_from(buf, OBS_SHARD + i * SHARD_STATS.size)))
              for i in range(ns)]
    notifies = []
    if len(buf) >= OBS_CHAN_NOTIFIES + 8 * nc:
        notifies = list(struct.unpack_from(f"<{nc}Q", buf, OBS_CHAN_NOTIFIES))
    run_hists = []
    if len(buf) >= OBS_RUN_HIST + ns * HIST_SIZE:
        run_hists = [_hist.decode(buf[OBS_RUN_HIST + i * HIST_SIZE:
                                      OBS_RUN_HIST + (i + 1) * HIST_SIZE], source)
                     for i in range(ns)]
        for h, st in zip(run_hists, shards):  # their sums are the shards' run_ticks
            h["sum"] = st["run_ticks"]
    return ObsHeader(magic, version, schema, clock_hz, ns, nc, ncores, halted, shards,
                     notifies, run_hists)


def channel_hists(dump):
    """channel id -> its decoded transit-time histogram (latency channels)."""
    return {c.index: _hist.decode(c.data, f"{dump.source}: histogram {c.index}")
            for c in dump.find(DUMP_HIST)}


def latency_stats(dump, manifest):
    """Percentiles in ns (hist.summary) of every histogram in a dump:
    {"shards": {name: run time per activation}, "channels": {name: transit
    time}}. Both keyed by name, in manifest order."""
    hz = dump.clock_hz
    out = {"shards": {}, "channels": {}}
    chunk = dump.find(DUMP_OBS)
    if chunk:
        k = decode_obs(chunk[-1].data, dump.source)
        hz = k.clock_hz or hz
        for s in manifest.get("shards", []):
            if s["id"] < len(k.run_hists):
                out["shards"][s["name"]] = _hist.summary(k.run_hists[s["id"]], hz,
                                                         trusted=True)
    hists = channel_hists(dump)
    for c in manifest.get("channels", []):
        if c["id"] in hists:
            out["channels"][c["name"]] = _hist.summary(hists[c["id"]], hz)
    return out


def format_latency(stats, title="latency"):
    """The percentile table `vanity trace --stats` prints."""
    cols = ["count", "p50", "p90", "p99", "p99.9", "max", "mean"]
    head = f"{'':<24}{'COUNT':>10}" + "".join(f"{c.upper():>10}" for c in cols[1:])
    lines = []
    for kind, label in (("channels", "channel transit time"), ("shards",
                                                                "shard run time per activation")):
        if not stats[kind]:
            continue
        lines += [f"{title}: {label}", head]
        for name, s in stats[kind].items():
            lines.append(f"{name[:23]:<24}{s['count']:>10}" +
                         "".join(f"{_hist.format_ns(s[c]):>10}" for c in cols[1:]) +
                         _hist.inconsistent_suffix(s))
        lines.append("")
    return "\n".join(lines).rstrip()


# ---- channel rings ----------------------------------------------------------------

U64 = (1 << 64) - 1  # the rings' indices are free-running 64-bit counters (vanity/ring.h)


def decode_channel_ring(buf, source="dump"):
    """The counters of a channel ring header (struct vn_ring), as a dict."""
    if len(buf) < RING_SLOTS_OFFSET:
        raise fail(f"{source}: truncated: a channel ring header of {len(buf)} bytes, "
                   f"not {RING_SLOTS_OFFSET}")
    r = {name: struct.unpack_from("<" + fmt, buf, off)[0]
         for name, (off, fmt) in RING_FIELDS.items()}
    if r["magic"] != RING_MAGIC:
        raise fail(f"{source}: corrupt: ring magic {r['magic']:#010x}, "
                   f"expected {RING_MAGIC:#010x}")
    depth = r["depth"]
    if depth == 0 or depth & (depth - 1):
        raise fail(f"{source}: corrupt: ring depth {depth} is not a power of two")
    if r["stride"] not in (ring_stride(r["msg_size"], False), ring_stride(r["msg_size"], True)):
        raise fail(f"{source}: corrupt: a slot stride of {r['stride']} bytes, for "
                   f"{r['msg_size']}-byte messages")
    r["sent"], r["received"] = r["head"], r["tail"]  # 64-bit indices: the counts
    # A consumer of sequenced slots may be past the published head for a
    # moment (vanity/ring.h): then nothing is queued, not nearly 2^64.
    fill = (r["head"] - r["tail"]) & U64
    r["fill"] = 0 if fill >= 1 << 63 else fill
    return r


def queued_messages(ring, slots, tail_after=None):
    """The messages between tail and head, oldest first, as (index, bytes),
    without consuming them, each slot at the ring's stride (a sequenced
    channel's slots hold their sequence word after the message). tail_after:
    the tail read again after the slots were copied (live reads); messages
    below it may have been reused."""
    depth, size, stride = ring["depth"], ring["msg_size"], ring["stride"]
    fill = min(ring["fill"], depth)
    out = []
    for i in range(fill):
        n = (ring["tail"] + i) & U64
        if tail_after is not None and ((n - tail_after) & U64) >= 1 << 63:
            continue
        off = (n & (depth - 1)) * stride
        if off + size > len(slots):
            break
        out.append((n, bytes(slots[off:off + size])))
    return out


# ---- trace rings --------------------------------------------------------------------

@dataclass
class Record:
    seq: int      # its number in the ring (head when it was written)
    ts: int
    id: int
    data: bytes


@dataclass
class TraceRing:
    owner: int     # shard id, or TRACE_CORE | core
    n_recs: int
    head: int      # records ever written
    dropped: int   # written but overwritten before the copy
    records: list  # of Record, oldest first

    @property
    def is_core(self):
        return bool(self.owner & TRACE_CORE)

    @property
    def index(self):
        return self.owner & ~TRACE_CORE


def trace_ring_header(buf, source="dump"):
    """(owner, n_recs, head) of a trace ring, validated."""
    if len(buf) < RING_HDR.size:
        raise fail(f"{source}: truncated: a trace ring of {len(buf)} bytes")
    magic, n_recs, owner, rec_size, head = RING_HDR.unpack_from(buf)
    if magic != TRACE_MAGIC:
        raise fail(f"{source}: corrupt: trace ring magic {magic:#010x}, "
                   f"expected {TRACE_MAGIC:#010x}")
    if rec_size != REC.size:
        raise fail(f"{source}: corrupt: trace records of {rec_size} bytes, not {REC.size}")
    if n_recs == 0 or n_recs & (n_recs - 1):
        raise fail(f"{source}: corrupt: a trace ring of {n_recs} records "
                   "(not a power of two)")
    return owner, n_recs, head


def shard_trace_problem(manifest, index, owner, n_recs):
    """What is wrong with shard `index`'s trace ring header, judged against
    the spec (the manifest), or None. The shard writes its ring, header and
    all, so its owner word and size say only what the shard says: the ring
    must name the shard and hold the records the spec gave it."""
    if owner != index:
        return f"the ring says it belongs to {owner:#x}, not {index:#x}"
    want = next(((s.get("trace") or {}).get("records") for s in manifest.get("shards", [])
                 if s.get("id") == index), None)
    if want is not None and n_recs != want:
        return f"a ring of {n_recs} records; the spec gives the shard {want}"
    return None


def decode_trace_ring(buf, source="dump", head_after=None):
    """A trace ring's records in the order they were written. The ring
    overwrites its oldest: record n sits in slot n % n_recs, and head - n_recs
    of them (when positive) were dropped. head_after: head read again after
    the copy (live reads); the slots rewritten meanwhile are discarded too."""
    owner, n_recs, head = trace_ring_header(buf, source)
    if len(buf) < trace_ring_bytes(n_recs):
        raise fail(f"{source}: truncated: a trace ring of {n_recs} records needs "
                   f"{trace_ring_bytes(n_recs)} bytes, has {len(buf)}")
    first = max(0, head - n_recs)
    if head_after is not None:
        first = max(first, head_after - n_recs)
    records = []
    for n in range(first, head):
        ts, ev, data = REC.unpack_from(buf, RING_HDR.size + (n % n_recs) * REC.size)
        records.append(Record(n, ts, ev, data))
    return TraceRing(owner, n_recs, head, first, records)


# ---- events -------------------------------------------------------------------

_INT = {"u8": "<B", "u16": "<H", "u32": "<I", "u64": "<Q",
        "i8": "<b", "i16": "<h", "i32": "<i", "i64": "<q", "enum": "<B"}


@dataclass
class Event:
    id: int
    name: str
    fields: list      # event_layout() dicts
    kernel: bool


class EventTable:
    """The events a manifest declares: the kernel's (its `kernel_events`, or
    KERNEL_EVENTS) and the spec's (trace.events), by id."""

    def __init__(self, manifest):
        t = manifest.get("trace") or {}
        kernel = t.get("kernel_events") or kernel_event_table()
        self.by_id = {}
        for e in kernel:
            fields = [dict(f) for f in e["fields"]]
            if e["name"] == "switch_out":  # show the reason by name (same u8)
                for f in fields:
                    if f["name"] == "reason" and f["type"] == "u8":
                        f["type"], f["values"] = "enum", list(SWITCH_REASONS)
            self.by_id[int(e["id"])] = Event(int(e["id"]), e["name"], fields, True)
        for e in t.get("events") or []:
            self.by_id[int(e["id"])] = Event(int(e["id"]), e["name"],
                                             [dict(f) for f in e["fields"]], False)

    def __iter__(self):
        return iter(sorted(self.by_id.values(), key=lambda e: e.id))

    def get(self, ev_id):
        return self.by_id.get(ev_id)


def field_value(f, data):
    """A field's value from record data: an int; an enum's name (its number
    if out of range); bytes for a bytes field."""
    off, size = f["offset"], f["size"]
    if f["type"] == "bytes":
        return bytes(data[off:off + size])
    v = struct.unpack_from(_INT[f["type"]], data, off)[0]
    if f["type"] == "enum":
        values = f.get("values") or []
        return values[v] if v < len(values) else v
    return v


def decode_fields(event, data):
    return {f["name"]: field_value(f, data) for f in event.fields}


def format_value(v):
    if isinstance(v, bytes):
        return v.hex()
    return str(v)


# ---- a decoded trace ---------------------------------------------------------------

@dataclass
class Trace:
    """A dump decoded against its manifest: its rings and their names."""
    dump: Dump
    manifest: dict
    events: EventTable
    rings: list        # of (name, TraceRing)
    unknown: int = 0   # records whose id the manifest does not declare
    skipped: list = None  # of (name, why): shard rings whose header is garbled
    forged: int = 0    # records in shard rings with a kernel event's id: left out

    @property
    def clock_hz(self):
        return self.dump.clock_hz or (self.manifest.get("trace") or {}).get("clock_hz") or 0


def ring_name(manifest, ring):
    if ring.is_core:
        return f"core{ring.index}"
    names = {s["id"]: s["name"] for s in manifest.get("shards", [])}
    return f"shard{ring.index}_{names.get(ring.index, 'unknown')}"


def corrupt_why(exc):
    """What a decoder's SpecError says is wrong, without the source it
    names: the words after "corrupt: " (all of them if there are none)."""
    return str(exc).split(": corrupt: ", 1)[-1]


def drop_forged(ring):
    """Only the kernel writes its events (ids below EV_USER), on its cores'
    rings: in a shard's ring such a record is the shard's forgery. Drops
    them from the decoded ring and returns how many there were."""
    kept = [rec for rec in ring.records if rec.id >= EV_USER]
    dropped, ring.records = len(ring.records) - len(kept), kept
    return dropped


def decode_trace(dump, manifest, manifest_name="the spec"):
    """Checks the schema hash, then decodes every trace ring in the dump
    (cores first, then shards, each by index). A core's ring is the
    kernel's own: a garbled one is a corrupt dump. A shard's ring lies in
    memory the shard writes (its header included): a garbled header is
    that shard's doing, and costs its ring alone (Trace.skipped, with why),
    never the kernel's or another shard's. Only the kernel writes its
    events (ids below EV_USER), on the cores' rings: such a record in a
    shard's ring is the shard's forgery, left out and counted (Trace.forged)."""
    check_schema(dump, manifest, manifest_name)
    rings, skipped, forged = [], [], 0
    names = shard_names(manifest)
    for kind in (DUMP_CORE_TRACE, DUMP_SHARD_TRACE):
        seen = {}
        for c in dump.find(kind):
            seen[c.index] = c
        for index in sorted(seen):
            where = f"{dump.source}: {DUMP_KINDS[kind]} {index}"
            try:
                r = decode_trace_ring(seen[index].data, where)
                why = (shard_trace_problem(manifest, index, r.owner, r.n_recs)
                       if kind == DUMP_SHARD_TRACE else
                       None if r.owner == TRACE_CORE | index else
                       f"the ring says it belongs to {r.owner:#x}, not "
                       f"{TRACE_CORE | index:#x}")
                if why:
                    raise fail(f"{where}: corrupt: {why}")
            except SpecError as exc:
                if kind == DUMP_CORE_TRACE:
                    raise
                skipped.append((f"shard{index}_{names.get(index, 'unknown')}",
                                corrupt_why(exc)))
                continue
            if kind == DUMP_SHARD_TRACE:
                forged += drop_forged(r)
            rings.append((ring_name(manifest, r), r))
    events = EventTable(manifest)
    unknown = sum(1 for _, r in rings for rec in r.records if events.get(rec.id) is None)
    return Trace(dump, manifest, events, rings, unknown, skipped, forged)


def trace_span(trace):
    """(first, last) timestamp of the trace. A shard stamps its own records:
    one stamped after the dump was taken (its `now`) has no honest time and
    bounds nothing (it would stretch every run still going at the end);
    one stamped early can move the origin, never the kernel's records'
    order or spacing."""
    now = trace.dump.now or None
    ts = [rec.ts for _, r in trace.rings for rec in r.records if now is None or rec.ts <= now]
    return (min(ts), max(ts)) if ts else (0, 0)


def shard_names(manifest):
    return {s["id"]: s["name"] for s in manifest.get("shards", [])}


def text_events(trace):
    """Every record as a line, in time order: `[ts] ring event: f=v, ...`."""
    hz = trace.clock_hz
    rows = [(rec.ts, name, rec) for name, r in trace.rings for rec in r.records]
    rows.sort(key=lambda x: x[0])
    t0 = trace_span(trace)[0]
    for ts, name, rec in rows:
        ev = trace.events.get(rec.id)
        when = f"{(ts - t0) / hz:14.9f}" if hz else f"{ts - t0:14d}"
        if ev is None:
            yield f"[{when}] {name} event#{rec.id}: data={rec.data.hex()}"
            continue
        args = ", ".join(f"{k}={format_value(v)}" for k, v in decode_fields(ev, rec.data).items())
        yield f"[{when}] {name} {ev.name}: {args}"
