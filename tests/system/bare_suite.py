"""System tests shared by the bare-metal boards (test_aarch64.py,
test_riscv64.py): real specs, generated, cross-built and booted under QEMU
through ./vanity (every run bounded by a timeout), into pytest's temporary
directories. A board's test module defines the `board` fixture (a Board
below: its name and what its fault reports say) and imports everything
from here; pytest then collects these tests once per board.

  examples   both examples print what they print on hosted, with status 0;
             a board with fewer CPUs than the system's cores is refused
  isolation  a wild write into another shard's heap, a write into kernel
             memory, the probes of tests/system/probes (another shard's
             stack, control page, code, a foreign ring), the stack guard
  traps      executing data, an undefined instruction, a misaligned
             exclusive, writing own code, abort(): each stops the shard
             with a report in words, and the shard beside it runs on
  policies   on_fault=halt, on_fault=restart (queued messages kept), the
             watchdog
  syscalls   bad system call arguments are refused, the caller runs on
  sched      turns on one core, a wake-up from another core, timeouts
  devices    an RTC granted to one shard: its alarm interrupt wakes the
             owner (yield and poll), the ack unmasks it, and another shard
             cannot read its window
  fp/simd    two FP-heavy shards on one core yielding mid-computation print
             the same bits as on hosted; a shard with fp: false faults on
             its first FP/SIMD instruction (SIGILL) and its FP peer runs on

On these boards the console carries both streams; `vanity run` splits them
as a hosted system's are: kernel messages ("vanity: ...") to stderr, shard
logs ("[shard] text") to stdout, without the serial line's CRs. What comes
before the kernel's first line (OpenSBI's banner on riscv64) goes to stderr.
"""


import json
import re

import pytest

from dataclasses import dataclass, field

from systest_lib import FP_RESULTS, HERE, REPO, System, copy_spec, shard_of

ENOSYS, EINVAL, EPERM = 1, 2, 3

# "shard 'x' faulted: data abort (translation fault, level 3, write) at 0x4..., pc 0x4..."
# "shard 'x' faulted: store/AMO page fault (not mapped, level 0, write) at 0x8..., pc 0x8..."
FAULT_RE = re.compile(
    r"^shard '(?P<shard>\w+)' faulted: (?P<what>[a-zA-Z/ -]+?)(?: \((?P<detail>[^)]*)\))?"
    r"(?: at (?P<addr>0x[0-9a-f]+))?, pc (?P<pc>0x[0-9a-f]+)$")


@dataclass(frozen=True)
class Board:
    """A bare-metal board, and what its fault reports say (regexes for the
    FAULT_RE groups `what` and `detail`)."""
    name: str
    tag: str                   # for temporary directory names
    wild_write: tuple          # (what, detail): write to another shard's heap
    kernel_write: tuple        # write to the kernel's code
    kernel_read: tuple         # read of the kernel's rodata
    probe: tuple               # read or write of another shard's memory
    guard: str                 # what: stack overflow into the guard page
    null: str                  # what: a write through a null-ish pointer
    regs: tuple                # (first register line, the line with the cause)
    trap_modes: dict = field(default_factory=dict)  # traps.yaml MODE: (what, detail, where)
    irq_spec: object = None    # the devices system: an RTC granted to the clock shard
    irq: int = 0               # its interrupt, as the spec gives it
    rtc: int = 0               # its window
    snoop: tuple = ()          # (what, detail): another shard reading that window
    fp_off: tuple = ()         # (what, detail or None): FP/SIMD in a shard with fp: false


class BareSystem(System):
    """A System generated, built and booted for a bare-metal board."""

    def __init__(self, board, spec, workdir):
        super().__init__(spec, workdir)
        self.board = board

    def gen(self):
        from systest_lib import vanity
        self._ok(vanity("gen", self.spec, "--board", self.board.name, "-o", self.out))
        return self.manifest()

    def build(self):
        from systest_lib import vanity
        self._ok(vanity("build", self.spec, "--board", self.board.name, "-o", self.out,
                        "--build-dir", self.build_dir))
        return self

    def run(self, *args, env=None):
        from systest_lib import vanity
        r = vanity("run", self.spec, "--board", self.board.name, "-o", self.out,
                   "--build-dir", self.build_dir, env=env)
        assert not re.search(r"^vanity: (error|internal error):", r.stderr, re.M), \
            f"vanity could not build or boot the system{r.report}"
        return BareRun(r)


