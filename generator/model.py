"""Checked spec values -> frozen data: the only thing templates see.

Everything derived is computed here, once, in spec order: shard and channel
ids, each shard's notification bits and endpoint flags, the memory layout
(hosted, or a bare-metal board's physical placement: docs/contract.md), page
rounding and totals. Templates only format.
"""

import hashlib
import json
import os
from dataclasses import dataclass, replace

from . import events as ev
from . import hist as _hist
from .errors import Diag, SpecError
from .semantics import BUF_HANDLE, PAGE  # BUF_HANDLE: sizeof(struct vn_buf), a pool channel's message
from .units import format_time

# Hosted: shard i's image (code, data, bss) is linked at IMAGE_BASE +
# IMAGE_SIZE * i. Every image lies below 2 GiB, because a non-PIE x86-64
# executable (the C library's crt1.o too) is built for the small code model.
# Its private memory is a window of its own far above: the control page
# shared with the kernel, then its heap, a guard page and its stack.
# With MAX_SHARDS (256) shards, the last image ends at 0x70000000, the last
# window at 0x900000000, and channels start above both.
IMAGE_BASE = 0x10000000
IMAGE_SIZE = 0x00600000
CODE_MODEL_END = 0x80000000
WINDOW_BASE = 0x100000000
WINDOW = 0x08000000
HEAP_OFFSET = 0x40000       # the control page, trace ring and handoff fit below
CHANNEL_BASE = 0x1000000000
RING_HEADER = 384            # VN_RING_SLOTS_OFFSET in runtime/include/vanity/ring.h
                             # (test_gen_compile.py holds them equal)
CACHELINE = 128              # VN_CACHELINE
HIST_BYTES = _hist.BYTES      # sizeof(struct vn_hist) (vanity/hist.h)


def _cl(n):
    return (n + CACHELINE - 1) // CACHELINE * CACHELINE


# A channel's slots are sequenced (each message followed by a sequence word
# its receiver polls) by default from this message size up: with the word,
# a line or more. Smaller messages share a line several to a slot's worth,
# and the word would cost them more than polling the sender's index does
# (vanity/ring.h; bench/RESULTS.md).
SEQ_MIN = 56


def ring_stride(msg_size, seq=False):
    """VN_RING_STRIDE: one slot to the next."""
    return (msg_size + 7) // 8 * 8 + 8 if seq else msg_size


def ring_stamps_offset(msg_size, depth, seq=False):
    """VN_RING_STAMPS_OFFSET: a latency channel's stamps, after its slots."""
    return _cl(RING_HEADER + ring_stride(msg_size, seq) * depth)


def ring_hist_offset(msg_size, depth, seq=False):
    """VN_RING_HIST_OFFSET: its histogram, after the stamps."""
    return _cl(ring_stamps_offset(msg_size, depth, seq) + 8 * depth)


def ring_bytes(msg_size, depth, latency=False, seq=False):
    """VN_RING_BYTES, or VN_RING_LATENCY_BYTES for a latency channel."""
    if latency:
        return ring_hist_offset(msg_size, depth, seq) + HIST_BYTES
    return RING_HEADER + ring_stride(msg_size, seq) * depth


def sequenced(channel_spec, msg_size):
    """Whether a channel's slots are sequenced: its `slots`, else by size."""
    return channel_spec.get("slots", "sequenced" if msg_size >= SEQ_MIN
                            else "packed") == "sequenced"

# Bare metal: each shard's window holds its image (code, data, bss), then its
# control page, heap, a guard page and its stack; windows and the channel
# area start on MiB boundaries after the kernel's window.
BARE_IMAGE_SIZE = 0x100000
BARE_ALIGN = 0x100000
# Bare metal: a last-level page table maps one 2 MiB block of 4 KiB pages.
BLOCK = 0x200000


def page_round(n):
    return (n + PAGE - 1) // PAGE * PAGE


@dataclass(frozen=True)
class Region:
    addr: int
    size: int

    @property
    def end(self):
        return self.addr + self.size


@dataclass(frozen=True)
class Endpoint:
    """One end of a channel, as its shard sees it."""
    channel: str
    macro: str           # upper-cased channel name for VN_*_<MACRO>
    dir: str             # "tx" or "rx"
    bit: int             # notification bit in this shard
    notify: bool         # the peer may sleep: VN_EP_NOTIFY
    channel_id: int
    addr: int
    msg_size: int
    depth: int
    peer: str
    latency: bool = False  # VN_EP_LATENCY: stamp on send, time on receive
    pool: str = None       # it carries handles of this pool's buffers
    sequenced: bool = False  # VN_EP_SEQ: a sequence word in each slot

    @property
    def flags(self):
        """The endpoint's VN_EP_* flags, as C."""
        f = [n for n, on in (("VN_EP_NOTIFY", self.notify),
                             ("VN_EP_LATENCY", self.latency),
                             ("VN_EP_SEQ", self.sequenced)) if on]
        return " | ".join(f) or "0"


