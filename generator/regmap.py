"""Register maps: the rules a map must follow, and what its accessor header
needs, computed once.

check() is the register-map layer of validation: offsets, widths, strides,
fields, enumerated values and C names, each error pinned to the map's own
file and line (a driver's map too). view() serves the renderer: the
template formats its values only; every mask, shift, C type and which
accessors exist are decided here. Accessor rules (spec/README.md, "Register
maps"): a ro register gets no write, a wo register no read, a register with
read side effects no modify; a ro field no set/prep, a wo field no get.
modify() clears the w1c bits (and sets the w0c bits) of the value it read, so
writing it back never clears a flag it did not mean to.

A map may also describe structures in memory its driver and device share
(a virtqueue's rings): members at byte offsets, integers (with fields) or
an earlier structure, the last one possibly an open-ended array. Both the
driver's header and the device-side one declare them as C structs, with
every offset and size checked at build time.
"""

from dataclasses import dataclass

from .schema import pos

CTYPES = {8: "uint8_t", 16: "uint16_t", 32: "uint32_t", 64: "uint64_t"}

# The limits of a map (docs/limits.md). Its registers, each element of an
# array counted: the overlap check looks at every element, so a count of 10^9
# would be as many tuples in memory. A structure lives in a shard's memory,
# which is at most semantics.MAX_MEMORY: no member reaches beyond that.
MAX_REGISTERS = 65536
MAX_STRUCT = 64 << 20


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
class Member:
    name: str            # the C member: flags
    macro: str           # VIRTIO_MMIO_VQ_DESC_FLAGS
    offset: int
    ctype: str           # uint16_t, or struct virtio_mmio_vq_used_elem
    count: int           # 1: one; 0: an open-ended array
    pad: int             # bytes between the member before and this one
    fields: tuple
    description: str

    @property
    def declarator(self):
        return self.name + ("[]" if self.count == 0 else
                            f"[{self.count}]" if self.count > 1 else "")


@dataclass(frozen=True)
class Structure:
    name: str
    macro: str           # VIRTIO_MMIO_VQ_DESC
    tag: str             # virtio_mmio_vq_desc
    description: str
    size: int            # sizeof: without an open-ended array
    members: tuple


@dataclass(frozen=True)
class RegMap:
    name: str
    guard: str
    registers: tuple
    structures: tuple = ()


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


