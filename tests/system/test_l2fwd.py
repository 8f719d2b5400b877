"""examples/l2fwd on QEMU, fed real traffic: the virtio-net driver
(drivers/virtio_net) and DPDK's l2fwd sample, on qemu-virt-aarch64 and
qemu-virt-riscv64, polled and interrupt-driven, over the legacy (QEMU's
default) and the modern virtio-mmio interface.

QEMU gets two virtio-net-devices whose backends are UDP sockets on
127.0.0.1 (-netdev dgram): each Ethernet frame is one datagram. The test
owns the other end of both: it injects frames into port 0 and reads what
comes out of port 1, then the reverse, and checks every frame arrived
exactly once, in order per flow, with l2fwd's MAC rewrite and its payload
intact. A frame of EtherType 0x88b5 stops the forwarder, which prints its
final per-port statistics and exits with status 0; the test checks them
against what it sent. It first drains its transmit rings: frames sent right
before the stop frame must all leave (repeated boots on a busy host, and a
device slowed on purpose with QEMU's tx=timer).

Everything is generated and built into pytest's tmp dirs, every wait is
bounded, and the QEMU session is killed at the end whatever happened.
"""

import os
import re
import socket
import struct
import subprocess
import threading
import time

import pytest
import yaml

from systest_lib import PYTHON, REPO, VANITY, kill_session, outliving

SPEC = REPO / "examples" / "l2fwd" / "l2fwd.yaml"
BOARDS = ["qemu-virt-aarch64", "qemu-virt-riscv64"]
QEMU_BIN = {"qemu-virt-aarch64": "qemu-system-aarch64",
            "qemu-virt-riscv64": "qemu-system-riscv64"}
MAC = [bytes.fromhex("525400000010"), bytes.fromhex("525400000011")]
STOP_ETHERTYPE = 0x88b5
DATA_ETHERTYPE = 0x88b6   # IEEE local experimental 2: no host stack cares
MAGIC = b"VNL2"
READY_TIMEOUT = 120       # build and boot
EXIT_TIMEOUT = 30
N_FRAMES = 1000
N_FLOWS = 4
RATE = 2000               # frames/s of the paced runs, at most
WINDOW = 64               # frames in flight, at most, in the paced runs


def free_udp_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def host_socket():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.bind(("127.0.0.1", 0))
    return s


def yield_spec(spec, dest):
    """A copy of spec in dest for interrupts (mode yield), its sources
    still pointing into the repository."""
    return spec_with(spec, dest, lambda shard: shard.update(mode="yield"))


def spec_with(spec, dest, edit):
    """A copy of spec in dest whose shard edit(shard) changed, its sources
    still pointing into the repository."""
    doc = yaml.safe_load(spec.read_text())
    shard = doc["shards"][0]
    shard["sources"] = [os.path.relpath((spec.parent / s).resolve(), dest)
                        for s in shard["sources"]]
    edit(shard)
    dest.mkdir(parents=True, exist_ok=True)
    copy = dest / spec.name
    copy.write_text(yaml.safe_dump(doc, sort_keys=False))
    return copy


