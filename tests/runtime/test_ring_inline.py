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
