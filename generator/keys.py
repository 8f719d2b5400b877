"""What a spec may contain: every key, its type, default and limits.

This table is the single source of truth. The validator walks it to check
types, unknown and missing keys and to fill defaults; json_schema() turns it
into spec/schema.json for editors (regenerate with
`/usr/bin/python3 -m generator.keys > spec/schema.json`; a test checks that
the committed file matches).
"""

import json
from dataclasses import dataclass, field

from .boards import BOARDS, DEFAULT_BOARD
from .events import FIELD_TYPES

IDENT_PATTERN = "^[A-Za-z_][A-Za-z0-9_]*$"


def _or_list(items):
    items = [str(i) for i in items]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


@dataclass(frozen=True)
class Int:
    min: int = None
    const: int = None
    desc = "an integer"

    def schema(self):
        s = {"type": "integer"}
        if self.const is not None:
            s["const"] = self.const
        elif self.min is not None:
            s["minimum"] = self.min
        return s


@dataclass(frozen=True)
class Str:
    desc = "a string"

    def schema(self):
        return {"type": "string"}


@dataclass(frozen=True)
class Strs:
    """One string, or a list of them (the validator always yields a list)."""
    desc = "a string or a list of strings"

    def schema(self):
        return {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}


@dataclass(frozen=True)
class Ident:
    """A C identifier: names become parts of C symbols. bare: the generated
    C also writes it alone (lower: lower-cased), where more names clash."""
    bare: bool = False
    lower: bool = False
    desc = "a string"

    def schema(self):
        return {"type": "string", "pattern": IDENT_PATTERN}


@dataclass(frozen=True)
class Enum:
    choices: tuple

    @property
    def desc(self):
        return _or_list(self.choices)

    def schema(self):
        return {"enum": list(self.choices)}


@dataclass(frozen=True)
class Bool:
    desc = "true or false"

    def schema(self):
        return {"type": "boolean"}


@dataclass(frozen=True)
class Size:
    desc = "a size such as 16KiB"

    def schema(self):
        return {"anyOf": [{"type": "integer", "minimum": 0},
                          {"type": "string", "pattern": "^[0-9]+(B|KiB|MiB|GiB)$"}]}


@dataclass(frozen=True)
class Time:
    desc = "a time such as 100ms"

    def schema(self):
        return {"type": "string", "pattern": "^[0-9]+(ns|us|ms|s)$"}


@dataclass(frozen=True)
class Bits:
    """A register field's bit range: 3, or "7:0" (high:low)."""
    desc = "a bit number or a range such as \"7:0\""

    def schema(self):
        return {"anyOf": [{"type": "integer", "minimum": 0},
                          {"type": "string", "pattern": "^[0-9]+:[0-9]+$"}]}


@dataclass(frozen=True)
class ListOf:
    item: object

    @property
    def desc(self):
        return "a list" if isinstance(self.item, Obj) else f"a list of {self.item.desc[2:]}s"

    def schema(self):
        return {"type": "array", "items": self.item.ref()
                if isinstance(self.item, Obj) else self.item.schema()}


@dataclass(frozen=True)
class MapOf:
    """A mapping from names (C identifiers) to objects."""
    item: object
    desc = "a mapping of names"

    def schema(self):
        return {"type": "object", "propertyNames": {"pattern": IDENT_PATTERN},
                "additionalProperties": self.item.ref()}


@dataclass(frozen=True)
class OneOf:
    """A word from `choices`, or a mapping checked against `obj`."""
    choices: tuple
    obj: object

    @property
    def desc(self):
        return f"{_or_list(self.choices)}, or a mapping (a {self.obj.label})"

    def schema(self):
        return {"anyOf": [{"enum": list(self.choices)}, self.obj.ref()]}


@dataclass(frozen=True)
class Key:
    type: object
    doc: str
    required: bool = False
    default: object = None


