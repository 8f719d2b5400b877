"""YAML text -> a tree of Nodes that remember where they came from.

PyYAML's composer gives positions (0-based; we add 1). We build our own
small tree on top so that later layers never touch PyYAML, and so that
duplicate keys (which yaml.safe_load silently merges) are kept and can be
reported by the validator with their context.

A document is composed by libyaml (CSafeLoader) when PyYAML has it: the
same nodes and marks, ten times faster than the Python scanner, which is
most of the time `vanity check` takes on a spec of thousands of channels.
A document libyaml refuses, or one with characters the Python reader
refuses, is composed again in Python, so that every error reads the same.
"""

import re
from dataclasses import dataclass, field

import yaml
from yaml.constructor import ConstructorError, SafeConstructor

from .errors import Diag, SpecError


@dataclass(eq=False)
class Node:
    """A YAML value. kind is 'map', 'seq' or 'scalar'.

    map:    value is a dict key -> Node; keys holds the key Nodes by key;
            dups lists (key Node, first key Node) for repeated keys.
    seq:    value is a list of Nodes.
    scalar: value is the Python value (int, str, bool, float, None, ...).
    """

    kind: str
    value: object
    file: str
    line: int
    col: int
    keys: dict = field(default_factory=dict)
    dups: list = field(default_factory=list)

    @property
    def where(self):
        return f"{self.line}:{self.col}"


# How many values a document may hold once its aliases are expanded (each
# use of an alias is a copy, so ten nested aliases of ten entries each would
# be 10^10 values from a few hundred bytes). The largest spec the limits
# allow holds well under a fifth of this; refusing takes seconds, not hours.
MAX_VALUES = 250_000
MAX_BYTES = 2 << 20   # a spec of the largest system the limits allow is a tenth of this


class _TooBig(Exception):
    pass


class _Builder:
    def __init__(self, file):
        self.file = file
        self.constructor = SafeConstructor()
        self.diags = []
        self.active = set()
        self.values = 0

    def at(self, ynode, kind, value):
        mark = ynode.start_mark
        return Node(kind, value, self.file, mark.line + 1, mark.column + 1)

    def error(self, ynode, message):
        mark = ynode.start_mark
        self.diags.append(Diag(self.file, mark.line + 1, mark.column + 1, message))

    def build(self, ynode):
        if id(ynode) in self.active:
            self.error(ynode, "YAML alias refers to itself")
            return self.at(ynode, "scalar", None)
        self.values += 1
        if self.values > MAX_VALUES:
            self.error(ynode, f"the document holds more than {MAX_VALUES} values once its "
                       "aliases are expanded; no spec within the limits is this large "
                       "(aliases nested in aliases?)")
            raise _TooBig
        self.active.add(id(ynode))
        try:
            if isinstance(ynode, yaml.MappingNode):
                return self.mapping(ynode)
            if isinstance(ynode, yaml.SequenceNode):
                return self.at(ynode, "seq", [self.build(n) for n in ynode.value])
            return self.scalar(ynode)
        finally:
            self.active.discard(id(ynode))

    def scalar(self, ynode):
        why = _yaml11_number(ynode)
        if why:
            self.error(ynode, why)
            return self.at(ynode, "scalar", None)
        try:
            value = self.constructor.construct_object(ynode, deep=True)
        except (ConstructorError, ValueError, TypeError) as exc:
            self.error(ynode, f"YAML: cannot read value: {getattr(exc, 'problem', exc)}")
            value = None
        return self.at(ynode, "scalar", value)

    def mapping(self, ynode):
        node = self.at(ynode, "map", {})
        for ykey, yvalue in ynode.value:
            if not isinstance(ykey, yaml.ScalarNode):
                self.error(ykey, "YAML: a mapping key must be a plain name")
                continue
            if ykey.tag == _MERGE:
                self.error(ykey, "YAML merge keys ('<<') are not supported in a spec: write "
                           "the keys out (an alias such as *name may still stand for a "
                           "whole value)")
                continue
            key = self.at(ykey, "scalar", ykey.value)
            if ykey.value in node.value:
                node.dups.append((key, node.keys[ykey.value]))
                continue
            node.keys[ykey.value] = key
            node.value[ykey.value] = self.build(yvalue)
        return node