@dataclass(frozen=True)
class SignalEnd:
    """One end of a signal, as its shard sees it: the sender's
    vn_signal_<name>(), the receiver's bit; both ends hold a bit, which
    also tells of the peer's restart or stop, as a channel endpoint's does."""
    signal: str
    macro: str           # upper-cased signal name for VN_*_<MACRO>
    dir: str             # "send" or "recv"
    bit: int             # notification bit in this shard
    channel_id: int      # its kernel channel (after the spec's channels)
    peer: str

    @property
    def summary(self):
        """What this end does, for its header's comment."""
        if self.dir == "send":
            return (f"to {self.peer}, no ring and no message; vn_signal_{self.signal}() "
                    f"sets {self.peer}'s VN_NOTIFY_{self.macro}")
        return f"from {self.peer}, no ring and no message; vn_wait returns VN_NOTIFY_{self.macro}"


@dataclass(frozen=True)
class Device:
    name: str
    macro: str
    shard: str
    shard_id: int
    bit: int             # notification bit in its shard, after the endpoints
    regmap: str          # or None
    compatible: str      # or None
    address: int         # or None when resolved from the board later
    size: int            # or None
    irq: int             # or None
    path: str = None     # the device-tree node it was resolved from, or None
    source: str = None   # where: "spec", or the board file (boards/<board>.dtb)
    mediated: bool = False  # bare metal: a page of it holds another shard's device,
                            # so no shard maps it; the kernel makes its accesses

    @property
    def pages(self):
        """The 4 KiB pages its window touches (none if it is not placed)."""
        if self.address is None or not self.size:
            return range(0)
        return range(self.address // PAGE, (self.address + self.size - 1) // PAGE + 1)


@dataclass(frozen=True)
class Restart:
    """What on_fault: restart allows: `budget` restarts within `window_ns`,
    each delayed by the backoff (floor doubled per restart still in the
    window, up to the ceiling; 0: none), then `then` ("stop", "halt" or
    "group": restart the shards `group` (ids, this one first) once)."""
    budget: int = 5
    window_ns: int = 1_000_000_000
    floor_ns: int = 0
    ceiling_ns: int = 0
    then: str = "stop"
    group: tuple = ()
    group_names: tuple = ()

    @property
    def summary(self):
        """"5 in 1s, backoff 1ms..100ms, then stop": for comments and reports."""
        off = f", backoff {format_time(self.floor_ns)}..{format_time(self.ceiling_ns)}" \
            if self.floor_ns else ""
        then = f"restart {', '.join(self.group_names)}" if self.group else self.then
        return f"{self.budget} in {format_time(self.window_ns)}{off}, then {then}"


def _restart(on_fault, me, ids):
    """The Restart of a validated on_fault value (a word or a policy)."""
    if not isinstance(on_fault, dict):
        return Restart()
    r, then = on_fault["restart"], on_fault.get("then", "stop")
    backoff = r.get("backoff") or {}
    group, names = (), ()
    if isinstance(then, dict):
        names = tuple(n for n in ids if ids[n] == me) + \
            tuple(n for n in then["restart"] if ids[n] != me)
        group, then = tuple(ids[n] for n in names), "group"
    return Restart(budget=r["budget"], window_ns=r["window"],
                   floor_ns=backoff.get("floor", 0), ceiling_ns=backoff.get("ceiling", 0),
                   then=then, group=group, group_names=names)


@dataclass(frozen=True)
class Reload:
    """What `reload:` allows (docs/reload.md): the handoff region (inside the
    shard's control region, after its trace ring) and the bound its old
    version has to quiesce into it, what a late one gets, the rollback
    window, and the shards this one may reload. On a bare-metal board, two
    slots in RAM where the kernel keeps its staged and previous images."""
    quiesce_ns: int = 0    # 0: no handoff, never asked to quiesce
    late: str = "swap"
    rollback_ns: int = 0
    handoff: object = None  # Region, or None
    updates: tuple = ()     # shard ids
    update_names: tuple = ()
    slots: tuple = ()       # bare metal: two Regions

    @property
    def update_pairs(self):
        return tuple(zip(self.update_names, self.updates))


def _reload(r, ids, handoff):
    if r is None:
        return None
    names = tuple(r.get("updates") or ())
    return Reload(quiesce_ns=r["quiesce"] if handoff else 0, late=r["late"],
                  rollback_ns=r.get("rollback") or 0, handoff=handoff,
                  updates=tuple(ids[n] for n in names), update_names=names)


@dataclass(frozen=True)
class Shard:
    id: int
    name: str
    core: int
    mode: str
    on_fault: str
    fp: bool             # FP/SIMD registers (spec key fp)
    halt: bool           # may stop the system with vn_halt (spec key halt)
    watchdog_ns: int     # 0: none
    spin_ns: int
    stack_size: int      # as written in the spec (bytes)
    memory_size: int
    sources: tuple       # relative to the spec's directory
    cflags: tuple
    image: Region
    ctl: Region
    heap: Region
    stack: Region
    endpoints: tuple     # in notification bit order
    devices: tuple
    trace_recs: int = 0  # records in its trace ring; 0: tracing off
    restart: Restart = Restart()  # the budget of on_fault: restart
    reload: Reload = None  # reload: allowed, and how; None: never
    iface: int = 0         # interface_hash(): what a reload image must carry
    signals: tuple = ()  # its SignalEnds, in bit order
    pools: tuple = ()    # the pools it maps (PoolMap), in spec order

    @property
    def trace(self):
        """Its trace ring: right after its control page, inside `ctl`."""
        if not self.trace_recs:
            return None
        return Region(self.ctl.addr + PAGE, ev.ring_bytes(self.trace_recs))

    @property
    def tx(self):
        return tuple(e for e in self.endpoints if e.dir == "tx")

    @property
    def rx(self):
        return tuple(e for e in self.endpoints if e.dir == "rx")

    @property
    def mmio_by_kernel(self):
        """A device of it is mediated: every register access is a call."""
        return any(d.mediated for d in self.devices)

    @property
    def kernel_bits(self):
        """The bits no ring shows, which a spinning shard asks WAIT for: its
        interrupting devices' and the signals' it receives."""
        return sum(1 << d.bit for d in self.devices if d.irq is not None) | \
            sum(1 << g.bit for g in self.signals if g.dir == "recv")

    @property
    def watchdog(self):
        return format_time(self.watchdog_ns) if self.watchdog_ns else "none"

    @property
    def spin(self):
        return format_time(self.spin_ns)


@dataclass(frozen=True)
class Channel:
    id: int
    name: str
    src: str
    dst: str
    src_id: int
    dst_id: int
    from_bit: int
    to_bit: int
    tx_notify: bool      # the consumer may sleep
    rx_notify: bool      # the producer may sleep
    msg_size: int
    depth: int
    region: Region
    latency: bool = False  # transit-time histogram (spec `latency: true`)
    signal: bool = False   # a signal: no ring (depth, msg_size and region 0)
    pool: str = None       # it carries handles of this pool's buffers
    sequenced: bool = False  # a sequence word in each slot (spec `slots`)

    @property
    def what(self):
        """What it carries, for comments and reports."""
        if self.signal:
            return "a signal: no ring (depth 0)"
        return (f"{self.msg_size}-byte messages, depth {self.depth}"
                + (", sequenced slots" if self.sequenced else ""))

    @property
    def stamps(self):
        """A latency channel's stamps, after its slots (else None)."""
        if not self.latency:
            return None
        off = ring_stamps_offset(self.msg_size, self.depth, self.sequenced)
        return Region(self.region.addr + off, 8 * self.depth)

    @property
    def hist(self):
        """A latency channel's histogram (struct vn_hist), or None."""
        if not self.latency:
            return None
        return Region(self.region.addr + ring_hist_offset(self.msg_size, self.depth,
                                                          self.sequenced),
                      HIST_BYTES)


@dataclass(frozen=True)
class Pool:
    """Fixed-size buffers in one region that the shards listed map (rw:
    read-write, ro: read-only) and no other; channels carry their handles."""
    id: int
    name: str
    buffers: int
    buf_size: int
    region: Region
    rw: tuple            # shard names, spec order
    ro: tuple
    rw_ids: tuple
    ro_ids: tuple

    @property
    def macro(self):
        return self.name.upper()

    @property
    def who(self):
        """"port0 rw, port1 ro": for comments and reports."""
        return ", ".join([f"{n} rw" for n in self.rw] + [f"{n} ro" for n in self.ro])

    @property
    def shift(self):
        """log2 of the buffer size (a power of two)."""
        return self.buf_size.bit_length() - 1

    @property
    def maps(self):
        """(shard id, writable) of each shard that maps it, by id."""
        return tuple(sorted([(i, True) for i in self.rw_ids] +
                            [(i, False) for i in self.ro_ids]))


@dataclass(frozen=True)
class PoolMap:
    """A pool as one shard maps it: its k-th (hosted: VN_FD_POOL0 + k)."""
    pool: Pool
    index: int
    writable: bool

    @property
    def access(self):
        return "read-write" if self.writable else "read-only"


@dataclass(frozen=True)
class System:
    name: str
    board: str
    port: str            # runtime/arch/<port>
    cores: int           # cores on the board
    n_cores: int         # 1 + highest core used
    spec: str            # spec path for headers: relative to the repo, or its basename
    shards: tuple
    channels: tuple      # the rings
    devices: tuple
    regmaps: tuple       # (name, parsed register list) of the maps devices use
    models: tuple        # the same, of the maps the board's device models implement
    kernel: Region = None  # bare metal: the kernel image's window
    ram: Region = None     # bare metal: the board's RAM
    structures: tuple = () # ("regmaps" or "models", map name, structure list) of the
                           # maps above that describe shared memory
    events: tuple = ()     # the spec's trace events (events.Event), ids from 64
    schema_hash: int = 0   # events.schema_hash: ties a trace to this spec
    door: Region = None    # bare metal: where a host tool leaves a reload image
    signals: tuple = ()    # Channels with signal=True, ids after the rings'
    page_tables: Region = None  # bare metal: the kernel's pool, at the top of RAM
    pools: tuple = ()      # buffer pools (Pool), after the channels in memory

    @property
    def n_page_tables(self):
        return self.page_tables.size // PAGE

    @property
    def board_hash(self):
        return fnv1a64(self.board.encode())

    @property
    def counts(self):
        """"3 channels" or "3 channels, 1 signals": for comments and reports."""
        sigs = f", {len(self.signals)} signals" if self.signals else ""
        return f"{len(self.channels)} channels{sigs}"

    @property
    def kchannels(self):
        """The kernel's channel table: the rings, then the signals."""
        return self.channels + self.signals

    @property
    def header(self):
        return f"Generated by vanity from {self.spec} — do not edit."

    @property
    def channel_bytes(self):
        return sum(c.region.size for c in self.channels)

    @property
    def shard_bytes(self):
        return sum(s.ctl.size + s.heap.size + s.stack.size for s in self.shards)


# ---- building ----------------------------------------------------------------

def _trace_bytes(shard):
    recs = shard.get("trace", 0)
    return page_round(ev.ring_bytes(recs)) if recs else 0


def _handoff_bytes(shard):
    return page_round((shard.get("reload") or {}).get("handoff") or 0)


def _ctl_size(shard):
    """The control page, then the shard's trace ring (if it traces), then its
    reload's handoff region (if it has one)."""
    return PAGE + _trace_bytes(shard) + _handoff_bytes(shard)


def _handoff(shard, ctl):
    n = _handoff_bytes(shard)
    return Region(ctl.addr + PAGE + _trace_bytes(shard), n) if n else None


def fnv1a64(data):
    h = 0xcbf29ce484222325
    for b in data:
        h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h


def interface_hash(shard, events):
    """What a new version of `shard` may not change: its place in the system
    (its core, memory, channels, signals, devices) and the events it can
    record. Its code, data and sources are not in it. 64 bits of a SHA-256."""
    doc = {
        "shard": [shard.id, shard.name, shard.core, shard.mode, shard.fp],
        "memory": [[r.addr, r.size] for r in (shard.image, shard.ctl, shard.heap, shard.stack)],
        "trace": shard.trace_recs,
        "handoff": [shard.reload.handoff.addr, shard.reload.handoff.size]
        if shard.reload and shard.reload.handoff else None,
        # a sequenced endpoint adds its layout; a packed one is hashed as
        # before there were two, so the systems that have none keep their hash
        "endpoints": [[e.channel, e.dir, e.bit, e.notify, e.channel_id, e.addr, e.msg_size,
                       e.depth, e.peer, e.latency] + ([True] if e.sequenced else [])
                      for e in shard.endpoints],
        "devices": [[d.name, d.bit, d.compatible, d.address, d.size, d.irq]
                    for d in shard.devices],
        "events": [e.doc() for e in events],
    }
    if shard.signals:
        doc["signals"] = [[g.signal, g.dir, g.bit, g.channel_id, g.peer] for g in shard.signals]
    if shard.pools:
        doc["pools"] = [[m.pool.name, m.pool.region.addr, m.pool.buffers, m.pool.buf_size,
                         m.writable] for m in shard.pools]
    digest = hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).digest()
    return int.from_bytes(digest[:8], "little")