class BareRun:
    def __init__(self, r):
        self.r, self.status, self.report = r, r.status, r.report
        self.stdout = r.stdout
        self.elapsed = r.elapsed

    def log(self, shard):
        pre = f"[{shard}] "
        return [ln[len(pre):] for ln in self.stdout.splitlines() if ln.startswith(pre)]

    def kernel(self):
        """The kernel's lines: stderr's "vanity: " lines but the build's
        size line."""
        return [ln[len("vanity: "):] for ln in self.r.stderr.splitlines()
                if ln.startswith("vanity: ") and not ln.startswith("vanity: kernel: text ")]

    def faults(self, shard):
        found = [FAULT_RE.match(m) for m in self.kernel()]
        return [m for m in found if m and m["shard"] == shard]

    def stats(self, shard):
        """VANITY_STATS=1 counters of shard, as on hosted (systest_lib)."""
        from systest_lib import shard_stats
        return shard_stats(self.kernel(), shard)


def one_match(pattern, lines, r):
    found = [m for m in (re.fullmatch(pattern, ln) for ln in lines) if m]
    assert len(found) == 1, f"want one line matching {pattern!r}, got {len(found)}{r.report}"
    return found[0]


def vn_err(code):
    return 2**64 - code


def assert_fault(f, expected, addr, r):
    """f (a FAULT_RE match) is the fault `expected` (what, detail) at addr."""
    what, detail = expected
    assert f["addr"] == addr, r.report
    assert re.fullmatch(what, f["what"]), r.report
    assert f["detail"] and re.fullmatch(detail, f["detail"]), r.report


def in_region(addr, region):
    lo, size = region
    return lo <= addr < lo + size


# ---- examples -------------------------------------------------------------------

@pytest.fixture(scope="module")
def pingpong(board, tmp_path_factory):
    return BareSystem(board, REPO / "examples/pingpong/pingpong.yaml",
                     tmp_path_factory.mktemp(board.tag + "-pingpong")).run()


@pytest.fixture(scope="module")
def pipeline(board, tmp_path_factory):
    return BareSystem(board, REPO / "examples/pipeline/pipeline.yaml",
                     tmp_path_factory.mktemp(board.tag + "-pipeline")).run()


def test_pingpong_example(board, pingpong):
    r = pingpong
    assert r.status == 0, r.report
    assert r.kernel()[0] == \
        f"system 'pingpong' ({board.name}): 2 shards on 2 cores", r.report
    assert "[ping] 10000 round trips, every payload verified" in r.stdout.splitlines(), r.report
    assert "[pong] echoed 10000 messages" in r.stdout.splitlines(), r.report
    m = one_match(r"rtt ns: min=(\d+) median=(\d+) p99=(\d+) max=(\d+)", r.log("ping"), r)
    low, median, p99, high = map(int, m.groups())
    assert 0 < low <= median <= p99 <= high, r.report
    assert r.kernel()[-1] == "system 'pingpong' exited with status 0", r.report


def test_a_board_with_fewer_cpus_than_cores_is_refused(board, tmp_path):
    """The kernel checks the firmware's device tree: QEMU started with fewer
    CPUs than the system's cores is refused at boot, saying what to do."""
    from systest_lib import vanity
    r = vanity("run", REPO / "examples" / "pingpong" / "pingpong.yaml", "--board", board.name,
               "-o", tmp_path / "out", "--build-dir", tmp_path / "build", "--", "-smp", "1")
    assert r.status == 1, r.report
    assert r.stdout == "", r.report
    assert BareRun(r).kernel() == [
        "cannot boot: the board has 1 CPU, the system uses 2 cores "
        "(run QEMU with -smp = cores used)"], r.report