# YAML 1.1 reads some plain numbers in ways a spec's author rarely means:
# 7:0 (a bit range) as the base-60 number 420, 010 as the octal number 8.
# Such a scalar is refused by its source text, with what to write instead.
_MERGE = "tag:yaml.org,2002:merge"
_NUMBER_TAGS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")
_SEXAGESIMAL = re.compile(r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$")
_OCTAL = re.compile(r"[-+]?0[0-7_]+$")


def _yaml11_number(ynode):
    """Why a plain scalar read as a YAML 1.1 base-60 or octal number is an
    error, or None."""
    if ynode.style or ynode.tag not in _NUMBER_TAGS:
        return None
    text = ynode.value
    if _SEXAGESIMAL.match(text):
        what = "a base-60 number"
        if "." not in text:
            value = 0
            for part in text.lstrip("+-").replace("_", "").split(":"):
                value = value * 60 + int(part)
            what = f"the base-60 number {'-' if text.startswith('-') else ''}{value}"
        return (f"YAML 1.1 reads {text} as {what}: write it quoted, '{text}' (a bit "
                "range is written \"high:low\")")
    if _OCTAL.match(text) and text.strip("+-0_"):
        sign = "-" if text.startswith("-") else ""
        meant = sign + (text.lstrip("+-").lstrip("0_") or "0")
        value = int(text.replace("_", ""), 8)
        return (f"YAML 1.1 reads {text} as the octal number {value}: drop the leading "
                f"zero ({meant}), or write {value} or {sign}{abs(value):#x} if octal was meant")
    return None


def _position(text, index):
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def _syntax_error(file, text, exc):
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        if problem.startswith("but ") and exc.context:
            problem = f"{exc.context}, {problem}"
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    elif isinstance(exc, yaml.reader.ReaderError):
        line, col = _position(text, exc.position)
        char = exc.character if isinstance(exc.character, int) else ord(exc.character)
        problem = f"character U+{char:04X} is not allowed"
    else:
        line, col, problem = 1, 1, str(exc)
    return Diag(file, line, col, f"YAML syntax: {problem}")


# libyaml composes recursively in C: a document nested some 40 000 deep
# overflows its stack and ends the process. Such a text goes to the Python
# composer, whose RecursionError becomes "YAML nesting is too deep". A
# rough count, never too low: flow brackets open (quoted or not), and "- "
# that start a line one after another.
_DEEP = 1000
_BRACKET = re.compile(r"[\[\]{}]")
_DASHES = re.compile(r"^[ \t]*(?:-[ \t]+){%d}" % _DEEP, re.M)


def _deep(text):
    depth = 0
    for m in _BRACKET.finditer(text):
        depth += 1 if m.group() in "[{" else -1
        if depth >= _DEEP:
            return True
    return bool(_DASHES.search(text))


def _fast_compose(text):
    """The document's root node by libyaml, or None: not available, or the
    text needs the Python composer's error."""
    loader = getattr(yaml, "CSafeLoader", None)
    if loader is None or yaml.reader.Reader.NON_PRINTABLE.search(text) or _deep(text):
        return None
    try:
        return yaml.compose(text, Loader=loader)
    except yaml.YAMLError:
        return None


def parse_text(text, file):
    """Returns the root Node of one YAML document; raises SpecError."""
    try:
        root = _fast_compose(text)
        if root is None:
            root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        raise SpecError([_syntax_error(file, text, exc)]) from None
    except RecursionError:
        raise SpecError([Diag(file, 1, 1, "YAML nesting is too deep")]) from None
    if root is None:
        raise SpecError([Diag(file, 1, 1, "the file is empty; a spec starts with 'vanity: 1'")])
    builder = _Builder(file)
    try:
        node = builder.build(root)
    except RecursionError:
        raise SpecError([Diag(file, 1, 1, "YAML nesting is too deep")]) from None
    except _TooBig:
        raise SpecError(builder.diags[-1:]) from None
    if builder.diags:
        raise SpecError(builder.diags)
    return node


def parse_file(path, file):
    """Reads and parses path; file is the name used in diagnostics."""
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_BYTES + 1)  # /dev/zero is not read to the end
    except OSError as exc:
        raise SpecError([Diag("", 0, 0, f"cannot read '{file}': {exc.strerror}")]) from None
    if len(data) > MAX_BYTES:
        raise SpecError([Diag(file, 1, 1, f"the file is over {MAX_BYTES} bytes; a spec is at most "
                              f"{MAX_BYTES} (the largest system the limits allow needs "
                              "far less)")]) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[:exc.start].decode("utf-8")
        line, col = _position(before, len(before))
        raise SpecError([Diag(file, line, col, "the file is not UTF-8 text")]) from None
    return parse_text(text, file)
