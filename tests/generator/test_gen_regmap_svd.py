"""vanity import-svd: a hand-written SVD, then the real FE310 SVD end to end.

The FE310 test compiles the accessors of every peripheral and checks every
register offset and field mask in them against the SVD, read here by a
separate, deliberately plain ElementTree walk.
"""

import argparse
import re
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from vanity_testlib import REPO, vanity
from generator.cli import load
from generator.render import render

SAMPLE = Path(__file__).resolve().parent / "regmap_sample.svd"
E310X = REPO.parent / "shared/data/svd/e310x.svd"
CFLAGS = ["-fsyntax-only", "-Wall", "-Wextra", "-Werror", "-std=c11",
          "-I", str(REPO / "runtime/include")]


def _import(tmp_path, svd):
    proc = vanity("import-svd", svd, "-o", tmp_path / "drivers")
    assert proc.returncode == 0, proc.stderr
    return proc


def _headers(tmp_path):
    """Accessor headers for every imported map, through the normal pipeline."""
    names = sorted(p.name for p in (tmp_path / "drivers").iterdir())
    devices = "".join(f"  - {{name: d_{n}, regmap: {n}, address: {(i + 1) << 26:#x}, "
                      f"size: 64MiB, shard: a}}\n" for i, n in enumerate(names))
    (tmp_path / "a.c").write_text("")
    spec = tmp_path / "s.yaml"
    spec.write_text(f"vanity: 1\nsystem: s\nshards:\n  - {{name: a, sources: [a.c]}}\n"
                    f"devices:\n{devices}")
    model, _ = load(argparse.Namespace(spec=str(spec), board=None), repo_root=tmp_path)
    files = render(model, REPO)
    out = {}
    for n in names:
        path = tmp_path / "regmaps" / f"{n}.h"
        path.parent.mkdir(exist_ok=True)
        path.write_text(files[f"regmaps/{n}.h"])
        out[n] = path
    return out


def _macros(path):
    return {m.group(1): int(m.group(2), 16) for m in
            re.finditer(r"#define (\w+)\s+(0x[0-9a-f]+)u", path.read_text())}