PINGPONG = REPO / "examples" / "pingpong" / "pingpong.yaml"


@pytest.mark.parametrize("edits, refusal", [
    ({"layout.c": [(".image_lo = {pong_image},", ".image_lo = {ping_heap},")]},
     "a shard's memory is out of place in the layout: pong"),
    ({"layout.c": [(".heap_hi = {ping_heap_hi},", ".heap_hi = {ping_heap_hi_odd},")]},
     "a shard's memory is out of place in the layout: ping"),
    ({"tables.c": [(".addr = {ring},", ".addr = {pt_pool},")]},
     "a channel's ring is out of place in the layout: ping_to_pong"),
    ({"tables.c": [(".ctl = {pong_ctl},", ".ctl = {ping_heap},")]},
     "a shard's memory is out of place in the layout: pong"),
], ids=["overlap", "unaligned", "page-tables", "control-region"])
def test_a_layout_out_of_place_is_refused_at_boot(board, tmp_path, edits, refusal):
    """The kernel maps and zeroes what layout.c and tables.c say: one
    that is stale, edited or wrong (a shard's window over another's heap,
    a heap ending mid-page, a ring over the page tables at the top of RAM,
    tables that put a control region, and the trace ring the kernel clears
    in it, elsewhere than the layout) stops the boot with one line and
    status 1, before any shard runs."""
    from systest_lib import boot_edited, vanity
    r = vanity("gen", PINGPONG, "--board", board.name, "-o", tmp_path / "probe")
    assert r.status == 0, r.report
    man = json.loads((tmp_path / "probe" / "manifest.json").read_text())
    ping, pong = (s["regions"] for s in man["shards"])
    pt_pool = re.search(r"bm_pt_pool = (0x[0-9a-f]+)",
                        (tmp_path / "probe" / "kernel" / "layout.c").read_text())[1]
    heap_hi = int(ping["heap"]["addr"], 16) + int(ping["heap"]["size"], 16)
    values = {"pong_image": pong["image"]["addr"], "ping_heap": ping["heap"]["addr"],
              "ping_heap_hi": f"{heap_hi:#x}", "ping_heap_hi_odd": f"{heap_hi + 0x800:#x}",
              "ring": man["channels"][0]["addr"], "pt_pool": pt_pool,
              "pong_ctl": pong["ctl"]["addr"]}
    edits = {f: [(old.format(**values), new.format(**values)) for old, new in pairs]
             for f, pairs in edits.items()}
    r = boot_edited(PINGPONG, board.name, tmp_path, edits)
    assert r.status == 1, r.report
    assert r.stdout == "" and BareRun(r).kernel()[-1] == "cannot boot: " + refusal, r.report


def test_pipeline_example(pipeline):
    r = pipeline
    assert r.status == 0, r.report
    one_match(r"sent 1000000 packets in \d+ us", r.log("source"), r)
    assert r.log("filter") == ["passed 937500, dropped 62500"], r.report
    one_match(r"received 937500 packets, 0 bad, \d+ wake-ups", r.log("sink"), r)
    m = one_match(r"throughput (\d+) kpkt/s over (\d+) us", r.log("sink"), r)
    assert int(m[1]) > 0 and int(m[2]) > 0, r.report
    assert "filter reports 937500 passed, 62500 dropped" in r.log("source"), r.report
    assert r.kernel()[-1] == "system 'pipeline' exited with status 0", r.report


# ---- isolation: wild writes -----------------------------------------------------

FAULTS = HERE / "faults" / "faults.yaml"


@pytest.fixture(scope="module")
def faults_layout(board, tmp_path_factory):
    work = tmp_path_factory.mktemp(board.tag + "-faults-layout")
    return BareSystem(board, copy_spec(FAULTS, work / "src"), work).gen()


