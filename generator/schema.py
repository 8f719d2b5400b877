"""Schema: a spec's structure against the key table in keys.py.

Walks the parsed nodes (parse.py) and checks types, unknown, missing and
duplicate keys, fills in defaults, and returns Checked values that keep the
node each came from, so that every later layer can point at it. Collects
every error; never stops at the first.
"""

import difflib
import re

from . import keys as K
from .units import UnitError, parse_size, parse_time

COMPATIBLE = re.compile(r"[A-Za-z0-9,._+-]+$")  # device-tree string characters
_IDENT = re.compile(K.IDENT_PATTERN)
MAX_NAME = 63  # a name becomes C identifiers, macros and file names
_C_WORDS = frozenset(
    "auto break case char const continue default do double else enum extern float for goto "
    "if inline int long register restrict return short signed sizeof static struct switch "
    "typedef union unsigned void volatile while bool true false _Alignas _Alignof _Atomic "
    "_Bool _Complex _Generic _Imaginary _Noreturn _Static_assert _Thread_local".split())


def shown(text):
    """text as a message shows it: escapes for what is not printable."""
    return text if text.isprintable() else text.encode("unicode_escape").decode("ascii")


# Names the generated C writes bare, not as part of a longer identifier
# (a structure's members, lower-cased; an event's fields, its emitter's
# parameters), meet the compiler as they are: besides the C keywords, GNU
# C's, the macros GCC predefines on every board, and the names the emitter
# uses beside them (vanity_shard.h.j2's _trace.j2) would not compile.
_BARE_WORDS = dict(
    [(w, "is a GNU C keyword") for w in ("asm", "typeof")] +
    [(w, "is a macro GCC predefines (as 1)") for w in ("unix", "linux")] +
    [(w, "is a C library name the generated code uses") for w in
     ["memcpy", "size_t", "ptrdiff_t", "NULL", "SIZE_MAX"] +
     [f"{u}int{n}_t" for u in ("", "u") for n in (8, 16, 32, 64, "ptr", "max")]])
_STDINT_MACRO = re.compile(r"U?INT(8|16|32|64|PTR|MAX)_(MIN|MAX|C)|"
                           r"U?INT_(LEAST|FAST)(8|16|32|64)_(MIN|MAX)|"
                           r"(PTRDIFF|SIG_ATOMIC|WCHAR|WINT)_(MIN|MAX)")


def ident_problem(name):
    """Why name cannot be a name in a spec (it becomes part of C
    identifiers, macros and file names), or None."""
    if not _IDENT.fullmatch(name):
        return "is not a C identifier (letters, digits and '_', not starting with a digit)"
    if len(name) > MAX_NAME:
        return f"is {len(name)} characters long; at most {MAX_NAME} are allowed"
    if name in _C_WORDS:
        return "is a C keyword: the generated code could not use it as a name"
    if name.lower().startswith("vn_"):
        return "starts with 'vn_', which the runtime keeps for its own names"
    if name.lower() == "vn":
        return "is the runtime's prefix: names made from it would be the runtime's own"
    return None


def bare_problem(name):
    """Why name cannot be written bare into C as it stands, or None: it is
    a name already (ident_problem), this checks the rest."""
    if name in _C_WORDS:
        return "is a C keyword"
    if name in _BARE_WORDS:
        return _BARE_WORDS[name]
    if name.startswith("__") or re.match(r"_[A-Z]", name):
        return "is reserved to the C compiler and library (it starts with __ or _ and a " \
            "capital)"
    if _STDINT_MACRO.fullmatch(name):
        return "is a macro of <stdint.h>"
    return None


_BITS = re.compile(r"([0-9]{1,6}):([0-9]{1,6})$")  # bits are below 64: no int() of 5000 digits


