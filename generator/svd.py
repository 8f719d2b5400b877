"""CMSIS-SVD -> Vanity register maps: `vanity import-svd FILE.svd`.

One register map per peripheral. The SVD is read with expat so that every
element keeps its line, and every construct the importer cannot express is
reported as a warning at that line rather than dropped silently; so is a
register whose reset value the SVD never gives (it is imported as 0).

What maps where: registers and fields keep their names (made C identifiers);
`name[%s]` arrays become `count`/`stride` registers, other `%s` lists are
expanded one register per index; clusters are flattened, their registers
named CLUSTER_REG; derivedFrom copies the base peripheral's or register's
description; access and modifiedWriteValues give ro, wo, rw, w1c or w0c;
readAction marks `read_side_effects`.
"""

import json
import re
import xml.parsers.expat
from dataclasses import dataclass, field

import yaml

from .errors import Diags, SpecError

ACCESS = {"read-only": "ro", "write-only": "wo", "read-write": "rw",
          "writeOnce": "wo", "read-writeOnce": "rw"}
CLEARS = {"oneToClear": "w1c", "zeroToClear": "w0c"}
WIDTHS = (8, 16, 32, 64)
RESERVED = {"SHIFT", "WIDTH", "MASK", "RESET"}   # a field's own constants
# Elements that carry nothing a register map holds (documentation, C names,
# tool hints), read past without a warning.
IGNORED = {"description", "displayName", "groupName", "headerStructName", "dataType",
           "writeConstraint", "addressBlock", "interrupt", "version", "vendor",
           "vendorID", "series", "licenseText", "cpu", "headerSystemFilename",
           "headerDefinitionsPrefix", "addressUnitBits", "width", "prependToName",
           "appendToName", "disableCondition", "alternateGroup", "alternateRegister",
           "resetMask", "protection",
           "name", "baseAddress", "size", "access", "resetValue", "dim", "dimIncrement",
           "dimIndex", "dimName", "dimArrayIndex", "addressOffset", "registers", "fields",
           "modifiedWriteValues", "readAction", "bitOffset", "bitWidth", "lsb", "msb",
           "bitRange", "enumeratedValues", "field", "register", "cluster", "peripherals",
           "peripheral", "usage", "enumeratedValue", "value", "isDefault", "derivedFrom"}


@dataclass(eq=False)
class Element:
    tag: str
    attrs: dict
    line: int
    col: int
    children: list = field(default_factory=list)
    text: str = ""

    def first(self, tag):
        return next((c for c in self.children if c.tag == tag), None)

    def get(self, tag, default=None):
        c = self.first(tag)
        return c.text.strip() if c is not None else default

    def all(self, tag):
        return [c for c in self.children if c.tag == tag]


def parse_svd(path, label):
    """The SVD's element tree, each element with its line and column."""
    parser = xml.parsers.expat.ParserCreate()
    stack, root = [], []

    def start(tag, attrs):
        e = Element(tag.split(":")[-1], attrs, parser.CurrentLineNumber,
                    parser.CurrentColumnNumber + 1)
        (stack[-1].children if stack else root).append(e)
        stack.append(e)

    def end(tag):
        stack.pop()

    def chars(data):
        if stack:
            stack[-1].text += data

    parser.StartElementHandler, parser.EndElementHandler = start, end
    parser.CharacterDataHandler = chars
    try:
        with open(path, "rb") as f:
            parser.ParseFile(f)
    except xml.parsers.expat.ExpatError as exc:
        d = Diags()
        d.error(_At(label, exc.lineno, exc.offset + 1), f"XML syntax: {exc}")
        raise SpecError(d.items) from None
    return root[0]


@dataclass
class _At:
    file: str
    line: int
    col: int


def svd_int(text):
    """An SVD scaledNonNegativeInteger: 42, 0x2a, #101010, 0b101010."""
    t = text.strip().lower()
    if t.startswith("#"):
        return int(t[1:], 2)
    if t.startswith("0b"):
        return int(t[2:], 2)
    return int(t, 0) if t.startswith("0x") else int(t)


MAX_DIM = 65536   # elements of one SVD array (<dim>): more is a broken file


class _Skip(Exception):
    """An element with an error (already reported): skip what holds it."""