def _layout(i, shard):
    window = WINDOW_BASE + WINDOW * i
    heap = Region(window + HEAP_OFFSET, page_round(shard["memory"]))
    stack = Region(heap.end + PAGE, page_round(shard["stack"]))  # one guard page between
    ctl = Region(window, _ctl_size(shard))  # at most 9 pages: below HEAP_OFFSET
    return Region(IMAGE_BASE + IMAGE_SIZE * i, IMAGE_SIZE), ctl, heap, stack


def _align(n, a):
    return (n + a - 1) // a * a


def _bare_layout(board, spec):
    """Physical placement on a bare-metal board; shards run at these
    addresses (identity-mapped), so the manifest's addresses are real."""
    addr, out = board.kernel[1], []
    for s in spec["shards"]:
        image = Region(addr, BARE_IMAGE_SIZE)
        ctl = Region(image.end, _ctl_size(s))
        heap = Region(ctl.end, page_round(s["memory"]))
        stack = Region(heap.end + PAGE, page_round(s["stack"]))  # guard page below
        out.append((image, ctl, heap, stack))
        addr = _align(stack.end + PAGE, BARE_ALIGN)
    return out, addr


def _channels(spec, ids, modes, base=CHANNEL_BASE):
    out, addr = [], base
    bits = {name: 0 for name in ids}
    for j, c in enumerate(spec["channels"]):
        latency = bool(c.get("latency", False))
        msg = c.get("message") or BUF_HANDLE
        seq = sequenced(c, msg)
        size = page_round(ring_bytes(msg, c["depth"], latency, seq))
        src, dst = c["from"], c["to"]
        out.append(Channel(
            id=j, name=c["name"], src=src, dst=dst, src_id=ids[src], dst_id=ids[dst],
            from_bit=bits[src], to_bit=bits[dst],
            tx_notify=modes[dst] == "yield", rx_notify=modes[src] == "yield",
            msg_size=msg, depth=c["depth"], region=Region(addr, size),
            latency=latency, pool=c.get("pool"), sequenced=seq))
        bits[src] += 1
        bits[dst] += 1
        addr += size + PAGE                                   # guard page after each ring
    return tuple(out)