class Checked(dict):
    """One spec object's values, defaults filled in, plus the nodes they
    came from so later checks can point at them."""

    def __init__(self, node, label):
        super().__init__()
        self.node = node
        self.label = label
        self.nodes = {}
        self.resolved = set()  # keys resolve.py filled in, from outside the spec

    @property
    def prefix(self):
        return f"{self.label}: " if self.label else ""

    def at(self, key):
        return self.nodes.get(key, self.node)

    def item_at(self, key, i):
        node = self.nodes.get(key)
        return node.value[i] if node is not None and node.kind == "seq" else self.at(key)

    def copy(self):
        """Another Checked with the same values and nodes, for a later layer
        to add to without changing this one."""
        other = Checked(self.node, self.label)
        other.update(self)
        other.nodes = dict(self.nodes)
        other.resolved = set(self.resolved)
        return other

    def given(self, key):
        """True if the spec wrote key (not a default, not resolved)."""
        return key in self.nodes and key not in self.resolved


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
        if re.fullmatch(r"[-+]?0[0-9_]*[89][0-9_]*", v):  # not octal, so not a number
            meant = v.lstrip("+-").lstrip("0_") or "0"
            return (f"string '{v}' (YAML 1.1 reads a number with a leading zero and an 8 "
                    f"or 9 as text: write {'-' if v.startswith('-') else ''}{meant})")
        return f"string '{v}'"
    return f"{type(v).__name__} '{v}'"


def suggest(word, choices):
    """'; did you mean 'x'?' or ''."""
    if not isinstance(word, str):
        return ""
    close = difflib.get_close_matches(word, [str(c) for c in choices], n=1)
    return f"; did you mean '{close[0]}'?" if close else ""


def pos(node):
    return f"{node.line}:{node.col}"


def _is_int(node):
    return node.kind == "scalar" and isinstance(node.value, int) and not isinstance(node.value, bool)


def _is_str(node):
    return node.kind == "scalar" and isinstance(node.value, str)


class Schema:
    """Walks the key table over parsed nodes; reports into diags."""

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
            self.d.error(key, f"duplicate key '{key.value}' {where} (first at {pos(first)})")
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
            return f"{parent}{obj.label} '{shown(name.value)}'"
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
        why = ident_problem(node.value)
        if not why and typ.bare:
            why = bare_problem(node.value.lower() if typ.lower else node.value)
            if why and typ.lower and node.value.lower() != node.value:
                why = f"is '{node.value.lower()}' in C, which {why}"
        if why:
            self.d.error(node, f"{prefix}{key} '{shown(node.value)}' {why}")
            return False, None
        return True, node.value

    def v_Enum(self, typ, node, prefix, key):
        # one of the choices, and of its type: not 16.0 for 16, nor true for 1
        if node.kind != "scalar" or not any(type(node.value) is type(c) and node.value == c
                                            for c in typ.choices):
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

    def v_Obj(self, typ, node, prefix, key):
        """A mapping under a key: messages name it "shard 'a' on_fault"."""
        if node.kind != "map":
            return None
        return True, self.obj(typ, node, (prefix[:-2] + " " if prefix else "") + key)

    def v_OneOf(self, typ, node, prefix, key):
        if node.kind == "map":
            return self.v_Obj(typ.obj, node, prefix, key)
        if not _is_str(node):
            return None
        if node.value not in typ.choices:
            hint = f"; '{node.value}' takes a value: write {key}: {{{node.value}: ...}}" \
                if node.value in typ.obj.keys else suggest(node.value, typ.choices)
            self.d.error(node, f"{prefix}{key} '{node.value}' must be {typ.desc}{hint}")
            return False, None
        return True, node.value

    def v_MapOf(self, typ, node, prefix, key):
        if node.kind != "map":
            return None
        out = {}
        for dup, first in node.dups:
            self.d.error(dup, f"{prefix}duplicate {typ.item.label} '{dup.value}' in '{key}' "
                         f"(first at {pos(first)})")
        for name, vnode in node.value.items():
            label = f"{typ.item.label} '{name}'"
            why = ident_problem(name)
            if why:
                self.d.error(node.keys[name], f"{label}: name {why}")
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
