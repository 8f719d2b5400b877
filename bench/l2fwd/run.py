"""make bench-l2fwd: Vanity's hosted l2fwd beside the Linux bridge and
dpdk-testpmd (io forwarding on af_xdp and on af_packet vdevs), on the same
veth pair, in one run.

Topology (tests/system/netns_lib.py): l2gen sends into g0, the forwarder
under test joins p0 and p1 in its own namespace, l2gen counts at s0. For
each forwarder, a fresh topology and two measurements:

  throughput  l2gen sends 60-byte frames as fast as its socket takes them
              for SECONDS; the rate is what arrives at s0 per second, by
              s0's own counter (rx_packets), as a hardware generator's port
              counts: a receiving process would take CPU time from the
              same two CPUs as the forwarder and the sender, and how much
              it gets is the host scheduler's choice, not the forwarder's
  latency     a paced 20 000 frames/s for SECONDS; p50/p99 of the time
              from the sender's stamp to the receiver's recvmmsg, and the
              CPU time the forwarder's processes took meanwhile (user +
              system, from /proc; the bridge has no process of its own)

Vanity runs five ways: examples/l2fwd polling with its cards on AF_XDP and
forced onto AF_PACKET, the same woken by interrupts, and split by port
(examples/l2fwd/split: a shard per NIC, frames handed over by handle
through buffer pools), polling and woken by interrupts (AF_XDP).

The machine is shared and small (2 CPUs run the sender, the receiver, the
NIC models and the forwarder at once), and one run of each forwarder says
little: runs of the same forwarder minutes apart differed 2 to 5 times.
So every forwarder runs once in each of L2FWD_ROUNDS rounds (default 3),
in a fresh random order each round (seeded: the same orders every run),
and each ratio is taken within a round, then its median over the rounds
reported with the rounds' values, as bench/run.py does: a verdict is
robust when every round's ratio lies on the same side of the aim.

Prints one table (each forwarder's medians over the rounds, and its
throughput's range), the polling l2fwd's ratios to each peer, the verdict
per backend (Vanity polling against testpmd on the same backend: the aim
is at least its throughput and a lower p99), and each split design's
throughput over its run-to-completion twin's (the aim: at least 0.9x).
L2FWD_ONLY=name,name runs only those forwarders. Then bench/l2fwd/qemu.py
compares the two designs on the QEMU boards (L2FWD_QEMU=0 skips it).
"""

import json
import os
import random
import statistics
import yaml
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "tests" / "system"))
from netns_lib import NetTopology  # noqa: E402
from systest_lib import copy_example, shard_of  # noqa: E402

SECONDS = float(os.environ.get("L2FWD_SECONDS", "3"))
ROUNDS = int(os.environ.get("L2FWD_ROUNDS", "3"))
LAT_PPS = 20000
BUILD = REPO / "build" / "bench-l2fwd"
SPEC = REPO / "examples" / "l2fwd" / "l2fwd.yaml"
SPLIT = REPO / "examples" / "l2fwd" / "split" / "split.yaml"


def sh(*cmd, **kw):
    return subprocess.run([str(c) for c in cmd], check=True, **kw)


def yield_spec():
    """examples/l2fwd in yield mode, woken by its ports' interrupts."""
    return copy_example(SPEC, BUILD, lambda doc: shard_of(doc, "fwd").update(mode="yield"))


def split_yield_spec():
    """examples/l2fwd/split with both ports in yield mode."""
    doc = yaml.safe_load(SPLIT.read_text())
    dest = BUILD / "src-split-irq"
    dest.mkdir(parents=True, exist_ok=True)
    for shard in doc["shards"]:
        shard["mode"] = "yield"
        shard["sources"] = [os.path.relpath(SPLIT.parent / s, dest) for s in shard["sources"]]
    spec = dest / "split.yaml"
    spec.write_text(yaml.safe_dump(doc, sort_keys=False))
    return spec