def _pools(spec, ids, base):
    """Each pool after the channels (base: the end of the last one's guard
    page), on a page boundary, with a guard page after it."""
    out, addr = [], page_round(base)
    for j, p in enumerate(spec.get("pools", [])):
        region = Region(addr, page_round(p["buffers"] * p["size"]))
        rw, ro = tuple(p.get("rw") or ()), tuple(p.get("ro") or ())
        out.append(Pool(id=j, name=p["name"], buffers=p["buffers"], buf_size=p["size"],
                        region=region, rw=rw, ro=ro, rw_ids=tuple(ids[n] for n in rw),
                        ro_ids=tuple(ids[n] for n in ro)))
        addr = region.end + PAGE
    return tuple(out)


def _pool_maps(name, pools):
    """The pools shard `name` maps, each with its index among them."""
    mine = [p for p in pools if name in p.rw or name in p.ro]
    return tuple(PoolMap(pool=p, index=k, writable=name in p.rw) for k, p in enumerate(mine))


def _bits_after(ids, channels):
    """{shard name: its next free notification bit} after these channels."""
    bits = {name: 0 for name in ids}
    for c in channels:
        bits[c.src] += 1
        bits[c.dst] += 1
    return bits


def _signals(spec, ids, channels):
    """Each signal is a kernel channel without a ring: its id follows the
    channels', its bits follow its shards' channel endpoints."""
    bits, out = _bits_after(ids, channels), []
    for j, g in enumerate(spec.get("signals", [])):
        src, dst = g["from"], g["to"]
        out.append(Channel(
            id=len(channels) + j, name=g["name"], src=src, dst=dst,
            src_id=ids[src], dst_id=ids[dst], from_bit=bits[src], to_bit=bits[dst],
            tx_notify=True, rx_notify=True, msg_size=0, depth=0, region=Region(0, 0),
            signal=True))
        bits[src] += 1
        bits[dst] += 1
    return tuple(out)


