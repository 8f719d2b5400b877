"""examples/l2fwd on the hosted simulator, on a real Linux network.

The same spec and driver source as on QEMU (drivers/virtio_net), against the
simulator's virtio-net model, whose two cards are XDP sockets (or, forced,
AF_PACKET sockets) on the veth ends p0 and p1 of tests/system/netns_lib.py's
three namespaces:

    trafgen -> g0 ==veth== p0 [port0  l2fwd  port1] p1 ==veth== s0 -> capture

Traffic comes from trafgen (netsniff-ng), a generator not written for this
project, paced so that nothing may be lost; a raw-socket capture at the far
end counts it. Then the reverse direction, then malformed frames (runts and
an oversize frame) mixed with good ones, then a stop frame: l2fwd prints its
per-port statistics and exits with status 0. Checked: every frame arrives
exactly once, in order, with the MACs rewritten as DPDK's l2fwd does
(destination 02:00:00:00:00:<port>, source the sending port's MAC) and its
payload intact; the malformed ones are counted and dropped, and the
forwarder carries on. All of it five times: l2fwd polling, the same with
the cards forced onto AF_PACKET (`--net port0=p0,backend=af_packet`), l2fwd
sleeping until the model's interrupts wake it (yield mode), and the design
split by port (examples/l2fwd/split: a shard per NIC, frames handed over by
handle through buffer pools), polling and in yield mode; each run's log
says which backend each card got. On both backends, p1 goes down while
frames are forwarded to it and comes back: the kernel process sleeps
meanwhile, and the frames it held go out, then new ones; and a frame over
p1's MTU is dropped by the host without holding back the frames behind
it. Where AF_XDP
cannot run (an interface with two receive queues, a kernel process without
the capabilities to load an XDP program) a card falls back to AF_PACKET and
says why, and an explicit backend=af_xdp fails the boot.

Needs root for the namespaces (CI runs as root) and a working `ip netns
exec` (not in a chroot or container whose / is not a mount point);
elsewhere the tests say so and skip.
"""

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from netns_lib import (ETH_P_STOP, Capture, NetTopology, frame, send_frames)
from systest_lib import REPO, Pipes, copy_example, copy_spec, kill_session, shard_of, vanity

SPEC = REPO / "examples" / "l2fwd" / "l2fwd.yaml"
SPLIT = REPO / "examples" / "l2fwd" / "split" / "split.yaml"  # a shard per port
N = 2000          # frames each way
GAP_US = 200      # trafgen's inter-frame gap: 5000 frames/s, far below capacity
PAYLOAD = 46      # bytes after the header: 60-byte frames


def spec_in_mode(work, mode):
    """examples/l2fwd as it is (poll), a copy in yield mode woken by its
    ports' interrupts, or the design split by port (split/split.yaml), as
    it is (polling) or with both ports in yield mode (each woken by its
    NIC's interrupts and the other port's frames: vn_wait_on)."""
    if mode in ("poll", "poll-af_packet"):
        return SPEC
    if mode == "split":
        return SPLIT
    if mode == "split-yield":
        # at work/src/examples/l2fwd/split, so its ../../../drivers/ sources
        # are work/src/drivers, a link to the repository's
        src = work / "src" / "examples" / "l2fwd" / "split"
        src.mkdir(parents=True)
        (work / "src" / "drivers").symlink_to(REPO / "drivers")
        return copy_spec(SPLIT, src, lambda doc: [s.update(mode="yield") for s in doc["shards"]])
    return copy_example(SPEC, work, lambda doc: shard_of(doc, "fwd").update(mode="yield"))


def build(spec, work):
    r = vanity("build", spec, "--board", "hosted", "-o", work / "out",
               "--build-dir", work / "build")
    assert r.status == 0, r.report
    return work / "build" / "kernel"


@pytest.fixture(scope="module", params=["poll", "poll-af_packet", "yield", "split", "split-yield"])
def net(request, tmp_path_factory):
    why = NetTopology.usable()
    if why:
        pytest.skip(f"the hosted l2fwd test {why}")
    work = tmp_path_factory.mktemp("l2fwd-hosted-" + request.param)
    kernel = build(spec_in_mode(work, request.param), work)
    with NetTopology("l2") as topo:
        split = request.param.startswith("split")
        nets = ("nic0=p0", "nic1=p1") if split else ("port0=p0", "port1=p1")
        backend = "af_packet" if request.param.endswith("af_packet") else "af_xdp"
        if backend == "af_packet":
            nets = tuple(n + ",backend=af_packet" for n in nets)
        run = L2fwdRun(topo, work, kernel, *nets, shards=2 if split else 1)
        run.backend, run.split, run.mode = backend, split, request.param
        try:
            yield run
        finally:
            run.finish()


