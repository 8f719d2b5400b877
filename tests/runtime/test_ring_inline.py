"""The channel hot path compiles to straight-line code in the caller: a
single send or receive calls nothing, not even memcpy (a burst copies a
count known only at run time, through memcpy, and calls nothing else). A shard's endpoints are static const
descriptions, and only inlining folds them (ring address, mask, message
size, flags) into immediates; an out-of-line vn_rx_recv loads all of them
from memory and copies through a memcpy call (the instruction counts of
`make bench` part 2 doubled when gcc stopped inlining it). The unit is a
shard's use of its endpoints: several sends and receives, singles and
bursts, on an ordinary channel and on a latency channel, built with the
hosted board's compiler and optimisation; and the same through vanity.h's
calls (vn_send, vn_recv_burst, ...), which a shard uses: static inline
alone left gcc free to make those calls, and it did in
examples/l2fwd/split, whose returned buffers each went through one generic
vn_send (docs/l2fwd.md, "The QEMU boards")."""

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

# Both units' endpoints: an ordinary channel and a latency channel.
ENDPOINTS = r"""
struct m64 { uint64_t w[8]; };
static struct vn_tx_state ts[2];
static struct vn_rx_state rs[2];
static const struct vn_tx tx = VN_TX_INIT(0, 0x40000000ul, 64, 1024, 0, &ts[0]);
static const struct vn_rx rx = VN_RX_INIT(0, 0x40000000ul, 64, 1024, 0, &rs[0]);
static const struct vn_tx ltx = VN_TX_INIT(1, 0x40100000ul, 8, 256, VN_EP_LATENCY, &ts[1]);
static const struct vn_rx lrx = VN_RX_INIT(1, 0x40100000ul, 8, 256, VN_EP_LATENCY, &rs[1]);
"""

UNIT = "#include <vanity/ring.h>\n" + ENDPOINTS + r"""

unsigned singles(struct m64 *in, struct m64 *out, uint64_t *words)
{
	unsigned n = 0;

	for (int i = 0; i < 4; i++) {
		n += vn_rx_recv(&rx, &out[i], sizeof(out[i]));
		n += vn_tx_send(&tx, &in[i], sizeof(in[i]));
		n += vn_tx_send(&ltx, &words[i], 8);
		n += vn_rx_recv(&lrx, &words[i + 4], 8);
	}
	return n;
}

unsigned bursts(struct m64 *in, struct m64 *out, uint64_t *words)
{
	unsigned n = 0;

	n += vn_rx_recv_burst(&rx, out, 4, sizeof(*out));
	n += vn_tx_send_burst(&tx, in, 4, sizeof(*in));
	n += vn_rx_recv_burst(&lrx, words, 4, 8);
	n += vn_tx_send_burst(&ltx, words, 4, 8);
	return n;
}
"""


# The calls of vanity.h, several times each, as a shard makes them.
API_UNIT = "#include <vanity.h>\n" + ENDPOINTS + r"""

unsigned singles(struct m64 *in, struct m64 *out, uint64_t *words)
{
	unsigned n = 0;

	for (int i = 0; i < 4; i++) {
		n += vn_recv(&rx, &out[i]);
		n += vn_send(&tx, &in[i]);
		n += vn_send(&ltx, &words[i]);
		n += vn_recv(&lrx, &words[i + 4]);
	}
	if (n == 0)
		n += vn_send(&tx, &in[4]) + vn_send(&ltx, &words[8]) + vn_recv(&rx, &out[4]);
	return n;
}

unsigned zero_copy(struct m64 *in, struct m64 *out)
{
	unsigned n = 0;
	void *slot;
	const void *m;

	while (n < 4 && (slot = vn_reserve(&tx)))
		*(struct m64 *)slot = in[n++];
	vn_commit(&tx);
	for (unsigned i = 0; i < 4 && (m = vn_peek(&rx)); i++)
		out[i] = *(const struct m64 *)m;
	vn_release(&rx);
	if ((slot = vn_reserve(&tx))) {
		*(struct m64 *)slot = in[4];
		vn_commit(&tx);
	}
	if ((m = vn_peek(&rx))) {
		out[4] = *(const struct m64 *)m;
		vn_release(&rx);
	}
	return n;
}

unsigned bursts(struct m64 *in, struct m64 *out, uint64_t *words)
{
	unsigned n = 0;

	n += vn_recv_burst(&rx, out, 4);
	n += vn_send_burst(&tx, in, 4);
	n += vn_recv_burst(&lrx, words, 4);
	n += vn_send_burst(&ltx, words, 4);
	if (n == 0)
		n += vn_send_burst(&tx, in, 2) + vn_recv_burst(&rx, out, 2) +
		     vn_send_burst(&ltx, words, 2) + vn_recv_burst(&lrx, words, 2);
	return n;
}
"""