def _signal_ends(spec, signals):
    """{shard name: its SignalEnds}, in one pass."""
    out = {s["name"]: [] for s in spec["shards"]}
    for g in signals:
        out[g.src].append(SignalEnd(g.name, g.name.upper(), "send", g.from_bit, g.id, g.dst))
        out[g.dst].append(SignalEnd(g.name, g.name.upper(), "recv", g.to_bit, g.id, g.src))
    return out


def _endpoints(name, channels):
    eps = []
    for c in channels:
        if c.src == name:
            eps.append(Endpoint(c.name, c.name.upper(), "tx", c.from_bit, c.tx_notify, c.id,
                                c.region.addr, c.msg_size, c.depth, c.dst, c.latency,
                                pool=c.pool, sequenced=c.sequenced))
        if c.dst == name:
            eps.append(Endpoint(c.name, c.name.upper(), "rx", c.to_bit, c.rx_notify, c.id,
                                c.region.addr, c.msg_size, c.depth, c.src, c.latency,
                                pool=c.pool, sequenced=c.sequenced))
    return tuple(sorted(eps, key=lambda e: e.bit))


def _by_shard(spec, channels, devices=()):
    """{shard name: ([its channels], [its devices])}, each in spec order:
    one pass, so the model stays linear in shards and channels."""
    out = {s["name"]: ([], []) for s in spec["shards"]}
    for c in channels:
        out[c.src][0].append(c)
        if c.dst != c.src:
            out[c.dst][0].append(c)
    for d in devices:
        out[d.shard][1].append(d)
    return out


def _devices(spec, ids, channels):
    """Each device's bit follows its owner's channel and signal endpoints,
    in spec device order."""
    owners = {d: s["name"] for s in spec["shards"] for d in s["devices"]}
    bits, out = _bits_after(ids, channels), []
    for d in spec["devices"]:
        owner = d.get("shard") or owners[d["name"]]
        out.append(Device(
            name=d["name"], macro=d["name"].upper(), shard=owner, shard_id=ids[owner],
            bit=bits[owner], regmap=d.get("regmap"), compatible=d.get("compatible"),
            address=d.get("address"), size=d.get("size"), irq=d.get("irq"),
            path=d["dt_node"].path if d.get("dt_node") else None,
            source=d.get("dt_source") or ("spec" if d.get("address") is not None else None)))
        bits[owner] += 1
    return tuple(out)


def _mediate(devices):
    """Bare metal maps devices page by page: a device on a page that also
    holds another shard's device is mapped into neither, and its owner
    reaches its registers through the kernel (VN_SYS_MMIO)."""
    owners = {}
    for d in devices:
        for p in d.pages:
            owners.setdefault(p, set()).add(d.shard_id)
    return tuple(replace(d, mediated=True) if any(len(owners[p]) > 1 for p in d.pages)
                 else d for d in devices)


