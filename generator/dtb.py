"""A board's devices, read from its device tree (boards/<board>.dtb) or, for
the hosted simulator, from boards/hosted.yaml.

read_dtb() turns a DTB into plain Python data: one Node per device-tree node
with its path, compatible list, MMIO windows (decoded with the parent's
#address-cells / #size-cells) and interrupts (decoded for the GICv2's three
cells and the PLIC's one). find() resolves a spec's `compatible` (+ `index`)
or `path` to one node, or says in plain words why it cannot.

pylibfdt 1.6.1 leaks on getprop() of a missing property and aborts after
about 100 misses, so properties are only ever read by walking them
(first_property_offset / next_property_offset / get_property_by_offset).
"""

import difflib
import functools
import struct
from dataclasses import dataclass, field
from pathlib import Path

BOARDS_DIR = Path(__file__).resolve().parent.parent / "boards"
GIC_SPI_FIRST = 32
GIC_PPI_FIRST = 16


@dataclass(frozen=True)
class Node:
    path: str
    compatible: tuple = ()
    reg: tuple = ()          # ((address, size), ...)
    irqs: tuple = ()         # decoded interrupt numbers (GIC ID or PLIC source)

    @property
    def address(self):
        return self.reg[0][0] if self.reg else None

    @property
    def size(self):
        return self.reg[0][1] if self.reg else None

    @property
    def irq(self):
        return self.irqs[0] if self.irqs else None


@dataclass
class BoardTree:
    name: str
    source: str              # the file it came from, relative to the repo
    nodes: list = field(default_factory=list)

    def devices(self):
        """Nodes with an MMIO window, less the CPUs and RAM."""
        return [n for n in self.nodes if n.reg and not n.path.startswith(("/cpus/", "/memory"))]

    def compatibles(self):
        return sorted({c for n in self.devices() for c in n.compatible})


class Unresolved(Exception):
    """A spec's compatible/index/path does not name one node; str() is the
    plain-words message."""


# ---- reading a DTB ------------------------------------------------------------

def _props(fdt, off):
    """{name: bytes} of one node, read without getprop()."""
    import libfdt
    out = {}
    poff = fdt.first_property_offset(off, [libfdt.FDT_ERR_NOTFOUND])
    while poff >= 0:
        prop = fdt.get_property_by_offset(poff)
        out[prop.name] = bytes(prop)
        poff = fdt.next_property_offset(poff, [libfdt.FDT_ERR_NOTFOUND])
    return out


