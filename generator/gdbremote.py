"""The reload door of a QEMU board, reached the way a debug probe reaches a
real one: through QEMU's gdbstub (GDB's remote serial protocol), which
`vanity run` starts on <build dir>/run/gdb.sock (live.qemu_args).

The door (runtime/include/vanity/reload.h: struct vn_door) is RAM the
generator set aside (manifest `reload_door`): a mailbox page, then room for
one reload image. To hand the kernel an image, door_reload():

  1. reads the mailbox (QMP pmemsave when <build dir>/run/qmp.sock is there,
     which does not stop the guest; else through the gdbstub) until the
     kernel has opened it;
  2. stops the guest through the gdbstub (a connection stops it; 0x03 and
     its stop reply make sure), switches the stub to physical addresses
     (`Qqemu.PhyMemMode:1`: a CPU stopped in a shard sees that shard's
     address space, where the door is not mapped), writes the image after
     the mailbox page and then the request (magic, shard, length, the next
     sequence number) with `M` packets, and lets the guest go on (`D`);
  3. polls the mailbox until the kernel answers that sequence number (its
     `done`), or the timeout passes (`pending` if the kernel took it).

Every failure is one line (errors.fail), never a traceback.
"""

import socket
import struct
import time
from pathlib import Path

from . import live
from .errors import fail

DOOR_MAGIC = 0x524F4F44   # VN_DOOR_MAGIC
DOOR_OPEN = 0x4E45504F    # VN_DOOR_OPEN
DOOR_PAGE = 4096          # VN_DOOR_IMAGE: the image follows the mailbox page
# struct vn_door: magic, seq, shard, reserved0, length, reserved1 (the host's);
# open, done, status, generation, taken, reserved2 (the kernel's)
DOOR = struct.Struct("<IIIIQQIIIIII")
PENDING = -1              # accepted, the swap not done yet (generator/reload.py's)
RELOAD_HDR = 128          # VN_RELOAD_HDR
CHUNK = 1024              # bytes per `M` packet (2 KiB of hex: under QEMU's 4 KiB)
POLL = 0.02               # seconds between reads of the answer


class RemoteError(Exception):
    pass