@dataclass(frozen=True)
class Obj:
    label: str   # how messages name one: "shard 'ping'"
    keys: dict = field(hash=False)
    desc = "a mapping"

    def ref(self):
        return {"$ref": f"#/definitions/{self.label}"}

    def schema(self):
        props = {}
        for name, key in self.keys.items():
            typ = key.type.ref() if isinstance(key.type, Obj) else key.type.schema()
            p = {"description": key.doc, **typ}
            if key.default is not None:
                p["default"] = key.default
            props[name] = p
        s = {"type": "object", "properties": props, "additionalProperties": False}
        required = [name for name, key in self.keys.items() if key.required]
        if required:
            s["required"] = required
        return s


ACCESS = Enum(("ro", "wo", "rw", "w1c", "w0c"))

ENUM_VALUE = Obj("value", {
    "name": Key(Ident(), "value name (C identifier)", required=True),
    "value": Key(Int(min=0), "the field's value (unshifted)", required=True),
    "description": Key(Str(), "free text"),
})

FIELD = Obj("field", {
    "name": Key(Ident(), "field name (C identifier)", required=True),
    "bits": Key(Bits(), "bit number, or \"high:low\" range", required=True),
    "access": Key(ACCESS, "access; defaults to the register's"),
    "enum": Key(ListOf(ENUM_VALUE), "named values; each fits the field, none repeats",
                default=[]),
    "description": Key(Str(), "free text"),
})

REGISTER = Obj("register", {
    "name": Key(Ident(), "register name (C identifier)", required=True),
    "offset": Key(Int(min=0), "byte offset from the device base; aligned to width", required=True),
    "width": Key(Enum((8, 16, 32, 64)), "width in bits", default=32),
    "access": Key(ACCESS, "ro, wo, rw, w1c (write 1 to clear) or w0c (write 0 to clear)",
                  default="rw"),
    "reset": Key(Int(min=0), "value after reset", default=0),
    "count": Key(Int(min=1), "an array of this many registers", default=1),
    "stride": Key(Int(min=1), "bytes between array elements; defaults to width / 8"),
    "read_side_effects": Key(Bool(), "a read changes the device: never read implicitly "
                             "(no modify)", default=False),
    "fields": Key(ListOf(FIELD), "bit fields; must not overlap", default=[]),
    "description": Key(Str(), "free text"),
})

MEMBER = Obj("member", {
    "name": Key(Ident(bare=True, lower=True), "member name (C identifier)", required=True),
    "offset": Key(Int(min=0), "byte offset in the structure; aligned to its width, after "
                  "the member before", required=True),
    "width": Key(Enum((8, 16, 32, 64)), "width in bits of an integer member"),
    "type": Key(Ident(), "instead of width: an earlier structure of this map"),
    "count": Key(Int(min=0), "an array of this many; 0: as many as the memory holds "
                 "(the last member only)", default=1),
    "fields": Key(ListOf(FIELD), "bit fields of an integer member; must not overlap",
                  default=[]),
    "description": Key(Str(), "free text"),
})

STRUCTURE = Obj("structure", {
    "name": Key(Ident(), "structure name (C identifier)", required=True),
    "members": Key(ListOf(MEMBER), "its members, in offset order", required=True),
    "description": Key(Str(), "free text"),
})

REGMAP = Obj("regmap", {
    "registers": Key(ListOf(REGISTER), "the device's registers", required=True),
    "structures": Key(ListOf(STRUCTURE), "little-endian structures in memory the driver "
                      "and the device share (DMA), such as a queue's rings", default=[]),
    "compatible": Key(Strs(), "device-tree compatibles this map describes: a device "
                      "resolved to such a node and given no regmap uses this one", default=[]),
    "description": Key(Str(), "free text"),
})

DEVICE = Obj("device", {
    "name": Key(Ident(), "device name (C identifier)", required=True),
    "regmap": Key(Ident(), "register map: inline in regmaps:, or drivers/NAME/NAME.yaml"),
    "shard": Key(Ident(), "the shard granted this device"),
    "compatible": Key(Strs(), "device-tree compatible, resolved from the board; a list "
                      "is tried in order and the first the board has is used"),
    "index": Key(Int(), "which of several compatible nodes: 0 at the lowest address, "
                 "-1 at the highest (where QEMU puts the first device of a kind)"),
    "path": Key(Str(), "device-tree node path, resolved from the board"),
    "address": Key(Int(min=0), "base address of the MMIO window"),
    "size": Key(Size(), "size of the MMIO window"),
    "irq": Key(Int(min=0), "interrupt number"),
})