@pytest.fixture(scope="module")
def faults(board, tmp_path_factory):
    def run(name, crasher, consumer=None):
        work = tmp_path_factory.mktemp(board.tag + "-faults-" + name)

        def edit(doc):
            shard_of(doc, "crasher").update(crasher)
            shard_of(doc, "consumer").update(consumer or {})
        # Built first, so that a run's time is the system's, not the compiler's.
        return BareSystem(board, copy_spec(FAULTS, work / "src", edit), work).build().run()
    return run


def check_contained(r, layout):
    """The crasher is stopped; the producer and consumer finish their work."""
    assert "shard 'crasher': on_fault=stop, stopped; 2 other shards running" in r.kernel(), \
        r.report
    assert r.log("crasher") == ["about to fault (mode 1)"], r.report
    assert r.log("consumer") == ["all 1000 messages intact"], r.report
    assert r.log("producer") == ["queued 1000 messages", "ran again after the crasher"], r.report
    assert r.status == 1, r.report
    assert r.kernel()[-1] == "system 'faults' exited with status 1", r.report


def test_wild_write_into_another_shards_heap_is_contained(board, faults, faults_layout):
    heap, _ = faults_layout.region("consumer", "heap")
    wild = heap + 0x48
    r = faults("heap", {"cflags": ["-DCRASH=1", f"-DWILD_ADDR={wild:#x}"]})
    [f] = r.faults("crasher") or [None]
    assert f, f"no fault report for the crasher{r.report}"
    assert_fault(f, board.wild_write, f"{wild:#x}", r)
    assert in_region(int(f["pc"], 16), faults_layout.region("crasher", "image")), r.report
    check_contained(r, faults_layout)


def test_wild_write_into_kernel_memory_is_contained(board, faults, faults_layout):
    kernel = faults_layout.doc["kernel"]
    wild = kernel["addr_int"] + 0x100  # the kernel's code
    r = faults("kernel", {"cflags": ["-DCRASH=1", f"-DWILD_ADDR={wild:#x}"]})
    [f] = r.faults("crasher") or [None]
    assert f, f"no fault report for the crasher{r.report}"
    assert_fault(f, board.kernel_write, f"{wild:#x}", r)
    check_contained(r, faults_layout)


def test_fault_report_has_the_registers(board, faults, faults_layout):
    heap, _ = faults_layout.region("consumer", "heap")
    r = faults("heap", {"cflags": ["-DCRASH=1", f"-DWILD_ADDR={heap + 0x48:#x}"]})
    lines = r.kernel()
    i = next(i for i, ln in enumerate(lines) if ln.startswith("shard 'crasher' faulted"))
    first, cause = board.regs
    assert re.fullmatch(first, lines[i + 1]), r.report
    assert any(re.fullmatch(cause, ln) for ln in lines[i:i + 10]), r.report


def test_on_fault_halt_stops_the_system(faults, faults_layout):
    heap, _ = faults_layout.region("consumer", "heap")
    hold_ms = 20000
    r = faults("halt", {"cflags": ["-DCRASH=1", f"-DWILD_ADDR={heap + 0x48:#x}"],
                        "on_fault": "halt"}, {"cflags": [f"-DHOLD_MS={hold_ms}"]})
    assert r.status == 139, r.report  # 128 + SIGSEGV, as on hosted
    assert "shard 'crasher': on_fault=halt, halting the system" in r.kernel(), r.report
    assert r.kernel()[-1] == "system 'faults' exited with status 139", r.report
    assert r.log("consumer") == [], r.report
    assert r.elapsed < hold_ms / 1000 - 5, f"the halt waited for the other shards{r.report}"


def test_watchdog_stops_a_shard_that_never_yields(faults):
    r = faults("watchdog", {"cflags": ["-DCRASH=3"], "watchdog": "200ms"})
    assert r.status == 1, r.report
    m = one_match(r"shard 'crasher' watchdog: ran (\d+) ms without yielding", r.kernel(), r)
    assert 200 <= int(m[1]) < 1000, r.report
    assert not r.faults("crasher"), r.report
    assert r.log("consumer") == ["all 1000 messages intact"], r.report
    assert r.log("producer") == ["queued 1000 messages", "ran again after the crasher"], r.report