class Importer:
    def __init__(self, label):
        self.label, self.d = label, Diags()

    def number(self, text, where, tag):
        """svd_int(text), or an error located at `where` and _Skip."""
        try:
            return svd_int(text)
        except (ValueError, AttributeError):
            self.d.error(self.at(where), f"<{tag}> '{text}' is not a number; write it as "
                         "42, 0x2a, #101010 or 0b101010")
            raise _Skip from None

    def num(self, e, tag, default):
        """The number in e's child <tag>, or default if there is none."""
        return self.number(e.get(tag, default), e.first(tag) or e, tag)

    def prop(self, props, tag):
        text, where = props[tag]
        return self.number(text, where, tag)

    def at(self, e):
        return _At(self.label, e.line, e.col)

    def warn(self, e, message):
        self.d.warning(self.at(e), message)

    def ident(self, name, e):
        fixed = re.sub(r"[^A-Za-z0-9_]", "_", name)
        fixed = "_" + fixed if fixed[:1].isdigit() or not fixed else fixed
        if fixed != name:
            self.warn(e, f"name '{name}' is not a C identifier; imported as '{fixed}'")
        return fixed

    def unknown(self, e):
        for c in e.children:
            if c.tag not in IGNORED:
                self.warn(c, f"<{c.tag}> in <{e.tag}> is not supported; ignored")

    # ---- device and peripherals ----------------------------------------

    def device(self, root):
        props = self.props(root, {})
        periphs = root.first("peripherals")
        elems = periphs.all("peripheral") if periphs is not None else []
        by_name = {p.get("name"): p for p in elems}
        maps = []
        for p in elems:
            m = self.peripheral(p, by_name, props)
            if m is not None:
                maps.append(m)
        return maps

    def props(self, e, inherited):
        """Register properties an element sets for what it holds."""
        out = dict(inherited)
        for tag in ("size", "access", "resetValue", "resetMask"):
            if e.get(tag) is not None:
                out[tag] = (e.get(tag), e.first(tag))
        return out

    def peripheral(self, p, by_name, props):
        name = p.get("name") or "peripheral"
        base = by_name.get(p.attrs.get("derivedFrom"))
        if "derivedFrom" in p.attrs and base is None:
            self.warn(p, f"peripheral '{name}' derives from unknown "
                      f"'{p.attrs['derivedFrom']}'; skipped")
            return None
        self.unknown(p)
        if base is not None:
            props = self.props(base, props)
        props = self.props(p, props)
        regs_el = p.first("registers") or (base.first("registers") if base else None)
        if regs_el is None:
            self.warn(p, f"peripheral '{name}' has no registers; skipped")
            return None
        registers = self.block(regs_el, 0, "", props)
        desc = p.get("description") or (base.get("description") if base else None)
        return {"name": self.ident(name, p).lower(), "svd_name": name, "line": p.line,
                "description": _clean(desc), "registers": registers}

    def block(self, holder, base, prefix, props):
        """Registers of a <registers> or <cluster>, flattened."""
        out, siblings = [], {c.get("name"): c for c in holder.children}
        for e in holder.children:
            try:
                if e.tag == "register":
                    out += self.register(e, base, prefix, props, siblings)
                elif e.tag == "cluster":
                    out += self.cluster(e, base, prefix, props, siblings)
            except _Skip:
                continue
            if e.tag not in IGNORED:
                self.warn(e, f"<{e.tag}> in <{holder.tag}> is not supported; ignored")
        return out

    def _derived(self, e, siblings):
        name = e.attrs.get("derivedFrom")
        if name is None:
            return e
        base = siblings.get(name.split(".")[-1])
        if base is None:
            self.warn(e, f"derivedFrom '{name}' names nothing in this peripheral; "
                      "its own description is used")
            return e
        merged = {c.tag: c for c in base.children}
        merged.update({c.tag: c for c in e.children})
        return Element(e.tag, {}, e.line, e.col, list(merged.values()))

    def instances(self, e, name):
        """(name, offset step, count) for an element with dim, or itself."""
        dim = e.get("dim")
        if dim is None:
            return [(name, 0)], 1, 0
        count, step = self.num(e, "dim", None), self.num(e, "dimIncrement", "0")
        if not 1 <= count <= MAX_DIM:
            self.d.error(self.at(e.first("dim")), f"<dim> {count}: an SVD array has 1 to "
                         f"{MAX_DIM} elements")
            raise _Skip
        if "[%s]" in name:
            return [(name.replace("[%s]", ""), 0)], count, step
        index = e.get("dimIndex")
        if index and re.fullmatch(r"\d+-\d+", index):
            a, b = map(int, index.split("-"))
            labels = [str(i) for i in range(a, b + 1)]
        elif index:
            labels = [s.strip() for s in index.split(",")]
        else:
            labels = [str(i) for i in range(count)]
        return [(name.replace("%s", s), i * step) for i, s in enumerate(labels)], 1, 0

    def cluster(self, e, base, prefix, props, siblings):
        e = self._derived(e, siblings)
        self.unknown(e)
        props = self.props(e, props)
        offset = base + self.num(e, "addressOffset", "0")
        name = (e.get("name") or "cluster").replace("[%s]", "%s")
        if e.get("dim") is not None and "%s" not in name:
            name += "%s"
        names, _, _ = self.instances(e, name)
        out = []
        for inst, step in names:
            out += self.block(e, offset + step, f"{prefix}{inst}_", props)
        return out

    def register(self, e, base, prefix, props, siblings):
        e = self._derived(e, siblings)
        self.unknown(e)
        name = e.get("name") or "register"
        if e.first("alternateRegister") is not None:
            self.warn(e, f"register '{name}' is an alternate view of "
                      f"'{e.get('alternateRegister')}' at the same offset; skipped")
            return []
        props = self.props(e, props)
        width = self.prop(props, "size") if "size" in props else 32
        if width not in WIDTHS:
            self.warn(e, f"register '{name}' is {width} bits wide; only 8, 16, 32 and 64 "
                      "are supported; skipped")
            return []
        access = self.access(e, *props.get("access", ("read-write", e)), name)
        reset = self.reset(e, props, width, name)
        names, count, stride = self.instances(e, name)
        fields = self.fields(e, props.get("access", ("read-write", None))[0], access, width)
        out = []
        for inst, step in names:
            reg = {"name": self.ident(prefix + inst, e), "line": e.line,
                   "offset": base + self.num(e, "addressOffset", "0") + step,
                   "width": width, "access": access, "reset": reset, "fields": fields,
                   "description": _clean(e.get("description"))}
            if count > 1:
                reg.update(count=count, stride=stride)
            if e.get("readAction") is not None:
                reg["read_side_effects"] = True
            out.append(reg)
        return out

    def access(self, e, svd_access, where, name):
        access = ACCESS.get(svd_access)
        if access is None:
            self.warn(where or e, f"'{name}': access '{svd_access}' is not an SVD access; read as "
                      "read-write")
            access = "rw"
        mwv = e.get("modifiedWriteValues")
        if mwv in CLEARS and access != "ro":
            return CLEARS[mwv]
        if mwv not in (None, "modify") and mwv not in CLEARS:
            self.warn(e.first("modifiedWriteValues"), f"'{name}': modifiedWriteValues "
                      f"'{mwv}' is not supported; imported as {access}")
        return access

    def reset(self, e, props, width, name):
        if "resetValue" not in props:
            self.warn(e, f"register '{name}' has no resetValue (here or in its peripheral "
                      "or device); imported as 0")
            return 0
        value = self.prop(props, "resetValue")
        mask = self.prop(props, "resetMask") if "resetMask" in props else (1 << width) - 1
        return value & mask & ((1 << width) - 1)

    # ---- fields ----------------------------------------------------------

    def fields(self, reg, reg_svd_access, reg_access, width):
        holder = reg.first("fields")
        out, siblings = [], {}
        for e in holder.all("field") if holder is not None else []:
            siblings[e.get("name")] = e
            e = self._derived(e, siblings)
            self.unknown(e)
            bits = self.bits(e, width, out)
            if bits is None:
                continue
            names, _, _ = self.instances(e, e.get("name") or "field")
            if len(names) > 1:
                self.warn(e, f"field array '{e.get('name')}' is not supported; skipped")
                continue
            name = names[0][0]
            f = {"name": self.ident(name, e), "bits": bits,
                 "description": _clean(e.get("description"))}
            own = e.get("access") or e.get("modifiedWriteValues")
            access = self.access(e, e.get("access") or reg_svd_access, e.first("access"),
                                 name) if own \
                else reg_access
            if access != reg_access:
                f["access"] = access
            enum = self.enum(e, bits)
            if enum:
                f["enum"] = enum
            out.append(f)
        return out

    def bits(self, e, width, before):
        """(high, low), or None with a warning if missing or impossible."""
        name = e.get("name")
        if e.get("bitOffset") is not None:
            lo = self.num(e, "bitOffset", None)
            hi = lo + self.num(e, "bitWidth", "1") - 1
        elif e.get("lsb") is not None and e.get("msb") is not None:
            hi, lo = self.num(e, "msb", None), self.num(e, "lsb", None)
        elif re.fullmatch(r"\[\s*\w+\s*:\s*\w+\s*\]", e.get("bitRange", "")):
            hi, lo = (self.number(t, e.first("bitRange"), "bitRange")
                      for t in e.get("bitRange").strip("[] ").split(":"))
        else:
            self.warn(e, f"field '{name}' has no bit range (bitOffset/bitWidth, "
                      "lsb/msb or bitRange); skipped")
            return None
        clash = next((f["name"] for f in before
                      if f["bits"][1] <= hi and lo <= f["bits"][0]), None)
        if hi < lo or hi >= width or clash:
            why = f"overlaps field '{clash}'" if lo <= hi < width else \
                f"does not fit the {width}-bit register"
            self.warn(e, f"field '{name}' (bits {hi}:{lo}) {why}; skipped")
            return None
        return hi, lo

    def enum(self, e, bits):
        sets = e.all("enumeratedValues")
        for extra in sets[1:]:
            self.warn(extra, f"field '{e.get('name')}': only the first <enumeratedValues> "
                      "is imported")
        if not sets:
            return []
        if "derivedFrom" in sets[0].attrs:
            self.warn(sets[0], "derivedFrom on <enumeratedValues> is not supported; ignored")
        out, seen = [], {}
        for v in sets[0].all("enumeratedValue"):
            name = self.ident(v.get("name") or "value", v)
            if name.upper() in RESERVED:
                self.warn(v, f"value name '{name}' is a field constant's; imported as "
                          f"'{name}_'")
                name += "_"
            text = v.get("value")
            if text is None or "x" in text.lower().lstrip("0x").lstrip("#"):
                self.warn(v, f"value '{name}': only plain values are supported "
                          "(not isDefault or don't-care bits); skipped")
                continue
            n = self.number(text, v.first("value"), "value")
            if n >> (bits[0] - bits[1] + 1) or n in seen or name.lower() in seen.values():
                self.warn(v, f"value '{name}' {n:#x} does not fit the field or repeats "
                          "another; skipped")
                continue
            seen[n] = name.lower()
            out.append({"name": name, "value": n})
        return out