def _compiles(path):
    src = path.with_suffix(".c")
    src.write_text(f'#include "{path.name}"\n')
    proc = subprocess.run(["gcc", *CFLAGS, str(src)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


# ---- the hand-written fixture ----------------------------------------------------

def test_sample_maps(tmp_path):
    proc = _import(tmp_path, SAMPLE)
    t0 = yaml.safe_load((tmp_path / "drivers/timer0/timer0.yaml").read_text())
    t1 = yaml.safe_load((tmp_path / "drivers/timer1/timer1.yaml").read_text())
    assert t0["registers"] == t1["registers"]                  # derivedFrom
    regs = {r["name"]: r for r in t0["registers"]}
    assert [f["bits"] for f in regs["CTRL"]["fields"]] == [0, "3:1", "15:8"]  # all three forms
    assert regs["CTRL"]["fields"][1]["enum"] == [
        {"name": "ONESHOT", "value": 0}, {"name": "PERIODIC", "value": 2},
        {"name": "FREE", "value": 7}]
    assert regs["STATUS"]["fields"][0]["access"] == "w1c"
    assert regs["STATUS"]["fields"][1]["access"] == "ro"
    assert regs["DATA"]["read_side_effects"] is True and regs["DATA"]["access"] == "ro"
    assert (regs["CMP"]["count"], regs["CMP"]["stride"], regs["CMP"]["reset"]) == \
        (4, 4, 0xffffffff)
    assert (regs["KICK"]["width"], regs["KICK"]["access"]) == (8, "wo")
    assert regs["CH_CFG"]["offset"] == 0x34                     # cluster, flattened
    wdt = yaml.safe_load((tmp_path / "drivers/wdt/wdt.yaml").read_text())
    assert wdt["registers"][0]["reset"] == 0x10                 # the peripheral's reset
    svd = str(SAMPLE)
    assert proc.stderr.splitlines() == [
        f"{svd}:85:13: warning: 'CFG': modifiedWriteValues 'oneToToggle' is not "
        "supported; imported as rw",
        f"{svd}:102:11: warning: <bogus> in <register> is not supported; ignored"]


def test_sample_headers_compile(tmp_path):
    _import(tmp_path, SAMPLE)
    headers = _headers(tmp_path)
    for path in headers.values():
        _compiles(path)
    m = _macros(headers["timer0"])
    assert (m["TIMER0_CTRL_MODE_MASK"], m["TIMER0_CTRL_PRESCALE_MASK"]) == (0xe, 0xff00)
    assert m["TIMER0_CTRL_MODE_PERIODIC"] == 2 and m["TIMER0_CMP_STRIDE"] == 4
    text = headers["timer0"].read_text()
    assert "timer0_data_modify" not in text and "timer0_kick_read" not in text


def test_missing_reset_value_warns(tmp_path):
    svd = tmp_path / "x.svd"
    svd.write_text("<device><name>X</name><peripherals><peripheral><name>P</name>\n"
                   "<registers><register><name>R</name><addressOffset>0</addressOffset>\n"
                   "</register></registers></peripheral></peripherals></device>\n")
    proc = _import(tmp_path, svd)
    assert proc.stderr.splitlines() == [
        f"{svd}:2:12: warning: register 'R' has no resetValue (here or in its peripheral "
        "or device); imported as 0"]


def test_output_file_needs_one_peripheral(tmp_path):
    proc = vanity("import-svd", SAMPLE, "-o", tmp_path / "t.yaml")
    assert proc.returncode == 1
    assert "has 3 peripherals; pick one with --peripheral" in proc.stderr
    proc = vanity("import-svd", SAMPLE, "-p", "WDT", "-o", tmp_path / "t.yaml")
    assert proc.returncode == 0, proc.stderr
    assert yaml.safe_load((tmp_path / "t.yaml").read_text())["registers"][0]["name"] == "LOAD"


def test_not_svd(tmp_path):
    (tmp_path / "x.svd").write_text("<device><name>X</oops></device>\n")
    proc = vanity("import-svd", tmp_path / "x.svd", "-o", tmp_path / "d")
    assert proc.returncode == 1
    assert proc.stderr.startswith(f"{tmp_path / 'x.svd'}:1:")
    assert "error: XML syntax: mismatched tag" in proc.stderr


# ---- the FE310, checked against the SVD itself -------------------------------------

def _int(text):
    t = text.strip().lower()
    return int(t[1:], 2) if t.startswith("#") else int(t, 0)


def _svd_expectations(path):
    """{(PERIPH, REG): (offset, {FIELD: mask})}, plus the alternate registers."""
    root = ET.parse(path).getroot()
    periphs = {p.findtext("name"): p for p in root.iter("peripheral")}
    want, alternates = {}, set()
    for name, p in periphs.items():
        src = periphs[p.get("derivedFrom")] if p.get("derivedFrom") else p
        for r in src.find("registers").iter("register"):
            rname = r.findtext("name").replace("[%s]", "").upper()
            fields = {}
            for f in r.iter("field"):
                if f.findtext("bitRange"):
                    hi, lo = map(int, f.findtext("bitRange").strip("[]").split(":"))
                elif f.findtext("msb"):
                    hi, lo = int(f.findtext("msb")), int(f.findtext("lsb"))
                else:
                    lo = int(f.findtext("bitOffset"))
                    hi = lo + int(f.findtext("bitWidth") or 1) - 1
                if hi < 32:       # the FE310's pwm cfg.cmp2gang claims bits 36:26
                    fields[f.findtext("name").upper()] = ((1 << (hi - lo + 1)) - 1) << lo
            want[(name.upper(), rname)] = (_int(r.findtext("addressOffset")), fields)
            if r.find("alternateRegister") is not None:
                alternates.add((name.upper(), rname))
    return want, alternates


@pytest.mark.skipif(not E310X.is_file(), reason=f"shared test data {E310X} is absent; "
                    "the FE310 import is not tested")
def test_e310x_import_matches_svd(tmp_path):
    proc = _import(tmp_path, E310X)
    headers = _headers(tmp_path)
    assert len(headers) == 19
    want, alternates = _svd_expectations(E310X)
    macros = {}
    for name, path in headers.items():
        _compiles(path)
        macros.update(_macros(path))
    skipped = {tuple(m.groups()) for m in re.finditer(
        r"register '(\w+)' overlaps '\w+' in '(\w+)'", proc.stderr)}
    checked = 0
    for (periph, reg), (offset, fields) in sorted(want.items()):
        prefix = f"{periph}_{reg}"
        if (periph, reg) in alternates or (reg.lower(), periph.lower()) in skipped:
            assert f"{prefix}_OFFSET" not in macros     # left out, with a warning
            continue
        assert macros[f"{prefix}_OFFSET"] == offset, prefix
        for fname, mask in fields.items():
            assert macros[f"{prefix}_{fname}_MASK"] == mask, f"{prefix}_{fname}"
            checked += 1
    assert checked > 600
    assert "warning: field 'cmp2gang' (bits 36:26) does not fit the 32-bit register; " \
        "skipped" in proc.stderr
