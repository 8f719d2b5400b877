"""One bad spec per register-map error, each with its exact messages."""

import argparse

import pytest

from vanity_testlib import BAD, vanity
from generator.cli import load
from generator.errors import SpecError

B = "tests/generator/bad/"
EXPECTED = {
    "regmap_registers_overlap": [
        "12:29: error: regmap 'uart' register 'CR2': [0x2c, 0x2e) overlaps register 'CR' "
        "[0x2c, 0x30) (at 11:28)",
        "13:29: error: regmap 'uart' register 'BIG': [0x28, 0x30) overlaps register 'CR2' "
        "[0x2c, 0x2e) (at 12:29)"],
    "regmap_array_overlaps": [
        "12:28: error: regmap 'uart' register 'ST': [0x10, 0x14) overlaps register 'DATA' "
        "[0x0, 0x1c) (at 11:30)",
        "14:56: error: regmap 'uart' register 'NARROW': stride 0x2 must be a multiple of "
        "the register's 4 bytes"],
    "regmap_array_overflows_window": [
        "12:43: error: regmap 'uart' register 'FIFO': ends at 0x50, beyond the 0x40-byte "
        f"window of device 'uart' (at {B}regmap_array_overflows_window.yaml:7:58)"],
    "regmap_enum_values": [
        "19:37: error: regmap 'uart' register 'LCR' field 'WLEN' value 'NINE': 0x4 does not "
        "fit in the field's 2 bits (at most 0x3)",
        "20:42: error: regmap 'uart' register 'LCR' field 'WLEN' value 'ALSO_FIVE': 0x0 "
        "repeats value 'FIVE' (at 17:37)",
        "21:24: error: regmap 'uart' register 'LCR' field 'WLEN' value 'five' is defined "
        "twice in its field (first at 17:24)",
        "22:24: error: regmap 'uart' register 'LCR' field 'WLEN' value 'MASK': its C name "
        "LCR_WLEN_MASK clashes with that of regmap 'uart' register 'LCR' field 'WLEN' "
        "(at 14:19)",
        "23:16: error: regmap 'uart' register 'LCR_WLEN': its C name LCR_WLEN_RESET clashes "
        "with that of regmap 'uart' register 'LCR' field 'WLEN' (at 14:19)"],
    "regmap_bad_names": [
        "11:15: error: regmap 'uart' register '2CR': name '2CR' is not a C identifier "
        "(letters, digits and '_', not starting with a digit)",
        "13:17: error: regmap 'uart' register '2CR': access 'w2c' must be ro, wo, rw, w1c "
        "or w0c; did you mean 'w1c'?",
        "14:28: error: regmap 'uart' register '2CR': 'read_side_effects' must be true or "
        "false, got string 'yes please'",
        "16:20: error: regmap 'uart' register '2CR' field 'en-able': name 'en-able' is not "
        "a C identifier (letters, digits and '_', not starting with a digit)",
        "19:27: error: regmap 'uart' register '2CR' field 'MODE' value 'fast mode': name "
        "'fast mode' is not a C identifier (letters, digits and '_', not starting with a "
        "digit)"],
    "regmap_name_clashes": [
        "17:16: error: regmap 'x_y' register 'z': its C name X_Y_Z_OFFSET clashes with that of "
        "regmap 'x' register 'y_z' (at 14:16); rename one of them",
        "18:3: error: regmap 'm' clashes with regmap 'M' (at 21:3); names must differ in more "
        "than case (both headers' include guard is VANITY_REGMAP_M_H)"],
    "regmap_too_many_registers": [
        "9:40: error: regmap 'huge' register 'FIFO': count 1000000000 is more than the 65536 "
        "registers a map may have (each element of an array counts); describe fewer",
        "10:56: error: regmap 'huge' register 'FAR': ends at 0x10000000000000008, beyond the "
        "64-bit address space",
        "13:7: error: regmap 'many': has 80000 registers (each element of an array counts); a "
        "map has at most 65536: describe fewer"],
    "regmap_structure_limits": [
        "13:56: error: regmap 'dma' structure 'ONLY_OPEN' member 'items': an open-ended array "
        "cannot be a structure's only member (C needs a member before it); give it a count, "
        "or put a member before it (such as the array's length)",
        "16:33: error: regmap 'dma' structure 'FAR' member 'len': ends at 0x4000004, beyond "
        "the 64 MiB a structure may take (a shard's memory at most)",
        "20:56: error: regmap 'dma' structure 'LONG' member 'items': ends at 0x12a05f2008, "
        "beyond the 64 MiB a structure may take (a shard's memory at most)"],
    "regmap_structures": [
        "21:33: error: regmap 'dma' structure 'ELEM' member 'len': offset 0x4 is inside the "
        "member before it (which ends at 0x8); members go in offset order",
        "22:56: error: regmap 'dma' structure 'ELEM' member 'tail': count 0 (open-ended) is "
        "for the last member only",
        "23:77: error: regmap 'dma' structure 'ELEM' member 'flags' field 'BIG': bits 16 "
        "exceed the member's 16-bit width",
        "26:43: error: regmap 'dma' structure 'RING' member 'head': type 'NOPE' names no "
        "earlier structure of this map",
        "27:54: error: regmap 'dma' structure 'RING' member 'both': give either width (an "
        "integer) or type (a structure), not both",
        "31:20: error: regmap 'dma' structure 'HDR' member 'len': its C name HDR_LEN_OFFSET "
        "clashes with that of regmap 'dma' register 'HDR_LEN' (at 12:16)",
        "31:33: error: regmap 'dma' structure 'HDR' member 'len': offset 0x2 is not aligned "
        "to its 32-bit width (a multiple of 4)",
        "32:44: error: regmap 'dma' structure 'HDR' member 'inner': structure 'OPEN' ends in "
        "an open-ended array; it cannot be a member",
        "33:32: error: regmap 'dma' structure 'EMPTY': has no members"],
}


def _expected(name):
    return [f"{B}{name}.yaml:{line}" for line in EXPECTED[name]]


def test_every_regmap_bad_spec_has_an_expectation():
    assert {p.stem for p in BAD.glob("regmap_*.yaml")} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_regmap_error(name, in_repo):
    with pytest.raises(SpecError) as exc:
        load(argparse.Namespace(spec=f"{B}{name}.yaml", board=None))
    assert [str(d) for d in exc.value.diags] == _expected(name)


def test_regmap_error_via_cli():
    proc = vanity("check", f"{B}regmap_enum_values.yaml")
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr.splitlines() == _expected("regmap_enum_values")