BACKOFF = Obj("backoff", {
    "floor": Key(Time(), "delay before the first restart of a burst", required=True),
    "ceiling": Key(Time(), "longest delay; each restart within the window doubles it up to "
                   "this", required=True),
})

RESTART = Obj("restart", {
    "budget": Key(Int(), "restarts allowed within the window, 1..16", default=5),
    "window": Key(Time(), "the window the budget counts restarts in", default="1s"),
    "backoff": Key(BACKOFF, "delay a restart, exponentially; none if absent"),
})

GROUP = Obj("restart group", {
    "restart": Key(ListOf(Ident()), "shards on the same core restarted together with this "
                   "one, once", required=True),
})

ON_FAULT = Obj("restart policy", {
    "restart": Key(RESTART, "the restart budget and backoff", required=True),
    "then": Key(OneOf(("stop", "halt"), GROUP), "when the budget is spent: stop the shard, "
                "halt the system, or restart a group of shards once", default="stop"),
})

RELOAD = Obj("reload", {
    "handoff": Key(Size(), "a region kept across reloads: the old version writes its state "
                   "there when asked to quiesce, the new one reads it at start (64 KiB at "
                   "most)"),
    "quiesce": Key(Time(), "how long the old version has to quiesce (needs a handoff)",
                   default="100ms"),
    "late": Key(Enum(("swap", "refuse")), "when it does not quiesce in time: swap anyway, "
                "without its state, or refuse the reload", default="swap"),
    "rollback": Key(Time(), "a fault this soon after a reload brings the previous image "
                    "back; none if absent"),
    "updates": Key(ListOf(Ident()), "shards this one may reload with vn_reload(), from an "
                   "image in its own memory", default=[]),
})

CHANNEL = Obj("channel", {
    "name": Key(Ident(), "channel name (C identifier)", required=True),
    "from": Key(Ident(), "producer shard", required=True),
    "to": Key(Ident(), "consumer shard", required=True),
    "message": Key(Size(), "bytes per message, 1..65536; required unless the channel "
                   "carries a pool's buffer handles"),
    "depth": Key(Int(), "slots: a power of two, 2..65536", required=True),
    "latency": Key(Bool(), "time each message from send to receive in a histogram "
                   "(vanity top shows its percentiles)", default=False),
    "slots": Key(Enum(("packed", "sequenced")), "packed: messages back to back, the "
                 "receiver polls the sender's index; sequenced: each message followed by a "
                 "sequence word the receiver polls instead, faster for messages sent one at "
                 "a time, slower for bursts; default sequenced from 56-byte messages up"),
    "pool": Key(Ident(), "the channel carries handles (struct vn_buf, 8 bytes) of buffers "
                "of this pool, which both its shards map"),
})

POOL = Obj("pool", {
    "name": Key(Ident(), "pool name (C identifier): its shards see vn_pool_NAME",
                required=True),
    "buffers": Key(Int(), "how many buffers, 1..65536", required=True),
    "size": Key(Size(), "bytes per buffer: a power of two from 64 bytes to 64 KiB",
                required=True),
    "rw": Key(ListOf(Ident()), "shards that map the pool read-write (and whose devices may "
              "DMA into it)", default=[]),
    "ro": Key(ListOf(Ident()), "shards that map the pool read-only (and whose devices may "
              "only read it)", default=[]),
})

SIGNAL = Obj("signal", {
    "name": Key(Ident(), "signal name (C identifier): the sender calls vn_signal_NAME()",
                required=True),
    "from": Key(Ident(), "the shard that signals", required=True),
    "to": Key(Ident(), "the shard whose vn_wait returns VN_NOTIFY_NAME", required=True),
})