@pytest.mark.skipif(not shutil.which("objdump"), reason="no objdump (binutils)")
@pytest.mark.parametrize("unit", ["ring", "api"])
def test_hot_path_is_inlined(tmp_path, unit):
    src, obj = tmp_path / "unit.c", tmp_path / "unit.o"
    src.write_text(UNIT if unit == "ring" else API_UNIT)
    subprocess.run(["gcc", "-std=gnu11", "-O2", "-fno-strict-aliasing", "-Wall", "-Werror",
                    "-I", str(REPO / "runtime/include"), "-c", str(src), "-o", str(obj)],
                   check=True)
    dis = subprocess.run(["objdump", "-dr", "--no-show-raw-insn", str(obj)], check=True,
                         capture_output=True, text=True).stdout
    called = {}  # function -> what it calls or jumps to outside itself
    fn, lines = None, dis.splitlines() + [""]
    for i, line in enumerate(lines):
        if line.endswith(">:"):
            fn = line.split("<")[1].rstrip(">:")
        elif "\tcall" in line or "\tjmp" in line:
            target = line.split("<")[1].split("+")[0].rstrip(">") if "<" in line else ""
            if "R_X86_64" in lines[i + 1]:  # to a symbol the linker resolves
                target = lines[i + 1].split()[-1].split("-")[0]
            if target != fn:
                called.setdefault(fn, []).append(target)
    assert called.get("singles", []) == [], called
    assert called.get("zero_copy", []) == [], called
    assert set(called.get("bursts", [])) <= {"memcpy"}, called
    syms = subprocess.run(["nm", str(obj)], check=True, capture_output=True, text=True).stdout
    assert [s for s in syms.split() if s.startswith("vn_")] == [], syms


# A poll-mode shard's channels on riscv64, packed and sequenced, every call
# that publishes or reads the other side: and the arms before a sleep.
RISCV_UNIT = "#include <vanity.h>\n" + r"""
struct m64 { uint64_t w[8]; };
static struct vn_tx_state ts[2];
static struct vn_rx_state rs[2];
static const struct vn_tx tx = VN_TX_INIT(0, 0x40000000ul, 64, 1024, 0, &ts[0]);
static const struct vn_rx rx = VN_RX_INIT(0, 0x40000000ul, 64, 1024, 0, &rs[0]);
static const struct vn_tx stx = VN_TX_INIT(1, 0x40100000ul, 64, 256, VN_EP_SEQ, &ts[1]);
static const struct vn_rx srx = VN_RX_INIT(1, 0x40100000ul, 64, 256, VN_EP_SEQ, &rs[1]);

unsigned traffic(struct m64 *in, struct m64 *out)
{
	unsigned n = 0;

	for (int i = 0; i < 2; i++) {
		n += vn_recv(&rx, &out[i]) + vn_send(&tx, &in[i]);
		n += vn_recv(&srx, &out[i + 2]) + vn_send(&stx, &in[i + 2]);
	}
	n += vn_recv_burst(&rx, out, 4) + vn_send_burst(&tx, in, 4);
	n += vn_recv_burst(&srx, out, 4) + vn_send_burst(&stx, in, 4);
	return n;
}

unsigned arms(void)
{
	unsigned n = vn_rx_arm(&rx) + vn_tx_arm(&stx);

	vn_rx_disarm(&rx);
	vn_tx_disarm(&stx);
	return n;
}
"""


@pytest.mark.skipif(not shutil.which("riscv64-unknown-elf-gcc"), reason="no riscv64-unknown-elf-gcc")
def test_riscv64_orderings_are_rvwmo_ones(tmp_path):
    """GCC 12 makes a release store an AMO swap after `fence iorw,ow`, a
    relaxed one an AMO swap, and an acquire load a load and a full fence
    (`fence iorw,iorw`, which orders device I/O too). vanity/atomic.h gives
    the ring the RVWMO mappings
    instead: no AMO in the traffic or the arms, and no fence but `r,rw`
    after an acquire load and `rw,w` before a release store; the arms'
    seq_cst fence (Dekker, before a sleep) is their only other."""
    src, obj = tmp_path / "unit.c", tmp_path / "unit.o"
    src.write_text(RISCV_UNIT)
    inc = subprocess.run(["riscv64-unknown-elf-gcc", "-print-file-name=include"], check=True,
                         capture_output=True, text=True).stdout.strip()
    subprocess.run(["riscv64-unknown-elf-gcc", "-std=gnu11", "-O2", "-march=rv64imafdc_zba_zbb",
                    "-mabi=lp64d", "-ffreestanding", "-nostdinc", "-isystem", inc, "-isystem",
                    str(REPO / "runtime/freestanding/include"), "-Wall", "-Werror",
                    "-I", str(REPO / "runtime/include"), "-I", str(REPO / "runtime/arch/riscv64"),
                    "-c", str(src), "-o", str(obj)],
                   check=True)
    dis = subprocess.run(["riscv64-unknown-elf-objdump", "-d", "--no-show-raw-insn", str(obj)],
                         check=True, capture_output=True, text=True).stdout
    fences, amos, fn = {}, [], None
    for line in dis.splitlines():
        if line.endswith(">:"):  # a function, or a local label in one
            name = line.split("<")[1].rstrip(">:")
            fn = fn if name.startswith(".L") else name
            continue
        parts = line.split("\t")
        if len(parts) < 2:
            continue
        op = parts[1].strip()
        if op.startswith("amo") or op.startswith("lr.") or op.startswith("sc."):
            amos.append((fn, line.strip()))
        if op == "fence":
            fences.setdefault(fn, set()).add(parts[2].strip() if len(parts) > 2 else "")
    assert amos == []
    assert fences.get("traffic") == {"r,rw", "rw,w"}, fences
    # the seq_cst fence: "" (objdump's plain `fence`, iorw,iorw) from GCC
    # 12, rw,rw from later ones
    full = {"", "iorw,iorw", "rw,rw"}
    arms = fences.get("arms", set())
    assert "r,rw" in arms and arms - {"r,rw"} and arms - {"r,rw"} <= full, fences