def build():
    BUILD.mkdir(parents=True, exist_ok=True)
    sh("gcc", "-O2", "-Wall", "-o", BUILD / "l2gen", HERE / "l2gen.c")
    sh("/usr/bin/python3", REPO / "vanity", "build", SPEC, "--board", "hosted",
       "-o", BUILD / "out", "--build-dir", BUILD / "vanity")
    sh("/usr/bin/python3", REPO / "vanity", "build", yield_spec(), "--board", "hosted",
       "-o", BUILD / "out-irq", "--build-dir", BUILD / "vanity-irq")
    sh("/usr/bin/python3", REPO / "vanity", "build", SPLIT, "--board", "hosted",
       "-o", BUILD / "out-split", "--build-dir", BUILD / "vanity-split")
    sh("/usr/bin/python3", REPO / "vanity", "build", split_yield_spec(), "--board", "hosted",
       "-o", BUILD / "out-split-irq", "--build-dir", BUILD / "vanity-split-irq")


def rx_packets(topo):
    """s0's count of frames received: the test's only traffic (IPv6 is off)."""
    return int(subprocess.run(["ip", "netns", "exec", topo.sink, "cat",
                               "/sys/class/net/s0/statistics/rx_packets"],
                              check=True, capture_output=True, text=True).stdout)


def throughput(topo):
    """Frames at full speed for SECONDS; what reached s0 (once the
    forwarder has sent what it held: s0's count still for 0.3 s), per
    second of sending."""
    before = rx_packets(topo)
    send = topo.popen(topo.gen, [BUILD / "l2gen", "send", "g0", 0, SECONDS],
                      stdout=subprocess.PIPE, text=True)
    sent = json.loads(send.communicate(timeout=SECONDS + 30)[0])["sent"]
    got, last = rx_packets(topo), None
    for _ in range(50):
        if got == last:
            break
        time.sleep(0.3)
        last, got = got, rx_packets(topo)
    frames = got - before
    return {"pps": frames / SECONDS, "sent": sent, "frames": frames}


def measure(topo, pps):
    recv = topo.popen(topo.sink, [BUILD / "l2gen", "recv", "s0", SECONDS + 5],
                      stdout=subprocess.PIPE, text=True)
    assert recv.stdout.readline().strip() == "ready"
    send = topo.popen(topo.gen, [BUILD / "l2gen", "send", "g0", pps, SECONDS],
                      stdout=subprocess.PIPE, text=True)
    sent = json.loads(send.communicate(timeout=SECONDS + 30)[0])
    got = json.loads(recv.communicate(timeout=SECONDS + 30)[0])
    got["sent"] = sent["sent"]
    return got


class Forwarder:
    def __init__(self, topo):
        self.topo, self.proc = topo, None

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(2)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Vanity(Forwarder):
    name = "vanity"
    what = "Vanity hosted l2fwd (examples/l2fwd, poll mode, virtio-net model on AF_XDP)"
    build = "vanity"
    ports = ("port0", "port1")
    backend = "af_xdp"  # forced, so a card that cannot have it fails instead of hiding

    def start(self):
        """Its console (the final statistics) goes to BUILD/<name>.log."""
        self.log = open(BUILD / f"{self.name}.log", "w")
        self.proc = self.topo.popen(self.topo.fwd, [
            BUILD / self.build / "kernel",
            "--net", f"{self.ports[0]}=p0,backend={self.backend}",
            "--net", f"{self.ports[1]}=p1,backend={self.backend}"],
            stdout=self.log, stderr=subprocess.STDOUT)
        time.sleep(1.0)
        if self.proc.poll() is not None:
            raise SystemExit(f"bench-l2fwd: {self.name} did not start: see {self.log.name}")


class VanityPacket(Vanity):
    name = "vanity-af_packet"
    what = "the same, its cards forced onto AF_PACKET (backend=af_packet)"
    backend = "af_packet"


class VanityIrq(Vanity):
    name = "vanity-irq"
    what = "Vanity hosted l2fwd in yield mode, woken by the model's interrupts"
    build = "vanity-irq"