SHARD = Obj("shard", {
    "name": Key(Ident(), "shard name (C identifier)", required=True),
    "sources": Key(ListOf(Str()), "C sources (.c), or assembly through the preprocessor "
                   "(.S), relative to the spec file; each once", required=True),
    "core": Key(Int(min=0), "core the shard runs on", default=0),
    "mode": Key(Enum(("yield", "poll")), "yield: sleep when idle; poll: busy-poll",
                default="yield"),
    "stack": Key(Size(), "stack size", default="16KiB"),
    "memory": Key(Size(), "heap size", default="64KiB"),
    "watchdog": Key(Time(), "longest run without yielding; none if absent"),
    "on_fault": Key(OneOf(("restart", "stop", "halt"), ON_FAULT),
                    "what a fault does: restart, stop or halt; or a restart policy with a "
                    "budget, a backoff and what follows", default="stop"),
    "spin": Key(Time(), "how long a yield shard spins on its rings before sleeping"),
    "halt": Key(Bool(), "the shard may stop the whole system with vn_halt(); without it, "
                "a vn_halt() is a fault of the shard's", default=False),
    "fp": Key(Bool(), "FP/SIMD registers for this shard; false builds it integer-only, "
              "and on bare metal its first FP/SIMD instruction is a fault (SIGILL)",
              default=True),
    "cflags": Key(ListOf(Str()), "extra compiler flags for this shard; a relative path in "
                  "an include flag (-I, -include, ...) is relative to the spec file, and "
                  "must exist", default=[]),
    "devices": Key(ListOf(Ident()), "devices granted to this shard", default=[]),
    "trace": Key(Int(min=0), "records in its trace ring, a power of two from 16 to 1024; "
                 "0 turns its tracing off (its event emitters compile to nothing)",
                 default=256),
    "reload": Key(RELOAD, "hot reload: the shard's code may be replaced while the system "
                  "runs (docs/reload.md); `reload: {}` allows it with no handoff"),
})


EVENT_FIELD = Obj("event field", {
    "name": Key(Ident(bare=True), "field name (C identifier)", required=True),
    "type": Key(Enum(FIELD_TYPES), "an integer of 8-64 bits, an enum (one byte) or "
                "bytes (a fixed-size array)", required=True),
    "values": Key(ListOf(Ident()), "enum: the names of its values, 0 first"),
    "size": Key(Int(min=1), "bytes: how many"),
})

EVENT = Obj("event", {
    "name": Key(Ident(), "event name (C identifier): its emitter is vn_trace_NAME()",
                required=True),
    "fields": Key(ListOf(EVENT_FIELD), "its fields, packed in order: 22 bytes at most",
                  default=[]),
    "description": Key(Str(), "free text"),
})

SPEC = Obj("spec", {
    "vanity": Key(Int(const=1), "spec format version: 1", required=True),
    "system": Key(Ident(), "system name (C identifier)", required=True),
    "board": Key(Enum(tuple(BOARDS)), "board to build for; the command line may override",
                 default=DEFAULT_BOARD),
    "shards": Key(ListOf(SHARD), "the workloads", required=True),
    "channels": Key(ListOf(CHANNEL), "one-way queues between shards", default=[]),
    "signals": Key(ListOf(SIGNAL), "one-way notifications between shards: a bit, "
                   "no ring and no message", default=[]),
    "pools": Key(ListOf(POOL), "buffers in memory shared by a declared set of shards, "
                 "passed between them by handle (zero copy)", default=[]),
    "devices": Key(ListOf(DEVICE), "hardware granted to shards", default=[]),
    "regmaps": Key(MapOf(REGMAP), "inline register maps, by name", default={}),
    "events": Key(ListOf(EVENT), "trace events the shards record (docs/observability.md)",
                  default=[]),
})

OBJECTS = (SPEC, SHARD, RELOAD, ON_FAULT, RESTART, BACKOFF, GROUP, CHANNEL, SIGNAL, POOL,
           DEVICE, REGMAP, REGISTER, FIELD, ENUM_VALUE, STRUCTURE, MEMBER, EVENT, EVENT_FIELD)


def json_schema():
    top = SPEC.schema()
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "Vanity system spec, version 1",
        **top,
        "definitions": {o.label: o.schema() for o in OBJECTS if o is not SPEC},
    }


def schema_text():
    return json.dumps(json_schema(), indent=2) + "\n"


if __name__ == "__main__":
    print(schema_text(), end="")