# ---- isolation: probes ----------------------------------------------------------

PROBES = HERE / "probes" / "probes.yaml"


@pytest.fixture(scope="module")
def probes(board, tmp_path_factory):
    work = tmp_path_factory.mktemp(board.tag + "-probes")
    layout = BareSystem(board, copy_spec(PROBES, work / "layout-src"), work / "layout").gen()
    stack, stack_size = layout.region("peer", "stack")
    own = layout.channel("own")
    ring_end = own["addr_int"] + own["size_int"] - 8
    addrs = {
        "stack_reader": stack + stack_size - 64,
        "ring_writer": ring_end,
        "ctl_reader": layout.region("peer", "ctl")[0] + 8,
        "code_reader": layout.region("peer", "image")[0] + 0x1000,
    }

    def edit(doc):
        for name, addr in addrs.items():
            shard_of(doc, name)["cflags"] = [
                f"-DPROBE_ADDR={addr:#x}", f"-DPROBE_WRITE={int(name == 'ring_writer')}"]
        shard_of(doc, "owner")["cflags"] = [f"-DOWN_ADDR={ring_end:#x}"]
    r = BareSystem(board, copy_spec(PROBES, work / "src", edit), work).run()
    return r, layout, addrs


@pytest.mark.parametrize("probe, verb", [
    ("stack_reader", "reading"), ("ring_writer", "writing"),
    ("ctl_reader", "reading"), ("code_reader", "reading")])
def test_probe_into_someone_elses_memory_faults(board, probes, probe, verb):
    r, _, addrs = probes
    addr = f"{addrs[probe]:#x}"
    assert r.log(probe) == [f"{verb} {addr}"], r.report
    [f] = r.faults(probe) or [None]
    assert f, f"no fault report for {probe}{r.report}"
    assert_fault(f, board.probe, addr, r)


def test_writing_own_ring_works(probes):
    r, _, addrs = probes
    assert r.log("owner") == [
        f"own ring at {addrs['ring_writer']:#x}: wrote and read back 0x123456789abcdef",
        "sent 100"], r.report
    assert r.log("peer") == ["received 100 messages, 0 bad bytes"], r.report


def test_stack_overflow_hits_the_guard_page(board, probes):
    r, layout, _ = probes
    stack, _ = layout.region("overflow", "stack")
    [f] = r.faults("overflow") or [None]
    assert f and re.fullmatch(board.guard, f["what"]), r.report
    assert stack - 4096 <= int(f["addr"], 16) < stack, f"not in the guard page{r.report}"


def test_probes_system_status(probes):
    r, _, _ = probes
    assert r.status == 1, r.report
    assert "isolation is broken" not in r.stdout and "survived" not in r.stdout, r.report
    assert r.kernel()[-1] == "system 'probes' exited with status 1", r.report


# ---- traps ----------------------------------------------------------------------

TRAPS = HERE / "traps" / "traps.yaml"

# traps.yaml's modes each board's Board.trap_modes describes:
# mode: (exception in words, detail or None, where the address points or None)
TRAP_MODES = (2, 3, 4, 6, 7, 8)


@pytest.fixture(scope="module")
def traps_layout(board, tmp_path_factory):
    work = tmp_path_factory.mktemp(board.tag + "-traps-layout")
    return BareSystem(board, copy_spec(TRAPS, work / "src"), work).gen()


@pytest.mark.parametrize("mode", TRAP_MODES)
def test_trap_stops_only_the_faulting_shard(board, tmp_path, traps_layout, mode):
    what, detail, where = board.trap_modes[mode]

    def edit(doc):
        shard_of(doc, "crasher")["cflags"] = [f"-DMODE={mode}"]
    r = BareSystem(board, copy_spec(TRAPS, tmp_path / "src", edit), tmp_path).run()
    [f] = r.faults("crasher") or [None]
    assert f, f"no fault report for the crasher{r.report}"
    assert re.fullmatch(what, f["what"]), r.report
    if detail:
        assert f["detail"] and re.fullmatch(detail, f["detail"]), r.report
    image = traps_layout.region("crasher", "image")
    if where == "crasher.data" or where == "crasher.code":
        assert in_region(int(f["addr"], 16), image), r.report
    if where == "crasher.guard":
        stack, _ = traps_layout.region("crasher", "stack")
        assert stack - 4096 <= int(f["addr"], 16) < stack, r.report
    assert "shard 'crasher': on_fault=stop, stopped; 1 other shard running" in r.kernel(), \
        r.report
    assert r.log("survivor") == ["woke with 0 after >= 20 ms", "ran on after the crasher"], \
        r.report
    assert "survived" not in r.stdout, r.report
    assert r.status == 1, r.report


