"""Semantics: what ties a spec's items together.

Names, references, limits, device claims and windows, interrupt numbers
(from the board record) and, through regmap.check, the register maps. Runs
on the resolved spec (resolve.py), collects every error pinned to the node
at fault, and changes nothing it checks.
"""

import functools
import os
import re
from pathlib import Path

from . import regmap, toolchain
from .events import EVENT_BYTES, USER_BASE, WIDTHS
from .resolve import regmap_names
from .schema import COMPATIBLE, pos, suggest
from .units import format_time

# The limits every board shares (docs/limits.md says why each is what it is).
MAX_SHARDS = 256          # VN_MAX_SHARDS (core/kernel.h), VN_OBS_MAX_SHARDS (vanity/trace.h)
MAX_CHANNELS = 4096       # VN_OBS_MAX_CHANNELS (vanity/trace.h), HK_MAX_CHANNELS (hosted)
MAX_ENDPOINTS = 64        # notification bits per shard: its 64-bit pending word
MAX_DEVICES = 64          # HK_MAX_DEVICES: the hosted simulator's device table
MAX_EVENTS = (1 << 16) - USER_BASE  # a trace record's id is a uint16_t (vanity/trace.h)
MAX_HANDOFF = 64 << 10    # a reload's handoff region (model.HEAP_OFFSET leaves room)
MAX_DEPTH = 65536
MAX_MESSAGE = 65536
MAX_STACK = 16 << 20
MAX_MEMORY = 64 << 20
MAX_POOLS = 64            # VN_MAX_POOLS (vanity/config.h)
MAX_SHARD_POOLS = 16      # pools one shard maps: VN_FD_POOL0.. (hosted.h)
MAX_BUFFERS = 65536       # a handle's index is checked against it
POOL_BUFFER = (64, 64 << 10)  # a buffer's size: a power of two in this range
MAX_POOL_BYTES = 256 << 20  # one pool's buffers together
BUF_HANDLE = 8            # sizeof(struct vn_buf): what a pool channel carries
MAX_RESTART_BUDGET = 16   # VN_RESTART_MAX in runtime/core/kernel.h
PAGE = 4096               # a device window is mapped in whole pages (VN_PAGE)
TRACE_RECORDS = (16, 1024)  # a shard's trace ring: it sits between control page and heap
# What the build compiles of a shard's sources (build.py, build_bare.py): C,
# and assembly through the preprocessor, whose #if can suit each board's ISA.
SOURCE_SUFFIXES = (".c", ".S")


@functools.lru_cache(maxsize=None)
def runtime_names(repo_root):
    """Every identifier of the shapes vn_tx_X, vn_rx_X, vn_signal_X, vn_pool_X
    and vn_trace_X that the runtime's headers define or use."""
    found = set()
    for header in sorted((Path(repo_root) / "runtime" / "include").rglob("*.h")):
        found.update(re.findall(r"\bvn_(?:tx|rx|signal|pool|trace)_\w+", header.read_text()))
    return frozenset(found)


_COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)


@functools.lru_cache(maxsize=None)
def runtime_macros(repo_root):
    """Every VN_ macro or enumerator the runtime's headers (those a shard
    sees, and the kernel's) name outside comments, an X-macro list's too
    (VN_RELOAD_##n over X(OK, ...) is VN_RELOAD_OK), and those the
    templates define whatever the spec says (VN_SHARD_NAME)."""
    found = set()
    for header in sorted((Path(repo_root) / "runtime").rglob("*.h")):
        text = _COMMENT.sub(" ", header.read_text())
        found.update(re.findall(r"\bVN_[A-Z0-9_]+\b", text))
        for prefix in re.findall(r"\b(VN_[A-Z0-9_]*)##\w", text):
            found.update(prefix + n for n in re.findall(r"\bX\((\w+)\s*,", text))
    for template in sorted((Path(repo_root) / "templates").glob("*.j2")):
        found.update(re.findall(r"#define (VN_[A-Z0-9_]+)(?=[\s(])", template.read_text()))
    return frozenset(found)


def path_is(path, file):
    """(True, None) if path is a file (file) or a directory (not file);
    else (False, why): None when it does not exist, the system's reason
    when its name cannot even be looked up (too long, a directory on the
    way not searchable), which is_file() and is_dir() raise for."""
    try:
        return (path.is_file() if file else path.is_dir()), None
    except OSError as exc:
        return False, f"cannot be looked up: {exc.strerror}"