def _layout(members, sizes):
    """(size, align) of a structure's members as C lays them out; sizes:
    {structure name: (size, align)} of the structures before it."""
    end, align = 0, 1
    for m in members:
        size, a = sizes[m["type"]][:2] if m.get("type") else (m["width"] // 8,) * 2
        align = max(align, a)
        if m.get("count", 1):
            end = m["offset"] + size * m.get("count", 1)
    return -(-end // align) * align, align


def _structures(name, structs):
    out, sizes = [], {}
    for s in structs:
        smacro = f"{name}_{s['name']}".upper()
        members, end = [], 0
        for m in s["members"]:
            macro = f"{smacro}_{m['name']}".upper()
            size = sizes[m["type"]][0] if m.get("type") else m["width"] // 8
            field_reg = {"macro": macro, "func": macro.lower(), "width": m.get("width", 8),
                         "reset": 0}
            members.append(Member(
                name=m["name"].lower(), macro=macro, offset=m["offset"],
                ctype=f"struct {name}_{m['type']}".lower() if m.get("type")
                else CTYPES[m["width"]],
                count=m.get("count", 1), pad=m["offset"] - end,
                fields=tuple(_field(field_reg, dict(f, access="rw")) for f in m["fields"]),
                description=m.get("description", "")))
            end = m["offset"] + size * m.get("count", 1)
        sizes[s["name"]] = _layout(s["members"], sizes)
        out.append(Structure(name=s["name"], macro=smacro, tag=smacro.lower(),
                             description=s.get("description", ""),
                             size=sizes[s["name"]][0], members=tuple(members)))
    return tuple(out)


def view(name, regs, structs=()):
    """name: the map's name; regs: model._regmap's list of register dicts;
    structs: model._structures' list of structure dicts."""
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
    return RegMap(name=name, guard=f"VANITY_REGMAP_{name.upper()}_H", registers=tuple(out),
                  structures=_structures(name, structs))


# ---- rules: what a register map must be (check) ---------------------------

def check(d, rmap, devices=()):
    """Checks one register map (Checked values from the schema walk) and
    reports into d; devices: those using it whose window size is known.
    Changes nothing it checks."""
    regs = rmap.get("registers", [])
    for reg in regs:
        register(d, reg)
    _unique_names(d, "regmap", regs)
    # (a register too many or too far is reported by register())
    placed = [r for r in regs if r.get("width") and r.get("offset") is not None
              and (r.get("count") or 1) <= MAX_REGISTERS and _end(r) <= 1 << 64]
    total = sum(r.get("count") or 1 for r in placed)
    if total > MAX_REGISTERS:
        d.error(rmap.at("registers"), f"{rmap.prefix}has {total} registers (each element "
                f"of an array counts); a map has at most {MAX_REGISTERS}: describe fewer")
    else:
        _overlaps(d, placed)
    structs = rmap.get("structures", [])
    structures(d, structs)
    _c_names(d, regs, structs)
    for dev in devices:
        for r in placed:
            end = _end(r)
            if end > dev["size"]:
                node = r.nodes.get("count", r.at("offset"))
                where = f"{dev.at('size').file}:{pos(dev.at('size'))}"
                d.error(node, f"{r.prefix}ends at {end:#x}, beyond the {dev['size']:#x}-byte "
                        f"window of device '{dev['name']}' (at {where})")


def _stride(reg):
    """The register's stride, or its size where the stride is not valid
    (register() reports that)."""
    size, stride = reg["width"] // 8, reg.get("stride")
    return stride if stride and stride >= size and stride % size == 0 else size


def _extent(reg):
    """The byte ranges of a register, or of each element of an array."""
    size = reg["width"] // 8
    stride = _stride(reg)
    return [(reg["offset"] + i * stride, reg["offset"] + i * stride + size)
            for i in range(reg.get("count") or 1)]


def _end(reg):
    """Where the register, or its array's last element, ends."""
    return reg["offset"] + ((reg.get("count") or 1) - 1) * _stride(reg) + reg["width"] // 8


def _span(reg):
    return f"[{reg['offset']:#x}, {_end(reg):#x})"


def _overlaps(d, regs):
    """Registers (and array elements) must not share a byte: one error per
    register that overlaps another, naming the first it overlaps (per pair
    would be n^2 errors, and seconds of work, for n copies of one)."""
    pieces = sorted((lo, hi, i) for i, r in enumerate(regs) for lo, hi in _extent(r))
    reported, open_ = set(), []
    for lo, hi, i in pieces:
        open_ = [p for p in open_ if p[1] > lo]
        for _, _, j in open_:
            a, b = sorted((i, j))
            if a != b and b not in reported:
                reported.add(b)
                first, reg = regs[a], regs[b]
                d.error(reg.at("offset"), f"{reg.prefix}{_span(reg)} overlaps register "
                        f"'{first.get('name')}' {_span(first)} (at {pos(first.at('offset'))})")
        open_.append((lo, hi, i))


REG_SUFFIXES = ("OFFSET", "RESET", "COUNT", "STRIDE", "READ", "WRITE", "MODIFY")
FIELD_SUFFIXES = ("SHIFT", "WIDTH", "MASK", "RESET", "GET", "SET", "PREP")
STRUCT_SUFFIXES = ("SIZE",)
MEMBER_SUFFIXES = ("OFFSET",)


def _claims(regs, structs=()):
    """(item, C name) of each name the accessor header (regmap.h.j2) makes
    from a map's items, without the map's name in front; a function's name
    is the lower case of the macro of the same suffix (READ: x_y_read)."""
    for r in _firsts(regs):
        reg = r["name"].upper()
        yield from ((r, f"{reg}_{suffix}") for suffix in REG_SUFFIXES)
        for f in _firsts(r.get("fields", [])):
            field = f"{reg}_{f['name'].upper()}"
            yield from ((f, f"{field}_{suffix}") for suffix in FIELD_SUFFIXES)
            yield from ((v, f"{field}_{v['name'].upper()}") for v in _firsts(f.get("enum", [])))
    for s in _firsts(structs):
        st = s["name"].upper()
        yield from ((s, f"{st}_{suffix}") for suffix in STRUCT_SUFFIXES)
        for m in _firsts(s.get("members", [])):
            yield from ((m, f"{st}_{m['name'].upper()}_{suffix}") for suffix in MEMBER_SUFFIXES)
            for f in _firsts(m.get("fields", [])):
                field = f"{st}_{m['name'].upper()}_{f['name'].upper()}"
                yield from ((f, f"{field}_{suffix}") for suffix in FIELD_SUFFIXES)


def _c_names(d, regs, structs=()):
    """The accessor header's names (regmap.h.j2) must not collide, e.g. an
    enum value MASK with its field's MASK, or register A_B with A's field B,
    or a structure's member with a register."""
    made, reported = {}, set()
    for item, full in _claims(regs, structs):
        first = made.setdefault(full, item)
        if first is not item and id(item) not in reported:
            reported.add(id(item))
            d.error(item.at("name"), f"{item.prefix}its C name {full} clashes with "
                    f"that of {first.label} (at {pos(first.at('name'))})")


def names_across(d, maps):
    """maps: (name, map, node naming it) of the maps a spec defines or its
    devices use. One shard may include several maps' headers: a map's C
    names (its name in front) must not be another's (maps x and x_y make
    x_y_z_read of registers y_z and z), and two map names must differ in
    more than case (their headers' include guard is the name in capitals)."""
    names, made, reported = {}, {}, set()
    for name, rmap, at in maps:
        first, first_at = names.setdefault(name.upper(), (name, at))
        if first != name:
            d.error(at, f"regmap '{name}' clashes with regmap '{first}' (at "
                    f"{_where(first_at, at)}); names must differ in more than case (both "
                    f"headers' include guard is VANITY_REGMAP_{name.upper()}_H)")
            continue
        for item, full in _claims(rmap.get("registers", []), rmap.get("structures", [])):
            full = f"{name.upper()}_{full}"
            first, first_item = made.setdefault(full, (name, item))
            if first != name and id(item) not in reported:
                reported.add(id(item))
                d.error(item.at("name"), f"{item.prefix}its C name {full} clashes with "
                        f"that of {first_item.label} (at "
                        f"{_where(first_item.at('name'), item.at('name'))}); rename one "
                        "of them")


def _where(node, here):
    """node's position as a message from here gives it: its file too if
    that is another."""
    return pos(node) if node.file == here.file else f"{node.file}:{pos(node)}"


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
                    f"(first at {pos(first.at('name'))})")


def register(d, reg, what="register"):
    width = reg.get("width")
    if width is None:
        return
    offset, reset = reg.get("offset"), reg.get("reset")
    if offset is not None and offset % (width // 8):
        d.error(reg.at("offset"), f"{reg.prefix}offset {offset:#x} is not aligned to its "
                f"{width}-bit width (a multiple of {width // 8})")
    count = reg.get("count")
    if what == "register" and count is not None and count > MAX_REGISTERS:
        d.error(reg.at("count"), f"{reg.prefix}count {count} is more than the "
                f"{MAX_REGISTERS} registers a map may have (each element of an array "
                "counts); describe fewer")
    elif what == "register" and offset is not None and _end(reg) > 1 << 64:
        d.error(reg.nodes.get("count", reg.at("offset")), f"{reg.prefix}ends at "
                f"{_end(reg):#x}, beyond the 64-bit address space")
    stride = reg.get("stride")
    if stride is not None and (stride < width // 8 or stride % (width // 8)):
        d.error(reg.at("stride"), f"{reg.prefix}stride {stride:#x} must be a multiple of "
                f"the register's {width // 8} bytes")
    if reset is not None and reset >> width:
        d.error(reg.at("reset"), f"{reg.prefix}reset {reset:#x} does not fit in {width} bits")
    fields = [f for f in reg.get("fields", []) if "bits" in f]
    for f in fields:
        hi, lo = f["bits"]
        if hi >= width:
            d.error(f.at("bits"), f"{f.prefix}bits {_bits(f)} exceed the {what}'s "
                    f"{width}-bit width")
            continue  # and its values are not looked at: 2**hi of them
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
                    f"(at {pos(first.at('value'))})")
    _unique_names(d, "field", f.get("enum", []))


def _bits(f):
    hi, lo = f["bits"]
    return f"{hi}:{lo}" if hi != lo else f"{hi}"


def structures(d, structs):
    """Structures in shared memory: members in offset order, each aligned
    and after the one before, an integer (width, maybe fields) or an
    earlier structure without an open-ended array (type), and only the last
    member open-ended (count 0). C then lays each out as the map says."""
    _unique_names(d, "regmap", structs)
    sizes = {}  # the structures so far that a member may name: (size, align, open)
    broken = set()  # those reported already: a member naming one says no more
    for s in structs:
        members, ok, end = s.get("members", []), True, 0
        _unique_names(d, "structure", members)
        if not members and "members" in s:
            d.error(s.at("members"), f"{s.prefix}has no members")
            ok = False
        for i, m in enumerate(members):
            if (m.get("type") is not None and m["type"] in broken) or \
                    not member(d, m, sizes, last=i == len(members) - 1):
                ok = False
                continue
            offset = m.get("offset")
            if offset is None:
                ok = False
                continue
            if offset < end:
                d.error(m.at("offset"), f"{m.prefix}offset {offset:#x} is inside the member "
                        f"before it (which ends at {end:#x}); members go in offset order")
                ok = False
            size = sizes[m["type"]][0] if m.get("type") else m["width"] // 8
            end = offset + size * m.get("count", 1)
            if max(offset, end) > MAX_STRUCT:
                node = m.at("count") if m.given("count") and offset <= MAX_STRUCT \
                    else m.at("offset")
                d.error(node, f"{m.prefix}ends at {max(offset, end):#x}, beyond the "
                        f"{MAX_STRUCT >> 20} MiB a structure may take (a shard's memory "
                        "at most)")
                ok = False
                break
        if members and members[0].get("count", 1) == 0 and len(members) == 1:
            d.error(members[0].at("count"), f"{members[0].prefix}an open-ended array "
                    "cannot be a structure's only member (C needs a member before it); "
                    "give it a count, or put a member before it (such as the array's "
                    "length)")
            ok = False
        if not ok:
            broken.add(s.get("name"))
        elif s.get("name") and s["name"] not in sizes:
            sizes[s["name"]] = _layout(members, sizes) + (members[-1].get("count", 1) == 0,) \
                if members else (0, 1, False)


def member(d, m, sizes, last):
    """One member's own rules; False if its size or alignment is unknown."""
    width, typ = m.get("width"), m.get("type")
    if (m.given("width") and width is None) or (m.given("type") and typ is None):
        return False        # written, but refused by the schema: reported there
    if (width is None) == (typ is None):
        node = m.at("type") if typ is not None else m.at("name")
        d.error(node, f"{m.prefix}give either width (an integer) or type (a structure)"
                f"{', not both' if typ is not None else ''}")
        return False
    if m.get("count", 1) == 0 and not last:
        d.error(m.at("count"), f"{m.prefix}count 0 (open-ended) is for the last member only")
    if typ is not None:
        if typ not in sizes:
            d.error(m.at("type"), f"{m.prefix}type '{typ}' names no earlier structure of "
                    "this map")
            return False
        if sizes[typ][2]:
            d.error(m.at("type"), f"{m.prefix}structure '{typ}' ends in an open-ended array; "
                    "it cannot be a member")
        if m.get("fields"):
            d.error(m.at("fields"), f"{m.prefix}a structure member has no fields")
        if m.get("offset") is not None and m["offset"] % sizes[typ][1]:
            d.error(m.at("offset"), f"{m.prefix}offset {m['offset']:#x} is not aligned to "
                    f"structure '{typ}' ({sizes[typ][1]} bytes)")
        return True
    register(d, m, "member")
    return True