def test_reading_kernel_memory_faults(board, tmp_path, traps_layout):
    wild = traps_layout.doc["kernel"]["addr_int"] + 0x2000

    def edit(doc):
        shard_of(doc, "crasher")["cflags"] = ["-DMODE=5", f"-DWILD_ADDR={wild:#x}"]
    r = BareSystem(board, copy_spec(TRAPS, tmp_path / "src", edit), tmp_path).run()
    [f] = r.faults("crasher") or [None]
    assert f, r.report
    assert_fault(f, board.kernel_read, f"{wild:#x}", r)
    assert r.log("survivor")[-1] == "ran on after the crasher", r.report


# ---- restart --------------------------------------------------------------------

RESTART = HERE / "restart" / "restart.yaml"


def test_restart_keeps_queued_messages_and_has_a_budget(board, tmp_path):
    r = BareSystem(board, RESTART, tmp_path).run()
    assert r.log("consumer") == [
        "life starts at 0",
        "crashing after 700 with 64 queued",
        "life starts at 701",
        "got 701..1999 in order",
    ], r.report
    assert r.log("producer") == ["sent 2000"], r.report
    [f] = r.faults("consumer") or [None]
    assert f and re.fullmatch(board.null, f["what"]) and f["addr"] == "0x8", r.report
    assert "shard 'consumer': on_fault=restart, restarted (1)" in r.kernel(), r.report
    outcomes = [m for m in r.kernel() if m.startswith("shard 'looper': ")]
    assert outcomes[:5] == [f"shard 'looper': on_fault=restart, restarted ({i})"
                            for i in range(1, 6)], r.report
    assert re.fullmatch(r"shard 'looper': on_fault=restart, restarted 5 times within 1 s, "
                        r"gave up: stopped; \d other shards? running", outcomes[5]), r.report
    assert r.status == 1, r.report


# ---- syscall validation ---------------------------------------------------------

SYSCALLS = HERE / "syscalls" / "syscalls.yaml"

REFUSED = {
    "notify_other": EPERM, "notify_out_of_range": EINVAL, "notify_huge": EINVAL,
    "notify_wraps_to_mine": EINVAL, "op_count": ENOSYS, "op_99": ENOSYS,
    "op_max": ENOSYS, "log_too_long": EINVAL, "log_huge": EINVAL, "peer_other": EPERM,
    "peer_out_of_range": EINVAL, "peer_huge": EINVAL, "peer_wraps_to_mine": EINVAL,
}


@pytest.fixture(scope="module")
def syscalls(board, tmp_path_factory):
    work = tmp_path_factory.mktemp(board.tag + "-syscalls")
    layout = BareSystem(board, copy_spec(SYSCALLS, work / "layout-src"), work / "layout").gen()
    ids = {"MINE": layout.channel("mine")["id"], "OTHER": layout.channel("other")["id"],
           "N_CHANNELS": len(layout.doc["channels"])}

    def edit(doc):
        shard_of(doc, "caller")["cflags"] = [f"-D{k}={v}" for k, v in ids.items()]
    r = BareSystem(board, copy_spec(SYSCALLS, work / "src", edit), work).run()
    results = {}
    for line in r.log("caller"):
        m = re.fullmatch(r"(\w+) = (0x[0-9a-f]+|0)", line)
        if m:
            results[m[1]] = int(m[2], 0)
    return r, results


