"""Sizes (16KiB, 1MiB, 512B, or plain bytes) and times (100ms, 50us) in specs.

Each parser returns an int or raises UnitError whose text completes a
sentence such as "shard 'ping': stack ...".
"""

import re

SIZE_UNITS = {"B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30}
TIME_UNITS = {"ns": 1, "us": 1000, "ms": 1000_000, "s": 1000_000_000}

# Spellings people write for binary units, and what they should write.
_SIZE_ALIASES = {
    "k": "KiB", "kb": "KiB", "kib": "KiB",
    "m": "MiB", "mb": "MiB", "mib": "MiB",
    "g": "GiB", "gb": "GiB", "gib": "GiB",
    "b": "B", "bytes": "B",
}
_TIME_ALIASES = {"nsec": "ns", "µs": "us", "usec": "us", "msec": "ms", "sec": "s"}

# Lenient, to suggest a fix for "16 KiB"; only _EXACT is accepted.
_NUMBER_UNIT = re.compile(r"\s*([0-9]+)\s*(\S*)\s*$")
_EXACT = re.compile(r"[0-9]+[A-Za-z]*$")
MAX_TIME = 3600 * TIME_UNITS["s"]


class UnitError(Exception):
    pass


MAX_DIGITS = 30  # more than any size or time a board could hold


def _split(text):
    m = _NUMBER_UNIT.match(text)
    if m and len(m.group(1)) > MAX_DIGITS:
        raise UnitError(f"has a number of {len(m.group(1))} digits, more than any size or "
                        "time can be")
    return (int(m.group(1)), m.group(2)) if m else (None, None)


def parse_size(value):
    """Bytes from an int or a string such as '16KiB'."""
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            raise UnitError(f"{value} is negative")
        return value
    if not isinstance(value, str):
        raise UnitError("must be a size such as 16KiB or 4096")
    number, unit = _split(value)
    if number is not None and unit in SIZE_UNITS and _EXACT.match(value):
        return number * SIZE_UNITS[unit]
    if number is not None and unit in SIZE_UNITS:
        raise UnitError(f"'{value}' is not a size; did you mean '{number}{unit}'?")
    fix = _SIZE_ALIASES.get((unit or "").lower())
    if number is not None and fix:
        raise UnitError(f"'{value}' is not a size; did you mean '{number}{fix}'?")
    raise UnitError(f"'{value}' is not a size; write a number of bytes "
                    "or a number with B, KiB, MiB or GiB")


def parse_time(value):
    """Nanoseconds from a string such as '100ms'; bare numbers are refused."""
    if isinstance(value, int) and not isinstance(value, bool):
        raise UnitError(f"{value} has no unit; give a unit: ns, us, ms or s")
    if not isinstance(value, str):
        raise UnitError("must be a time such as 100ms")
    number, unit = _split(value)
    if number is not None and unit in TIME_UNITS and _EXACT.match(value):
        if number * TIME_UNITS[unit] > MAX_TIME:
            raise UnitError(f"'{value}' is too long; at most 3600s")
        return number * TIME_UNITS[unit]
    if number is not None and unit in TIME_UNITS:
        raise UnitError(f"'{value}' is not a time; did you mean '{number}{unit}'?")
    if number is not None and unit == "":
        raise UnitError(f"'{value}' has no unit; give a unit: ns, us, ms or s")
    fix = _TIME_ALIASES.get((unit or "").lower()) or (
        unit.lower() if unit and unit.lower() in TIME_UNITS else None)
    if number is not None and fix:
        raise UnitError(f"'{value}' is not a time; did you mean '{number}{fix}'?")
    raise UnitError(f"'{value}' is not a time; write a number with ns, us, ms or s")


def format_size(n):
    """The shortest exact spelling: 16KiB, 1MiB, 100B."""
    for unit in ("GiB", "MiB", "KiB"):
        if n and n % SIZE_UNITS[unit] == 0:
            return f"{n // SIZE_UNITS[unit]}{unit}"
    return f"{n}B"


def format_time(ns):
    for unit in ("s", "ms", "us"):
        if ns and ns % TIME_UNITS[unit] == 0:
            return f"{ns // TIME_UNITS[unit]}{unit}"
    return f"{ns}ns"
