"""Observability on the host: the trace event tables, and (below) the dump
stream decoder that `vanity run --trace`, `vanity trace`, `vanity top` and
`vanity peek` share.

The binary layout is runtime/include/vanity/trace.h; tests/generator/
test_obs.py holds the constants here equal to it (compiled with gcc).
"""

# ---- event tables -----------------------------------------------------------

# Bytes of a record's data[] (VN_TRACE_DATA): an event's fields must fit.
TRACE_DATA = 22

# User event ids start here (VN_EV_USER); below are the kernel's.
EV_USER = 64

# Field types: name -> size in bytes. An enum is stored as a u8 index into its
# values; bytes have the size their declaration gives.
FIELD_SIZES = {
    "u8": 1, "u16": 2, "u32": 4, "u64": 8,
    "i8": 1, "i16": 2, "i32": 4, "i64": 8,
    "enum": 1,
}
FIELD_TYPES = tuple(FIELD_SIZES) + ("bytes",)

# The kernel's events, in enum vn_kevent order (the id is the index): the one
# table of them in Python; the generator's manifest and the CTF metadata are
# written from it. Fields as in trace.h's comment, packed in order.
KERNEL_EVENTS = [
    ("switch_in", [("shard", "u16")]),
    ("switch_out", [("shard", "u16"), ("reason", "u8")]),
    ("wake", [("shard", "u16"), ("by", "u16")]),
    ("notify", [("from", "u16"), ("to", "u16"), ("channel", "u32")]),
    ("irq", [("shard", "u16"), ("irq", "u32")]),
    ("irq_ack", [("shard", "u16"), ("bits", "u64")]),
    ("fault", [("shard", "u16"), ("signal", "u8")]),
    ("watchdog", [("shard", "u16"), ("budget_ns", "u64")]),
    ("restart", [("shard", "u16"), ("generation", "u32")]),
    ("halt", [("shard", "u16"), ("status", "i32")]),
    ("exit", [("shard", "u16"), ("status", "i32")]),
]

# switch_out's reason (enum vn_switch_reason), by value; the host tools show
# the name (the record keeps the u8).
SWITCH_REASONS = ["yield", "wait", "exit", "fault", "stop"]

# `by` in wake and `shard` in halt: not a shard (a timeout or device; the kernel).
NO_SHARD = 0xFFFF


def _field_spec(f):
    """(name, type, size, values) from a (name, type[, size-or-values]) tuple
    or a {"name", "type", "size"?, "values"?} dict."""
    if isinstance(f, dict):
        name, ftype = f["name"], f["type"]
        size, values = f.get("size"), f.get("values")
    else:
        name, ftype, *rest = f
        extra = rest[0] if rest else None
        size = extra if isinstance(extra, int) else None
        values = list(extra) if isinstance(extra, (list, tuple)) else None
    if ftype not in FIELD_TYPES:
        raise ValueError(f"field '{name}': unknown type '{ftype}' "
                         f"(known: {', '.join(FIELD_TYPES)})")
    if ftype == "bytes":
        if not isinstance(size, int) or size < 1:
            raise ValueError(f"field '{name}': bytes need a size of at least 1")
    else:
        size = FIELD_SIZES[ftype]
    if ftype == "enum":
        if not values:
            raise ValueError(f"field '{name}': an enum needs a list of values")
        if len(values) > 256:
            raise ValueError(f"field '{name}': an enum has at most 256 values")
    return name, ftype, size, values


def event_layout(fields):
    """Offsets and sizes of an event's fields, packed in order with no
    padding in record.data. Takes (name, type) pairs (a third element: the
    size of a `bytes` field, or an enum's list of values) or dicts with
    name/type/size/values; returns [{"name", "type", "offset", "size"
    (, "values")}]. Raises ValueError if they do not fit in TRACE_DATA bytes
    or a type is unknown."""
    out, offset = [], 0
    for f in fields:
        name, ftype, size, values = _field_spec(f)
        entry = {"name": name, "type": ftype, "offset": offset, "size": size}
        if values is not None:
            entry["values"] = [str(v) for v in values]
        out.append(entry)
        offset += size
    if offset > TRACE_DATA:
        raise ValueError(f"fields take {offset} bytes; a record holds {TRACE_DATA}")
    return out


def kernel_event_table():
    """KERNEL_EVENTS as the manifest writes them: [{"id", "name", "fields"}]."""
    return [{"id": i, "name": name, "fields": event_layout(fields)}
            for i, (name, fields) in enumerate(KERNEL_EVENTS)]
