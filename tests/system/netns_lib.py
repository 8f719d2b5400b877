"""Real Linux networks for the hosted l2fwd: three network namespaces joined
by two veth pairs, made and torn down by the tests and the benchmark.

    [gen ns]  g0 <==veth==> p0  [fwd ns]  p1 <==veth==> s0  [sink ns]
                             \\__ the forwarder __/

The forwarder under test (Vanity's hosted l2fwd with `--net port0=p0 --net
port1=p1`, a Linux bridge of p0 and p1, or dpdk-testpmd on af_packet vdevs)
runs in the fwd namespace; traffic enters at g0 and is counted at s0 (and
the reverse). IPv6 is off in all three, so no router solicitation or MLD
frame adds to the counts. Needs root (CAP_NET_ADMIN) and a working `ip
netns exec` (not in a chroot or container whose / is not a mount point);
NetTopology.usable() tries both and says why not when it cannot.
"""

import os
import struct
import subprocess

ETH_P_TEST = 0x88b6  # IEEE local experimental 2: our test frames
ETH_P_STOP = 0x88b5  # local experimental 1: examples/l2fwd prints its stats and exits


def _ip(*args, ns=None, check=True):
    cmd = (["ip", "netns", "exec", ns] if ns else []) + ["ip", *args]
    return subprocess.run(cmd, check=check, capture_output=True, text=True)


class NetTopology:
    def __init__(self, tag):
        self.tag = f"{tag}{os.getpid() % 100000}"
        self.gen, self.fwd, self.sink = (f"vn{x}-{self.tag}" for x in ("gen", "fwd", "sink"))
        self.made = []

    _why_not = False  # usable()'s answer, once found: None or a reason

    @classmethod
    def usable(cls):
        """None if this machine can make the topology, else why not. Root
        is not enough: `ip netns exec` remounts / as a slave, which fails
        where / is not a mount point (a chroot, some containers: "mount
        --make-rslave /" failed: Invalid argument), so it is tried once in a
        scratch namespace."""
        if cls._why_not is False:
            cls._why_not = cls._probe()
        return cls._why_not

    @staticmethod
    def _probe():
        if os.geteuid() != 0:
            return "needs root (network namespaces and veth pairs)"
        probe = f"vnprobe{os.getpid()}"
        try:
            r = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True,
                               timeout=30)
        except FileNotFoundError:
            return "needs iproute2 (`ip`)"
        if r.returncode != 0:
            return f"cannot create a network namespace: {r.stderr.strip()}"
        try:
            r = subprocess.run(["ip", "netns", "exec", probe, "ip", "link", "show", "lo"],
                               capture_output=True, text=True, timeout=30)
        finally:
            subprocess.run(["ip", "netns", "del", probe], capture_output=True, timeout=30)
        if r.returncode != 0:
            return f"cannot run a command in a network namespace here " \
                   f"(`ip netns exec`: {r.stderr.strip() or f'exit status {r.returncode}'})"
        return None

    def __enter__(self):
        for ns in (self.gen, self.fwd, self.sink):
            _ip("netns", "add", ns)
            self.made.append(ns)
            subprocess.run(["ip", "netns", "exec", ns, "sysctl", "-qw",
                            "net.ipv6.conf.all.disable_ipv6=1",
                            "net.ipv6.conf.default.disable_ipv6=1"], check=True)
            _ip("link", "set", "lo", "up", ns=ns)
        _ip("link", "add", "g0", "netns", self.gen, "type", "veth", "peer", "p0",
            "netns", self.fwd)
        _ip("link", "add", "p1", "netns", self.fwd, "type", "veth", "peer", "s0",
            "netns", self.sink)
        # MTU 2000: room for an oversize (> 1514-byte) test frame to reach
        # the forwarder, which must drop it.
        for ns, dev in ((self.gen, "g0"), (self.fwd, "p0"), (self.fwd, "p1"),
                        (self.sink, "s0")):
            _ip("link", "set", dev, "mtu", "2000", "up", ns=ns)
        return self

    def __exit__(self, *exc):
        for ns in self.made:
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)

    def mac(self, ns, dev):
        out = _ip("-o", "link", "show", dev, ns=ns).stdout
        return out.split("link/ether ")[1].split()[0]

    def bridge(self):
        """p0 and p1 in a Linux bridge: the kernel's own forwarder."""
        _ip("link", "add", "br0", "type", "bridge", ns=self.fwd)
        _ip("link", "set", "p0", "master", "br0", ns=self.fwd)
        _ip("link", "set", "p1", "master", "br0", ns=self.fwd)
        _ip("link", "set", "br0", "up", ns=self.fwd)

    def popen(self, ns, cmd, **kw):
        return subprocess.Popen(["ip", "netns", "exec", ns, *map(str, cmd)], **kw)


def frame(dst, src, payload, ethertype=ETH_P_TEST):
    """An Ethernet frame, of our test ethertype unless told otherwise."""
    return bytes.fromhex(dst.replace(":", "")) + bytes.fromhex(src.replace(":", "")) + \
        struct.pack("!H", ethertype) + payload


class Capture:
    """Frames of the test ethertype arriving at an interface, read in a
    child process inside its namespace (so the socket is bound there): up
    to `want` of them, until none came for `quiet` seconds. The first may
    take up to FIRST seconds: on a loaded host (a CPU hog, a sanitized
    kernel) the sender itself may take seconds to start."""

    FIRST = 20.0

    SCRIPT = r"""
import socket, sys, time
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x88b6))
s.bind((sys.argv[1], 0))
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
print("ready", flush=True)
want, quiet, first = int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
s.settimeout(first)
out = sys.stdout.buffer
n = 0
while n < want:
    try:
        f = s.recv(65536)
    except socket.timeout:
        break
    out.write(len(f).to_bytes(4, "little") + f)
    n += 1
    s.settimeout(quiet)
out.flush()
"""

    def __init__(self, topo, ns, dev, want, quiet=3.0):
        self.proc = topo.popen(ns, ["/usr/bin/python3", "-c", self.SCRIPT, dev, want, quiet,
                                    self.FIRST],
                               stdout=subprocess.PIPE)
        line = self.proc.stdout.readline()
        assert line == b"ready\n", f"capture on {dev} did not start: {line!r}"

    def frames(self, timeout=60):
        data, _ = self.proc.communicate(timeout=timeout)
        out, i = [], 0
        while i + 4 <= len(data):
            n = int.from_bytes(data[i:i + 4], "little")
            out.append(data[i + 4:i + 4 + n])
            i += 4 + n
        return out


def send_frames(topo, ns, dev, frames, gap_us=0):
    """Sends frames from inside ns with a raw socket (a child process)."""
    script = r"""
import socket, sys, time
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((sys.argv[1], 0))
gap = float(sys.argv[2]) / 1e6
data = sys.stdin.buffer.read()
i = 0
while i < len(data):
    n = int.from_bytes(data[i:i + 4], "little")
    s.send(data[i + 4:i + 4 + n])
    i += 4 + n
    if gap:
        time.sleep(gap)
"""
    blob = b"".join(len(f).to_bytes(4, "little") + f for f in frames)
    p = topo.popen(ns, ["/usr/bin/python3", "-c", script, dev, gap_us],
                   stdin=subprocess.PIPE)
    p.communicate(blob, timeout=120)
    assert p.returncode == 0
