import re

import pytest

from generator.units import UnitError, parse_size, parse_time


@pytest.mark.parametrize("text,value", [
    ("16KiB", 16384), ("1MiB", 1 << 20), ("1GiB", 1 << 30), ("512B", 512), (4096, 4096)])
def test_sizes(text, value):
    assert parse_size(text) == value


@pytest.mark.parametrize("text,message", [
    ("16KB", "'16KB' is not a size; did you mean '16KiB'?"),
    ("2mb", "'2mb' is not a size; did you mean '2MiB'?"),
    ("lots", "'lots' is not a size; write a number of bytes or a number with "
             "B, KiB, MiB or GiB"),
    (-1, "-1 is negative"),
    (" 16 KiB ", "' 16 KiB ' is not a size; did you mean '16KiB'?"),
    ("\u0661\u0666KiB", "'\u0661\u0666KiB' is not a size; write a number of bytes or a "
                      "number with B, KiB, MiB or GiB")])
def test_bad_sizes(text, message):
    with pytest.raises(UnitError, match="^" + re.escape(message) + "$"):
        parse_size(text)


@pytest.mark.parametrize("text,value", [
    ("100ms", 100_000_000), ("50us", 50_000), ("2s", 2_000_000_000), ("500ns", 500)])
def test_times(text, value):
    assert parse_time(text) == value


def test_plain_integer_time_needs_a_unit():
    with pytest.raises(UnitError, match="give a unit: ns, us, ms or s"):
        parse_time(100)
