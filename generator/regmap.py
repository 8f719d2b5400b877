"""A register map -> what its accessor header needs, computed once.

The template formats these values only: every mask, shift, C type and
which accessors exist are decided here. Rules (spec/README.md, "Register
maps"): a ro register gets no write, a wo register no read, a register with
read side effects no modify; a ro field no set/prep, a wo field no get.
modify() clears the w1c bits (and sets the w0c bits) of the value it read, so
writing it back never clears a flag it did not mean to.
"""

from dataclasses import dataclass

CTYPES = {8: "uint8_t", 16: "uint16_t", 32: "uint32_t", 64: "uint64_t"}


def _const(n, width):
    return f"{n:#x}ull" if width == 64 else f"{n:#x}u"


@dataclass(frozen=True)
class Value:
    macro: str
    value: str


@dataclass(frozen=True)
class Field:
    name: str
    macro: str           # PL011_CR_UARTEN
    func: str            # pl011_cr_uarten
    bits: str            # "9:8" or "0", for comments
    access: str
    shift: int
    width: int
    mask: str            # in place, as a C constant
    reset: str           # the field's reset value (unshifted)
    values: tuple

    @property
    def readable(self):
        return self.access != "wo"

    @property
    def writable(self):
        return self.access != "ro"


@dataclass(frozen=True)
class Register:
    macro: str
    func: str
    name: str
    description: str
    offset: int
    width: int
    ctype: str
    access: str
    reset: str
    count: int           # 1: a plain register
    stride: int
    side_effects: bool
    w1c: str             # bits modify must not write back as read, or None
    w0c: str             # bits modify writes as 1, or None
    fields: tuple
    all_ones: str

    @property
    def readable(self):
        return self.access != "wo"

    @property
    def writable(self):
        return self.access != "ro"

    @property
    def modifiable(self):
        return self.readable and self.writable and not self.side_effects

    @property
    def field_masks(self):
        return [f.macro + "_MASK" for f in self.fields]


@dataclass(frozen=True)
class RegMap:
    name: str
    guard: str
    registers: tuple


def _mask(width):
    return (1 << width) - 1


def _field(reg, f):
    hi, lo = f["bits"]
    width, rw = hi - lo + 1, reg["width"]
    macro = f"{reg['macro']}_{f['name'].upper()}"
    return Field(
        name=f["name"], macro=macro, func=f"{reg['func']}_{f['name'].lower()}",
        bits=f"{hi}:{lo}" if hi != lo else f"{lo}", access=f["access"], shift=lo, width=width,
        mask=_const(_mask(width) << lo, rw), reset=_const(reg["reset"] >> lo & _mask(width), rw),
        values=tuple(Value(f"{macro}_{v['name'].upper()}", _const(v["value"], rw))
                     for v in f.get("enum", [])))


def _clear_bits(reg, kind):
    if reg["access"] == kind:
        return _mask(reg["width"])
    return sum(_mask(hi - lo + 1) << lo for hi, lo in
               (f["bits"] for f in reg["fields"] if f["access"] == kind))


def _bits_or_none(reg, kind):
    bits = _clear_bits(reg, kind)
    return _const(bits, reg["width"]) if bits else None


def view(name, regs):
    """name: the map's name; regs: model._regmap's list of register dicts."""
    out = []
    for r in regs:
        w = r["width"]
        r = dict(r, macro=f"{name}_{r['name']}".upper(), func=f"{name}_{r['name']}".lower())
        out.append(Register(
            macro=r["macro"], func=r["func"], name=r["name"],
            description=r.get("description", ""), offset=r["offset"], width=w,
            ctype=CTYPES[w], access=r["access"], reset=_const(r["reset"], w),
            count=r.get("count", 1), stride=r.get("stride", w // 8),
            side_effects=r.get("read_side_effects", False),
            w1c=_bits_or_none(r, "w1c"), w0c=_bits_or_none(r, "w0c"),
            fields=tuple(_field(r, f) for f in r["fields"]), all_ones=_const(_mask(w), w)))
    return RegMap(name=name, guard=f"VANITY_REGMAP_{name.upper()}_H", registers=tuple(out))