class L2fwdRun:
    """The hosted kernel of l2fwd in the forwarder's namespace, its ports on
    p0 and p1 (`--net` values given), up once its buffers are posted. Its
    stdout and stderr are read as they come (.stdout, .stderr): l2fwd prints
    its statistics every second, and the kernel drops the lines that find
    its output queue full (docs/hosted.md), which a slow run would lose."""

    def __init__(self, topo, work, kernel, *nets, shards=1, env=None):
        self.topo, self.work = topo, work
        args = (kernel if isinstance(kernel, list) else [kernel]) + \
            [a for n in nets for a in ("--net", n)]
        # VANITY_STATS: a failure's report ends with the kernel's counters
        # (each shard's calls, each ring's indices, each card's frames)
        env = {**(os.environ if env is None else env), "VANITY_STATS": "1"}
        self.kernel = topo.popen(topo.fwd, args, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, start_new_session=True, env=env)
        self.pipes = Pipes(stdout=self.kernel.stdout, stderr=self.kernel.stderr)
        self.status = None
        self.results = {}
        self.wait_up(shards)

    @property
    def stdout(self):
        return self.pipes.text("stdout")

    @property
    def stderr(self):
        return self.pipes.text("stderr")

    def wait_up(self, shards, timeout=30):
        """Waits for each forwarding shard's "N buffers of ..." line: from
        then on its receive buffers are posted."""
        deadline = time.monotonic() + timeout
        while (time.monotonic() < deadline and self.stdout.count(" buffers of ") < shards and
               self.kernel.poll() is None):
            time.sleep(0.05)
        assert self.stdout.count(" buffers of ") == shards, \
            f"l2fwd did not come up{self.report}"

    def finish(self, timeout=30):
        if self.status is not None:
            return
        try:
            self.status = self.kernel.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            kill_session(self.kernel.pid)
            self.kernel.wait()
            self.status = "hung"
        self.pipes.join()

    def backends(self):
        """{card: (interface, backend, why it fell back or "")} from the log."""
        return {card: (ifname, backend, why) for card, ifname, backend, why in re.findall(
            r"^vanity: virtio-net '(\w+)': interface '(\w+)', backend (\w+)(?: \(af_xdp: (.*)\))?$",
            self.stderr, re.M)}

    def interrupt(self):
        """Ends the kernel with SIGINT (status 130), its log read."""
        self.kernel.send_signal(signal.SIGINT)
        self.finish()

    @property
    def report(self):
        """For a failed assertion: the kernel's log. One still running is
        interrupted first, so its log is whole and ends with its counters."""
        if self.status is None:
            self.interrupt()
        return (f"\nexit status {self.status}\n--- stdout\n{self.stdout}--- stderr\n"
                f"{self.stderr}---")

    def final_stats(self):
        """Each port's counters as last printed: {port: {"sent": n, ...}}.
        Shards' lines interleave, so each shard's are read on their own."""
        stats, port_of = {}, {}
        for shard, line in re.findall(r"^\[(fwd|port\d)\] (.*)$", self.stdout, re.M):
            m = re.match(r"Statistics for port (\d+)", line)
            if m:
                port_of[shard] = stats.setdefault(int(m[1]), {})
            elif " statistics " in line or line.startswith("Total"):
                port_of[shard] = None  # a table's title, or the totals of every port
            elif port_of.get(shard) is not None:
                for key, value in re.findall(r"(sent|received|dropped): +(\d+)", line):
                    port_of[shard][key] = int(value)
                for key, value in re.findall(r"(runt|oversize|badlen|tx-pending) (\d+)",
                                             line):
                    port_of[shard][key] = int(value)
        return stats