class Forwarder:
    """One l2fwd system under QEMU, and the host ends of its two ports."""

    def __init__(self, board, spec, workdir, modern=False, build=None, device_opts="",
                 qemu_args=()):
        """build: where the generated sources and binaries go (default
        workdir); trials of one system share it, so only the first builds.
        device_opts: more properties for both virtio-net-devices;
        qemu_args: more arguments for QEMU."""
        build = build or workdir
        self.host = [host_socket(), host_socket()]
        self.guest_port = [free_udp_port(), free_udp_port()]
        workdir.mkdir(parents=True, exist_ok=True)
        self.log_path = workdir / "console.txt"
        args = []
        for p in (0, 1):
            args += ["-netdev",
                     f"dgram,id=n{p},local.type=inet,local.host=127.0.0.1,"
                     f"local.port={self.guest_port[p]},remote.type=inet,"
                     f"remote.host=127.0.0.1,remote.port={self.host[p].getsockname()[1]}",
                     "-device", f"virtio-net-device,netdev=n{p},mac={MAC[p].hex(':')}"
                     f"{device_opts}"]
        if modern:
            args += ["-global", "virtio-mmio.force-legacy=false"]
        args += list(qemu_args)
        self.build = build
        self.cmd = [PYTHON, VANITY, "run", spec, "--board", board,
                    "-o", build / "out", "--build-dir", build / "build", "--", *args]
        env = dict(os.environ, VANITY_QEMU_TIMEOUT="150")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen([str(c) for c in self.cmd], cwd=REPO, env=env,
                                     stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)

    def output(self):
        return self.log_path.read_text(errors="replace")

    def report(self):
        return f"\n$ {' '.join(map(str, self.cmd))}\n--- console\n{self.output()}---"

    def wait_ready(self):
        """Until l2fwd says its ports are up (it logs its buffer count)."""
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if re.search(r"^\[fwd\] \d+ buffers of", self.output(), re.M):
                return
            if self.proc.poll() is not None:
                pytest.fail(f"l2fwd ended before it was ready{self.report()}", pytrace=False)
            time.sleep(0.1)
        pytest.fail(f"l2fwd not ready within {READY_TIMEOUT} s{self.report()}", pytrace=False)

    def send(self, port, frame):
        self.host[port].sendto(frame, ("127.0.0.1", self.guest_port[port]))

    def stop(self):
        """Sends the stop frame; returns (exit status, final statistics)."""
        self.send(0, frame_header(MAC[0], bytes(6), STOP_ETHERTYPE) + bytes(46))
        try:
            status = self.proc.wait(EXIT_TIMEOUT)
        except subprocess.TimeoutExpired:
            pytest.fail(f"l2fwd did not exit on the stop frame{self.report()}", pytrace=False)
        return status, final_stats(self.output())

    def close(self):
        kill_session(self.proc.pid)
        self.proc.wait()
        self.log.close()
        for s in self.host:
            s.close()
        left = outliving(self.proc.pid)
        assert not left, f"processes outlived the system: {left}"


def frame_header(dst, src, ethertype):
    return dst + src + struct.pack(">H", ethertype)


def data_frame(dst, flow, seq, direction):
    """A frame of flow with sequence number seq: its own source MAC, a
    length that varies from 60 to 1514 bytes, and a payload derived from
    (direction, flow, seq) so any corruption shows."""
    length = 60 + (seq * 97 + flow * 31) % (1514 - 60 + 1)
    head = frame_header(dst, bytes([0x02, 0, 0, 0, 0xaa, flow]), DATA_ETHERTYPE)
    meta = MAGIC + struct.pack(">BBI", direction, flow, seq)
    fill = bytes((seq + flow + i) & 0xff for i in range(length - len(head) - len(meta)))
    return head + meta + fill


class Reader(threading.Thread):
    """Collects every datagram arriving at a host socket until stopped."""

    def __init__(self, sock):
        super().__init__(daemon=True)
        self.sock, self.frames, self.times = sock, [], []
        self.done = threading.Event()
        sock.settimeout(0.05)

    def run(self):
        while not self.done.is_set():
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                return
            self.frames.append(data)
            self.times.append(time.monotonic())

    def wait_for(self, n, timeout):
        deadline = time.monotonic() + timeout
        while len(self.frames) < n and time.monotonic() < deadline:
            time.sleep(0.01)
        return len(self.frames)

    def stop(self):
        self.done.set()
        self.join(2)


def paced(fwd, port, frames, rate=RATE, reader=None, window=WINDOW):
    """Sends frames into port at about rate frames/s, and never more than
    window frames ahead of what reader has seen come out (when given): a
    host that stalls QEMU for a moment (these machines are shared) then
    costs time, not frames, as QEMU's socket buffer never overflows.
    Returns the seconds taken."""
    base = len(reader.frames) if reader else 0
    t0 = time.monotonic()
    for i, f in enumerate(frames):
        if reader:
            deadline = time.monotonic() + 5
            while base + i - len(reader.frames) >= window and time.monotonic() < deadline:
                time.sleep(0.0005)
        fwd.send(port, f)
        if i % 8 == 7:
            ahead = t0 + (i + 1) / rate - time.monotonic()
            if ahead > 0:
                time.sleep(ahead)
    return time.monotonic() - t0


