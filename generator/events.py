"""Trace events: the kernel's, and the ones a spec declares (`events:`).

What each event's record holds (vanity/trace.h: a 32-byte record with 22
bytes of fields, packed in order, little-endian), its id, and the schema
hash that ties a trace to the spec it was recorded with. The model, the
templates and the host tools (obs.py) all read it from here.
"""

import hashlib
import json
from dataclasses import dataclass

EVENT_BYTES = 22     # VN_TRACE_DATA
USER_BASE = 64       # VN_EV_USER: the first user event id
RECORD = 32          # sizeof(struct vn_trace_rec)
RING_HEADER = 64     # sizeof(struct vn_trace_ring)
CORE_RECORDS = 512   # VN_TRACE_CORE_RECS
WIDTHS = {"u8": 1, "u16": 2, "u32": 4, "u64": 8, "i8": 1, "i16": 2, "i32": 4, "i64": 8,
          "enum": 1}
FIELD_TYPES = tuple(WIDTHS) + ("bytes",)

# In enum vn_kevent order (runtime/include/vanity/trace.h), with the fields
# the kernel packs into each.
SWITCH_REASONS = ("yield", "wait", "exit", "fault", "stop")
RELOAD_OUTCOMES = ("swapped", "rolled_back", "refused")  # enum vn_reload_outcome
KERNEL_EVENTS = (
    ("switch_in", (("shard", "u16"),)),
    ("switch_out", (("shard", "u16"), ("reason", "enum", SWITCH_REASONS))),
    ("wake", (("shard", "u16"), ("by", "u16"))),
    ("notify", (("from", "u16"), ("to", "u16"), ("channel", "u32"))),
    ("irq", (("shard", "u16"), ("irq", "u32"))),
    ("irq_ack", (("shard", "u16"), ("bits", "u64"))),
    ("fault", (("shard", "u16"), ("signal", "u8"))),
    ("watchdog", (("shard", "u16"), ("budget_ns", "u64"), ("late_ns", "u64"))),
    ("restart", (("shard", "u16"), ("generation", "u32"))),
    ("halt", (("shard", "u16"), ("status", "i32"))),
    ("exit", (("shard", "u16"), ("status", "i32"))),
    ("reload", (("shard", "u16"), ("generation", "u32"), ("outcome", "enum", RELOAD_OUTCOMES),
                ("reason", "u8"))),
)


@dataclass(frozen=True)
class Field:
    name: str
    type: str            # u8..i64, enum, bytes
    offset: int          # in the record's data
    size: int
    values: tuple = ()   # enum: names, 0 first

    @property
    def enum_items(self):
        return tuple((v, i) for i, v in enumerate(self.values))

    @property
    def ctype(self):
        if self.type == "enum":
            return "uint8_t"
        if self.type == "bytes":
            return "const uint8_t *"
        return ("int" if self.type[0] == "i" else "uint") + self.type[1:] + "_t"

    def doc(self):
        return {"name": self.name, "type": self.type, "offset": self.offset,
                "size": self.size, **({"values": list(self.values)} if self.values else {})}


@dataclass(frozen=True)
class Event:
    id: int
    name: str
    fields: tuple
    description: str = ""

    @property
    def size(self):
        return sum(f.size for f in self.fields)

    def doc(self):
        return {"id": self.id, "name": self.name, "fields": [f.doc() for f in self.fields]}


def layout(fields):
    """(name, type[, values or size]) tuples, or spec field dicts -> Fields,
    packed in order with no padding. Raises ValueError for an unknown type,
    a bytes field without a size, an enum without values (or over 256), or
    fields that overflow a record; the validator reports the same for a spec
    with its position, so this only fires on hand-made tables."""
    out, off = [], 0
    for f in fields:
        if isinstance(f, dict):
            name, kind = f["name"], f["type"]
            size, values = f.get("size"), f.get("values")
        else:
            name, kind, *rest = f
            extra = rest[0] if rest else None
            size = extra if isinstance(extra, int) else None
            values = extra if isinstance(extra, (list, tuple)) else None
        if kind == "bytes":
            if not isinstance(size, int) or size < 1:
                raise ValueError(f"field '{name}': bytes need a size of at least 1")
        elif kind in WIDTHS:
            size = WIDTHS[kind]
        else:
            raise ValueError(f"field '{name}': unknown type '{kind}' "
                             f"(known: {', '.join(FIELD_TYPES)})")
        if kind == "enum" and not 1 <= len(values or ()) <= 256:
            raise ValueError(f"field '{name}': an enum needs a list of values (1 to 256)")
        out.append(Field(name, kind, off, size, tuple(str(v) for v in values or ())))
        off += size
    if off > EVENT_BYTES:
        raise ValueError(f"fields take {off} bytes; a record holds {EVENT_BYTES}")
    return tuple(out)


def kernel_events():
    return tuple(Event(i, name, layout(fields)) for i, (name, fields) in enumerate(KERNEL_EVENTS))


def user_events(spec_events):
    return tuple(Event(USER_BASE + i, e["name"], layout(e.get("fields", [])),
                       e.get("description", "")) for i, e in enumerate(spec_events))


def ring_bytes(records):
    return RING_HEADER + RECORD * records


def schema_hash(system, shards, channels, events):
    """64 bits of SHA-256 over what decoding a trace depends on: the names
    and ids of shards and channels, every event's layout, the record size."""
    doc = {"system": system, "record": RECORD,
           "shards": [[s.name, s.trace_recs] for s in shards],
           "channels": [[c.name, c.msg_size, c.depth] for c in channels],
           "events": [e.doc() for e in kernel_events() + tuple(events)]}
    digest = hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).digest()
    return int.from_bytes(digest[:8], "little")