@pytest.mark.parametrize("call", sorted(REFUSED))
def test_bad_syscall_is_refused(syscalls, call):
    r, results = syscalls
    assert results.get(call) == vn_err(REFUSED[call]), r.report


def test_system_runs_on_after_refused_syscalls(syscalls):
    r, results = syscalls
    assert results.get("notify_mine") == 0, r.report
    assert results.get("peer_mine") == 1, r.report  # the listener: live, generation 1
    assert r.log("caller")[-1] == "still running: sent 50", r.report
    assert r.log("listener") == ["received 50, 0 out of order"], r.report
    assert r.log("bystander") == ["got 50"], r.report
    assert r.status == 0, r.report


# ---- scheduling: turns, cross-core wake-ups, timeouts ---------------------------

SCHED = HERE / "sched"


@pytest.fixture(scope="module")
def sched(board, tmp_path_factory):
    runs = {}

    def run(name):
        if name not in runs:
            runs[name] = BareSystem(board, SCHED / f"{name}.yaml",
                                   tmp_path_factory.mktemp(board.tag + "-" + name)).run(
                                       env={"VANITY_STATS": "1"})
        return runs[name]
    return run


def test_yield_shards_on_one_core_take_turns(sched):
    r = sched("samecore")
    assert r.status == 0, r.report
    want = [f"[{s}] turn {i}" for i in range(5) for s in "abc"]
    got = [ln for ln in r.stdout.splitlines() if re.fullmatch(r"\[[abc]\] turn \d+", ln)]
    assert got == want, r.report
    # VANITY_STATS=1 (vanity-stats=1 on the semihosting command line): the
    # kernel's counters at the end, worded as on hosted
    for s in "abc":
        assert r.stats(s)["yields"] == 5, r.report


def test_notification_from_another_core_wakes_the_sleeper(sched):
    r = sched("wake")  # the dozer sleeps on CPU 1; the waker's notify is an IPI
    assert r.status == 0, r.report
    m = one_match(r"wait\(100 ms\) returned (\w+) after (\d+) us", r.log("waker"), r)
    assert int(m[1], 0) == 0 and 100000 <= int(m[2]) < 600000, r.report
    m = one_match(r"woke with bits (\w+) \(bell is (\w+)\); bell sent (-?\d+) us into the wait, "
                  r"woke (-?\d+) us after it", r.log("dozer"), r)
    assert int(m[1], 0) == int(m[2], 0) != 0, r.report
    assert int(m[3]) >= 50000 and int(m[4]) >= 0, f"the dozer did not sleep{r.report}"
    assert r.stats("dozer")["waits"] >= 1 and r.stats("waker")["notifies"] >= 1, r.report


def test_poll_shards_sharing_a_core_both_progress(sched):
    r = sched("pollpong")
    assert r.status == 0, r.report
    one_match(r"500 round trips ok \(4500 messages each way\), \d+ us each", r.log("ping"), r)
    m = one_match(r"(\d+) timeouts in (\d+) us", r.log("ticker"), r)
    assert int(m[1]) == 20 and int(m[2]) >= 20000, r.report
    assert r.log("pong") == ["echoed 4500 messages"], r.report
    # the rings' indices as the kernel reads them at the end (VANITY_STATS)
    assert "stats: channel 'ping_to_pong': head 4501 tail 4501" in r.kernel(), r.report
    assert "stats: channel 'pong_to_ping': head 4500 tail 4500" in r.kernel(), r.report


# ---- devices: a granted window, an interrupt as a notification -------------------

@pytest.fixture(scope="module", params=["yield", "poll"])
def irq(board, request, tmp_path_factory):
    """The clock sleeps in the kernel (yield, on CPU 1: the interrupt is
    routed there) or spins (poll, sharing CPU 0 with the snoop)."""
    work = tmp_path_factory.mktemp(board.tag + "-irq-" + request.param)

    def edit(doc):
        shard_of(doc, "clock").update(mode=request.param,
                                      core=1 if request.param == "yield" else 0)
    return BareSystem(board, copy_spec(board.irq_spec, work / "src", edit), work).run()