class VanitySplit(Vanity):
    name = "vanity-split"
    what = ("Vanity hosted l2fwd split by port (examples/l2fwd/split: two shards, "
            "buffer pools)")
    build = "vanity-split"
    ports = ("nic0", "nic1")


class VanitySplitIrq(VanitySplit):
    name = "vanity-split-irq"
    what = "the same split, both shards in yield mode, woken by interrupts and channels"
    build = "vanity-split-irq"


class Bridge(Forwarder):
    name = "bridge"
    what = "Linux bridge of p0 and p1"

    def start(self):
        self.topo.bridge()
        time.sleep(0.5)


class Testpmd(Forwarder):
    name = "testpmd"
    what = "dpdk-testpmd --forward-mode=io, net_af_packet vdevs on p0 and p1"
    pmd = "net_af_packet"

    @staticmethod
    def available():
        return shutil.which("dpdk-testpmd") is not None

    def start(self):
        self.proc = self.topo.popen(self.topo.fwd, [
            "dpdk-testpmd", "--no-huge", "-m", "1024", "--no-pci", "-l", "0-1",
            "--vdev", f"{self.pmd}0,iface=p0", "--vdev", f"{self.pmd}1,iface=p1",
            "--", "--forward-mode=io", "--auto-start", "--total-num-mbufs=8192"],
            # stdin stays open: testpmd ends at end of input
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(4.0)


class TestpmdXdp(Testpmd):
    name = "testpmd-af_xdp"
    what = "dpdk-testpmd --forward-mode=io, net_af_xdp vdevs on p0 and p1"
    pmd = "net_af_xdp"


def cpu_seconds(pid):
    """User + system CPU time of pid and every process under it (Vanity's
    shards are the kernel's children), in seconds; None without a pid."""
    if pid is None:
        return None
    tick = os.sysconf("SC_CLK_TCK")
    procs = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            # after the name's closing parenthesis: state, ppid, ... utime stime
            f = (d / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        procs[int(d.name)] = (int(f[1]), (int(f[11]) + int(f[12])) / tick)
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        total += procs.get(p, (0, 0.0))[1]
        todo += [c for c, (ppid, _) in procs.items() if ppid == p]
    return total


def run_one(cls):
    with NetTopology("b") as topo:
        fwd = cls(topo)
        fwd.start()
        pid = fwd.proc.pid if fwd.proc else None
        try:
            measure(topo, 1000)  # warm up: ARP-free, but caches and queues
            tput = throughput(topo)
            cpu0 = cpu_seconds(pid)
            t0 = time.monotonic()
            lat = measure(topo, LAT_PPS)
            cpu = None if pid is None else (cpu_seconds(pid) - cpu0) / (time.monotonic() - t0)
        finally:
            fwd.stop()
    return {"pps": tput["pps"], "sent": tput["sent"], "frames": tput["frames"],
            "p50_us": lat["p50_us"], "p99_us": lat["p99_us"],
            "lat_lost": lat["sent"] - lat["frames"], "cpu": cpu}


def ratios(results, mine, peer, key):
    """mine's `key` over peer's, round by round (rounds where peer's is 0
    have none)."""
    return [m[key] / p[key] for m, p in zip(results[mine], results[peer]) if p[key]]


def verdict(xs, ok):
    """'met' / 'not met' by the median of the rounds' ratios xs (ok: the
    test of one), 'robust' when every round agrees."""
    if not xs:
        return "no verdict: no round to compare"
    med = statistics.median(xs)
    agree = all(ok(x) for x in xs) if ok(med) else not any(ok(x) for x in xs)
    return ("met" if ok(med) else "not met") + ("" if agree else
                                                " (not robust: the rounds disagree)")


def per_round(xs):
    return " ".join(f"{x:.2f}" for x in xs)


def main():
    why = NetTopology.usable()
    if why:
        print(f"bench-l2fwd: {why}", file=sys.stderr)
        return 1
    build()
    peers = [Vanity, VanityPacket, VanityIrq, VanitySplit, VanitySplitIrq, Bridge] + \
        ([TestpmdXdp, Testpmd] if Testpmd.available() else [])
    only = os.environ.get("L2FWD_ONLY")
    if only:
        peers = [p for p in peers if p.name in only.split(",")]
    results = {cls.name: [] for cls in peers}
    order = random.Random(15)
    for r in range(ROUNDS):
        turn = list(peers)
        order.shuffle(turn)
        for cls in turn:
            print(f"bench-l2fwd: round {r + 1}/{ROUNDS}: {cls.what} ...", flush=True)
            results[cls.name].append(run_one(cls))
    med = {name: {k: statistics.median(x[k] for x in runs)
                  for k in ("pps", "p50_us", "p99_us", "lat_lost")}
           for name, runs in results.items()}
    print(f"\n60-byte frames, {SECONDS:.0f} s each; latency at {LAT_PPS} frames/s; "
          f"medians over {ROUNDS} rounds, each forwarder once a round in a random order\n")
    print(f"{'forwarder':<18} {'Mpps':>7} {'range':>13} {'delivered':>10} {'p50 us':>7} "
          f"{'p99 us':>7} {'lost@lat':>8} {'CPU@lat':>8}")
    for name, runs in results.items():
        share = statistics.median(x["frames"] / x["sent"] if x["sent"] else 0 for x in runs)
        cpus = [x["cpu"] for x in runs if x["cpu"] is not None]
        cpu = f"{statistics.median(cpus):.2f}" if cpus else "-"
        lo, hi = min(x["pps"] for x in runs), max(x["pps"] for x in runs)
        m = med[name]
        print(f"{name:<18} {m['pps'] / 1e6:7.3f} {lo / 1e6:6.3f}-{hi / 1e6:.3f} {share:10.1%} "
              f"{m['p50_us']:7.0f} {m['p99_us']:7.0f} {m['lat_lost']:8.0f} {cpu:>8}")
    print("(CPU@lat: CPUs' worth of time the forwarder's processes used at "
          f"{LAT_PPS} frames/s)\n")
    print("Ratios: the median of the rounds' ratios, then each round's")
    for mine, peer in (("vanity", "testpmd-af_xdp"), ("vanity-af_packet", "testpmd")):
        if mine not in results or peer not in results:
            continue
        tput = ratios(results, mine, peer, "pps")
        p99 = ratios(results, mine, peer, "p99_us")
        print(f"{mine} / {peer} (same backend): throughput "
              f"{statistics.median(tput) if tput else 0:.2f}x [{per_round(tput)}], aim >= 1x: "
              f"{verdict(tput, lambda x: x >= 1)}; p99 "
              f"{statistics.median(p99) if p99 else 0:.2f}x [{per_round(p99)}], aim < 1x: "
              f"{verdict(p99, lambda x: x < 1)}")
    for split, whole in (("vanity-split", "vanity"), ("vanity-split-irq", "vanity-irq")):
        if split in results and whole in results:
            x = ratios(results, split, whole, "pps")
            print(f"{split} / {whole}: throughput {statistics.median(x) if x else 0:.2f}x "
                  f"[{per_round(x)}], aim >= 0.9x: {verdict(x, lambda v: v >= 0.9)}")
    for name in results if "vanity" in results else ():
        if name == "vanity":
            continue
        tput = ratios(results, "vanity", name, "pps")
        if not tput:
            print(f"vanity / {name}: {name} forwarded nothing")
            continue
        p50, p99 = ratios(results, "vanity", name, "p50_us"), ratios(results, "vanity", name,
                                                                      "p99_us")
        print(f"vanity / {name}: throughput {statistics.median(tput):.2f}x "
              f"[{per_round(tput)}], p50 latency "
              f"{statistics.median(p50) if p50 else 0:.2f}x, p99 latency "
              f"{statistics.median(p99) if p99 else 0:.2f}x")
    if not Testpmd.available():
        print("dpdk-testpmd is not installed (Debian's dpdk-dev): no DPDK column")
    if os.environ.get("L2FWD_QEMU", "1") != "0":
        subprocess.run([sys.executable, str(HERE / "qemu.py")], check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