def _cells(raw):
    return struct.unpack(">%dI" % (len(raw) // 4), raw[:len(raw) // 4 * 4])


def _u32(props, name, default):
    raw = props.get(name)
    return _cells(raw)[0] if raw and len(raw) >= 4 else default


def _number(cells):
    n = 0
    for c in cells:
        n = (n << 32) | c
    return n


def _strings(raw):
    return tuple(s.decode("ascii", "replace") for s in raw.rstrip(b"\0").split(b"\0") if s) \
        if raw else ()


def _walk(fdt):
    """(path, props, parent path) for every node, parents first."""
    import libfdt
    out = []
    stack = []       # paths by depth
    off, depth = 0, 0
    while off >= 0:
        name = fdt.get_name(off)
        del stack[depth:]
        parent = stack[-1] if stack else None
        path = "/" if depth == 0 else (parent.rstrip("/") + "/" + name)
        stack.append(path)
        out.append((path, _props(fdt, off), parent))
        try:
            off, depth = fdt.next_node(off, depth, [libfdt.FDT_ERR_NOTFOUND])
        except libfdt.FdtException:
            break
        if depth is None or depth < 0:
            break
    return out


def _irq_decoder(ctrl_props):
    """How to turn one interrupt specifier of this controller into a number."""
    compat = _strings(ctrl_props.get("compatible"))
    ncells = _u32(ctrl_props, "#interrupt-cells", 1)
    if any("gic" in c for c in compat) and ncells == 3:
        def gic(spec):
            kind, num = spec[0], spec[1]
            return GIC_SPI_FIRST + num if kind == 0 else GIC_PPI_FIRST + num
        return ncells, gic
    if any("plic" in c for c in compat) and ncells == 1:
        return ncells, lambda spec: spec[0]
    return ncells, None


def read_dtb(data, name="", source=""):
    """The nodes of a DTB (bytes) as a BoardTree."""
    import libfdt
    fdt = libfdt.Fdt(bytes(data))
    walked = _walk(fdt)
    props = {path: p for path, p, _ in walked}
    parents = {path: parent for path, _, parent in walked}
    phandles = {_u32(p, "phandle", None): path for path, p in props.items() if "phandle" in p}

    def inherited(path, key):
        while path is not None:
            if key in props[path]:
                return props[path][key]
            path = parents[path]
        return None

    nodes = []
    for path, p, parent in walked:
        reg = ()
        if "reg" in p and parent is not None:
            ac = _u32(props[parent], "#address-cells", 2)
            sc = _u32(props[parent], "#size-cells", 1)
            cells = _cells(p["reg"])
            step = ac + sc
            if step:
                reg = tuple((_number(cells[i:i + ac]), _number(cells[i + ac:i + step]))
                            for i in range(0, len(cells) - step + 1, step))
        irqs = ()
        if "interrupts" in p:
            ip = inherited(path, "interrupt-parent")
            ctrl = phandles.get(_cells(ip)[0]) if ip else None
            if ctrl is not None:
                n, decode = _irq_decoder(props[ctrl])
                cells = _cells(p["interrupts"])
                if decode and n:
                    irqs = tuple(decode(cells[i:i + n]) for i in range(0, len(cells) - n + 1, n))
        nodes.append(Node(path, _strings(p.get("compatible")), reg, irqs))
    return BoardTree(name, source, nodes)


def _read_hosted(path, name):
    """boards/hosted.yaml: the simulated devices, in the DTB's terms."""
    import yaml
    doc = yaml.safe_load(path.read_text()) or {}
    nodes = []
    for d in doc.get("devices", []):
        nodes.append(Node(d["path"], tuple(d.get("compatible", ())),
                          ((d["address"], d["size"]),) if "address" in d else (),
                          (d["irq"],) if d.get("irq") is not None else ()))
    return BoardTree(name, f"boards/{path.name}", nodes)


@functools.lru_cache(maxsize=None)
def board_tree(name):
    """The device description of a known board, or None when it has none."""
    dtb = BOARDS_DIR / f"{name}.dtb"
    if dtb.is_file():
        return read_dtb(dtb.read_bytes(), name, f"boards/{dtb.name}")
    yml = BOARDS_DIR / f"{name}.yaml"
    if yml.is_file():
        return _read_hosted(yml, name)
    return None


# ---- resolving a spec's device ------------------------------------------------

def _some(items, n=8):
    items = list(items)
    more = len(items) - n
    return ", ".join(items[:n]) + (f", ... ({more} more)" if more > 0 else "")


def _did_you_mean(word, choices):
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'? " if close else ""


def find(tree, compatible=None, index=None, path=None):
    """The one node a spec device names, or raises Unresolved."""
    board = tree.name
    if path is not None:
        for n in tree.nodes:
            if n.path == path:
                return n
        paths = [n.path for n in tree.devices()]
        hint = _did_you_mean(path, paths)
        raise Unresolved(f"board '{board}' has no node at path '{path}'; {hint}"
                         f"nodes with a window on this board: {_some(paths)}")
    matches = [n for n in tree.nodes if compatible in n.compatible]
    if not matches:
        choices = tree.compatibles()
        hint = _did_you_mean(compatible, choices)
        raise Unresolved(f"board '{board}' has no device compatible with '{compatible}'; "
                         f"{hint}compatible devices on this board: {_some(choices, 16)}")
    # QEMU lists nodes highest address first; index counts from the lowest.
    matches.sort(key=lambda n: (n.address is None, n.address or 0, n.path))
    if index is None:
        if len(matches) == 1:
            return matches[0]
        raise Unresolved(f"compatible '{compatible}' matches {len(matches)} nodes on board "
                         f"'{board}' ({_some(n.path for n in matches)}); add 'index: N' "
                         f"(0 is the lowest address) or give 'path'")
    if not -len(matches) <= index < len(matches):
        raise Unresolved(f"index {index} is out of range: board '{board}' has "
                         f"{len(matches)} node{'s' if len(matches) != 1 else ''} compatible "
                         f"with '{compatible}' (index 0..{len(matches) - 1}, or -1 for the "
                         f"highest address down to -{len(matches)})")
    return matches[index]


def find_first(tree, compatibles=None, index=None, path=None):
    """Like find(), for a list of compatibles in order of preference: the
    first one the board has decides. Returns (node, the compatible that
    matched, or the node's first when given by path)."""
    if path is not None:
        node = find(tree, path=path)
        return node, node.compatible[0] if node.compatible else None
    have = set(tree.compatibles())
    for c in compatibles:
        if c in have:
            return find(tree, compatible=c, index=index), c
    if len(compatibles) == 1:
        find(tree, compatible=compatibles[0], index=index)  # raises, with a hint
    choices = tree.compatibles()
    raise Unresolved(f"board '{tree.name}' has no device compatible with any of "
                     f"{', '.join(repr(c) for c in compatibles)}; compatible devices on this "
                     f"board: {_some(choices, 16)}")


def neighbours(tree, node, start, end):
    """Other nodes whose windows touch [start, end)."""
    return [n.path for n in tree.nodes if n is not node and
            any(a < end and start < a + s for a, s in n.reg)]