def _clean(text):
    return " ".join(text.split()) if text else None


def import_svd(path, label):
    """Returns (register maps, warnings). A map is a dict: name, svd_name,
    description, registers (each with its SVD line)."""
    imp = Importer(label)
    root = parse_svd(path, label)
    if root.tag != "device":
        imp.d.error(imp.at(root), f"not a CMSIS-SVD file: the root is <{root.tag}>, "
                    "not <device>")
        imp.d.check()
    maps = imp.device(root)
    imp.d.check()
    _dedupe(imp, maps)
    return maps, list(dict.fromkeys(imp.d.warnings))  # derived peripherals repeat some


def _dedupe(imp, maps):
    """Registers of one map that share a byte cannot both stay: keep the first."""
    for m in maps:
        kept, used = [], []
        for r in sorted(m["registers"], key=lambda r: r["offset"]):
            size = r["width"] // 8
            spans = [(r["offset"] + i * r.get("stride", size),
                      r["offset"] + i * r.get("stride", size) + size)
                     for i in range(r.get("count", 1))]
            clash = next((u for u in used for a, b in spans if a < u[1] and u[0] < b), None)
            if clash:
                imp.warn(_At(imp.label, r["line"], 1), f"register '{r['name']}' overlaps "
                         f"'{clash[2]}' in '{m['name']}'; skipped")
                continue
            used += [(a, b, r["name"]) for a, b in spans]
            kept.append(r)
        m["registers"] = kept