def test_device_interrupt_wakes_its_owner(board, irq):
    r = irq  # RTC alarm -> board.irq -> the clock's VN_NOTIFY_RTC, twice
    lines = r.log("clock")
    assert len(lines) == 3, r.report
    for line in lines[:2]:  # the second alarm needs the first ack to unmask
        m = re.fullmatch(rf"rtc interrupt after (\d+) ms, irq {board.irq}, ack 0", line)
        assert m and int(m[1]) < 3000, r.report
    assert lines[2] == f"ack of a bit that is no device: {-EPERM}", r.report
    assert "shard 'clock'" not in "\n".join(r.kernel()), r.report


def test_device_window_is_granted_to_its_owner_only(board, irq):
    r = irq
    [f] = r.faults("snoop") or [None]
    assert f, r.report
    assert_fault(f, board.snoop, f"{board.rtc:#x}", r)
    assert r.log("snoop") == ["reading the rtc"], r.report
    assert r.kernel()[-1] == "system 'irq' exited with status 1", r.report


# ---- a system that can no longer do anything says so -------------------------------

def test_stuck_system_says_so(board, tmp_path):
    """tests/system/sched/idle.yaml: both shards asleep for good and no
    device. The kernel names them once and idles on, until QEMU's timeout
    (shortened here) ends the run."""
    from systest_lib import vanity
    r = vanity("run", HERE / "sched" / "idle.yaml", "--board", board.name,
               "-o", tmp_path / "out", "--build-dir", tmp_path / "build",
               env={"VANITY_QEMU_TIMEOUT": "8"})
    stuck = [ln for ln in r.stderr.splitlines() if "is stuck" in ln]
    assert stuck == ["vanity: system 'idle' is stuck: 'left', 'right' wait for notifications "
                     "that nothing left can send (no shard runs, no device can interrupt)"], \
        r.report
    assert "QEMU did not finish within 8 s" in r.stderr, r.report


# ---- FP/SIMD -----------------------------------------------------------------

def test_fp_shards_on_one_core_keep_their_own_registers(board, tmp_path_factory):
    """Two shards on one core yield to each other mid-computation, live
    values in FP/SIMD registers; their results are hosted's, bit for bit."""
    r = BareSystem(board, HERE / "fpu" / "fpmix.yaml",
                   tmp_path_factory.mktemp(board.tag + "-fpmix")).run()
    assert r.status == 0, r.report
    for shard, want in FP_RESULTS.items():
        assert r.log(shard) == [want], r.report


@pytest.mark.parametrize("on_fault", ["stop", "halt"])
def test_fp_in_a_shard_with_fp_off_is_a_fault(board, tmp_path, on_fault):
    """tests/system/fpu/nofp.yaml: the fp: false shard's FP/SIMD instruction
    is reported as a fault and its policy applies: stopped, its peer (FP in
    use on the same core) runs on to the bits it computes alone; halted,
    the system ends with 128 + SIGILL (132)."""
    def edit(doc):
        shard_of(doc, "nofp")["on_fault"] = on_fault
    r = BareSystem(board, copy_spec(HERE / "fpu" / "nofp.yaml", tmp_path / "src", edit),
                   tmp_path).run()
    what, detail = board.fp_off
    [f] = r.faults("nofp") or [None]
    assert f, f"no fault report for the nofp shard{r.report}"
    assert f["what"] == what and f["detail"] == detail and f["addr"] is None, r.report
    assert r.log("nofp") == ["about to use FP/SIMD"], r.report
    if on_fault == "stop":
        assert "shard 'nofp': on_fault=stop, stopped; 1 other shard running" in r.kernel(), \
            r.report
        assert r.log("peer") == [FP_RESULTS["fa"]], r.report
        assert r.status == 1, r.report
    else:
        assert "shard 'nofp': on_fault=halt, halting the system" in r.kernel(), r.report
        assert r.status == 132, r.report  # 128 + SIGILL, as on hosted
        assert r.kernel()[-1] == "system 'nofp' exited with status 132", r.report