class Remote:
    """A minimal GDB remote protocol client over a unix socket: packets with
    checksums and acks, the interrupt byte, memory reads and writes."""

    def __init__(self, path, timeout=3.0):
        self.path = str(path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        try:
            self.sock.connect(self.path)
        except OSError:
            self.sock.close()
            raise
        self.buf = b""

    def close(self):
        self.sock.close()

    def _byte(self):
        if not self.buf:
            data = self.sock.recv(4096)
            if not data:
                raise RemoteError("the gdbstub closed the connection (the system ended)")
            self.buf = data
        b, self.buf = self.buf[:1], self.buf[1:]
        return b

    def send(self, payload):
        """Sends one packet and waits for its ack."""
        data = payload.encode() if isinstance(payload, str) else payload
        frame = b"$" + data + b"#" + b"%02x" % (sum(data) & 0xFF)
        for _ in range(3):
            self.sock.sendall(frame)
            while True:
                b = self._byte()
                if b == b"+":
                    return
                if b == b"-":
                    break  # resend
                if b == b"$":  # a packet before our ack (a late stop reply): skip it
                    self._packet_body()
        raise RemoteError(f"the gdbstub kept rejecting packet {payload[:16]!r}")

    def _packet_body(self):
        body = b""
        while True:
            b = self._byte()
            if b == b"#":
                break
            body += b
        sum_hex = self._byte() + self._byte()
        ok = int(sum_hex, 16) == (sum(body) & 0xFF)
        try:
            self.sock.sendall(b"+" if ok else b"-")
        except OSError:
            if not ok:
                raise
            # a stub may hang up right after its last reply (D's): the
            # packet is whole, and nobody waits for its ack
        return body if ok else None

    def receive(self):
        """The next packet's payload (acked)."""
        while True:
            b = self._byte()
            if b != b"$":
                continue  # acks and noise between packets
            body = self._packet_body()
            if body is not None:
                return body.decode("latin-1")

    def command(self, payload):
        """Sends a packet and returns its reply. A stop reply (T.., S..) is
        the answer to `?` only: one that arrives unasked (the guest stopped
        when we connected, or on our 0x03) is skipped; no reply to another
        packet starts with T or S (memory is hex)."""
        self.send(payload)
        while True:
            reply = self.receive()
            if payload == "?" or reply[:1] not in ("T", "S"):
                return reply

    def interrupt(self):
        """Stops the guest: 0x03, then its stop reply. QEMU stops the guest
        when a debugger connects, and answers a stopped guest's 0x03 with
        nothing, so a `?` asks for the stop reason too."""
        self.sock.sendall(b"\x03")
        reply = self.command("?")
        while reply[:1] not in ("T", "S"):
            reply = self.receive()
        return reply

    def write(self, addr, data):
        for off in range(0, len(data), CHUNK):
            piece = data[off:off + CHUNK]
            r = self.command(f"M{addr + off:x},{len(piece):x}:{piece.hex()}")
            if r != "OK":
                raise RemoteError(f"writing {len(piece)} bytes at {addr + off:#x}: {r}")

    def read(self, addr, size):
        out = b""
        while len(out) < size:
            n = min(CHUNK, size - len(out))
            r = self.command(f"m{addr + len(out):x},{n:x}")
            if not r or r.startswith("E"):
                raise RemoteError(f"reading {n} bytes at {addr + len(out):#x}: {r}")
            out += bytes.fromhex(r)
        return out

    def physical(self):
        r = self.command("Qqemu.PhyMemMode:1")
        if r != "OK":
            raise RemoteError(f"this QEMU's gdbstub has no physical memory mode ({r!r})")

    def detach(self):
        """Lets the guest run on, and ends the session."""
        self.command("D")


def _connect(path):
    if not Path(path).exists():
        raise fail(f"no running system: {path} does not exist (start it with "
                   "`vanity run SPEC --board B`)")
    try:
        return Remote(path)
    except (ConnectionRefusedError, FileNotFoundError):
        raise fail(f"no running system: nothing listens on {path} (the system has "
                   "ended, or a debugger holds its gdbstub)") from None
    except OSError as exc:
        raise fail(f"cannot connect to {path}: {exc.strerror or exc}") from None


class _Mailbox:
    """Reads the mailbox: over QMP while the guest runs, or the gdbstub."""

    def __init__(self, build_dir, addr):
        self.addr = addr
        self.qmp = None
        qmp = live.qmp_socket(build_dir)
        if qmp.exists():
            try:
                self.qmp = live.Qmp(qmp)
            except Exception:  # noqa: BLE001 - fall back to the gdbstub
                self.qmp = None
        self.gdb = live.gdb_socket(build_dir)

    def read(self):
        if self.qmp is not None:
            try:
                return DOOR.unpack(self.qmp.read(self.addr, DOOR.size))
            except OSError as exc:
                raise fail(f"{self.qmp.path}: the system ended ({exc.strerror or exc})"
                           ) from None
        r = _connect(self.gdb)
        try:
            r.interrupt()
            r.physical()
            data = r.read(self.addr, DOOR.size)
            r.detach()
        except (RemoteError, OSError) as exc:
            raise fail(f"{self.gdb}: {exc}") from None
        finally:
            r.close()
        return DOOR.unpack(data)

    def close(self):
        if self.qmp is not None:
            self.qmp.close()


def door_reload(build_dir, manifest, package, shard_id, timeout=10.0):
    """Hands the reload image `package` (vanity/reload.h: header and image)
    for shard `shard_id` to the kernel of the QEMU board running the build
    in build_dir, through its door; returns the kernel's answer, (status,
    generation): a VN_RELOAD_* status (0: swapped in) and the shard's
    generation after it; or PENDING when the kernel accepted the image but
    has not swapped it within the timeout (the shard has not given its core
    up: it is swapped when it does, and the door takes no other request
    until then)."""
    door = manifest.get("reload_door")
    if not door:
        raise fail(f"system '{manifest.get('system')}' on {manifest.get('board')} has no "
                   "reload door: no shard of it has 'reload:' in its spec")
    addr, size = int(door["addr_int"]), int(door["size_int"])
    room = size - DOOR_PAGE
    if len(package) > room:
        raise fail(f"the reload image is {len(package)} bytes; the door of "
                   f"{manifest.get('board')} holds {room}")
    if len(package) < RELOAD_HDR:
        raise fail(f"the reload image is {len(package)} bytes, shorter than its header")
    deadline = time.monotonic() + timeout
    box = _Mailbox(build_dir, addr)
    try:
        while True:
            mb = box.read()
            if mb[6] == DOOR_OPEN:
                break
            if time.monotonic() > deadline:
                raise fail(f"the kernel did not open its reload door within {timeout:g} s "
                           "(a kernel built before hot reload? rebuild it)")
            time.sleep(POLL)
        seq = (max(mb[1], mb[7]) + 1) & 0xFFFFFFFF or 1
        _knock(live.gdb_socket(build_dir), addr, package, shard_id, seq)
        while True:
            mb = box.read()
            if mb[7] == seq:
                mb = box.read()  # the answer, now that done says it is written
                return mb[8], mb[9]
            if time.monotonic() > deadline:
                if mb[10] == seq:
                    return PENDING, mb[9]
                raise fail(f"the kernel did not answer the reload of shard {shard_id} "
                           f"within {timeout:g} s")
            time.sleep(POLL)
    finally:
        box.close()


def _knock(path, addr, package, shard_id, seq):
    """Stop the guest, write the image and then the request, go on."""
    r = _connect(path)
    try:
        r.interrupt()
        r.physical()
        r.write(addr + DOOR_PAGE, package)
        r.write(addr, struct.pack("<IIIIQ", DOOR_MAGIC, seq, shard_id, 0, len(package)))
        r.detach()
    except socket.timeout:
        raise fail(f"{path}: the gdbstub did not answer in time") from None
    except (RemoteError, OSError) as exc:
        raise fail(f"{path}: {exc}") from None
    finally:
        r.close()