def check_forwarded(sent, got, out_port, in_port):
    """Every frame once, in order per flow, MACs rewritten, payload intact."""
    dst = bytes([2, 0, 0, 0, 0, out_port])
    expect = {}
    for f in sent:
        direction, flow, seq = struct.unpack(">BBI", f[18:24])
        expect.setdefault(flow, []).append((seq, f))
    seen = {}
    for f in got:
        assert f[:6] == dst, f"destination MAC {f[:6].hex(':')}, expected {dst.hex(':')}"
        assert f[6:12] == MAC[out_port], \
            f"source MAC {f[6:12].hex(':')}, expected port {out_port}'s {MAC[out_port].hex(':')}"
        assert f[14:18] == MAGIC, f"not one of ours: {f[:32].hex()}"
        direction, flow, seq = struct.unpack(">BBI", f[18:24])
        assert direction == in_port, f"frame of direction {direction} came out of port {out_port}"
        seen.setdefault(flow, []).append((seq, f))
    for flow, frames in expect.items():
        got_seqs = [s for s, _ in seen.get(flow, [])]
        want_seqs = [s for s, _ in frames]
        missing = sorted(set(want_seqs) - set(got_seqs))
        assert not missing, f"flow {flow}: {len(missing)} frames lost, first {missing[:10]}"
        assert len(got_seqs) == len(set(got_seqs)), f"flow {flow}: duplicated frames"
        assert got_seqs == want_seqs, f"flow {flow}: out of order"
        for (_, a), (_, b) in zip(frames, seen[flow]):
            assert len(a) == len(b) and a[12:] == b[12:], \
                f"flow {flow}: payload changed ({len(a)} bytes sent, {len(b)} received)"


STAT_RE = re.compile(r"^\[fwd\] (Packets sent|Packets received|Packets dropped):\s+(\d+)$")
DROP_RE = re.compile(r"^\[fwd\]   runt (\d+) oversize (\d+) badlen (\d+) tx-full (\d+) "
                     r"rx-nobuf (\d+) bad-used (\d+) tx-pending (\d+)$")


def final_stats(text):
    """The final statistics table: [{'tx':, 'rx':, 'dropped':, 'runt':, ...}] per port."""
    lines = text.splitlines()
    try:
        start = max(i for i, ln in enumerate(lines) if ln.startswith("[fwd] Final statistics"))
    except ValueError:
        return None
    ports, keys = [], {"Packets sent": "tx", "Packets received": "rx",
                       "Packets dropped": "dropped"}
    for ln in lines[start:]:
        if ln.startswith("[fwd] Statistics for port"):
            ports.append({})
        elif (m := STAT_RE.match(ln)) and ports:
            ports[-1][keys[m[1]]] = int(m[2])
        elif (m := DROP_RE.match(ln)) and ports:
            ports[-1].update(zip(("runt", "oversize", "badlen", "tx_full", "rx_nobuf",
                                  "bad_used", "tx_pending"), map(int, m.groups())))
    return ports


