"""Resolve: what a spec names outside itself, looked up once.

A device given by 'compatible' or 'path' takes its address, size and
interrupt from the board's device tree (dtb.py); a device given by address
takes its compatible from the node there, if any; a device without
'regmap' takes the map that lists its compatible; and the driver maps
devices use (and those the board's device models implement) are read
from drivers/NAME/NAME.yaml through the
position-keeping parser and the schema walk, so an error in a driver's map
points into that file. resolve() returns new values and leaves the checked
spec as it was: the layers after it (semantics, register-map rules) check
the result and change nothing.
"""

import os
from pathlib import Path

from . import dtb
from . import keys as K
from .errors import SpecError
from .parse import parse_file
from .schema import COMPATIBLE, describe


VANITY = Path(__file__).resolve().parent.parent  # the simulator's device models' maps


def driver_maps(repo_root):
    """{name: path} of every drivers/NAME/NAME.yaml."""
    drivers = repo_root / "drivers"
    if not drivers.is_dir():
        return {}
    return {p.name: p / f"{p.name}.yaml" for p in sorted(drivers.iterdir())
            if (p / f"{p.name}.yaml").is_file()}


def regmap_names(top, repo_root):
    """Every register map a device may name: inline ones and drivers'."""
    return sorted(set(top.get("regmaps", {})) | set(driver_maps(repo_root)))


def _listed(path):
    """The compatible strings a driver's map lists, read through the
    parser; none if the file does not parse (reported when a device names
    the map)."""
    try:
        node = parse_file(path, os.path.relpath(path))
    except SpecError:
        return []
    listed = node.value.get("compatible") if node.kind == "map" else None
    if listed is None:
        return []
    items = listed.value if listed.kind == "seq" else [listed]
    return [i.value for i in items if i.kind == "scalar" and isinstance(i.value, str)]


class Resolver:
    def __init__(self, schema, top, board):
        self.schema, self.d, self.top, self.board = schema, schema.d, top, board
        self.tree = None       # the board's device description, once a device needs it

    def run(self, board_name):
        """A copy of top with the devices resolved, every register map the
        devices use, and the effective board."""
        out = self.top.copy()
        out["board"] = board_name
        if "devices" in self.top:
            out["devices"] = [self.device(dev) for dev in self.top["devices"]]
        out["regmaps"] = self.regmaps(out.get("devices", []))
        out["models"] = self.models()
        return out

    def models(self):
        """The maps the board's device models implement (its record): this
        tree's drivers, whatever repository the spec lives in."""
        drivers = driver_maps(VANITY)
        return {name: self.load(name, drivers[name]) for name in self.board.models}

    # ---- devices -------------------------------------------------------

    def device(self, dev):
        dev = dev.copy()
        has_addr, has_size = "address" in dev.nodes, "size" in dev.nodes
        by_tree = [k for k in ("compatible", "path") if k in dev.nodes]
        compatible = dev.get("compatible")
        if compatible == [] or any(not COMPATIBLE.match(c) for c in compatible or ()):
            return dev  # semantics reports it
        if len(by_tree) == 1 and not (has_addr or has_size) and \
                dev.get(by_tree[0]) is not None:
            self.place(dev, by_tree[0])
        elif has_addr and isinstance(dev.get("address"), int):
            self.identify(dev)
        return dev

    def place(self, dev, key):
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
        dev.resolved |= {"address", "size", "dt_node", "dt_source", "compatible"}
        if "irq" not in dev.nodes and node.irq is not None:
            dev["irq"] = node.irq
            dev.nodes["irq"] = dev.at(key)
            dev.resolved.add("irq")

    def identify(self, dev):
        """A device given by address: the board node at that address, if any,
        names what it is (its compatible), for reports, the regmap default
        and the hosted simulator's choice of device model."""
        self.tree = self.tree or dtb.board_tree(self.board.name)
        for node in self.tree.nodes if self.tree else ():
            if node.address == dev["address"] and node.compatible:
                dev["compatible"] = node.compatible[0]
                dev.resolved.add("compatible")
                return

    # ---- register maps -------------------------------------------------

    def regmaps(self, devices):
        """The inline maps, and the driver maps that devices use (a device
        without 'regmap' gets its default here)."""
        inline = self.top.get("regmaps", {})
        maps = dict(inline)
        drivers = driver_maps(self.schema.repo_root)
        for dev in devices:
            if dev.get("regmap") is None and isinstance(dev.get("compatible"), str):
                self.default_regmap(dev, inline, drivers)
            name = dev.get("regmap")
            if name is not None and name not in maps and name in drivers:
                maps[name] = self.load(name, drivers[name])
        return maps

    def default_regmap(self, dev, inline, drivers):
        """A device without 'regmap' uses the map that lists its compatible:
        an inline map if one does, else drivers/NAME/NAME.yaml. The node's
        compatibles are tried in the node's order, most specific first."""
        node = dev.get("dt_node")
        wanted = list(node.compatible) if node else [dev["compatible"]]
        spec_claims, driver_claims = {}, {}
        for name, rmap in inline.items():
            for c in (rmap or {}).get("compatible", []):
                spec_claims.setdefault(c, []).append(name)
        for name, path in drivers.items():
            if name in inline:
                continue
            for c in _listed(path):
                driver_claims.setdefault(c, []).append(name)
        for c in wanted:
            names = spec_claims.get(c) or driver_claims.get(c) or []
            if len(names) > 1:
                self.d.error(dev.at("name"), f"{dev.prefix}register maps "
                             f"{', '.join(repr(n) for n in names)} all list compatible '{c}'; "
                             "say which with 'regmap:'")
            if names:
                dev["regmap"] = names[0]
                dev.resolved.add("regmap")
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
        return self.schema.obj(K.REGMAP, node, f"regmap '{name}'")


def resolve(schema, top, board):
    """Returns a resolved copy of top (schema.obj's result) on board."""
    return Resolver(schema, top, board).run(board.name)