class Semantics:
    """Checks what ties a resolved spec's items together; reports into the
    schema's diagnostics and changes nothing."""

    def __init__(self, v, top, board):
        self.v, self.d, self.top, self.board = v, v.d, top, board
        self.shards = {s["name"]: s for s in top.get("shards", []) if "name" in s}
        self.devices = {x["name"]: x for x in top.get("devices", []) if "name" in x}
        self.owner = {}        # device name -> the shard that claims it first
        self.irqs = {}         # irq -> the device that gives it first

    def run(self):
        self.version()
        self.unique("shard", self.top.get("shards", []), fold=False)
        self.unique_among([("channel", c) for c in self.top.get("channels", [])] +
                          [("signal", g) for g in self.top.get("signals", [])], fold=True)
        self.unique("device", self.top.get("devices", []), fold=True)
        self.unique("pool", self.top.get("pools", []), fold=True)
        self.pools = {p["name"]: p for p in self.top.get("pools", []) if "name" in p}
        for pool in self.top.get("pools", []):
            self.pool(pool)
        self.pools_per_shard()
        for shard in self.top.get("shards", []):
            self.shard(shard)
        for chan in self.top.get("channels", []):
            self.channel(chan)
        for sig in self.top.get("signals", []):
            self.ends(sig, "signal")
        self.endpoints()
        self.claims()
        for dev in self.top.get("devices", []):
            self.device(dev)
        self.windows()
        self.regmaps()
        self.unique("event", self.top.get("events", []), fold=False)
        for ev in self.top.get("events", []):
            self.event(ev)
        self.generated_names()

    # What each name becomes in the generated C, and the runtime's own names
    # of the same shape (its headers), which it must not be:
    # (spec key, the C prefixes it is put after).
    NAMED = (("channels", ("vn_tx_", "vn_rx_")),
             ("signals", ("vn_signal_",)),
             ("pools", ("vn_pool_",)),
             ("events", ("vn_trace_",)))

    def generated_names(self):
        """A name that would make the generated C define what the runtime
        defines already, or what another name of the spec makes."""
        taken = runtime_names(self.v.repo_root)
        for key, prefixes in self.NAMED:
            for item in self.top.get(key) or []:
                name = item.get("name")
                clash = [p + name for p in prefixes if isinstance(name, str) and p + name in taken]
                if clash:
                    self.d.error(item.at("name"), f"{item.prefix}its name would make "
                                 f"{' and '.join(clash)}, which the runtime has already "
                                 f"(runtime/include); rename it")
        chans = {c.get("name") for c in self.top.get("channels") or []}
        for chan in self.top.get("channels") or []:
            name = chan.get("name")
            if isinstance(name, str) and name.startswith("state_") and name[6:] in chans:
                self.d.error(chan.at("name"), f"{chan.prefix}vn_tx_{name} would name both "
                             f"its endpoint and the endpoint state of channel '{name[6:]}'; "
                             "rename it")
        shards = {sh.get("name") for sh in self.top.get("shards") or []}
        for sh in self.top.get("shards") or []:
            name = sh.get("name")
            if isinstance(name, str) and name.endswith("_end") and name[:-4] in shards:
                self.d.error(sh.at("name"), f"{sh.prefix}vn_blob_{name} would name both its "
                             f"image and the end of the image of shard '{name[:-4]}' "
                             "(bare-metal boards); rename it")
        self.generated_macros()

    # Channels, signals, devices and pools whose names are equal but for case
    # are reported as a name clash already, not again for their macros.
    _FOLDED = ("channel", "signal", "device", "pool")

    # The macros a shard's header makes of each kind of name, NAME standing
    # for it in capitals (vanity_shard.h.j2, _pools.j2).
    MACROS = (("channels", "channel", ("VN_MSG_SIZE_NAME", "VN_DEPTH_NAME", "VN_NOTIFY_NAME")),
              ("signals", "signal", ("VN_SIGNAL_NAME", "VN_NOTIFY_NAME")),
              ("devices", "device", ("VN_NOTIFY_NAME", "VN_DEVICE_NAME_BASE",
                                     "VN_DEVICE_NAME_SIZE", "VN_DEVICE_NAME_IRQ")),
              ("pools", "pool", ("VN_POOL_NAME_BUFFERS", "VN_POOL_NAME_SIZE")))

    def macros(self):
        """(macro, kind, name, label, node, why) of each VN_ macro a shard's
        header makes from a spec name; why: how the name comes to make it,
        or ''."""
        top = self.top
        for key, kind, shapes in self.MACROS:
            for item in top.get(key) or []:
                name = item.get("name")
                if not isinstance(name, str):
                    continue
                extra = ("VN_POOL_OF_NAME",) if key == "channels" and item.get("pool") else ()
                for shape in shapes + extra:
                    yield (shape.replace("NAME", name.upper()), kind, name, item.label,
                           item.at("name"), "")
        for sh in top.get("shards") or []:
            r = sh.get("reload")
            for name in (r.get("updates") or []) if isinstance(r, dict) else ():
                if name in self.shards:
                    yield (f"VN_RELOAD_{name.upper()}", "shard", name, self.shards[name].label,
                           self.shards[name].at("name"),
                           f" (by which shard '{sh.get('name')}' may reload it)")
        for ev in top.get("events") or []:
            for f in ev.get("fields") or []:
                if not (isinstance(ev.get("name"), str) and isinstance(f.get("name"), str)):
                    continue
                for i, v in enumerate(f.get("values") or []):
                    if isinstance(v, str):
                        yield (f"VN_{ev['name'].upper()}_{f['name'].upper()}_{v.upper()}",
                               "event value", (ev["name"], f["name"], v),
                               f"{ev.label} field '{f['name']}' value '{v}'",
                               f.item_at("values", i), "")

    def generated_macros(self):
        """A VN_ macro of a shard's header that the runtime or the templates
        define already (a shard 'bit' that another may reload makes
        VN_RELOAD_BIT, vanity/reload.h's), or that two names make."""
        taken, made, reported = runtime_macros(self.v.repo_root), {}, set()
        for macro, kind, name, label, node, why in self.macros():
            if (macro, id(node)) in reported:
                continue
            reported.add((macro, id(node)))
            if macro in taken:
                self.d.error(node, f"{label}: its name would make {macro}{why}, which the "
                             "runtime's headers or the generated ones define already; "
                             "rename it")
                continue
            f_kind, f_name, f_label, f_node = made.setdefault(macro, (kind, name, label, node))
            if (f_kind, f_name) == (kind, name) or (
                    kind in self._FOLDED and f_kind in self._FOLDED
                    and f_name.lower() == name.lower()):
                continue
            self.d.error(node, f"{label}: its name would make {macro}{why}, which "
                         f"{f_label} makes too (at {pos(f_node)}); rename one of them")

    def regmaps(self):
        """Every map the spec defines or its devices use, by the rules in
        regmap.py; each with the devices whose window it must fit."""
        inline = self.top.nodes.get("regmaps")
        maps = []
        for name, rmap in sorted(self.top.get("regmaps", {}).items()):
            if rmap is not None:
                users = [d for d in self.top.get("devices", [])
                         if d.get("regmap") == name and isinstance(d.get("size"), int)
                         and "name" in d]  # an unnamed one is reported
                regmap.check(self.d, rmap, users)
                key = inline.keys.get(name) if inline is not None else None
                maps.append((name, rmap, key if key is not None else rmap.node))
        regmap.names_across(self.d, maps)
        for name, rmap in sorted(self.top.get("models", {}).items()):
            if rmap is not None and name not in self.top.get("regmaps", {}):
                regmap.check(self.d, rmap)

    def version(self):
        top = self.top
        if top.get("vanity", 1) != 1:
            self.d.error(top.at("vanity"), f"unsupported spec version {top['vanity']}; "
                         "this vanity reads version 1")
        shards = top.get("shards")
        if shards is not None and not shards:
            self.d.error(top.at("shards"), "'shards' is empty; a system needs at least one shard")
        if shards and len(shards) > MAX_SHARDS:
            self.d.error(top.at("shards"), f"{len(shards)} shards; at most {MAX_SHARDS} are "
                         f"allowed (the kernel's shard table, VN_MAX_SHARDS): merge shards "
                         f"that need not be isolated from each other")
        chans, sigs = top.get("channels") or [], top.get("signals") or []
        if len(chans) + len(sigs) > MAX_CHANNELS:
            what = f"{len(chans)} channels" + (f" and {len(sigs)} signals" if sigs else "")
            self.d.error(top.at("signals" if sigs else "channels"), f"{what}; at most "
                         f"{MAX_CHANNELS} are allowed (the kernel's channel counters, "
                         f"VN_OBS_MAX_CHANNELS; a signal takes one): carry several flows on "
                         f"one channel, tagged in the message")
        events = top.get("events") or []
        if len(events) > MAX_EVENTS:
            self.d.error(top.at("events"), f"{len(events)} events; at most {MAX_EVENTS} are "
                         f"allowed (a record's id is 16 bits, and the kernel's events take "
                         f"the first {USER_BASE}): give one event a field that tells them "
                         f"apart")
        devices = top.get("devices") or []
        if len(devices) > MAX_DEVICES:
            self.d.error(top.at("devices"), f"{len(devices)} devices; at most {MAX_DEVICES} "
                         f"are allowed (the hosted simulator's device table, HK_MAX_DEVICES; "
                         f"a spec must boot on every board): merge devices on adjacent "
                         f"pages that one shard owns into one device whose window covers them")

    def unique(self, what, items, fold):
        self.unique_among([(what, item) for item in items], fold)

    def unique_among(self, items, fold):
        """items: (kind, item) pairs that share one namespace (channels and
        signals both name a kernel channel and a VN_NOTIFY_<NAME>)."""
        seen = {}
        for what, item in items:
            name = item.get("name")
            if name is None:
                continue
            key = name.lower() if fold else name
            first_what, first = seen.setdefault(key, (what, item))
            if first is item:
                continue
            where = pos(first.at("name"))
            if first["name"] == name and first_what == what:
                self.d.error(item.at("name"), f"{what} '{name}' is defined twice (first at {where})")
            elif first["name"] == name:
                self.d.error(item.at("name"), f"{what} '{name}' has the name of {first_what} "
                             f"'{name}' (at {where}); channels and signals share one namespace")
            else:
                self.d.error(item.at("name"), f"{what} '{name}' clashes with {first_what} "
                             f"'{first['name']}' (at {where}); names must differ in more than case")

    # ---- shards --------------------------------------------------------

    def shard(self, s):
        core, cores = s.get("core"), self.board.cores
        if core is not None and core >= cores:
            self.d.error(s.at("core"), f"{s.prefix}core {core} does not exist on board "
                         f"'{self.board.name}' (cores 0-{cores - 1})")
        self.sources(s)
        cflags = s.get("cflags") or ()
        if any("\0" in f for f in cflags if isinstance(f, str)):
            self.d.error(s.at("cflags"), f"{s.prefix}a compiler flag holds a NUL character, "
                         "which no command line can pass")
        elif cflags and cflags[-1] in toolchain.ARG_FLAGS:
            self.d.error(s.item_at("cflags", len(cflags) - 1), f"{s.prefix}cflags: "
                         f"{cflags[-1]} is last, without the argument it takes: give the "
                         "argument as the next item, or drop the flag")
        else:
            self.include_paths(s)
        self.limit(s, "stack", 1, MAX_STACK)
        self.limit(s, "memory", 1, MAX_MEMORY)
        if s.get("watchdog") == 0:
            self.d.error(s.at("watchdog"), f"{s.prefix}watchdog 0 would fire at once; "
                         "leave it out for no watchdog")
        if s.get("spin") and s.get("mode") == "poll":
            self.d.warning(s.at("spin"), f"{s.prefix}spin has no effect on a poll shard, "
                           "which always spins")
        self.watchdog(s)
        self.trace(s)
        self.on_fault(s)
        self.reload(s)
        for i, name in enumerate(s.get("devices", [])):
            if name is not None and name not in self.devices:
                self.d.error(s.item_at("devices", i), f"{s.prefix}unknown device "
                             f"'{name}'{suggest(name, self.devices)}")

    def watchdog(self, s):
        """A watchdog counts from when the shard got its core, and a shard
        holds its core while it spins in vn_wait: a yield shard's spin as
        long as its watchdog would be stopped while it only waits. A poll
        shard alone on its core never gives it up in vn_wait, so its
        watchdog also stops it whenever it waits that long for input."""
        dog, spin = s.get("watchdog"), s.get("spin")
        if not dog:
            return
        if spin and spin >= dog and s.get("mode") != "poll":
            self.d.error(s.at("spin"), f"{s.prefix}spin {format_time(spin)} is not shorter "
                         f"than its watchdog {format_time(dog)}: the shard holds its core "
                         "while it spins, and the watchdog would stop it while it only waits; "
                         "spin less, or give the watchdog longer")
        if s.get("mode") == "poll" and not any(o is not s and o.get("core") == s.get("core")
                                                for o in self.shards.values()):
            self.d.warning(s.at("watchdog"), f"{s.prefix}a poll shard alone on its core never "
                           "gives it up while it waits in vn_wait, so its watchdog "
                           f"({format_time(dog)}) also stops it whenever no input comes for "
                           "that long; wait with a timeout and vn_yield() between waits, "
                           "or leave the watchdog out")

    def on_fault(self, s):
        """A restart policy: a budget the kernel can count, a backoff whose
        floor is below its ceiling, and a group of named shards that share
        this shard's core (a group restarts in one trap, on that core)."""
        pol = s.get("on_fault")
        if not isinstance(pol, dict) or not isinstance(pol.get("restart"), dict):
            return
        r = pol["restart"]
        budget = r.get("budget")
        if budget is not None and not 1 <= budget <= MAX_RESTART_BUDGET:
            fix = "use 'on_fault: stop' for none" if budget < 1 else "count fewer, or widen " \
                  "the window"
            self.d.error(r.at("budget"), f"{r.prefix}budget {budget} must be 1 to "
                         f"{MAX_RESTART_BUDGET}; {fix}")
        if r.get("window") == 0:
            self.d.error(r.at("window"), f"{r.prefix}window 0 counts no restart; give a time "
                         "such as 1s")
        b = r.get("backoff")
        if isinstance(b, dict) and b.get("floor") is not None and b.get("ceiling") is not None:
            if b["floor"] == 0:
                self.d.error(b.at("floor"), f"{b.prefix}floor 0 never grows; leave out "
                             "'backoff' for none")
            elif b["floor"] > b["ceiling"]:
                self.d.error(b.at("floor"), f"{b.prefix}floor {b.nodes['floor'].value} is "
                             f"above the ceiling {b.nodes['ceiling'].value}; make the floor "
                             "the smaller")
        self.group(s, pol.get("then"))

    def group(self, s, then):
        if not isinstance(then, dict) or then.get("restart") is None:
            return
        names = then["restart"]
        if not names:
            self.d.error(then.at("restart"), f"{then.prefix}restart [] names no shard; "
                         "list the shards to restart together, or use 'then: stop'")
        for at, name, other in self.shard_list(then, "restart"):
            if other.get("core") != s.get("core"):
                self.d.error(at, f"{then.prefix}shard '{name}' is on core {other.get('core')}, "
                             f"not core {s.get('core')} like '{s.get('name')}'; a group "
                             "restarts on one core, so move it there or leave it out")

    def shard_list(self, obj, key):
        """(where, name, shard) of each entry of the list of shard names
        obj[key] that names a shard once; the others are errors."""
        seen = set()
        for i, name in enumerate(obj.get(key) or []):
            at, other = obj.item_at(key, i), self.shards.get(name)
            if name is None:
                continue
            if name in seen:
                self.d.error(at, f"{obj.prefix}shard '{name}' is listed twice")
            elif other is None:
                self.d.error(at, f"{obj.prefix}unknown shard '{name}'"
                             f"{suggest(name, self.shards)}")
            else:
                yield at, name, other
            seen.add(name)

    def reload(self, s):
        """A handoff that fits, a quiesce bound that only a handoff uses, and
        updates naming shards that may be reloaded."""
        r = s.get("reload")
        if not isinstance(r, dict):
            return
        handoff = r.get("handoff")
        if handoff is not None and not 1 <= handoff <= MAX_HANDOFF:
            self.d.error(r.at("handoff"), f"{r.prefix}handoff {r.nodes['handoff'].value} "
                         f"must be 1 byte to {MAX_HANDOFF >> 10} KiB; keep only the state "
                         "the next version needs")
        for key in ("quiesce", "late"):
            if handoff is None and key in r.nodes:
                self.d.error(r.at(key), f"{r.prefix}'{key}' applies only to a shard with a "
                             "handoff (it is asked to quiesce to hand its state over); "
                             "add 'handoff: SIZE' or leave it out")
        if r.get("quiesce") == 0:
            self.d.error(r.at("quiesce"), f"{r.prefix}quiesce 0 gives the old version no "
                         "time; give a time such as 100ms")
        if r.get("rollback") == 0:
            self.d.error(r.at("rollback"), f"{r.prefix}rollback 0 never rolls back; leave "
                         "it out for none")
        for at, name, other in self.shard_list(r, "updates"):
            if other.get("reload") is None:
                self.d.error(at, f"{r.prefix}shard '{name}' cannot be reloaded; give it a "
                             "'reload:' key (reload: {} for the defaults)")

    def trace(self, s):
        n = s.get("trace")
        low, high = TRACE_RECORDS
        if n is None or n == 0:
            return
        if not low <= n <= high or n & (n - 1):
            self.d.error(s.at("trace"), f"{s.prefix}trace {n} records: use a power of two "
                         f"from {low} to {high}, or 0 to turn its tracing off")

    # ---- trace events --------------------------------------------------

    def event(self, ev):
        self.unique("field", ev.get("fields", []), fold=False)
        total = 0
        for f in ev.get("fields", []):
            kind, values, size = f.get("type"), f.get("values"), f.get("size")
            if kind == "enum":
                if not values:
                    self.d.error(f.at("type") if values is None else f.at("values"),
                                 f"{ev.prefix}field '{f.get('name')}' is an enum: list its "
                                 "names under 'values'")
                elif len(values) > 256:
                    self.d.error(f.at("values"), f"{ev.prefix}field '{f.get('name')}' has "
                                 f"{len(values)} values; an enum field holds at most 256")
                elif len(set(values)) != len(values):
                    self.d.error(f.at("values"), f"{ev.prefix}field '{f.get('name')}' names "
                                 "a value twice")
            elif values is not None:
                self.d.error(f.at("values"), f"{ev.prefix}field '{f.get('name')}': only an "
                             "enum field has 'values'")
            if kind == "bytes" and size is None:
                self.d.error(f.at("type"), f"{ev.prefix}field '{f.get('name')}' is bytes: "
                             "give its 'size'")
            elif kind != "bytes" and size is not None:
                self.d.error(f.at("size"), f"{ev.prefix}field '{f.get('name')}': only a bytes "
                             "field has 'size'")
            total += (size or 0) if kind == "bytes" else WIDTHS.get(kind, 0)
        if total > EVENT_BYTES:
            self.d.error(ev.at("fields"), f"{ev.prefix}fields take {total} bytes; a trace "
                         f"record holds {EVENT_BYTES}: drop or narrow a field")

    def include_paths(self, s):
        """Each file or directory an include flag names exists: the compiler
        skips a missing -I directory without a word."""
        cflags = [f for f in s.get("cflags") or () if isinstance(f, str)]
        if len(cflags) != len(s.get("cflags") or ()):
            return
        for i, flag, path in toolchain.include_args(cflags):
            file = flag in ("-include", "-imacros")
            full = self.v.spec_dir / path  # an absolute path stays itself
            if not toolchain.is_user_path(path):
                continue
            found, why = path_is(full, file)
            if found:
                continue
            where = "" if os.path.isabs(path) else " (a relative path is the spec file's " \
                "directory's, as a source's is)"
            self.d.error(s.item_at("cflags", i), f"{s.prefix}cflags: {flag} names "
                         f"{'a file' if file else 'a directory'} '{path}' that "
                         f"{why or 'does not exist'}{where}")

    def sources(self, s):
        srcs = s.get("sources")
        if srcs is not None and not srcs:
            self.d.error(s.at("sources"), f"{s.prefix}'sources' is empty; list its C files")
        seen = {}
        for i, src in enumerate(srcs or []):
            if src is None:
                continue
            node = s.item_at("sources", i)
            suffix = os.path.splitext(src)[1]
            absolute = os.path.isabs(src)
            found, why = (False, None) if absolute else path_is(self.v.spec_dir / src, True)
            if absolute:
                self.d.error(node, f"{s.prefix}source '{src}' must be relative to the spec's directory")
            elif not found:
                shown = os.path.join(os.path.dirname(node.file), src)
                self.d.error(node, f"{s.prefix}source file '{shown}' {why or 'does not exist'}")
            elif suffix not in SOURCE_SUFFIXES:
                hint = ("; name it .S, where #if can choose each board's instructions"
                        if suffix == ".s" else "")
                self.d.error(node, f"{s.prefix}source '{src}' is not a file the build "
                             f"compiles: C (.c) or assembly through the preprocessor "
                             f"(.S){hint}")
            else:
                first = seen.setdefault((self.v.spec_dir / src).resolve(), (src, node))
                if first[1] is not node:
                    again = "listed twice (first" if first[0] == src \
                        else f"the same file as '{first[0]}' (listed"
                    self.d.error(node, f"{s.prefix}source '{src}' is {again} at "
                                 f"{pos(first[1])}); list a file once: its definitions "
                                 "would be linked twice")

    def limit(self, s, key, low, high):
        n = s.get(key)
        if n is None:
            return
        if n < low:
            self.d.error(s.at(key), f"{s.prefix}{key} must not be 0")
        elif n > high:
            self.d.error(s.at(key), f"{s.prefix}{key} {s.nodes[key].value} is too large "
                         f"(at most {high >> 20}MiB)")

    # ---- channels ------------------------------------------------------

    def channel(self, c):
        self.ends(c, "channel")
        self.depth(c)
        size = c.get("message")
        if c.get("pool") is not None:
            self.pool_channel(c)
        elif size is None and "message" not in c.nodes:  # not one already refused
            self.d.error(c.node, f"{c.prefix}missing required key 'message' (bytes per "
                         "message); or give 'pool: NAME' to carry buffer handles")
        if size == 0:
            self.d.error(c.at("message"), f"{c.prefix}message size must be at least "
                         "1 byte, got 0")
        elif size is not None and size > MAX_MESSAGE:
            self.d.error(c.at("message"), f"{c.prefix}message size {size} is larger "
                         f"than {MAX_MESSAGE} bytes")

    def pool_channel(self, c):
        """A channel of buffer handles: of a pool both its shards map, and
        of the handle's size."""
        name, pool = c["pool"], self.pools.get(c["pool"])
        if c.get("message") not in (None, BUF_HANDLE):
            self.d.error(c.at("message"), f"{c.prefix}carries handles of pool '{name}', "
                         f"{BUF_HANDLE} bytes each (struct vn_buf); leave out 'message'")
        if pool is None:
            self.d.error(c.at("pool"), f"{c.prefix}unknown pool '{name}'"
                         f"{suggest(name, self.pools)}")
            return
        mapped = set(pool.get("rw") or []) | set(pool.get("ro") or [])
        for end in ("from", "to"):
            shard = c.get(end)
            if shard in self.shards and shard not in mapped:
                self.d.error(c.at("pool"), f"{c.prefix}carries handles of pool '{name}', "
                             f"which shard '{shard}' does not map; add it to the pool's "
                             "'rw' or 'ro' list")

    # ---- pools ---------------------------------------------------------

    def pool(self, p):
        n, size = p.get("buffers"), p.get("size")
        if n is not None and not 1 <= n <= MAX_BUFFERS:
            self.d.error(p.at("buffers"), f"{p.prefix}buffers {n} is out of range; "
                         f"use 1 to {MAX_BUFFERS}")
        low, high = POOL_BUFFER
        if size is not None and (not low <= size <= high or size & (size - 1)):
            self.d.error(p.at("size"), f"{p.prefix}buffer size {p.nodes['size'].value} "
                         f"must be a power of two from {low} bytes to {high >> 10} KiB")
        elif n is not None and size is not None and n * size > MAX_POOL_BYTES:
            self.d.error(p.at("buffers"), f"{p.prefix}{n} buffers of {size} bytes take "
                         f"{n * size >> 20} MiB; a pool holds at most {MAX_POOL_BYTES >> 20} "
                         "MiB: use fewer or smaller buffers, or several pools")
        seen = {}
        for key in ("rw", "ro"):
            for at, name, _ in self.shard_list(p, key):
                if name in seen:
                    self.d.error(at, f"{p.prefix}shard '{name}' is in both 'rw' and 'ro'; "
                                 "a shard maps a pool one way")
                seen[name] = key
        if not (p.get("rw") or p.get("ro")):
            self.d.error(p.at("name"), f"{p.prefix}no shard maps it; list its shards under "
                         "'rw' (read-write) or 'ro' (read-only)")

    def pools_per_shard(self):
        pools = self.top.get("pools", [])
        if len(pools) > MAX_POOLS:
            self.d.error(self.top.at("pools"), f"{len(pools)} pools; at most {MAX_POOLS} "
                         f"are allowed (VN_MAX_POOLS): use fewer, larger pools")
        count = {}
        for p in pools:
            for name in set(p.get("rw") or []) | set(p.get("ro") or []):
                count[name] = count.get(name, 0) + 1
        for name, n in count.items():
            if n > MAX_SHARD_POOLS and name in self.shards:
                self.d.error(self.shards[name].at("name"), f"shard '{name}' maps {n} pools; "
                             f"at most {MAX_SHARD_POOLS} fit one shard: use fewer, larger "
                             "pools")

    def ends(self, c, what):
        """A channel's or a signal's two shards: existing, and different."""
        for end in ("from", "to"):
            name = c.get(end)
            if name is not None and name not in self.shards:
                self.d.error(c.at(end), f"{c.prefix}'{end}' names no shard "
                             f"'{name}'{suggest(name, self.shards)}")
        if c.get("from") is not None and c.get("from") == c.get("to"):
            self.d.error(c.at("to"), f"{c.label} goes from shard '{c['from']}' to itself; "
                         f"a {what} joins two different shards")

    def depth(self, c):
        depth = c.get("depth")
        if depth is None:
            return
        if not 2 <= depth <= MAX_DEPTH:
            self.d.error(c.at("depth"), f"{c.prefix}depth {depth} is out of range; "
                         f"use a power of two from 2 to {MAX_DEPTH}")
        elif depth & (depth - 1):
            low = 1 << (depth.bit_length() - 1)
            self.d.error(c.at("depth"), f"{c.prefix}depth {depth} is not a power of two; "
                         f"use {low} or {low * 2}")

    def endpoints(self):
        """Channel and signal endpoints and owned devices share a shard's
        64 bits."""
        count, sigs, devs = {}, {}, {}
        for key, tally in (("channels", count), ("signals", sigs)):
            for c in self.top.get(key, []):
                for end in ("from", "to"):
                    if c.get(end) in self.shards:
                        tally[c[end]] = tally.get(c[end], 0) + 1
        for name in self.device_owners():
            devs[name] = devs.get(name, 0) + 1
        order = {name: i for i, name in enumerate(self.shards)}
        for name in sorted(set(count) | set(sigs) | set(devs), key=order.get):
            n, k, m = count.get(name, 0), sigs.get(name, 0), devs.get(name, 0)
            s = self.shards[name]
            r = s.get("reload")
            most = MAX_ENDPOINTS - (isinstance(r, dict) and r.get("handoff") is not None)
            if n + k + m > most:
                parts = [f"{n} channel endpoints"] * bool(n) + \
                    [f"{k} signal endpoints"] * bool(k) + [f"{m} devices"] * bool(m)
                what = ", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 \
                    else parts[0]
                also = " (bit 63 is its reload's)" if most < MAX_ENDPOINTS else ""
                self.d.error(s.at("name"), f"{s.label} has {what}; at most "
                             f"{most} fit its notification bits (one 64-bit word){also}: "
                             f"give each group of its peers a shard of its own, or carry "
                             f"several flows on one channel, tagged in the message")

    def device_owners(self):
        """The owner of each device that names exactly one existing shard."""
        owners = []
        for dev in self.top.get("devices", []):
            named = {dev.get("shard")} if dev.get("shard") in self.shards else set()
            named |= {s["name"] for s in self.top.get("shards", [])
                      if "name" in s and dev.get("name") in s.get("devices", [])}
            if len(named) == 1:
                owners.extend(named)
        return owners

    # ---- devices -------------------------------------------------------

    def claims(self):
        """A device belongs to exactly one shard, named on either side."""
        claims = {}
        for dev in self.top.get("devices", []):
            owner = dev.get("shard")
            if owner is not None and owner not in self.shards:
                self.d.error(dev.at("shard"), f"{dev.prefix}shard '{owner}' does not exist"
                             f"{suggest(owner, self.shards)}")
            elif owner is not None and "name" in dev:
                claims.setdefault(dev["name"], []).append((owner, dev.at("shard")))
        for s in self.top.get("shards", []):
            for i, name in enumerate(s.get("devices", [])):
                if name in self.devices and "name" in s:
                    claims.setdefault(name, []).append((s["name"], s.item_at("devices", i)))
        for name, dev in self.devices.items():
            owners = claims.get(name, [])
            if owners:
                self.owner[name] = owners[0][0]
            if not owners:
                self.d.error(dev.at("name"), f"device '{name}' is granted to no shard; add "
                             "'shard: NAME' to it or list it in a shard's 'devices'")
            for owner, node in owners[1:]:
                first, fnode = owners[0]
                if owner != first:
                    self.d.error(node, f"device '{name}' is claimed by shard '{first}' "
                                 f"(at {pos(fnode)}) and by shard '{owner}'; "
                                 "a device belongs to one shard")

    def device(self, dev):
        has_addr, has_size = dev.given("address"), dev.given("size")
        by_tree = [k for k in ("compatible", "path") if k in dev.nodes]
        if len(by_tree) == 2:
            self.d.error(dev.at("path"), f"{dev.prefix}give either 'compatible' or 'path', "
                         "not both")
        elif by_tree and (has_addr or has_size):
            self.d.error(dev.at(by_tree[0]), f"{dev.prefix}give either '{by_tree[0]}' or "
                         "'address' and 'size', not both")
        elif has_addr != has_size:
            missing = "size" if has_addr else "address"
            self.d.error(dev.node, f"{dev.prefix}missing '{missing}'; 'address' and 'size' "
                         "go together")
        elif not (has_addr or by_tree):
            self.d.error(dev.node, f"{dev.prefix}give 'compatible' or 'path' (found in the "
                         "board's device tree) or 'address' and 'size'")
        if "index" in dev.nodes and "compatible" not in dev.nodes:
            self.d.error(dev.at("index"), f"{dev.prefix}'index' picks one of several "
                         "'compatible' nodes; give 'compatible' with it")
        compatible = dev.get("compatible")
        bad = [c for c in compatible or () if not COMPATIBLE.match(c)]
        if compatible == []:
            self.d.error(dev.at("compatible"), f"{dev.prefix}'compatible' is an empty list; "
                         "give at least one compatible string")
        elif bad:
            self.d.error(dev.at("compatible"), f"{dev.prefix}compatible '{bad[0]}' may "
                         "only hold letters, digits and , . _ + - (like \"arm,pl011\")")
        self.irq(dev)
        if dev.get("size") == 0:
            self.d.error(dev.at("size"), f"{dev.prefix}size must not be 0")
        elif dev.get("address", 0) + (dev.get("size") or 0) >= 1 << 64:
            self.d.error(dev.at("address"), f"{dev.prefix}window reaches the end of the "
                         "64-bit address space; it must end below 2^64")
        chans = {c["name"].upper(): (what, c) for what in ("channel", "signal")
                 for c in self.top.get(what + "s", []) if "name" in c}
        what, clash = chans.get(str(dev.get("name", "")).upper(), (None, None))
        if clash is not None:
            self.d.error(dev.at("name"), f"{dev.prefix}has the name of {what} "
                         f"'{clash['name']}' (both would be VN_NOTIFY_{clash['name'].upper()}); "
                         "rename one of them")
        name = dev.get("regmap")
        names = regmap_names(self.top, self.v.repo_root)
        if name is not None and name not in names:
            hint = (suggest(name, names) or
                    f"; define it under 'regmaps:' or in drivers/{name}/{name}.yaml")
            self.d.error(dev.at("regmap"), f"{dev.prefix}unknown register map '{name}'{hint}")

    def irq(self, dev):
        """An interrupt number the board's controller has (its record), and
        no other device's: the kernel routes a line to one owner."""
        irq, ctl = dev.get("irq"), self.board.irq
        if isinstance(irq, int) and not isinstance(irq, bool):
            first = self.irqs.setdefault(irq, dev)
            # (one device node given twice is reported as that)
            if first is not dev and first.get("address") != dev.get("address"):
                self.d.error(dev.at("irq"), f"{dev.prefix}irq {irq} is taken by device "
                             f"'{first.get('name')}' (at {pos(first.at('irq'))}); an "
                             "interrupt line has one owner")
        if not isinstance(irq, int) or ctl.first <= irq <= ctl.last:
            return
        if ctl.controller == "gic" and irq < ctl.first:
            self.d.error(dev.at("irq"), f"{dev.prefix}irq {irq} is not a shared peripheral "
                         f"interrupt; give the GIC interrupt ID (SPI n is {ctl.first} + n)")
        elif ctl.controller == "plic":
            self.d.error(dev.at("irq"), f"{dev.prefix}irq {irq} is not a PLIC source; give "
                         f"the PLIC interrupt number ({ctl.first}..{ctl.last} on QEMU virt)")
        else:
            self.d.error(dev.at("irq"), f"{dev.prefix}irq {irq} is out of range; "
                         f"at most {ctl.last}")

    def windows(self):
        placed = [d for d in self.top.get("devices", [])     # an unnamed one is
                  if d.get("address") is not None and d.get("size") and "name" in d]  # reported
        for dev in placed:
            self.board_window(dev)
        for i, b in enumerate(placed):
            for a in placed[:i]:
                same = a.get("dt_node") is not None and a.get("dt_node") is b.get("dt_node")
                if same:
                    self.d.error(b.at("address"), f"device '{b['name']}' is node "
                                 f"{b['dt_node'].path}, like device '{a['name']}' (at "
                                 f"{pos(a.at('address'))}); a device is granted once")
                elif a["address"] < b["address"] + b["size"] and b["address"] < a["address"] + a["size"]:
                    self.d.error(b.at("address"), f"device '{b['name']}' window {_range(b)} "
                                 f"overlaps device '{a['name']}' window {_range(a)} "
                                 f"(at {pos(a.at('address'))})")

    def board_window(self, dev):
        """On bare metal, what boot.c's devices_check refuses: a window beyond
        the board's MMIO space, or one whose pages (the owner maps them whole)
        touch MMIO the kernel keeps."""
        board = self.board
        if board.mmio_end is None:
            return
        lo, hi = dev["address"], dev["address"] + dev["size"]
        if hi > board.mmio_end:
            self.d.error(dev.at("address"), f"device '{dev['name']}' window {_range(dev)} "
                         f"is not in the MMIO space of board '{board.name}'; devices lie "
                         f"below {board.mmio_end:#x}")
            return
        page_lo, page_hi = lo & ~(PAGE - 1), (hi + PAGE - 1) & ~(PAGE - 1)
        for k_lo, k_hi, what in board.kernel_devices:
            if page_lo < k_hi and page_hi > k_lo:
                self.d.error(dev.at("address"), f"device '{dev['name']}' window {_range(dev)} "
                             f"is on a page of [{k_lo:#x}, {k_hi:#x}), {what}, which the "
                             f"kernel of board '{board.name}' keeps; a shard maps its "
                             "devices' pages whole, so pick a window on other pages")
                return

    # ---- register maps -------------------------------------------------

def _range(dev):
    return f"[{dev['address']:#x}, {dev['address'] + dev['size']:#x})"
