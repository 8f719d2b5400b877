"""Every check of a spec, in one place.

validate() walks the key table in keys.py over the parsed nodes (types,
unknown, missing and duplicate keys, defaults), then checks what ties the
items together: names, references, limits, devices and register maps. It
collects every error, each pinned to the node at fault, and returns plain
checked values for the model; it never stops at the first problem.
"""

import difflib
import os
import re

import yaml

from . import dtb
from . import keys as K
from .boards import BOARDS
from .errors import Diags, SpecError
from .parse import parse_file
from .units import UnitError, parse_size, parse_time

MAX_SHARDS = 64           # VN_MAX_SHARDS in runtime/core/kernel.h
MAX_ENDPOINTS = 64        # notification bits per shard
MAX_DEPTH = 65536
MAX_MESSAGE = 65536
MAX_STACK = 16 << 20
MAX_MEMORY = 64 << 20
_COMPATIBLE = re.compile(r"[A-Za-z0-9,._+-]+$")  # device-tree string characters

_IDENT = re.compile(K.IDENT_PATTERN)
_BITS = re.compile(r"([0-9]+):([0-9]+)$")


class Checked(dict):
    """One spec object's values, defaults filled in, plus the nodes they
    came from so later checks can point at them."""

    def __init__(self, node, label):
        super().__init__()
        self.node = node
        self.label = label
        self.nodes = {}

    @property
    def prefix(self):
        return f"{self.label}: " if self.label else ""

    def at(self, key):
        return self.nodes.get(key, self.node)

    def item_at(self, key, i):
        node = self.nodes.get(key)
        return node.value[i] if node is not None and node.kind == "seq" else self.at(key)


def describe(node):
    if node.kind == "map":
        return "a mapping"
    if node.kind == "seq":
        return "a list"
    v = node.value
    if v is None:
        return "null"
    if isinstance(v, bool):  # YAML 1.1 reads on/off/yes/no as booleans
        return f"boolean {str(v).lower()} (quote it if you meant the word)"
    if isinstance(v, int):
        return f"integer {v}"
    if isinstance(v, float):
        return f"number {v}"
    if isinstance(v, str):
        return f"string '{v}'"
    return f"{type(v).__name__} '{v}'"


def suggest(word, choices):
    """'; did you mean 'x'?' or ''."""
    if not isinstance(word, str):
        return ""
    close = difflib.get_close_matches(word, [str(c) for c in choices], n=1)
    return f"; did you mean '{close[0]}'?" if close else ""


def _pos(node):
    return f"{node.line}:{node.col}"


def _is_int(node):
    return node.kind == "scalar" and isinstance(node.value, int) and not isinstance(node.value, bool)


def _is_str(node):
    return node.kind == "scalar" and isinstance(node.value, str)