def flows(dst, direction, n=N_FRAMES):
    return [data_frame(dst, i % N_FLOWS, i // N_FLOWS, direction) for i in range(n)]


def burst_throughput(fwd, readers, n=2000):
    """Sends n frames into port 0 as fast as the host can; returns
    (received, frames/s at the far end). Losses are allowed here."""
    base = len(readers[1].frames)
    frames = flows(MAC[0], 0, n)
    t0 = time.monotonic()
    for f in frames:
        fwd.send(0, f)
    readers[1].wait_for(base + n, 10)
    # settle: a few more may still be on their way
    time.sleep(0.3)
    got = len(readers[1].frames) - base
    if got == 0:
        return 0, 0.0
    t1 = readers[1].times[-1]
    return got, got / max(t1 - t0, 1e-6)


CONFIGS = [
    pytest.param(b, m, v, id=f"{b.split('-')[-1]}-{m}-{'modern' if v else 'legacy'}")
    for b in BOARDS for (m, v) in (("poll", False), ("yield", False), ("poll", True))
]


def make_spec(mode, tmp_path):
    return yield_spec(SPEC, tmp_path / "spec") if mode == "yield" else SPEC


def need_qemu(board):
    import shutil
    if shutil.which(QEMU_BIN[board]) is None:
        pytest.fail(f"{QEMU_BIN[board]} is not installed", pytrace=False)


@pytest.mark.parametrize("board,mode,modern", CONFIGS)
def test_forwarding(board, mode, modern, tmp_path):
    need_qemu(board)
    fwd = Forwarder(board, make_spec(mode, tmp_path), tmp_path, modern)
    readers = [Reader(s) for s in fwd.host]
    try:
        for r in readers:
            r.start()
        fwd.wait_ready()
        version = 2 if modern else 1
        assert len(re.findall(rf"^\[fwd\] port \d: virtio-mmio v{version} ", fwd.output(),
                              re.M)) == 2, f"not virtio-mmio v{version}{fwd.report()}"

        rates = {}
        for in_port, out_port in ((0, 1), (1, 0)):
            base = len(readers[out_port].frames)
            sent = flows(MAC[in_port], in_port)
            secs = paced(fwd, in_port, sent, reader=readers[out_port])
            readers[out_port].wait_for(base + len(sent), 10)
            time.sleep(0.2)  # a duplicate would arrive now
            check_forwarded(sent, readers[out_port].frames[base:], out_port, in_port)
            rates[in_port] = len(sent) / secs
        # as fast as a window of 64 frames in flight allows: still no loss
        base = len(readers[1].frames)
        sent = flows(MAC[0], 0, 2000)
        secs = paced(fwd, 0, sent, rate=1e9, reader=readers[1])
        readers[1].wait_for(base + len(sent), 10)
        check_forwarded(sent, readers[1].frames[base:], 1, 0)
        window_fps = len(sent) / (readers[1].times[-1] - readers[1].times[base] + 1e-6)
        got, fps = burst_throughput(fwd, readers)
        print(f"\n{board} {mode} v{version}: paced {rates[0]:.0f} and {rates[1]:.0f} frames/s "
              f"without loss; windowed {window_fps:.0f} frames/s without loss; "
              f"unpaced burst: {got}/2000 forwarded, {fps:.0f} frames/s")
        assert got > 0, f"nothing forwarded in the burst{fwd.report()}"

        status, stats = fwd.stop()
        assert status == 0, f"exit status {status}{fwd.report()}"
        assert stats and len(stats) == 2, f"no final statistics{fwd.report()}"
        p0, p1 = stats
        # what port 0 received (paced, burst, the stop frame) went out of
        # port 1 or was dropped there for want of room
        assert p0["rx"] == p1["tx"] + p1["tx_full"] + 1, stats
        assert p1["rx"] == N_FRAMES and p0["tx"] == N_FRAMES, stats
        assert p1["tx"] >= N_FRAMES + 2000, stats
        # QEMU has exited: the rest of what it sent is in our socket's buffer
        readers[1].wait_for(p1["tx"], 2)
        time.sleep(0.1)
        assert len(readers[1].frames) == p1["tx"], \
            f"host saw {len(readers[1].frames)} frames from port 1, l2fwd sent {p1['tx']}"
        # the burst's losses: before the guest (QEMU's socket buffer, not
        # counted) and in it (port 1's transmit ring full: tx-full)
        print(f"  unpaced burst: {2000 - (p0['rx'] - 1 - N_FRAMES - 2000)} lost before the "
              f"guest, {p1['tx_full']} dropped by it (tx-full)")
        for p in stats:
            assert p["runt"] == p["oversize"] == p["badlen"] == p["bad_used"] == 0, stats
            assert p["tx_pending"] == 0, f"transmit rings not drained: {stats}"
            assert p["dropped"] == p["tx_full"], stats
        # a latency histogram per direction, of every frame sent on
        latency = [int(n) for n in re.findall(
            r"^\[fwd\] Latency in the forwarder, port \d to \d: (\d+) samples, mean \d+ ns",
            fwd.output(), re.M)]
        assert latency == [p1["tx"], p0["tx"]], f"{latency}{fwd.report()}"
    finally:
        for r in readers:
            r.stop()
        fwd.close()


@pytest.mark.parametrize("board", BOARDS, ids=lambda b: b.split("-")[-1])
def test_malformed(board, tmp_path):
    """Runts, oversize frames and a stray stop-looking short frame among good
    ones: l2fwd survives, counts each as dropped, forwards every good one."""
    need_qemu(board)
    fwd = Forwarder(board, SPEC, tmp_path)
    reader = Reader(fwd.host[1])
    try:
        reader.start()
        fwd.wait_ready()
        good = flows(MAC[0], 0, 200)
        runts = [frame_header(MAC[0], bytes(6), DATA_ETHERTYPE)[:n] + bytes(max(0, n - 14))
                 for n in (1, 6, 13, 14, 20, 59)]
        # too long: 1515 (one byte over), 1600, and the largest our 2 KiB
        # buffers hold with the header (2016); QEMU itself drops what does
        # not fit a buffer, so that case never reaches the driver
        oversize = [frame_header(MAC[0], bytes(6), DATA_ETHERTYPE) + bytes(n - 14)
                    for n in (1515, 1600, 2016)]
        bad = runts + oversize
        stream = []
        for i, f in enumerate(good):
            stream.append(f)
            if i % 20 == 10 and bad:
                stream.append(bad.pop(0))
        stream += bad
        paced(fwd, 0, stream, rate=1000, reader=reader)
        reader.wait_for(len(good), 10)
        time.sleep(0.2)
        check_forwarded(good, reader.frames, 1, 0)

        status, stats = fwd.stop()
        assert status == 0, f"exit status {status}{fwd.report()}"
        assert stats and len(stats) == 2, f"no final statistics{fwd.report()}"
        p0 = stats[0]
        assert p0["runt"] == len(runts), stats
        assert p0["oversize"] == len(oversize), stats
        assert p0["dropped"] == len(runts) + len(oversize), stats
        assert p0["rx"] == len(good) + 1, stats  # and the stop frame
        assert stats[1]["tx"] == len(good), stats
        assert not re.search(r"faulted|panic", fwd.output()), fwd.report()
    finally:
        reader.stop()
        fwd.close()


SPLIT = REPO / "examples" / "l2fwd" / "split" / "split.yaml"


@pytest.mark.parametrize("board", BOARDS, ids=lambda b: b.split("-")[-1])
def test_split_design_forwards(board, tmp_path):
    """The design split by port (a shard per NIC, frames handed over by
    handle through two buffer pools) runs on bare metal too: on
    qemu-virt-riscv64 each NIC has a page of its own; on qemu-virt-aarch64
    the two share one, so neither shard maps it and the kernel makes their
    register accesses. Both directions, every frame once and in order, and
    no handle refused, buffer given back unlent or buffer lost."""
    need_qemu(board)
    fwd = Forwarder(board, SPLIT, tmp_path)
    readers = [Reader(s) for s in fwd.host]
    try:
        for r in readers:
            r.start()
        deadline = time.monotonic() + READY_TIMEOUT
        while len(re.findall(r"^\[port\d\] port \d: \d+ buffers of", fwd.output(), re.M)) < 2:
            assert fwd.proc.poll() is None and time.monotonic() < deadline, \
                f"the split forwarder did not come up{fwd.report()}"
            time.sleep(0.1)
        there, back = flows(MAC[0], 0, 400), flows(MAC[1], 1, 400)
        paced(fwd, 0, there, reader=readers[1])
        paced(fwd, 1, back, reader=readers[0])
        readers[1].wait_for(len(there), 10)
        readers[0].wait_for(len(back), 10)
        check_forwarded(there, readers[1].frames, 1, 0)
        check_forwarded(back, readers[0].frames, 0, 1)
        fwd.send(0, frame_header(MAC[0], bytes(6), STOP_ETHERTYPE) + bytes(46))
        assert fwd.proc.wait(EXIT_TIMEOUT) == 0, fwd.report()
        pools = re.findall(r"pool (frames\d): \d+ of \d+ free; refused handles (\d+) "
                           r"\(returns of buffers not lent (\d+)\), lost returns (\d+)",
                           fwd.output())
        assert {p[0] for p in pools} == {"frames0", "frames1"}, fwd.report()
        assert all(p[1:] == ("0", "0", "0") for p in pools), fwd.report()
    finally:
        for r in readers:
            r.stop()
        fwd.close()


DRAIN_TRIALS = 12         # boots per board
DRAIN_FRAMES = 16         # sent right before the stop frame


def cpu_hog():
    """A process that keeps one host CPU busy: QEMU's threads then compete
    for the machine, as on a loaded host."""
    return subprocess.Popen(["sha256sum", "/dev/zero"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)


@pytest.mark.parametrize("board", BOARDS, ids=lambda b: b.split("-")[-1])
def test_stop_drains_transmit_rings(board, tmp_path):
    """16 frames into port 0 with the stop frame right behind them, so the
    forwarder transmits them in the burst that stops it: each of
    DRAIN_TRIALS boots (legacy and modern interface in turn), on a host kept
    busy, every one of the 16 leaves port 1 before QEMU exits, and the
    final statistics' "sent" is what the host read."""
    need_qemu(board)
    hog = cpu_hog()
    results = []
    try:
        for trial in range(DRAIN_TRIALS):
            modern = trial % 2 == 1
            fwd = Forwarder(board, SPEC, tmp_path / f"trial{trial}", modern,
                            build=tmp_path)
            reader = Reader(fwd.host[1])
            try:
                reader.start()
                fwd.wait_ready()
                sent = flows(MAC[0], 0, DRAIN_FRAMES)
                for f in sent:
                    fwd.send(0, f)
                status, stats = fwd.stop()
                assert status == 0, f"trial {trial}: exit status {status}{fwd.report()}"
                assert stats and len(stats) == 2, \
                    f"trial {trial}: no final statistics{fwd.report()}"
                # QEMU has exited: what it sent is in our socket's buffer
                got = reader.wait_for(DRAIN_FRAMES, 2)
                time.sleep(0.1)  # a duplicate would arrive now
                p0, p1 = stats
                results.append(len(reader.frames))
                assert p1["tx"] == len(reader.frames), \
                    f"trial {trial}: port 1 says sent {p1['tx']}, the host read " \
                    f"{len(reader.frames)}{fwd.report()}"
                assert got == DRAIN_FRAMES, \
                    f"trial {trial}: {got} of {DRAIN_FRAMES} frames left port 1{fwd.report()}"
                assert p1["tx_pending"] == 0 and p1["tx_full"] == 0, \
                    f"trial {trial}: {stats}{fwd.report()}"
                assert p0["rx"] == DRAIN_FRAMES + 1, f"trial {trial}: {stats}"
                check_forwarded(sent, reader.frames, 1, 0)
            finally:
                reader.stop()
                fwd.close()
    finally:
        hog.kill()
        hog.wait()
    print(f"\n{board}: {len(results)} stops under load, frames out each time: {results}")


@pytest.mark.parametrize("board", BOARDS, ids=lambda b: b.split("-")[-1])
def test_drain_waits_for_a_slow_device_and_reports_its_bound(board, tmp_path):
    """QEMU's timer transmit mode (tx=timer) holds transmitted frames until
    x-txtimer ns after the doorbell: a slow device, on purpose. With the
    timer at 300 ms, l2fwd's drain (1000 ms) waits and all 16 frames sent
    right before the stop frame leave. With the timer at 3 s and the drain
    bound cut to 100 ms, the bound is hit: l2fwd says so, port 1's
    tx-pending is the 16 it still held, and sent - tx-pending is what the
    host read (nothing)."""
    need_qemu(board)
    short = spec_with(SPEC, tmp_path / "spec", lambda shard: shard.update(
        cflags=shard.get("cflags", []) + ["-DL2FWD_DRAIN_MS=100"]))
    for name, spec, timer_ns, want in (("waits", SPEC, 300_000_000, DRAIN_FRAMES),
                                       ("bound", short, 3_000_000_000, 0)):
        fwd = Forwarder(board, spec, tmp_path / name,
                        device_opts=f",tx=timer,x-txtimer={timer_ns}")
        reader = Reader(fwd.host[1])
        try:
            reader.start()
            fwd.wait_ready()
            sent = flows(MAC[0], 0, DRAIN_FRAMES)
            for f in sent:
                fwd.send(0, f)
            t0 = time.monotonic()
            status, stats = fwd.stop()
            secs = time.monotonic() - t0
            assert status == 0, f"{name}: exit status {status}{fwd.report()}"
            assert stats and len(stats) == 2, f"{name}: no final statistics{fwd.report()}"
            reader.wait_for(want + 1, 1)  # and one more would show
            p1 = stats[1]
            assert p1["tx"] == DRAIN_FRAMES, f"{name}: {stats}{fwd.report()}"
            assert len(reader.frames) == want, \
                f"{name}: the host read {len(reader.frames)}, want {want}{fwd.report()}"
            assert p1["tx"] - p1["tx_pending"] == len(reader.frames), \
                f"{name}: sent {p1['tx']} - pending {p1['tx_pending']} is not what the " \
                f"host read, {len(reader.frames)}{fwd.report()}"
            warned = re.search(r"^\[fwd\] transmit rings not drained after 100 ms: 16 frames "
                               r"counted as sent have not left", fwd.output(), re.M)
            if want:
                check_forwarded(sent, reader.frames, 1, 0)
                assert not warned, f"{name}{fwd.report()}"
            else:
                assert warned, f"{name}: the bound was hit silently{fwd.report()}"
            print(f"\n{board} {name}: {len(reader.frames)} of {DRAIN_FRAMES} out, "
                  f"tx-pending {p1['tx_pending']}, stop to exit {secs:.2f} s")
        finally:
            reader.stop()
            fwd.close()
