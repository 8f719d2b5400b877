"""generator/gdbremote.py against a fake gdbstub and a fake guest: the
packets (checksums, acks, a stop reply nobody asked for), the door's
protocol (the image after the mailbox page, then the request; the answer
once `done` says it is written), and its one-line errors."""

import socket
import struct
import threading

import pytest

from generator import gdbremote as g
from generator.errors import SpecError

DOOR = 0x41700000
ROOM = 0x100000


class Guest:
    """The door's memory, and a kernel that answers a request it finds
    there the next time the stub lets the guest run (D)."""

    def __init__(self, status=0, generation=2, opened=True):
        self.mem = bytearray(g.DOOR_PAGE + ROOM)
        self.status, self.generation = status, generation
        if opened:
            struct.pack_into("<I", self.mem, 32, g.DOOR_OPEN)
        self.running = True
        self.log = []

    def run(self):
        self.running = True
        magic, seq, shard, _, length, _, opened, done, *_ = g.DOOR.unpack_from(self.mem)
        if magic == g.DOOR_MAGIC and seq != done:
            self.log.append((shard, bytes(self.mem[g.DOOR_PAGE:g.DOOR_PAGE + length])))
            struct.pack_into("<I", self.mem, 48, seq)  # taken
            if self.status is not None:
                struct.pack_into("<III", self.mem, 36, seq, self.status, self.generation)


def stub(sock, guest, phys):
    """Serves one connection: QEMU stops the guest when a debugger connects
    and says so unasked (a T packet), as its gdbstub does."""
    conn, _ = sock.accept()
    guest.running = False

    def reply(payload):
        data = payload.encode()
        conn.sendall(b"$" + data + b"#%02x" % (sum(data) & 0xFF))

    reply("T02thread:01;")
    buf = b""
    while True:
        data = conn.recv(65536)
        if not data:
            return
        buf += data
        while True:
            buf = buf.lstrip(b"+\x03")
            if b"#" not in buf or len(buf) < buf.index(b"#") + 3:
                break
            end = buf.index(b"#")
            body, buf = buf[1:end], buf[end + 3:]
            conn.sendall(b"+")
            cmd = body.decode()
            if cmd == "?":
                reply("T05thread:01;")
            elif cmd == "Qqemu.PhyMemMode:1":
                phys[0] = True
                reply("OK")
            elif cmd[0] in "Mm":
                addr, rest = cmd[1:].split(",", 1)
                addr = int(addr, 16) - DOOR
                if not phys[0] or guest.running:
                    reply("E14")
                elif cmd[0] == "M":
                    n, hexdata = rest.split(":")
                    guest.mem[addr:addr + int(n, 16)] = bytes.fromhex(hexdata)
                    reply("OK")
                else:
                    reply(guest.mem[addr:addr + int(rest, 16)].hex())
            elif cmd == "D":
                reply("OK")
                guest.run()
                conn.close()
                return
            else:
                reply("")


@pytest.fixture
def door(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    path = run / "gdb.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(str(path))
    sock.listen(4)
    guest = Guest()

    def serve():
        while True:
            try:
                stub(sock, guest, [False])
            except OSError:
                return

    threading.Thread(target=serve, daemon=True).start()
    yield tmp_path, guest
    sock.close()


MANIFEST = {"system": "s", "board": "qemu-virt-aarch64",
            "reload_door": {"addr_int": DOOR, "size_int": g.DOOR_PAGE + ROOM}}


def test_door_reload(door):
    build, guest = door
    package = bytes(range(256)) * 20
    assert g.door_reload(build, MANIFEST, package, 3, timeout=5) == (0, 2)
    assert guest.log == [(3, package)]
    guest.status, guest.generation = 9, 2  # a refusal: its status, the generation stays
    assert g.door_reload(build, MANIFEST, package[:200], 3, timeout=5) == (9, 2)
    assert guest.log[1] == (3, package[:200])
    assert g.DOOR.unpack_from(guest.mem)[1] == 2  # the sequence number went up
    guest.status = None  # taken, and its swap waits for the shard's core
    assert g.door_reload(build, MANIFEST, package, 3, timeout=0.3) == (g.PENDING, 2)


def test_door_errors(door, tmp_path):
    build, guest = door
    with pytest.raises(SpecError, match="has no reload door"):
        g.door_reload(build, dict(MANIFEST, reload_door=None), bytes(200), 0)
    with pytest.raises(SpecError, match=f"the door of qemu-virt-aarch64 holds {ROOM}"):
        g.door_reload(build, MANIFEST, bytes(ROOM + 1), 0)
    with pytest.raises(SpecError, match="shorter than its header"):
        g.door_reload(build, MANIFEST, bytes(100), 0)
    with pytest.raises(SpecError, match="no running system"):
        g.door_reload(tmp_path / "elsewhere", MANIFEST, bytes(200), 0)
    struct.pack_into("<I", guest.mem, 32, 0)  # a kernel that never opens it
    with pytest.raises(SpecError, match="did not open its reload door within 0.3 s"):
        g.door_reload(build, MANIFEST, bytes(200), 0, timeout=0.3)