class Validator:
    def __init__(self, diags, spec_dir, repo_root):
        self.d = diags
        self.spec_dir = spec_dir
        self.repo_root = repo_root

    # ---- structure: the key table -------------------------------------

    def obj(self, obj, node, label):
        """Checks a mapping against obj's keys; returns a Checked."""
        item = Checked(node, label)
        where = f"in {label}" if label else "in the spec"
        for key, first in node.dups:
            self.d.error(key, f"duplicate key '{key.value}' {where} (first at {_pos(first)})")
        for name, knode in node.keys.items():
            if name not in obj.keys:
                self.d.error(knode, f"unknown key '{name}' {where}{suggest(name, obj.keys)}")
        for name, key in obj.keys.items():
            if name in node.value:
                vnode = node.value[name]
                item.nodes[name] = vnode
                ok, value = self.value(key.type, vnode, item.prefix, name)
                if ok:
                    item[name] = value
            elif key.required:
                self.d.error(node, f"{item.prefix}missing required key '{name}'")
            elif key.default is not None:
                ok, value = self.value(key.type, _Default(key.default, node), "", name)
                item[name] = value
        return item

    def label_of(self, obj, node, index, parent):
        name = node.value.get("name") if node.kind == "map" else None
        if name is not None and _is_str(name):
            return f"{parent}{obj.label} '{name.value}'"
        return f"{parent}{obj.label} #{index + 1}"

    def value(self, typ, node, prefix, key, quoted=None):
        """Returns (ok, value); reports a type error when not ok."""
        check = getattr(self, "v_" + type(typ).__name__)
        result = check(typ, node, prefix, key)
        if result is None:
            quoted = quoted or f"'{key}'"
            self.d.error(node, f"{prefix}{quoted} must be {typ.desc}, got {describe(node)}")
            return False, None
        return result

    def v_Int(self, typ, node, prefix, key):
        if not _is_int(node):
            return None
        if typ.min is not None and node.value < typ.min:
            self.d.error(node, f"{prefix}{key} {node.value} must not be negative" if typ.min == 0
                         else f"{prefix}{key} {node.value} must be at least {typ.min}")
            return False, None
        return True, node.value

    def v_Str(self, typ, node, prefix, key):
        return (True, node.value) if _is_str(node) else None

    def v_Strs(self, typ, node, prefix, key):
        if _is_str(node):
            return True, [node.value]
        if node.kind != "seq" or not all(_is_str(e) for e in node.value):
            return None
        return True, [e.value for e in node.value]

    def v_Ident(self, typ, node, prefix, key):
        if not _is_str(node):
            return None
        if not _IDENT.match(node.value):
            self.d.error(node, f"{prefix}{key} '{node.value}' is not a C identifier "
                         "(letters, digits and '_', not starting with a digit)")
            return False, None
        return True, node.value

    def v_Enum(self, typ, node, prefix, key):
        if node.kind != "scalar" or node.value not in typ.choices or isinstance(node.value, bool):
            shown = f"'{node.value}'" if _is_str(node) else describe(node)
            self.d.error(node, f"{prefix}{key} {shown} must be {typ.desc}"
                         f"{suggest(node.value, typ.choices)}")
            return False, None
        return True, node.value

    def _unit(self, parser, node, prefix, key):
        if node.kind != "scalar" or not isinstance(node.value, (int, str)) \
                or isinstance(node.value, bool):
            return None
        try:
            return True, parser(node.value)
        except UnitError as exc:
            self.d.error(node, f"{prefix}{key} {exc}")
            return False, None

    def v_Bool(self, typ, node, prefix, key):
        return (True, node.value) if node.kind == "scalar" and isinstance(node.value, bool) \
            else None

    def v_Size(self, typ, node, prefix, key):
        return self._unit(parse_size, node, prefix, key)

    def v_Time(self, typ, node, prefix, key):
        return self._unit(parse_time, node, prefix, key)

    def v_Bits(self, typ, node, prefix, key):
        if _is_int(node) and node.value >= 0:
            return True, (node.value, node.value)
        m = _BITS.match(node.value) if _is_str(node) else None
        if not m:
            return None
        hi, lo = int(m.group(1)), int(m.group(2))
        if hi < lo:
            self.d.error(node, f"{prefix}bits '{node.value}' must be high:low, "
                         f"write '{lo}:{hi}'")
            return False, None
        return True, (hi, lo)

    def v_ListOf(self, typ, node, prefix, key):
        if node.kind != "seq":
            return None
        out = []
        for i, elem in enumerate(node.value):
            if isinstance(typ.item, K.Obj):
                if elem.kind != "map":
                    self.d.error(elem, f"{prefix}'{key}' item {i + 1} must be a mapping "
                                 f"(a {typ.item.label}), got {describe(elem)}")
                    continue
                parent = prefix[:-2] + " " if prefix else ""
                out.append(self.obj(typ.item, elem, self.label_of(typ.item, elem, i, parent)))
            else:
                ok, v = self.value(typ.item, elem, prefix, f"{key} item {i + 1}",
                                   f"'{key}' item {i + 1}")
                out.append(v if ok else None)
        return True, out

    def v_MapOf(self, typ, node, prefix, key):
        if node.kind != "map":
            return None
        out = {}
        for dup, first in node.dups:
            self.d.error(dup, f"{prefix}duplicate {typ.item.label} '{dup.value}' in '{key}' "
                         f"(first at {_pos(first)})")
        for name, vnode in node.value.items():
            label = f"{typ.item.label} '{name}'"
            if not _IDENT.match(name):
                self.d.error(node.keys[name], f"{label}: name is not a C identifier "
                             "(letters, digits and '_', not starting with a digit)")
            if vnode.kind != "map":
                self.d.error(vnode, f"{label} must be a mapping, got {describe(vnode)}")
                continue
            out[name] = self.obj(typ.item, vnode, label)
        return True, out