def _regmap(rmap):
    regs = []
    for r in rmap["registers"]:
        fields = [{"name": f["name"], "bits": list(f["bits"]),
                   "access": f.get("access", r["access"]),
                   **({"enum": [{"name": v["name"], "value": v["value"]} for v in f["enum"]]}
                      if f["enum"] else {})} for f in r["fields"]]
        extra = {"count": r["count"], "stride": r.get("stride") or r["width"] // 8} \
            if r["count"] > 1 else {}
        if r["read_side_effects"]:
            extra["read_side_effects"] = True
        regs.append({"name": r["name"], "offset": r["offset"], "width": r["width"],
                     "access": r["access"], "reset": r["reset"], **extra, "fields": fields,
                     **({"description": r["description"]} if "description" in r else {})})
    return regs


def _structures(rmap):
    return [{"name": s["name"], **({"description": s["description"]} if "description" in s
                                  else {}),
             "members": [{k: m[k] for k in ("name", "offset", "width", "type", "count",
                                            "description") if m.get(k) is not None}
                         | {"fields": [{"name": f["name"], "bits": list(f["bits"])}
                                       for f in m["fields"]]}
                         for m in s["members"]]}
            for s in rmap["structures"]]


def build_model(spec, board, spec_label):
    """spec: validated values (validate.validate); board: boards.Board;
    spec_label: the spec's path as written into generated headers."""
    ids = {s["name"]: i for i, s in enumerate(spec["shards"])}
    modes = {s["name"]: s["mode"] for s in spec["shards"]}
    if board.ram:
        layouts, chan_base = _bare_layout(board, spec)
        channels = _channels(spec, ids, modes, chan_base)
    else:
        layouts = [_layout(i, s) for i, s in enumerate(spec["shards"])]
        channels = _channels(spec, ids, modes)
        _check_descriptors(spec, len(channels))
        _check_processes(spec)
    signals = _signals(spec, ids, channels)
    devices = _devices(spec, ids, channels + signals)
    if board.ram:
        devices = _mediate(devices)
    own = _by_shard(spec, channels, devices)
    sig_own = _signal_ends(spec, signals)
    pools = _pools(spec, ids, max([c.region.end + PAGE for c in channels] +
                                  [chan_base if board.ram else CHANNEL_BASE]))
    pool = None
    if board.ram:
        pool = _page_tables(board, spec, layouts, own, pools)
        _check_ram(board, spec, layouts, channels, pool, pools)
    events = ev.user_events(spec.get("events", []))
    slots, door = _reload_slots(board, spec, channels, pools,
                                chan_base if board.ram else 0, pool)
    shards = []
    for i, s in enumerate(spec["shards"]):
        image, ctl, heap, stack = layouts[i]
        reload = _reload(s.get("reload"), ids, _handoff(s, ctl))
        if reload and board.ram:
            reload = replace(reload, slots=slots[i])
        shards.append(Shard(
            id=i, name=s["name"], core=s["core"], mode=s["mode"],
            on_fault="restart" if isinstance(s["on_fault"], dict) else s["on_fault"],
            restart=_restart(s["on_fault"], i, ids),
            fp=s["fp"], halt=s["halt"],
            watchdog_ns=s.get("watchdog") or 0, spin_ns=s.get("spin") or 0,
            stack_size=s["stack"], memory_size=s["memory"],
            sources=tuple(s["sources"]), cflags=tuple(s["cflags"]),
            image=image, ctl=ctl, heap=heap, stack=stack,
            endpoints=_endpoints(s["name"], own[s["name"]][0]),
            devices=tuple(own[s["name"]][1]),
            signals=tuple(sig_own[s["name"]]),
            pools=_pool_maps(s["name"], pools),
            trace_recs=s.get("trace", 0), reload=reload))
        shards[-1] = replace(shards[-1], iface=interface_hash(shards[-1], events))
    used = sorted({d.regmap for d in devices if d.regmap})
    return System(
        name=spec["system"], board=board.name, port=board.port, cores=board.cores,
        n_cores=1 + max(s.core for s in shards), spec=spec_label,
        shards=tuple(shards), channels=channels, devices=devices,
        regmaps=tuple((n, _regmap(spec["regmaps"][n])) for n in used),
        models=tuple((n, _regmap(m)) for n, m in sorted(spec.get("models", {}).items())),
        kernel=Region(board.kernel[0], board.kernel[1] - board.kernel[0]) if board.ram else None,
        ram=Region(*board.ram) if board.ram else None,
        structures=tuple((kind, n, _structures(m)) for kind, n, m in
                         [("regmaps", n, spec["regmaps"][n]) for n in used] +
                         [("models", n, m) for n, m in sorted(spec.get("models", {}).items())]
                         if m["structures"]),
        events=events, signals=signals,
        schema_hash=ev.schema_hash(spec["system"], shards, channels + signals, events),
        door=door, page_tables=pool, pools=pools)


def _reload_slots(board, spec, channels, pools, base, pool):
    """Bare metal: the RAM after the channels holds, if any shard may be
    reloaded, the door (a page the host tool and the kernel talk through,
    then room for one reload image) and two image slots per such shard.
    Returns ({shard index: (slot, slot)}, door or None)."""
    if not board.ram or not any(s.get("reload") is not None for s in spec["shards"]):
        return {}, None
    addr = _align(max([c.region.end + PAGE for c in channels] +
                      [p.region.end + PAGE for p in pools] + [base]), BARE_ALIGN)
    door = Region(addr, PAGE + BARE_IMAGE_SIZE)
    addr = _align(door.end + PAGE, BARE_ALIGN)
    slots = {}
    for i, s in enumerate(spec["shards"]):
        if s.get("reload") is None:
            continue
        slots[i] = (Region(addr, BARE_IMAGE_SIZE), Region(addr + BARE_IMAGE_SIZE,
                                                           BARE_IMAGE_SIZE))
        addr += 2 * BARE_IMAGE_SIZE
    if addr > pool.addr:
        first = next(s for s in spec["shards"] if s.get("reload") is not None)
        raise _error(first.at("reload"),
                     f"the reload slots end at {addr:#x}, beyond the RAM of board "
                     f"'{board.name}' ({_ram_top(pool)}): each shard with 'reload:' takes "
                     f"{2 * BARE_IMAGE_SIZE >> 20} MiB; allow reload on fewer shards")
    return slots, door


def _error(at, message):
    return SpecError([Diag(at.file, at.line, at.col, message)])


def _ram_top(pool):
    """How the RAM's end is named in errors: the page tables take its top."""
    return (f"up to {pool.addr:#x}, below the kernel's {pool.size // PAGE:,} page tables "
            f"at its top")


def _check_ram(board, spec, layouts, channels, pool, pools=()):
    """Every shard and channel, with the guard page after it, in RAM below
    the page-table pool."""
    top, where = pool.addr, _ram_top(pool)
    fix = "use less memory, stack or channel depth, or fewer shards"
    for s, (_, _, _, stack) in zip(spec["shards"], layouts):
        if stack.end + PAGE > top:
            raise _error(s.at("name"), f"shard '{s['name']}' ends at {stack.end + PAGE:#x}, "
                         f"beyond the RAM of board '{board.name}' ({where}); {fix}")
    for c, chan in zip(spec["channels"], channels):
        if chan.region.end + PAGE > top:
            raise _error(c.at("name"), f"channel '{c['name']}' ends at "
                         f"{chan.region.end + PAGE:#x}, beyond the RAM of board "
                         f"'{board.name}' ({where}); {fix}")
    for p, model in zip(spec.get("pools", []), pools):
        if model.region.end + PAGE > top:
            raise _error(p.at("buffers"), f"pool '{p['name']}' ends at "
                         f"{model.region.end + PAGE:#x}, beyond the RAM of board "
                         f"'{board.name}' ({where}); use fewer or smaller buffers")


# Hosted: descriptors the kernel process holds (runtime/arch/hosted/kernel):
# one memfd per channel, two per pool (read-write and read-only), and per
# shard its control page, heap and pidfd, plus a doorbell per core and a few
# of its own (stdio, counters, devices).
HOSTED_FDS_PER_SHARD = 3
HOSTED_FDS_PER_POOL = 2
HOSTED_FDS_FIXED = 64


def hosted_descriptors(n_shards, n_channels, cores=16, n_pools=0):
    return n_channels + HOSTED_FDS_PER_POOL * n_pools + HOSTED_FDS_PER_SHARD * n_shards + \
        cores + HOSTED_FDS_FIXED


def _fd_limit():
    """The hard limit on open descriptors here (the hosted kernel raises
    its soft limit to it), or None if the host does not say."""
    try:
        import resource
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    except (ImportError, OSError):
        return None
    return None if hard == getattr(resource, "RLIM_INFINITY", -1) else hard


def _check_descriptors(spec, n_channels):
    """On hosted every channel and shard holds descriptors in the kernel
    process; a system that needs more than this host allows is refused here."""
    need = hosted_descriptors(len(spec["shards"]), n_channels,
                              n_pools=len(spec.get("pools", [])))
    limit = _fd_limit()
    if limit is not None and need > limit:
        at = spec.at("channels") if spec["channels"] else spec.at("shards")
        raise _error(at, f"the hosted kernel would hold {need} file descriptors "
                     f"({n_channels} channels, {len(spec['shards'])} shards) and this host "
                     f"allows {limit} (ulimit -Hn); raise the hard limit, or use fewer "
                     f"channels")


# Hosted: tasks the system runs as this user, each counted against its
# process limit: a process per shard, the kernel process, and the kernel's
# threads (one per core at most, the observation socket's, the devices').
HOSTED_TASKS_FIXED = 1 + 16 + 8


def hosted_tasks(n_shards):
    return n_shards + HOSTED_TASKS_FIXED


def _proc_limit():
    """The hard limit on this user's processes (the hosted kernel raises its
    soft limit to it), or None if there is none here: unlimited, or root,
    whom the limit does not bind."""
    try:
        import resource
        hard = resource.getrlimit(resource.RLIMIT_NPROC)[1]
    except (ImportError, OSError, AttributeError):
        return None
    if hard == resource.RLIM_INFINITY or os.geteuid() == 0:
        return None
    return hard


def _check_processes(spec):
    """A system with more shards than this user may run processes is
    refused here. The user's other processes count against the same limit,
    so passing this check does not promise that every shard starts: one
    that cannot is reported at run time, naming the limit."""
    n = len(spec["shards"])
    need, limit = hosted_tasks(n), _proc_limit()
    if limit is not None and need > limit:
        raise _error(spec.at("shards"), f"the hosted system would run {need} processes and "
                     f"threads ({n} shards, the kernel and its threads) and this user may run "
                     f"{limit} (ulimit -Hu); raise the hard limit, or use fewer shards")


def _blocks(lo, hi):
    """The 2 MiB blocks that pages [lo, hi) fall in."""
    return set(range(lo // BLOCK, (hi - 1) // BLOCK + 1)) if hi > lo else set()


def _kernel_tables(board):
    """Tables the kernel takes before the first shard: its space's top two
    levels, the level that maps its image, and one table for each 2 MiB
    block of the kernel window (its image may reach the window's end)."""
    return 3 + len(_blocks(*board.kernel))


def shard_tables(regions, channels, devices, pools=()):
    """Tables one shard's address space takes (runtime/freestanding/kernel/pt.c):
    its top two levels; one last-level table for each 2 MiB block its
    private regions and its channels touch; and, when it owns devices, one
    table splitting the device GiB and one for each 2 MiB block of device
    windows. regions: its (image, ctl, heap, stack)."""
    blocks = set()
    for r in (*regions, *(c.region for c in channels), *(p.region for p in pools)):
        blocks |= _blocks(r.addr, r.end)
    dev, mapped = set(), [d for d in devices if not d.mediated]
    for d in mapped:
        if d.address is not None:
            dev |= _blocks(d.address // PAGE * PAGE, page_round(d.address + (d.size or 0)))
    return 2 + len(blocks) + (1 + len(dev) if mapped else 0)


def _page_tables(board, spec, layouts, own, pools=()):
    """The kernel builds every address space at boot, from a pool of page
    tables at the top of RAM sized here to exactly what it takes (pt.c
    takes them in the same order and counts). own: _by_shard's channels
    and devices of each shard. Returns the pool's region."""
    n = _kernel_tables(board) + sum(
        shard_tables(layouts[i], *own[s["name"]],
                     [p for p in pools if s["name"] in p.rw or s["name"] in p.ro])
        for i, s in enumerate(spec["shards"]))
    top = board.ram[0] + board.ram[1]
    return Region(top - n * PAGE, n * PAGE)


# ---- manifest.json -----------------------------------------------------------

def _region(r):
    return {"addr": f"{r.addr:#x}", "size": f"{r.size:#x}",
            "addr_int": r.addr, "size_int": r.size}


def manifest(system):
    """The machine-readable description host tools and the build read."""
    doc = _manifest(system)
    if system.kernel:
        doc["kernel"] = _region(system.kernel)
    return doc


def _restart_manifest(s):
    r = s.restart
    return {"budget": r.budget, "window_ns": r.window_ns, "floor_ns": r.floor_ns,
            "ceiling_ns": r.ceiling_ns, "then": r.then,
            "group": list(r.group_names)}


def _reload_manifest(r):
    return {"quiesce_ns": r.quiesce_ns, "late": r.late, "rollback_ns": r.rollback_ns,
            "handoff": _region(r.handoff) if r.handoff else None,
            "updates": list(r.update_names), "slots": [_region(x) for x in r.slots]}


def _manifest(system):
    return {
        "generated_by": f"vanity from {system.spec} - do not edit",
        "system": system.name,
        "board": system.board,
        "spec": system.spec,
        "cores": system.n_cores,
        "shards": [{
            "id": s.id, "name": s.name, "core": s.core, "mode": s.mode,
            "on_fault": s.on_fault, "fp": s.fp, "halt": s.halt,
            "restart": _restart_manifest(s) if s.on_fault == "restart" else None,
            "watchdog_ns": s.watchdog_ns, "spin_ns": s.spin_ns,
            "stack": s.stack_size, "memory": s.memory_size,
            "sources": list(s.sources), "cflags": list(s.cflags),
            "image": f"shards/{s.name}",
            "regions": {"image": _region(s.image), "ctl": _region(s.ctl),
                        "heap": _region(s.heap), "stack": _region(s.stack)},
            "trace": {**_region(s.trace), "records": s.trace_recs} if s.trace else None,
            "endpoints": [{"channel": e.channel, "dir": e.dir, "bit": e.bit,
                           "notify": e.notify, "latency": e.latency} for e in s.endpoints],
            "signals": [{"signal": g.signal, "dir": g.dir, "bit": g.bit} for g in s.signals],
            "devices": [d.name for d in s.devices],
            **({"pools": [{"pool": m.pool.name, "access": "rw" if m.writable else "ro"}
                          for m in s.pools]} if s.pools else {}),
            "reload": _reload_manifest(s.reload) if s.reload else None,
            "iface": f"{s.iface:#018x}",
        } for s in system.shards],
        "channels": [{
            "id": c.id, "name": c.name, "from": c.src, "to": c.dst,
            "message": c.msg_size, "depth": c.depth,
            "slots": "sequenced" if c.sequenced else "packed",
            "stride": ring_stride(c.msg_size, c.sequenced),
            "addr": f"{c.region.addr:#x}", "size": f"{c.region.size:#x}",
            "addr_int": c.region.addr, "size_int": c.region.size,
            "from_bit": c.from_bit, "to_bit": c.to_bit,
            "notify": {"tx": c.tx_notify, "rx": c.rx_notify},
            "latency": {"stamps": _region(c.stamps), "hist": _region(c.hist),
                        "buckets": _hist.BUCKETS} if c.latency else None,
            **({"pool": c.pool} if c.pool else {}),
        } for c in system.channels],
        **({"pools": [{
            "id": p.id, "name": p.name, "buffers": p.buffers, "buffer_size": p.buf_size,
            **_region(p.region), "rw": list(p.rw), "ro": list(p.ro),
        } for p in system.pools]} if system.pools else {}),
        "signals": [{
            "id": g.id, "name": g.name, "from": g.src, "to": g.dst,
            "from_bit": g.from_bit, "to_bit": g.to_bit,
        } for g in system.signals],
        "devices": [{
            "name": d.name, "shard": d.shard, "regmap": d.regmap,
            "compatible": d.compatible,
            "address": None if d.address is None else f"{d.address:#x}",
            "size": None if d.size is None else f"{d.size:#x}", "irq": d.irq,
            "bit": d.bit, "from": d.source, "node": d.path,
            **({"mediated": True} if d.mediated else {}),
        } for d in system.devices],
        "regmaps": {name: regs for name, regs in system.regmaps},
        "board_hash": f"{system.board_hash:#018x}",
        "reload_door": _region(system.door) if system.door else None,
        "trace": {
            "schema_hash": f"{system.schema_hash:#018x}",
            "schema_hash_int": system.schema_hash,
            "core_records": ev.CORE_RECORDS,
            "clock_hz": None,  # the port's: a dump's header and vn_obs say
            "kernel_events": [e.doc() for e in ev.kernel_events()],
            "events": [e.doc() for e in system.events],
        },
    }
