"""The reload image as the host tools write it (generator/reload.py) against
the kernel's own definitions (runtime/include/vanity/reload.h): the header's
layout, and the words of every status."""

import hashlib
import struct
import subprocess

from vanity_testlib import REPO

from generator import reload

PROBE = r"""
#include <stddef.h>
#include <stdio.h>
#include <vanity/reload.h>
#define F(f) printf("%s %zu\n", #f, offsetof(struct vn_reload_hdr, f));
int main(void)
{
	F(magic) F(version) F(hdr_size) F(machine) F(shard) F(board) F(iface) F(length)
	F(sha256) F(sig_kind) F(sig_len) F(name)
	printf("size %zu\n", sizeof(struct vn_reload_hdr));
	for (unsigned i = 0; i < VN_RELOAD_COUNT; i++)
		printf("why %s\n", vn_reload_why(i));
	return 0;
}
"""


def _probe(tmp_path):
    src, exe = tmp_path / "probe.c", tmp_path / "probe"
    src.write_text(PROBE)
    subprocess.run(["gcc", "-std=gnu11", "-Wall", "-Werror", f"-I{REPO}/runtime/include",
                    str(src), "-o", str(exe)], check=True)
    return subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout


def test_header_and_words_match_the_kernel(tmp_path):
    out = _probe(tmp_path).splitlines()
    offsets = dict(line.split() for line in out if not line.startswith("why "))
    data = reload.package(b"\x01\x02\x03", 183, 7, "worker", 0x1122334455667788,
                          0x99AABBCCDDEEFF00)
    assert int(offsets["size"]) == reload.HDR.size == 128
    at = {k: int(v) for k, v in offsets.items() if k != "size"}
    assert struct.unpack_from("<I", data, at["magic"])[0] == 0x4C524E56
    assert struct.unpack_from("<H", data, at["version"])[0] == 1
    assert struct.unpack_from("<H", data, at["hdr_size"])[0] == 128
    assert struct.unpack_from("<I", data, at["machine"])[0] == 183
    assert struct.unpack_from("<I", data, at["shard"])[0] == 7
    assert struct.unpack_from("<Q", data, at["board"])[0] == 0x1122334455667788
    assert struct.unpack_from("<Q", data, at["iface"])[0] == 0x99AABBCCDDEEFF00
    assert struct.unpack_from("<Q", data, at["length"])[0] == 3
    assert data[at["sha256"]:at["sha256"] + 32] == hashlib.sha256(b"\x01\x02\x03").digest()
    assert struct.unpack_from("<II", data, at["sig_kind"]) == (0, 0)
    assert data[at["name"]:at["name"] + 7] == b"worker\0"
    assert data[128:] == b"\x01\x02\x03"
    assert reload.unpack(data)["name"] == "worker"
    words = [line[4:] for line in out if line.startswith("why ")]
    assert words == [w for _, w in reload.REASONS]
    assert reload.STATUS[0] == "OK" and reload.why(3) == words[3]