class _Default:
    """A default value dressed as a node, so defaults go through the same
    parsers as spec values."""

    def __init__(self, value, at):
        self.kind = "seq" if isinstance(value, list) else "map" if isinstance(value, dict) else "scalar"
        self.value = value
        self.file, self.line, self.col = at.file, at.line, at.col
        self.keys, self.dups = {}, []


# ---- semantics: what ties the items together -----------------------------

class Semantics:
    def __init__(self, v, top, board):
        self.v, self.d, self.top, self.board = v, v.d, top, board
        self.shards = {s["name"]: s for s in top.get("shards", []) if "name" in s}
        self.devices = {x["name"]: x for x in top.get("devices", []) if "name" in x}
        self.tree = None       # the board's device description, once a device needs it

    def run(self):
        self.version()
        self.unique("shard", self.top.get("shards", []), fold=False)
        self.unique("channel", self.top.get("channels", []), fold=True)
        self.unique("device", self.top.get("devices", []), fold=True)
        for shard in self.top.get("shards", []):
            self.shard(shard)
        for chan in self.top.get("channels", []):
            self.channel(chan)
        self.endpoints()
        self.claims()
        for dev in self.top.get("devices", []):
            self.device(dev)
        self.windows()
        self.regmaps()

    def version(self):
        top = self.top
        if top.get("vanity", 1) != 1:
            self.d.error(top.at("vanity"), f"unsupported spec version {top['vanity']}; "
                         "this vanity reads version 1")
        shards = top.get("shards")
        if shards is not None and not shards:
            self.d.error(top.at("shards"), "'shards' is empty; a system needs at least one shard")
        if shards and len(shards) > MAX_SHARDS:
            self.d.error(top.at("shards"), f"{len(shards)} shards; at most {MAX_SHARDS} are allowed")

    def unique(self, what, items, fold):
        seen = {}
        for item in items:
            name = item.get("name")
            if name is None:
                continue
            key = name.lower() if fold else name
            first = seen.setdefault(key, item)
            if first is item:
                continue
            where = _pos(first.at("name"))
            if first["name"] == name:
                self.d.error(item.at("name"), f"{what} '{name}' is defined twice (first at {where})")
            else:
                self.d.error(item.at("name"), f"{what} '{name}' clashes with {what} "
                             f"'{first['name']}' (at {where}); names must differ in more than case")

    # ---- shards --------------------------------------------------------

    def shard(self, s):
        core, cores = s.get("core"), self.board.cores
        if core is not None and core >= cores:
            self.d.error(s.at("core"), f"{s.prefix}core {core} does not exist on board "
                         f"'{self.board.name}' (cores 0-{cores - 1})")
        self.sources(s)
        self.limit(s, "stack", 1, MAX_STACK)
        self.limit(s, "memory", 1, MAX_MEMORY)
        if s.get("watchdog") == 0:
            self.d.error(s.at("watchdog"), f"{s.prefix}watchdog 0 would fire at once; "
                         "leave it out for no watchdog")
        if s.get("spin") and s.get("mode") == "poll":
            self.d.warning(s.at("spin"), f"{s.prefix}spin has no effect on a poll shard, "
                           "which always spins")
        for i, name in enumerate(s.get("devices", [])):
            if name is not None and name not in self.devices:
                self.d.error(s.item_at("devices", i), f"{s.prefix}unknown device "
                             f"'{name}'{suggest(name, self.devices)}")

    def sources(self, s):
        srcs = s.get("sources")
        if srcs is not None and not srcs:
            self.d.error(s.at("sources"), f"{s.prefix}'sources' is empty; list its C files")
        for i, src in enumerate(srcs or []):
            if src is None:
                continue
            node = s.item_at("sources", i)
            if os.path.isabs(src):
                self.d.error(node, f"{s.prefix}source '{src}' must be relative to the spec's directory")
            elif not (self.v.spec_dir / src).is_file():
                shown = os.path.join(os.path.dirname(node.file), src)
                self.d.error(node, f"{s.prefix}source file '{shown}' does not exist")

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
        for end in ("from", "to"):
            name = c.get(end)
            if name is not None and name not in self.shards:
                self.d.error(c.at(end), f"{c.prefix}'{end}' names no shard "
                             f"'{name}'{suggest(name, self.shards)}")
        if c.get("from") is not None and c.get("from") == c.get("to"):
            self.d.error(c.at("to"), f"{c.label} goes from shard '{c['from']}' to itself; "
                         "a channel joins two different shards")
        self.depth(c)
        size = c.get("message")
        if size == 0:
            self.d.error(c.at("message"), f"{c.prefix}message size must be at least "
                         "1 byte, got 0")
        elif size is not None and size > MAX_MESSAGE:
            self.d.error(c.at("message"), f"{c.prefix}message size {size} is larger "
                         f"than {MAX_MESSAGE} bytes")

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
        """Channel endpoints and owned devices share a shard's 64 bits."""
        count, devs = {}, {}
        for c in self.top.get("channels", []):
            for end in ("from", "to"):
                if c.get(end) in self.shards:
                    count[c[end]] = count.get(c[end], 0) + 1
        for name in self.device_owners():
            devs[name] = devs.get(name, 0) + 1
        for name in sorted(set(count) | set(devs), key=list(self.shards).index):
            n, m = count.get(name, 0), devs.get(name, 0)
            if n + m > MAX_ENDPOINTS:
                s = self.shards[name]
                what = f"{n} channel endpoints" + (f" and {m} devices" if m else "")
                self.d.error(s.at("name"), f"{s.label} has {what}; at most "
                             f"{MAX_ENDPOINTS} fit its notification bits")

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
                dev["shard_name"] = owners[0][0]
            if not owners:
                self.d.error(dev.at("name"), f"device '{name}' is granted to no shard; add "
                             "'shard: NAME' to it or list it in a shard's 'devices'")
            for owner, node in owners[1:]:
                first, fnode = owners[0]
                if owner != first:
                    self.d.error(node, f"device '{name}' is claimed by shard '{first}' "
                                 f"(at {_pos(fnode)}) and by shard '{owner}'; "
                                 "a device belongs to one shard")

    def device(self, dev):
        has_addr, has_size = "address" in dev.nodes, "size" in dev.nodes
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
        bad = [c for c in compatible or () if not _COMPATIBLE.match(c)]
        if compatible == []:
            self.d.error(dev.at("compatible"), f"{dev.prefix}'compatible' is an empty list; "
                         "give at least one compatible string")
        elif bad:
            self.d.error(dev.at("compatible"), f"{dev.prefix}compatible '{bad[0]}' may "
                         "only hold letters, digits and , . _ + - (like \"arm,pl011\")")
        elif len(by_tree) == 1 and not (has_addr or has_size) and \
                dev.get(by_tree[0]) is not None:
            self.resolve(dev, by_tree[0])
        elif has_addr and isinstance(dev.get("address"), int):
            self.identify(dev)
        self.irq(dev)
        if dev.get("size") == 0:
            self.d.error(dev.at("size"), f"{dev.prefix}size must not be 0")
        elif dev.get("address", 0) + (dev.get("size") or 0) > 1 << 64:
            self.d.error(dev.at("address"), f"{dev.prefix}window ends beyond the 64-bit "
                         "address space")
        chans = {c["name"].upper(): c for c in self.top.get("channels", []) if "name" in c}
        clash = chans.get(str(dev.get("name", "")).upper())
        if clash is not None:
            self.d.error(dev.at("name"), f"{dev.prefix}has the name of channel "
                         f"'{clash['name']}' (both would be VN_NOTIFY_{clash['name'].upper()}); "
                         "rename one of them")
        name = dev.get("regmap")
        if name is not None and name not in self.regmap_names():
            hint = (suggest(name, self.regmap_names()) or
                    f"; define it under 'regmaps:' or in drivers/{name}/{name}.yaml")
            self.d.error(dev.at("regmap"), f"{dev.prefix}unknown register map '{name}'{hint}")

    def irq(self, dev):
        """An interrupt number the board's controller has (its record)."""
        irq, ctl = dev.get("irq"), self.board.irq
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

    def resolve(self, dev, key):
        """Takes a device's address, size and irq from the board's device
        tree (or hosted's description), as if the spec had given them."""
        self.tree = dtb.board_tree(self.board.name)
        if self.tree is None:
            self.d.error(dev.at(key), f"{dev.prefix}board '{self.board.name}' has no device "
                         "description; give 'address' and 'size'")
            return
        index = dev.get("index")
        try:
            node, matched = dtb.find_first(self.tree, compatibles=dev.get("compatible"),
                                           index=index if isinstance(index, int) else None,
                                           path=dev.get("path"))
        except dtb.Unresolved as exc:
            at = "index" if str(exc).startswith("index ") else key
            self.d.error(dev.at(at), f"{dev.prefix}{exc}")
            return
        if node.address is None:
            self.d.error(dev.at(key), f"{dev.prefix}node {node.path} on board "
                         f"'{self.board.name}' has no MMIO window ('reg')")
            return
        addr, size = node.address, node.size
        if self.board.ram and addr % 4096 == 0 and size % 4096:
            # The MMU maps whole pages: a page-aligned register block that
            # shares its page with no other node gets the whole page.
            end = -(-(addr + size) // 4096) * 4096
            if not dtb.neighbours(self.tree, node, addr, end):
                size = end - addr
        dev["address"], dev["size"], dev["dt_node"] = addr, size, node
        dev["dt_source"], dev["compatible"] = self.tree.source, matched
        dev.nodes["address"] = dev.nodes["size"] = dev.at(key)
        if "irq" not in dev.nodes and node.irq is not None:
            dev["irq"] = node.irq
            dev.nodes["irq"] = dev.at(key)

    def identify(self, dev):
        """A device given by address: the board node at that address, if any,
        names what it is (its compatible), for reports, the regmap default
        and the hosted simulator's choice of device model."""
        self.tree = self.tree or dtb.board_tree(self.board.name)
        for node in self.tree.nodes if self.tree else ():
            if node.address == dev["address"] and node.compatible:
                dev["compatible"] = node.compatible[0]
                return

    def windows(self):
        placed = [d for d in self.top.get("devices", [])
                  if d.get("address") is not None and d.get("size")]
        for i, b in enumerate(placed):
            for a in placed[:i]:
                self.shared_page(a, b)
                same = a.get("dt_node") is not None and a.get("dt_node") is b.get("dt_node")
                if same:
                    self.d.error(b.at("address"), f"device '{b['name']}' is node "
                                 f"{b['dt_node'].path}, like device '{a['name']}' (at "
                                 f"{_pos(a.at('address'))}); a device is granted once")
                elif a["address"] < b["address"] + b["size"] and b["address"] < a["address"] + a["size"]:
                    self.d.error(b.at("address"), f"device '{b['name']}' window {_range(b)} "
                                 f"overlaps device '{a['name']}' window {_range(a)} "
                                 f"(at {_pos(a.at('address'))})")

    def shared_page(self, a, b):
        """On a board with an MMU a device is mapped into its shard as the
        whole pages that hold its window, so devices that share a page (QEMU
        virt's virtio-mmio slots, 0x200 apart) must belong to one shard."""
        owners = a.get("shard_name"), b.get("shard_name")
        if not self.board.ram or None in owners or owners[0] == owners[1]:
            return  # an unowned (or unnamed) device is reported already
        pages = [(d["address"] // 4096, -(-(d["address"] + d["size"]) // 4096)) for d in (a, b)]
        if pages[0][0] < pages[1][1] and pages[1][0] < pages[0][1] and \
                not (a["address"] < b["address"] + b["size"] and
                     b["address"] < a["address"] + a["size"]):
            page = max(pages[0][0], pages[1][0]) * 4096
            self.d.error(b.at("address"), f"device '{b['name']}' window {_range(b)} shares "
                         f"the 4 KiB page at {page:#x} with device '{a['name']}' (at "
                         f"{_pos(a.at('address'))}) of shard '{a['shard_name']}'; board "
                         f"'{self.board.name}' maps devices into their shard page by page, "
                         f"so devices on one page must belong to one shard")

    # ---- register maps -------------------------------------------------

    def regmap_names(self):
        names = set(self.top.get("regmaps", {}))
        drivers = self.v.repo_root / "drivers"
        if drivers.is_dir():
            names.update(p.name for p in drivers.iterdir() if (p / f"{p.name}.yaml").is_file())
        return sorted(names)

    def regmaps(self):
        """Checks inline maps, and loads the driver maps that devices use."""
        maps = self.top.setdefault("regmaps", {})
        inline = dict(maps)  # before the driver maps devices use are added
        for dev in self.top.get("devices", []):
            if dev.get("regmap") is None and isinstance(dev.get("compatible"), str):
                self.default_regmap(dev, inline)
            name = dev.get("regmap")
            if name is None or name in maps:
                continue
            path = self.v.repo_root / "drivers" / name / f"{name}.yaml"
            if path.is_file():
                maps[name] = self.load(name, path)
        for name, rmap in sorted(maps.items()):
            if rmap is not None:
                users = [d for d in self.top.get("devices", [])
                         if d.get("regmap") == name and isinstance(d.get("size"), int)]
                regmap(self.d, rmap, users)

    def default_regmap(self, dev, inline):
        """A device without 'regmap' uses the map that lists its compatible:
        an inline map if one does, else drivers/NAME/NAME.yaml. The node's
        compatibles are tried in the node's order, most specific first."""
        node = dev.get("dt_node")
        wanted = list(node.compatible) if node else [dev["compatible"]]
        spec_claims, driver_claims = {}, {}
        for name, rmap in inline.items():
            for c in (rmap or {}).get("compatible", []):
                spec_claims.setdefault(c, []).append(name)
        drivers = self.v.repo_root / "drivers"
        for path in sorted(drivers.glob("*/*.yaml")) if drivers.is_dir() else ():
            if path.stem != path.parent.name or path.stem in inline:
                continue
            try:
                doc = yaml.safe_load(path.read_text())
            except yaml.YAMLError:
                continue  # reported when a device names it
            listed = doc.get("compatible", []) if isinstance(doc, dict) else []
            for c in [listed] if isinstance(listed, str) else listed:
                driver_claims.setdefault(c, []).append(path.stem)
        for c in wanted:
            names = spec_claims.get(c) or driver_claims.get(c) or []
            if len(names) > 1:
                self.d.error(dev.at("name"), f"{dev.prefix}register maps "
                             f"{', '.join(repr(n) for n in names)} all list compatible '{c}'; "
                             "say which with 'regmap:'")
            if names:
                dev["regmap"] = names[0]
                return

    def load(self, name, path):
        try:
            node = parse_file(path, os.path.relpath(path))
        except SpecError as exc:
            self.d.items.extend(exc.diags)
            return None
        if node.kind != "map":
            self.d.error(node, f"regmap '{name}' must be a mapping, got {describe(node)}")
            return None
        return self.v.obj(K.REGMAP, node, f"regmap '{name}'")


def _range(dev):
    return f"[{dev['address']:#x}, {dev['address'] + dev['size']:#x})"


def regmap(d, rmap, devices=()):
    """Checks one register map; devices: those using it whose window size is known."""
    regs = rmap.get("registers", [])
    for reg in regs:
        register(d, reg)
    _unique_names(d, "regmap", regs)
    placed = [r for r in regs if r.get("width") and r.get("offset") is not None]
    _overlaps(d, placed)
    _c_names(d, regs)
    for dev in devices:
        for r in placed:
            end = _extent(r)[-1][1]
            if end > dev["size"]:
                node = r.nodes.get("count", r.at("offset"))
                where = f"{dev.at('size').file}:{_pos(dev.at('size'))}"
                d.error(node, f"{r.prefix}ends at {end:#x}, beyond the {dev['size']:#x}-byte "
                        f"window of device '{dev['name']}' (at {where})")


def _extent(reg):
    """The byte ranges of a register, or of each element of an array."""
    size = reg["width"] // 8
    stride = reg.get("stride") or size
    return [(reg["offset"] + i * stride, reg["offset"] + i * stride + size)
            for i in range(reg.get("count") or 1)]


def _span(reg):
    (lo, _), (_, hi) = _extent(reg)[0], _extent(reg)[-1]
    return f"[{lo:#x}, {hi:#x})"


def _overlaps(d, regs):
    """Registers (and array elements) must not share a byte; one error per pair."""
    pieces = sorted((lo, hi, i) for i, r in enumerate(regs) for lo, hi in _extent(r))
    reported, open_ = set(), []
    for lo, hi, i in pieces:
        open_ = [p for p in open_ if p[1] > lo]
        for _, _, j in open_:
            a, b = sorted((i, j))
            if a != b and (a, b) not in reported:
                reported.add((a, b))
                first, reg = regs[a], regs[b]
                d.error(reg.at("offset"), f"{reg.prefix}{_span(reg)} overlaps register "
                        f"'{first.get('name')}' {_span(first)} (at {_pos(first.at('offset'))})")
        open_.append((lo, hi, i))


REG_SUFFIXES = ("OFFSET", "RESET", "COUNT", "STRIDE", "READ", "WRITE", "MODIFY")
FIELD_SUFFIXES = ("SHIFT", "WIDTH", "MASK", "RESET", "GET", "SET", "PREP")


def _c_names(d, regs):
    """The accessor header's names (regmap.h.j2) must not collide, e.g. an
    enum value MASK with its field's MASK, or register A_B with A's field B."""
    made = {}

    def claim(item, name, suffixes):
        for suffix in suffixes:
            full = f"{name}_{suffix}" if suffix else name
            first = made.setdefault(full, item)
            if first is not item and first.get("name") is not None:
                d.error(item.at("name"), f"{item.prefix}its C name {full} clashes with "
                        f"that of {first.label} (at {_pos(first.at('name'))})")
                return

    for r in _firsts(regs):
        reg = r["name"].upper()
        claim(r, reg, REG_SUFFIXES)
        for f in _firsts(r.get("fields", [])):
            claim(f, f"{reg}_{f['name'].upper()}", FIELD_SUFFIXES)
            for v in _firsts(f.get("enum", [])):
                claim(v, f"{reg}_{f['name'].upper()}_{v['name'].upper()}", ("",))


def _firsts(items):
    """Named items, less those whose name repeats (reported already)."""
    seen = {}
    for item in items:
        if item.get("name"):
            seen.setdefault(item["name"].lower(), item)
    return list(seen.values())


def _unique_names(d, container, items):
    seen = {}
    for item in items:
        name = item.get("name")
        if name is None:
            continue
        first = seen.setdefault(name.lower(), item)
        if first is not item:
            d.error(item.at("name"), f"{item.label} is defined twice in its {container} "
                    f"(first at {_pos(first.at('name'))})")


def register(d, reg):
    width = reg.get("width")
    if width is None:
        return
    offset, reset = reg.get("offset"), reg.get("reset")
    if offset is not None and offset % (width // 8):
        d.error(reg.at("offset"), f"{reg.prefix}offset {offset:#x} is not aligned to its "
                f"{width}-bit width (a multiple of {width // 8})")
    stride = reg.get("stride")
    if stride is not None and (stride < width // 8 or stride % (width // 8)):
        d.error(reg.at("stride"), f"{reg.prefix}stride {stride:#x} must be a multiple of "
                f"the register's {width // 8} bytes")
        reg["stride"] = None
    if reset is not None and reset >> width:
        d.error(reg.at("reset"), f"{reg.prefix}reset {reset:#x} does not fit in {width} bits")
    fields = [f for f in reg.get("fields", []) if "bits" in f]
    for f in fields:
        hi, lo = f["bits"]
        if hi >= width:
            d.error(f.at("bits"), f"{f.prefix}bits {_bits(f)} exceed the register's "
                    f"{width}-bit width")
        enum(d, f)
    for i, b in enumerate(fields):
        for a in fields[:i]:
            if a["bits"][1] <= b["bits"][0] and b["bits"][1] <= a["bits"][0]:
                d.error(b.at("bits"), f"{reg.prefix}field '{b.get('name')}' (bits {_bits(b)}) "
                        f"overlaps field '{a.get('name')}' (bits {_bits(a)})")
    _unique_names(d, "register", reg.get("fields", []))


def enum(d, f):
    """A field's named values fit it and are distinct."""
    hi, lo = f["bits"]
    top = (1 << (hi - lo + 1)) - 1
    seen = {}
    for v in f.get("enum", []):
        n = v.get("value")
        if n is None:
            continue
        if n > top:
            d.error(v.at("value"), f"{v.prefix}{n:#x} does not fit in the field's "
                    f"{hi - lo + 1} bits (at most {top:#x})")
        first = seen.setdefault(n, v)
        if first is not v:
            d.error(v.at("value"), f"{v.prefix}{n:#x} repeats value '{first.get('name')}' "
                    f"(at {_pos(first.at('value'))})")
    _unique_names(d, "field", f.get("enum", []))


def _bits(f):
    hi, lo = f["bits"]
    return f"{hi}:{lo}" if hi != lo else f"{hi}"


# ---- entry point -----------------------------------------------------------

def validate(root, board_override, spec_dir, repo_root):
    """Checks a parsed spec. Returns (checked top-level values, warnings);
    raises SpecError with every error found. The effective board is
    top['board']."""
    diags = Diags()
    v = Validator(diags, spec_dir, repo_root)
    if root.kind != "map":
        diags.error(root, f"a spec must be a mapping that starts with 'vanity: 1', "
                    f"got {describe(root)}")
        diags.check()
    top = v.obj(K.SPEC, root, None)
    if board_override:
        top["board"] = board_override
    board = BOARDS.get(top.get("board"), BOARDS[K.DEFAULT_BOARD])
    Semantics(v, top, board).run()
    diags.check()
    return top, diags.warnings