# ---- writing YAML ----------------------------------------------------------------

def _scalar(v):
    if isinstance(v, str) and yaml.safe_load(v) == v and re.fullmatch(r"[A-Za-z_]\w*", v):
        return v
    return json.dumps(v)


def _bits(f):
    hi, lo = f["bits"]
    return f'"{hi}:{lo}"' if hi != lo else str(lo)


def _flow(items):
    return "{" + ", ".join(f"{k}: {v}" for k, v in items) + "}"


def to_yaml(m, source):
    lines = [f"# Register map of peripheral {m['svd_name']}, imported from {source}",
             "# by vanity import-svd.", ""]
    if m["description"]:
        lines.append(f"description: {_scalar(m['description'])}")
    lines.append("registers:")
    for r in m["registers"]:
        lines += [f"  - name: {_scalar(r['name'])}", f"    offset: {r['offset']:#x}"]
        if r["width"] != 32:
            lines.append(f"    width: {r['width']}")
        if r["access"] != "rw":
            lines.append(f"    access: {r['access']}")
        lines.append(f"    reset: {r['reset']:#x}")
        if "count" in r:
            lines += [f"    count: {r['count']}", f"    stride: {r['stride']:#x}"]
        if r.get("read_side_effects"):
            lines.append("    read_side_effects: true")
        if r["description"]:
            lines.append(f"    description: {_scalar(r['description'])}")
        if r["fields"]:
            lines.append("    fields:")
        for f in r["fields"]:
            items = [("name", _scalar(f["name"])), ("bits", _bits(f))]
            if "access" in f:
                items.append(("access", f["access"]))
            if f["description"]:
                items.append(("description", _scalar(f["description"])))
            if "enum" not in f:
                lines.append(f"      - {_flow(items)}")
                continue
            lines.append(f"      - {items[0][0]}: {items[0][1]}")
            lines += [f"        {k}: {v}" for k, v in items[1:]]
            lines.append("        enum:")
            lines += [f"          - {_flow([('name', _scalar(v['name'])), ('value', v['value'])])}"
                      for v in f["enum"]]
    return "\n".join(lines) + "\n"