def trafgen(run, ns, dev, dst, src, count, gap_us):
    """count frames from trafgen: our ethertype, a one-byte sequence number
    that trafgen increments per frame, then a fixed fill pattern."""
    conf = run.work / f"trafgen-{dev}.cfg"
    mac = ", ".join("0x" + b for b in (dst + ":" + src).split(":"))
    conf.write_text(f"{{ {mac}, c16(0x88b6), dinc(0, 255, 1), fill(0x5a, {PAYLOAD - 1}) }}\n")
    p = run.topo.popen(ns, ["trafgen", "--dev", dev, "--conf", conf, "-n", count,
                            "-t", f"{gap_us}us", "--no-sock-mem", "-q"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = p.communicate(timeout=120)
    assert p.returncode == 0, f"trafgen failed: {out}{err}"


def forward(run, direction, count=N):
    """trafgen into one side, capture at the other; the frames captured."""
    topo = run.topo
    if direction in run.results:
        return run.results[direction]
    src_ns, src_dev, dst_ns, dst_dev = (
        (topo.gen, "g0", topo.sink, "s0") if direction == "0to1" else
        (topo.sink, "s0", topo.gen, "g0"))
    cap = Capture(topo, dst_ns, dst_dev, count, quiet=3.0)
    t0 = time.monotonic()
    trafgen(run, src_ns, src_dev, "ff:ff:ff:ff:ff:ff", topo.mac(src_ns, src_dev), count,
            GAP_US)
    frames = cap.frames()
    run.results[direction] = (frames, time.monotonic() - t0)
    return run.results[direction]


@pytest.fixture(scope="module")
def both_ways(net):
    """N frames each way."""
    there = forward(net, "0to1")
    back = forward(net, "1to0")
    return net, there, back


def check_frames(frames, count, dst_port, r):
    assert len(frames) == count, f"{len(frames)} of {count} frames arrived{r.report}"
    first = frames[0][14]  # trafgen's counter byte: its first value is trafgen's business
    for i, f in enumerate(frames):
        assert f[0:6] == bytes([2, 0, 0, 0, 0, dst_port]), \
            f"frame {i}: destination {f[0:6].hex(':')}{r.report}"
        assert f[12:14] == b"\x88\xb6" and f[14] == (first + i) % 256, \
            f"frame {i}: out of order or changed (seq {f[14]}){r.report}"
        assert f[15:15 + PAYLOAD - 1] == b"\x5a" * (PAYLOAD - 1), f"frame {i}: payload{r.report}"
    return {f[6:12] for f in frames}


def test_frames_cross_port0_to_port1_once_in_order_rewritten(both_ways):
    run, (frames, secs), _ = both_ways
    sources = check_frames(frames, N, 1, run)
    assert len(sources) == 1, f"one source MAC, port 1's: {sources}{run.report}"
    print(f"\nhosted l2fwd, port 0 -> 1: {N} frames in {secs:.2f} s (paced at "
          f"{1e6 / GAP_US:.0f}/s by trafgen)")


def test_frames_cross_port1_to_port0(both_ways):
    run, (there, _), (back, _) = both_ways
    sources_back = check_frames(back, N, 0, run)
    sources_there = {f[6:12] for f in there}
    assert len(sources_back) == 1 and sources_back != sources_there, \
        f"port 0 sends with its own MAC{run.report}"


def test_malformed_frames_are_dropped_and_counted(both_ways):
    run, _, _ = both_ways
    topo = run.topo
    src = topo.mac(topo.gen, "g0")
    good = [frame("ff:ff:ff:ff:ff:ff", src, bytes([i]) + b"\x5a" * (PAYLOAD - 1))
            for i in range(10)]
    # A runt (a bare header) and an oversize frame (1600 bytes > 1514).
    runt = frame("ff:ff:ff:ff:ff:ff", src, b"")
    oversize = frame("ff:ff:ff:ff:ff:ff", src, b"\x01" * 1586)
    cap = Capture(topo, topo.sink, "s0", 10, quiet=3.0)
    send_frames(topo, topo.gen, "g0", [runt] + good[:5] + [oversize] + good[5:], gap_us=500)
    frames = cap.frames()
    assert [f[14] for f in frames] == list(range(10)), \
        f"the good frames around the bad ones arrive{run.report}"
    run.results["malformed"] = True


def test_stop_frame_ends_l2fwd_with_statistics(both_ways):
    run, _, _ = both_ways
    if "malformed" not in run.results:
        test_malformed_frames_are_dropped_and_counted(both_ways)
    topo = run.topo
    stop = frame("ff:ff:ff:ff:ff:ff", topo.mac(topo.gen, "g0"), b"\0" * 46, ETH_P_STOP)
    send_frames(topo, topo.gen, "g0", [stop])
    run.finish()
    assert run.status == 0, run.report
    s = run.final_stats()
    # Port 0 received the N + 10 good frames and the stop frame from g0 and
    # dropped the runt and the oversize frame; port 1 sent N + 10 and
    # received the N from s0.
    assert (s[0]["received"], s[1]["received"]) == (N + 10 + 1, N), run.report
    assert (s[0]["sent"], s[1]["sent"]) == (N, N + 10), run.report
    assert (s[0]["dropped"], s[1]["dropped"]) == (2, 0), run.report
    assert (s[0]["runt"], s[0]["oversize"]) == (1, 1), \
        f"the runt and the oversize frame are counted{run.report}"
    assert (s[0]["tx-pending"], s[1]["tx-pending"]) == (0, 0), \
        f"the transmit rings were drained before the table{run.report}"
    # Then a latency histogram per direction, of every frame forwarded: in
    # the forwarder (rx burst to tx burst), or across the split's channel
    # (which carried the stop handle from port 0 too).
    latency = {what: int(n) for what, n in re.findall(
        r"^\[\w+\] (Latency [\w ,]+): (\d+) samples, mean \d+ ns, max \d+ ns$",
        run.stdout, re.M)}
    assert latency == ({"Latency from port 0": N + 11, "Latency from port 1": N} if run.split
                       else {"Latency in the forwarder, port 0 to 1": N + 10,
                             "Latency in the forwarder, port 1 to 0": N}), run.report
    assert re.search(r"^\[\w+\]   below +\d+ ns: \d+$", run.stdout, re.M), run.report


def batches_moved(run):
    """{card: (by its owner's core, by the model's worker)}, from the
    VANITY_STATS lines of a finished run."""
    return {card: (int(core), int(worker)) for card, core, worker in re.findall(
        r"^vanity: stats: virtio-net '(\w+)': batches moved by the owner's core (\d+), "
        r"by the worker (\d+)$", run.stderr, re.M)}


def test_the_owners_core_moves_the_frames_while_it_polls(both_ways):
    """While a card's owner holds its core or waits for it, the core's
    thread moves the card's frames at each kernel entry and the model's
    worker leaves it alone (docs/hosted.md, "The owner's core serves its
    cards"). Polling, the owner yields every round and never sleeps: its
    core moves at least 90 % of each card's batches (the worker, at most
    those before the first round). In yield mode the owner sleeps between
    frames, and the worker moves what arrives meanwhile."""
    run, _, _ = both_ways
    if run.status is None:
        test_stop_frame_ends_l2fwd_with_statistics(both_ways)
    moved = batches_moved(run)
    assert len(moved) == 2, run.report
    for card, (core, worker) in moved.items():
        if run.mode.endswith("yield"):
            assert core and worker, f"{card}: core {core}, worker {worker}{run.report}"
        else:
            assert core >= 0.9 * (core + worker), \
                f"{card}: core {core}, worker {worker}{run.report}"


def test_each_card_reports_its_backend(both_ways):
    """One line per card at boot names its backend: AF_XDP where nothing
    forces another (veth runs XDP, and the test runs as root), AF_PACKET
    where --net's backend= asks for it; no fallback either way."""
    run, _, _ = both_ways
    if run.status is None:
        test_stop_frame_ends_l2fwd_with_statistics(both_ways)
    got = run.backends()
    assert sorted(i for i, _, _ in got.values()) == ["p0", "p1"], f"{got}{run.report}"
    assert all(b == run.backend and not why for _, b, why in got.values()), \
        f"want {run.backend} on both cards: {got}{run.report}"


def hundred_frames(topo, dst):
    """100 numbered 60-byte frames to dst from g0, paced; (them, what s0 captured)."""
    src = topo.mac(topo.gen, "g0")
    frames = [frame(dst, src, bytes([i]) + b"\x5a" * 45) for i in range(100)]
    cap = Capture(topo, topo.sink, "s0", len(frames), quiet=3.0)
    send_frames(topo, topo.gen, "g0", frames, gap_us=200)
    return frames, cap.frames()


def two_queue_veth(topo):
    """q0 (two receive queues, and its peer q1) in the forwarder's namespace:
    an XDP socket serves one queue, so the model will not put one there."""
    subprocess.run(["ip", "netns", "exec", topo.fwd, "ip", "link", "add", "q0", "numrxqueues",
                    "2", "numtxqueues", "2", "type", "veth", "peer", "q1"], check=True)
    for dev in ("q0", "q1"):
        subprocess.run(["ip", "netns", "exec", topo.fwd, "ip", "link", "set", dev, "up"],
                       check=True)


def test_af_xdp_unusable_falls_back_to_af_packet_or_fails_boot(tmp_path):
    """Where AF_XDP cannot run, a card falls back to AF_PACKET and its line
    says why: on an interface with two receive queues, and for a kernel
    process without the capabilities to load and attach an XDP program
    (setpriv drops CAP_BPF, CAP_SYS_ADMIN and CAP_NET_ADMIN; AF_PACKET needs
    CAP_NET_RAW only), where frames still cross. backend=af_xdp there is a
    boot error naming the card, the interface and the reason."""
    why = NetTopology.usable()
    if why:
        pytest.skip(f"the hosted l2fwd test {why}")
    kernel = build(SPEC, tmp_path)
    with NetTopology("fb") as topo:
        two_queue_veth(topo)
        run = L2fwdRun(topo, tmp_path, kernel, "port0=q0", "port1=p1")
        run.interrupt()
        assert run.backends() == {
            "port0": ("q0", "af_packet", "2 receive queues, and an XDP socket serves one"),
            "port1": ("p1", "af_xdp", "")}, run.report

        p = topo.popen(topo.fwd, [kernel, "--net", "port0=q0,backend=af_xdp", "--net",
                                  "port1=p1"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, start_new_session=True)
        out, err = p.communicate(timeout=30)
        assert p.returncode == 1 and \
            "vanity: virtio-net 'port0': cannot use interface 'q0' with backend af_xdp: " \
            "2 receive queues, and an XDP socket serves one\n" in err, \
            f"exit status {p.returncode}\n{out}{err}"

        drop = ["setpriv", "--bounding-set", "-bpf,-sys_admin,-net_admin", "--inh-caps", "-all"]
        run = L2fwdRun(topo, tmp_path, drop + [kernel], "port0=p0", "port1=p1")
        try:
            frames, got = hundred_frames(topo, "ff:ff:ff:ff:ff:ff")
        finally:
            run.interrupt()
        assert len(got) == len(frames), f"{len(got)} of {len(frames)} frames{run.report}"
        assert {c: b for c, (_, b, _) in run.backends().items()} == \
            {"port0": "af_packet", "port1": "af_packet"}, run.report
        assert all(w.startswith("XDP socket: Operation not permitted")
                   for _, _, w in run.backends().values()), run.report

        p = topo.popen(topo.fwd, drop + [kernel, "--net", "port0=p0,backend=af_xdp", "--net",
                                         "port1=p1"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, start_new_session=True)
        out, err = p.communicate(timeout=30)
        assert p.returncode == 1 and "vanity: virtio-net 'port0': cannot use interface 'p0' " \
            "with backend af_xdp: XDP socket: Operation not permitted\n" in err, \
            f"exit status {p.returncode}\n{out}{err}"


def test_bad_lengths_from_the_device_are_dropped_and_counted(tmp_path):
    """The model reports every 10th frame on port 0 with a used length
    longer than any buffer (--net port0=p0,corrupt=10), as a broken device
    would: l2fwd drops exactly those, counts them as badlen, recycles their
    buffers and forwards the rest."""
    why = NetTopology.usable()
    if why:
        pytest.skip(f"the hosted l2fwd test {why}")
    kernel = build(SPEC, tmp_path)
    count = 1000
    with NetTopology("bl") as topo:
        run = L2fwdRun(topo, tmp_path, kernel, "port0=p0,corrupt=10", "port1=p1")
        try:
            src = topo.mac(topo.gen, "g0")
            frames = [frame("ff:ff:ff:ff:ff:ff", src, i.to_bytes(2, "big") + b"\x5a" * 44)
                      for i in range(count)]
            cap = Capture(topo, topo.sink, "s0", count, quiet=3.0)
            send_frames(topo, topo.gen, "g0", frames, gap_us=200)
            got = [int.from_bytes(f[14:16], "big") for f in cap.frames()]
            send_stop(topo)
        finally:
            run.finish()
    assert run.status == 0, run.report
    assert got == [i for i in range(count) if (i + 1) % 10], \
        f"{len(got)} frames, want the {count * 9 // 10} not corrupted{run.report}"
    s = run.final_stats()[0]
    assert (s["runt"], s["oversize"], s["badlen"]) == (0, 0, count // 10), \
        f"port 0's badlen count{run.report}"


def hundred_through(tmp_path, tag, cflag):
    """examples/l2fwd built with one more cflag: 100 frames from g0 to s0,
    then the stop frame; (the run, the frames sent, what s0 captured)."""
    why = NetTopology.usable()
    if why:
        pytest.skip(f"the hosted l2fwd test {why}")

    def edit(doc):
        fwd = shard_of(doc, "fwd")
        fwd["cflags"] = fwd.get("cflags", []) + [cflag]
    kernel = build(copy_example(SPEC, tmp_path, edit), tmp_path)
    with NetTopology(tag) as topo:
        run = L2fwdRun(topo, tmp_path, kernel, "port0=p0", "port1=p1")
        try:
            frames, got = hundred_frames(topo, "02:11:22:33:44:55")
            send_stop(topo)
        finally:
            run.finish()
    assert run.status == 0, run.report
    return run, frames, got


def test_no_mac_updating_forwards_frames_unchanged(tmp_path):
    """-DL2FWD_MAC_UPDATING=0, DPDK's --no-mac-updating: frames cross
    byte for byte."""
    run, frames, got = hundred_through(tmp_path, "nm", "-DL2FWD_MAC_UPDATING=0")
    assert got == frames, f"{len(got)} frames, changed or lost{run.report}"


def test_a_poller_that_never_yields_has_its_frames_moved_by_the_worker(tmp_path):
    """-DL2FWD_YIELD=0: the forwarder polls without ever entering the
    kernel (as DPDK's l2fwd), so its core cannot move its cards' frames.
    The model's worker does, from HK_HOLD_NS (200 us) after the core's last
    look: the frames cross, and the worker moved at least 90 % of each
    card's batches."""
    run, frames, got = hundred_through(tmp_path, "ny", "-DL2FWD_YIELD=0")
    assert len(got) == len(frames), f"{len(got)} of {len(frames)} frames{run.report}"
    moved = batches_moved(run)
    assert len(moved) == 2 and all(worker >= 0.9 * (core + worker) and worker
                                   for core, worker in moved.values()), run.report


DRAIN_TRIALS = 10  # runs of the kernel
DRAIN_FRAMES = 16  # sent right before the stop frame


def test_stop_drains_transmit_rings(tmp_path):
    """16 frames into g0 with the stop frame right behind them, so l2fwd
    transmits them in the burst that stops it: in each of DRAIN_TRIALS runs,
    on a host kept busy by a CPU hog, all 16 reach s0 before the kernel
    exits, and port 1's final "sent" is what s0 saw."""
    why = NetTopology.usable()
    if why:
        pytest.skip(f"the hosted l2fwd test {why}")
    kernel = build(SPEC, tmp_path)
    seen = []
    with NetTopology("dr") as topo:
        hog = subprocess.Popen(["sha256sum", "/dev/zero"], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            src = topo.mac(topo.gen, "g0")
            frames = [frame("ff:ff:ff:ff:ff:ff", src, bytes([i]) + b"\x5a" * 45)
                      for i in range(DRAIN_FRAMES)]
            stop = frame("ff:ff:ff:ff:ff:ff", src, b"\0" * 46, ETH_P_STOP)
            for trial in range(DRAIN_TRIALS):
                run = L2fwdRun(topo, tmp_path, kernel, "port0=p0", "port1=p1")
                try:
                    cap = Capture(topo, topo.sink, "s0", DRAIN_FRAMES, quiet=2.0)
                    send_frames(topo, topo.gen, "g0", frames + [stop])
                finally:
                    run.finish()
                got = cap.frames()
                seen.append(len(got))
                assert run.status == 0, f"trial {trial}{run.report}"
                s = run.final_stats()
                assert s[0]["received"] == DRAIN_FRAMES + 1, f"trial {trial}{run.report}"
                assert s[1]["sent"] == len(got), \
                    f"trial {trial}: port 1 says sent {s[1]['sent']}, s0 saw {len(got)}" \
                    f"{run.report}"
                assert [f[14] for f in got] == list(range(DRAIN_FRAMES)), \
                    f"trial {trial}: {len(got)} of {DRAIN_FRAMES} frames left{run.report}"
                assert s[1]["tx-pending"] == 0, f"trial {trial}{run.report}"
        finally:
            hog.kill()
            hog.wait()
    print(f"\nhosted: {len(seen)} stops under load, frames out each time: {seen}")


HELD = 1500       # frames forwarded to port 1 while p1 is down: more than either ring holds
RING = {"af_xdp": 1024, "af_packet": 256}  # transmit frames: net_xdp.h, net_packet.h
DOWN_SECS = 2.0   # how long p1 stays down once they wait


def send_stop(topo):
    """The frame that ends l2fwd, from g0."""
    send_frames(topo, topo.gen, "g0", [frame("ff:ff:ff:ff:ff:ff", topo.mac(topo.gen, "g0"),
                                             b"\0" * 46, ETH_P_STOP)])


@pytest.fixture(scope="module")
def l2fwd_kernel(tmp_path_factory):
    why = NetTopology.usable()
    if why:
        pytest.skip(f"the hosted l2fwd test {why}")
    return build(SPEC, tmp_path_factory.mktemp("l2fwd-link"))


def hold_on_p1(topo):
    """Takes p1 down and sends HELD frames from g0, numbered, for port 1;
    returns g0's MAC."""
    src = topo.mac(topo.gen, "g0")
    subprocess.run(["ip", "netns", "exec", topo.fwd, "ip", "link", "set", "p1", "down"],
                   check=True)
    held = [frame("ff:ff:ff:ff:ff:ff", src, i.to_bytes(2, "big") + b"\x5a" * 44)
            for i in range(HELD)]
    send_frames(topo, topo.gen, "g0", held, gap_us=100)
    return src


@pytest.mark.parametrize("backend", ["af_xdp", "af_packet"])
def test_transmit_resumes_after_the_link_was_down(l2fwd_kernel, tmp_path, backend):
    """p1 goes down while HELD frames are forwarded to it: the host refuses
    to send (ENETDOWN), port 1's transmit ring fills with the frames it
    holds, then its queue. Meanwhile the model tries again with a growing
    interval (its refusals, in its VANITY_STATS line, are as few as that
    allows, not one per look: l2fwd polls, so its core looks at the card at
    every yield) and says once that the interface refuses frames. Once p1
    is up again the held frames go out, a ring's worth at least and in
    order, then 100 new frames cross behind them, and it says that sending
    works again; its VANITY_STATS line counts the refusals, and as sent
    what l2fwd sent."""
    opt = "" if backend == "af_xdp" else ",backend=af_packet"
    with NetTopology("ld") as topo:
        run = L2fwdRun(topo, tmp_path, l2fwd_kernel, "port0=p0" + opt, "port1=p1" + opt,
                       env=dict(os.environ, VANITY_STATS="1"))
        try:
            assert (Path("/proc") / str(run.kernel.pid) / "comm").read_text() == "kernel\n"
            t0 = time.monotonic()
            src = hold_on_p1(topo)
            time.sleep(0.5 + DOWN_SECS)
            cap = Capture(topo, topo.sink, "s0", HELD + 100, quiet=3.0)
            subprocess.run(["ip", "netns", "exec", topo.fwd, "ip", "link", "set", "p1", "up"],
                           check=True)
            down = time.monotonic() - t0
            time.sleep(0.5)  # the held frames go out at the next retry
            new = [frame("ff:ff:ff:ff:ff:ff", src, i.to_bytes(2, "big") + b"\xa5" * 44)
                   for i in range(100)]
            send_frames(topo, topo.gen, "g0", new, gap_us=200)
            got = cap.frames()
            send_stop(topo)
        finally:
            run.finish()
    assert run.status == 0, run.report
    fill = [f[16] for f in got]
    late = [int.from_bytes(f[14:16], "big") for f in got if f[16] == 0xa5]
    early = [int.from_bytes(f[14:16], "big") for f in got if f[16] == 0x5a]
    assert late == list(range(100)), f"{len(late)} of 100 frames after the link came " \
        f"back{run.report}"
    assert fill == [0x5a] * len(early) + [0xa5] * 100 and early == sorted(early) and \
        len(early) >= RING[backend], f"{len(early)} held frames went out, want at least " \
        f"the {RING[backend]} of the ring, in order and first{run.report}"
    assert re.search(r"^vanity: virtio-net 'port1': cannot send on 'p1': Network is down; ",
                     run.stderr, re.M), run.report
    assert re.search(r"^vanity: virtio-net 'port1': sending on 'p1' again", run.stderr,
                     re.M), run.report
    # The card counts what it queued to the host as sent: what l2fwd says it sent.
    card = re.search(r"^vanity: stats: virtio-net 'port1': rx 0 rx-dropped 0 tx (\d+) "
                     r"tx-dropped 0 tx-refused ([1-9]\d*) bad 0$", run.stderr, re.M)
    assert card and int(card[1]) == run.final_stats()[1]["sent"], run.report
    # From 1 ms, doubling to 100 ms: 7 tries in the first 127 ms, then 10 a
    # second. Half as many again for the time the link took to come back.
    refused, most = int(card[2]), 1.5 * (7 + 10 * down)
    assert refused <= most, f"{refused} refused sends in {down:.1f} s of p1 down, want at " \
        f"most {most:.0f}: the retry does not back off{run.report}"
    print(f"\nhosted l2fwd, {backend}: p1 down {down:.1f} s, {refused} refused sends; "
          f"{len(early)} frames held meanwhile went out after")


@pytest.mark.parametrize("backend", ["af_xdp", "af_packet"])
def test_frames_still_refused_at_the_end_are_counted(l2fwd_kernel, tmp_path, backend):
    """p1 goes down and stays down while HELD frames are forwarded to it,
    then l2fwd ends. Nothing reached the wire, and the end says so for
    every frame l2fwd counted as sent on port 1: those in the model's
    transmit ring and those still in the driver's queue, one number."""
    opt = "" if backend == "af_xdp" else ",backend=af_packet"
    with NetTopology("le") as topo:
        run = L2fwdRun(topo, tmp_path, l2fwd_kernel, "port0=p0" + opt, "port1=p1" + opt)
        try:
            hold_on_p1(topo)
            time.sleep(0.5)
            send_stop(topo)
        finally:
            run.finish()
    assert run.status == 0, run.report
    sent = run.final_stats()[1]["sent"]
    lost = re.findall(r"^vanity: virtio-net 'port1': (\d+) frames never sent: 'p1' refused "
                      r"them \(Network is down\)$", run.stderr, re.M)
    assert sent >= RING[backend] and lost == [str(sent)], \
        f"l2fwd sent {sent} on port 1, the end says {lost} never sent{run.report}"


@pytest.mark.parametrize("backend", ["af_xdp", "af_packet"])
def test_a_frame_over_the_mtu_does_not_stop_the_frames_behind_it(l2fwd_kernel, tmp_path,
                                                                  backend):
    """p1 and s0 take 1000-byte frames (an MTU of 986), p0 2000: l2fwd
    forwards a 1200-byte frame to port 1, whose host interface refuses it.
    The host drops it, and the frames behind it cross, none held back."""
    opt = "" if backend == "af_xdp" else ",backend=af_packet"
    with NetTopology("mt") as topo:
        for ns, dev in ((topo.fwd, "p1"), (topo.sink, "s0")):
            subprocess.run(["ip", "netns", "exec", ns, "ip", "link", "set", dev, "mtu", "986"],
                           check=True)
        run = L2fwdRun(topo, tmp_path, l2fwd_kernel, "port0=p0" + opt, "port1=p1" + opt)
        try:
            src = topo.mac(topo.gen, "g0")
            good = [frame("ff:ff:ff:ff:ff:ff", src, bytes([i]) + b"\x5a" * 45) for i in range(30)]
            big = frame("ff:ff:ff:ff:ff:ff", src, b"\xff" * 1186)
            cap = Capture(topo, topo.sink, "s0", len(good), quiet=3.0)
            send_frames(topo, topo.gen, "g0", good[:10] + [big] + good[10:20] + [big] + good[20:],
                        gap_us=500)
            got = cap.frames()
            send_stop(topo)
        finally:
            run.finish()
    assert run.status == 0, run.report
    assert [f[14] for f in got] == list(range(30)), \
        f"{len(got)} of the 30 frames around the big ones crossed{run.report}"
    assert run.final_stats()[1]["sent"] == 32, run.report
