"""Looking into a running system: `vanity top` and `vanity peek`.

Both read the same dump stream as a traced run's end (generator/obs.py):

- hosted: the kernel process listens on <build dir>/run/obs.sock; a client
  sends one line, `snapshot` or `peek <channel id>`, and reads the stream
  until EOF.
- QEMU boards: `vanity run` starts QEMU with a QMP socket at
  <build dir>/run/qmp.sock; we read guest physical memory with `pmemsave`
  (the way a debug probe reads a board): struct vn_obs at the kernel ELF's
  symbol `vn_obs`, the channel rings and the shards' trace regions at the
  manifest's addresses, and assemble the chunks the kernel would have
  written. The guest is not stopped.
"""

import json
import os
import socket
import struct
import sys
import tempfile
import time
from pathlib import Path

from . import hist, obs
from .boards import SEMIHOSTING
from .errors import SpecError, fail

TIMEOUT = 3.0  # seconds to wait for a running system's answer
BOOT_WAIT = 10.0  # seconds to wait for a booting system's kernel to be up
SUN_PATH_MAX = 108  # a unix socket's path (sockaddr_un.sun_path), its NUL included


class NotUp(SpecError):
    """The system runs, but its kernel has not yet published its counters
    (vn_obs_publish): it is still booting."""


def run_dir(build_dir):
    return Path(build_dir) / "run"


def run_mark(build_dir):
    """Where `vanity run` says it runs the system of this build: its pid and
    its start time (RunMark)."""
    return run_dir(build_dir) / "run.pid"


def _started(pid):
    """The start time of process `pid` (/proc/PID/stat's 22nd field, in
    clock ticks since boot), or None when there is no such process. With
    the pid it names one process, not a later one given the same pid."""
    try:
        stat = Path(f"/proc/{int(pid)}/stat").read_text()
    except (OSError, ValueError):
        return None
    fields = stat.rsplit(")", 1)[-1].split()
    return fields[19] if len(fields) > 19 else None


class RunMark:
    """Held by `vanity run` while it starts and runs a system: the mark
    says a socket not (or not yet) up belongs to a system on its way up,
    not to one that has ended (while_starting)."""

    def __init__(self, build_dir):
        self.path = run_mark(build_dir)
        self.text = f"{os.getpid()} {_started(os.getpid())}\n"

    def __enter__(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(self.text)
        return self

    def __exit__(self, *exc):
        try:  # unless a later `vanity run` of the same build took it over
            if self.path.read_text() == self.text:
                self.path.unlink()
        except OSError:
            pass


def starting(run):
    """The pid of the `vanity run` whose mark is in run directory `run`, if
    that process is alive; else None."""
    try:
        pid, start = (Path(run) / "run.pid").read_text().split()
    except (OSError, ValueError):
        return None
    return int(pid) if _started(pid) == start else None


def obs_socket(build_dir):
    return run_dir(build_dir) / "obs.sock"


def qmp_socket(build_dir):
    return run_dir(build_dir) / "qmp.sock"


def gdb_socket(build_dir):
    """Where QEMU's gdbstub listens: the door of `vanity reload`
    (generator/gdbremote.py)."""
    return run_dir(build_dir) / "gdb.sock"


# ---- QEMU command line ------------------------------------------------------------

CMDLINE_MAX = 511   # the kernel's buffer for it (freestanding/kernel/obs.c: cmd[512])


def qemu_args(qemu, dump_path=None, qmp_path=None, crash_dir=None, stats=False):
    """A board's QEMU command (boards.py) for an observed run: with a dump
    path, semihosting's command line (what the kernel's SYS_GET_CMDLINE
    reads) has `vanity-trace=` and the path to write the dump to; with a
    crash dump directory, `vanity-dumps=` and that directory (words of the
    command line are separated by spaces, so neither path may hold one);
    with stats, `vanity-stats=1` (VANITY_STATS=1: the counters at the end);
    with a QMP path, a QMP server listens there for `vanity top` and `peek`
    (unless the path is too long for a unix socket: then there is none), and
    QEMU's gdbstub beside it, gdb.sock, for the reload door (gdbremote.py):
    the guest runs on until a client connects."""
    cmd, i = [], 0
    qemu = list(qemu)
    args = []
    if dump_path is not None:
        args.append("vanity-trace=" + str(Path(dump_path).resolve()))
    if crash_dir is not None:
        args.append("vanity-dumps=" + str(Path(crash_dir).resolve()))
    if stats:
        args.append("vanity-stats=1")
    for a in args:
        if " " in a:
            raise fail(f"'{a.split('=', 1)[1]}': QEMU's semihosting command line "
                       "cannot hold a path with a space")
    if len(" ".join(args)) > CMDLINE_MAX:
        raise fail(f"the trace and crash-dump paths take {len(' '.join(args))} bytes of the "
                   f"kernel's {CMDLINE_MAX}-byte command line: use shorter directories")
    while i < len(qemu):
        a = qemu[i]
        if args and a == "-semihosting":
            i += 1
            continue
        if args and a == "-semihosting-config":
            i += 2
            continue
        if qmp_path is not None and a in ("-qmp", "-gdb"):
            i += 2
            continue
        cmd.append(a)
        i += 1
    if args:
        # The kernel writes its dumps only behind these prefixes: QEMU's default
        # command line is the kernel's own file name (freestanding/kernel/obs.c).
        cmd += ["-semihosting-config", SEMIHOSTING +
                "".join(",arg=" + a.replace(",", ",,") for a in args)]
    if qmp_path is not None and len(str(Path(qmp_path).resolve())) < SUN_PATH_MAX:
        path = str(Path(qmp_path).resolve()).replace(",", ",,")
        cmd += ["-qmp", f"unix:{path},server=on,wait=off"]
        gdb = Path(qmp_path).resolve().parent / "gdb.sock"
        if len(str(gdb)) < SUN_PATH_MAX:
            cmd += ["-gdb", "unix:" + str(gdb).replace(",", ",,") + ",server=on,wait=off"]
    return tuple(cmd)


# ---- hosted: the kernel's socket ---------------------------------------------------

class NoListener(SpecError):
    """Nothing listens on a system's socket: no system runs, or it is
    starting (while_starting)."""


def connect(path, hint):
    """A connection to the Unix socket at path, or the error that says no
    system listens there (`hint`: how to start one). While a `vanity run`
    of the build starts the system, the socket is waited for."""
    path = Path(path)
    return while_starting(path, lambda: _connect(path, hint))


def _connect(path, hint):
    if not path.exists():
        raise NoListener(fail(f"no running system: {path} does not exist ({hint})").diags)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(TIMEOUT)
    try:
        s.connect(str(path))
    except (ConnectionRefusedError, FileNotFoundError):
        s.close()
        raise NoListener(fail(f"no running system: nothing listens on {path} "
                              f"(the system has ended; {hint})").diags) from None
    except OSError as exc:
        s.close()
        raise fail(f"cannot connect to {path}: {exc.strerror or exc}") from None
    return s


def while_starting(path, attempt):
    """attempt(), a connection to the socket at path. While it fails for
    want of a listener (NoListener) and the `vanity run` that marked the
    socket's directory (RunMark) is alive, the system is starting: a
    hosted kernel opens its socket once it is up, QEMU its own a moment
    after it starts, and until then the file is missing or an earlier
    run's. That is given BOOT_WAIT seconds."""
    deadline = time.monotonic() + BOOT_WAIT
    while True:
        try:
            return attempt()
        except NoListener:
            pid = starting(Path(path).parent)
            if pid is None:
                raise
            if time.monotonic() >= deadline:
                raise fail(f"nothing listens on {path} after {BOOT_WAIT:g} s, though `vanity "
                           f"run` (pid {pid}) runs this build (still building or booting?)"
                           ) from None
            time.sleep(0.05)


def hosted_request(path, line, hint="start it with `vanity run SPEC`"):
    """Sends one request line to the hosted kernel; returns the parsed dump."""
    s = connect(path, hint)
    chunks = []
    try:
        s.sendall(line.encode() + b"\n")
        while True:
            b = s.recv(1 << 16)
            if not b:
                break
            chunks.append(b)
    except socket.timeout:
        raise fail(f"{path}: the system did not answer within {TIMEOUT:g} s") from None
    except OSError as exc:
        raise fail(f"{path}: {exc.strerror or exc}") from None
    finally:
        s.close()
    return obs.parse_dump(b"".join(chunks), f"{path} ({line})")


# ---- QEMU: QMP ------------------------------------------------------------------

class Qmp:
    """A QMP client that reads guest physical memory."""

    def __init__(self, path, hint="start it with `vanity run SPEC --board B`"):
        self.path = path
        self.sock = connect(path, hint)
        self.file = self.sock.makefile("rwb")
        self._reply()  # the greeting
        self.command("qmp_capabilities")
        fd, self.tmp = tempfile.mkstemp(prefix="vanity-pmem-")
        os.close(fd)

    def _reply(self):
        while True:
            try:
                line = self.file.readline()
            except socket.timeout:
                raise fail(f"{self.path}: QEMU did not answer within {TIMEOUT:g} s") from None
            except OSError:  # reset: QEMU exited while we read
                line = b""
            if not line:
                raise self._closed()
            msg = json.loads(line)
            if "event" in msg:
                continue
            return msg

    def _closed(self):
        return fail(f"{self.path}: QEMU closed the connection (the system ended)")

    def command(self, name, **arguments):
        req = {"execute": name}
        if arguments:
            req["arguments"] = arguments
        try:
            self.file.write(json.dumps(req).encode() + b"\n")
            self.file.flush()
        except OSError:  # a broken pipe: QEMU exited since the last command
            raise self._closed() from None
        msg = self._reply()
        if "error" in msg:
            raise fail(f"QEMU: {name}: {msg['error'].get('desc', msg['error'])}")
        return msg.get("return")

    def read(self, addr, size):
        """size bytes of guest physical memory at addr."""
        self.command("pmemsave", val=int(addr), size=int(size), filename=self.tmp)
        with open(self.tmp, "rb") as f:
            data = f.read()
        if len(data) != size:
            raise fail(f"QEMU: pmemsave of {size} bytes at {addr:#x} gave {len(data)}")
        return data

    def close(self):
        try:
            os.unlink(self.tmp)
        except OSError:
            pass
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# ---- the kernel ELF --------------------------------------------------------------

def elf_symbol(path, name):
    """The value of a symbol in an ELF64 little-endian file's .symtab."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise fail(f"{path}: no kernel image (build the system first: vanity build)") from None
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise fail(f"{path}: not a 64-bit little-endian ELF file")
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
    sections = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize)
                for i in range(shnum)]
    want = name.encode()
    for sh in sections:
        if sh[1] != 2:  # SHT_SYMTAB
            continue
        strtab = sections[sh[6]]
        stroff = strtab[4]
        for off in range(sh[4], sh[4] + sh[5], 24):
            st_name, _info, _other, _shndx, value, _size = struct.unpack_from(
                "<IBBHQQ", data, off)
            end = data.index(b"\0", stroff + st_name)
            if data[stroff + st_name:end] == want:
                return value
    raise fail(f"{path}: no symbol '{name}' (a kernel built before observability? "
               "rebuild it)")


def kernel_elf(build_dir):
    for name in ("kernel", "image.elf"):
        p = Path(build_dir) / name
        if p.exists():
            return p
    return Path(build_dir) / "kernel"


def qmp_snapshot(qmp, manifest, build_dir, channels=None, slots=False):
    """The chunks a hosted kernel's `snapshot` sends, read over QMP."""
    base = elf_symbol(kernel_elf(build_dir), "vn_obs")
    head = qmp.read(base, obs.OBS_CORE)
    if not int.from_bytes(head[:4], "little"):  # the magic, written last
        raise NotUp(fail(f"{qmp.path}: the system is not up: its kernel has not "
                         f"published its counters at vn_obs ({base:#x}) after "
                         f"{BOOT_WAIT:g} s of waiting (still booting?)").diags)
    hdr = obs.decode_obs(head, f"{qmp.path}: vn_obs at {base:#x}")
    chunks = [(obs.DUMP_OBS, 0, base, head)]
    for core in range(hdr.n_cores):
        addr = base + obs.OBS_CORE + core * obs.CORE_TRACE_SIZE
        chunks.append((obs.DUMP_CORE_TRACE, core, addr, qmp.read(addr, obs.CORE_TRACE_SIZE)))
    for s in manifest.get("shards", []):
        t = s.get("trace")
        if t:
            size = (obs.trace_ring_bytes(int(t["records"])) if t.get("records")
                    else int(t["size_int"]))
            chunks.append((obs.DUMP_SHARD_TRACE, s["id"], t["addr_int"],
                           qmp.read(t["addr_int"], size)))
    for c in manifest.get("channels", []):
        if channels is not None and c["id"] not in channels:
            continue
        chunks.append((obs.DUMP_RING, c["id"], c["addr_int"],
                       qmp.read(c["addr_int"], obs.RING_SLOTS_OFFSET)))
        lat = c.get("latency")
        if lat:
            h = lat["hist"]
            chunks.append((obs.DUMP_HIST, c["id"], h["addr_int"],
                           qmp.read(h["addr_int"], obs.HIST_SIZE)))
        if slots:
            n = int(c.get("stride", c["message"])) * int(c["depth"])
            chunks.append((obs.DUMP_SLOTS, c["id"], c["addr_int"] + obs.RING_SLOTS_OFFSET,
                           qmp.read(c["addr_int"] + obs.RING_SLOTS_OFFSET, n)))
            # the header again: messages released while we copied are not shown
            chunks.append((obs.DUMP_RING, c["id"], c["addr_int"],
                           qmp.read(c["addr_int"], obs.RING_SLOTS_OFFSET)))
    data = obs.dump_bytes(hdr.schema_hash, hdr.clock_hz, 0, chunks)
    return obs.parse_dump(data, f"{qmp.path} (vn_obs at {base:#x})")


class Target:
    """A running system: snapshot() and peek(channel) give dumps."""

    def __init__(self, manifest, build_dir, hint):
        self.manifest, self.build_dir, self.hint = manifest, Path(build_dir), hint
        self.hosted = manifest.get("board") == "hosted"
        self.qmp = None

    def _qmp(self):
        if self.qmp is None:
            self.qmp = Qmp(qmp_socket(self.build_dir), self.hint)
        return self.qmp

    def _booted(self, read):
        """read(), once the kernel is up: a system that is still booting
        (NotUp) is given BOOT_WAIT seconds. (A hosted kernel opens its
        socket only once it is up.)"""
        deadline = time.monotonic() + BOOT_WAIT
        while True:
            try:
                return read()
            except NotUp:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.05)

    def snapshot(self):
        if self.hosted:
            return hosted_request(obs_socket(self.build_dir), "snapshot", self.hint)
        return self._booted(lambda: qmp_snapshot(self._qmp(), self.manifest,
                                                 self.build_dir))

    def peek(self, channel):
        if self.hosted:
            return hosted_request(obs_socket(self.build_dir), f"peek {channel}", self.hint)
        return self._booted(lambda: qmp_snapshot(self._qmp(), self.manifest, self.build_dir,
                                                 {channel}, slots=True))

    def close(self):
        if self.qmp is not None:
            self.qmp.close()


# ---- top --------------------------------------------------------------------------

def _ring_counts(dump, manifest):
    """shard id -> (records written, dropped, capacity) of its trace ring,
    or the SpecError that says its header is garbled (the shard writes the
    ring, header and all: that costs its own row's trace column alone)."""
    out = {}
    for c in dump.find(obs.DUMP_SHARD_TRACE):
        where = f"{dump.source}: shard trace"
        try:
            owner, n_recs, head = obs.trace_ring_header(c.data, where)
            why = obs.shard_trace_problem(manifest, c.index, owner, n_recs)
            if why:
                raise fail(f"{where}: corrupt: {why}")
        except SpecError as exc:
            out[c.index] = exc
            continue
        out[c.index] = (head, max(0, head - n_recs), n_recs)
    return out


def _ring(data, channel, source):
    """A channel's ring header, judged against the spec's channel: its
    counters, or SpecError if the header is not what the kernel wrote
    (magic, message size, depth and slot stride). Both shards of a channel
    can write the line those sit on, so a broken or hostile one can garble
    them; the counters are read, the sizes are the spec's."""
    r = obs.decode_channel_ring(data, source)
    want = (channel.get("message"), channel.get("depth"))
    if None not in want and (r["msg_size"], r["depth"]) != want:
        raise fail(f"{source}: corrupt: the ring says {r['msg_size']}-byte messages, "
                   f"depth {r['depth']}; the spec {want[0]}, depth {want[1]}")
    stride = channel.get("stride")
    if stride is not None and r["stride"] != stride:
        raise fail(f"{source}: corrupt: the ring says slots {r['stride']} bytes apart, "
                   f"the spec {stride} ({channel.get('slots', 'packed')} slots)")
    # head is read before tail (the copy goes up the header), so a ring its
    # shards keep honestly never holds more than its depth
    if r["fill"] > r["depth"]:
        raise fail(f"{source}: corrupt: head is {r['fill']} past tail, beyond the depth "
                   f"{r['depth']}")
    if r["tx_hwm"] > r["depth"]:
        raise fail(f"{source}: corrupt: a high-water mark of {r['tx_hwm']}, beyond the "
                   f"depth {r['depth']}")
    return r


def _rings(dump, manifest):
    """Each channel's ring header (_ring), or the SpecError that says why
    it cannot be read: one garbled ring leaves the others' counters."""
    by_id = {c["id"]: c for c in manifest.get("channels", [])}
    out = {}
    for c in dump.find(obs.DUMP_RING):
        if c.index not in out:  # the first copy (a later one is a re-read)
            try:
                out[c.index] = _ring(c.data, by_id.get(c.index, {}),
                                     f"{dump.source}: ring {c.index}")
            except SpecError as exc:
                out[c.index] = exc
    return out


def top_report(manifest, snap, prev=None, dt=None):
    """What `vanity top` shows, as a dict: totals from snap; rates over dt
    seconds since prev (a snapshot of the same system), when given."""
    obs.check_schema(snap, manifest)
    chunk = snap.find(obs.DUMP_OBS)
    if not chunk:
        raise fail(f"{snap.source}: the snapshot has no kernel counters")
    k = obs.decode_obs(chunk[-1].data, snap.source)
    pk = obs.decode_obs(prev.find(obs.DUMP_OBS)[-1].data, prev.source) if prev else None
    hz = k.clock_hz or snap.clock_hz

    def rate(now, before):
        if prev is None or not dt:
            return None
        return round((now - before) / dt, 1)

    trace = _ring_counts(snap, manifest)
    shards = []
    for s in manifest.get("shards", []):
        sid = s["id"]
        if sid >= len(k.shards):
            continue
        st = k.shards[sid]
        before = pk.shards[sid] if pk and sid < len(pk.shards) else None
        run_pct = None
        if before is not None and dt and hz:
            run_pct = round(100.0 * (st["run_ticks"] - before["run_ticks"]) / hz / dt, 1)
        ring = trace.get(sid, (None, None, None))
        rec, dropped, cap = (None, None, None) if isinstance(ring, SpecError) else ring
        shards.append({
            "id": sid, "name": s["name"], "core": s.get("core", 0),
            "state": (obs.SHARD_STATES[st["state"]] if st["state"] < len(obs.SHARD_STATES)
                      else str(st["state"])),
            "generation": st["generation"],
            "activations": st["activations"],
            "activations_per_s": rate(st["activations"], before["activations"]) if before else None,
            "run_ticks": st["run_ticks"],
            "run_s": round(st["run_ticks"] / hz, 6) if hz else None,
            "run_pct": run_pct,
            "syscalls": st["syscalls"], "yields": st["yields"], "waits": st["waits"],
            "wakes": st["wakes"], "notifies": st["notifies"], "irqs": st["irqs"],
            "faults": st["faults"], "restarts": st["restarts"],
            "trace": ({"corrupt": obs.corrupt_why(ring)}
                      if isinstance(ring, SpecError) else
                      None if rec is None else {"records": rec, "dropped": dropped,
                                                "capacity": cap}),
            # per activation, in ns (generator/hist.py: p50 ... max)
            "run_time": (hist.summary(k.run_hists[sid], hz, trusted=True)
                         if sid < len(k.run_hists) else None),
        })
    rings, prings = _rings(snap, manifest), (_rings(prev, manifest) if prev else {})
    hists = obs.channel_hists(snap)
    channels = []
    for c in manifest.get("channels", []):
        cid = c["id"]
        r = rings.get(cid)
        notes = k.chan_notifies[cid] if cid < len(k.chan_notifies) else None
        entry = {"id": cid, "name": c["name"], "from": c.get("from"), "to": c.get("to"),
                 "msg_size": c.get("message"), "depth": c.get("depth"), "notifications": notes}
        if isinstance(r, SpecError):
            entry["corrupt"] = obs.corrupt_why(r)
        elif r is not None:
            p = prings.get(cid)
            p = p if isinstance(p, dict) else None
            entry.update({
                "sent": r["sent"], "received": r["received"],
                "sent_per_s": rate(r["sent"], p["sent"]) if p else None,
                "received_per_s": rate(r["received"], p["received"]) if p else None,
                "bytes_sent": r["sent"] * r["msg_size"],
                "bytes_received": r["received"] * r["msg_size"],
                "queued": r["fill"], "high_water": r["tx_hwm"],
                "full_stalls": r["tx_full"], "empty_stalls": r["rx_empty"],
                "rx_sleeping": bool(r["rx_sleeping"]), "tx_sleeping": bool(r["tx_sleeping"]),
            })
        # transit time in ns, on a latency channel (spec `latency: true`)
        entry["latency"] = hist.summary(hists[cid], hz) if cid in hists else None
        channels.append(entry)
    # a signal has no ring: its kernel counter of notifications is all there is
    signals = [{"id": g["id"], "name": g["name"], "from": g.get("from"), "to": g.get("to"),
                "notifications": (k.chan_notifies[g["id"]] if g["id"] < len(k.chan_notifies)
                                  else None)}
               for g in manifest.get("signals", [])]
    return {"system": manifest.get("system"), "board": manifest.get("board"),
            "schema_hash": f"{snap.schema_hash:#018x}", "clock_hz": hz,
            "halted": bool(k.halted), "interval_s": dt if prev else None,
            "shards": shards, "channels": channels, "signals": signals}


def _n(v, suffix=""):
    """A count for a column: exact below 10 000, then k, M, G."""
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.1f}{suffix}"
    for unit, div in (("G", 10**9), ("M", 10**6), ("k", 10**3)):
        if abs(v) >= max(div, 10**4):
            return f"{v / div:.1f}{unit}{suffix}"
    return f"{v}{suffix}"


def format_top(rep):
    shards, chans = rep["shards"], rep["channels"]
    head = (f"vanity top - {rep['system']} on {rep['board']}: {len(shards)} shards, "
            f"{len(chans)} channels" + (", HALTED" if rep["halted"] else "") +
            (f"; rates over {rep['interval_s']:.1f} s" if rep["interval_s"] else ""))
    lines = [head, ""]
    lines.append(f"{'SHARD':<14}{'CORE':>4} {'STATE':<9}{'GEN':>4}{'ACT/s':>9}{'RUN%':>7}"
                 f"{'SYSCALLS':>10}{'WAITS':>8}{'WAKES':>8}{'FAULTS':>7}{'RESTARTS':>9}"
                 f"{'TRACE REC/DROP':>16}")
    for s in shards:
        t = s["trace"]
        tr = ("off" if t is None else "corrupt" if "corrupt" in t else
              f"{_n(t['records'])}/{_n(t['dropped'])}")
        lines.append(f"{s['name'][:13]:<14}{s['core']:>4} {s['state']:<9}{s['generation']:>4}"
                     f"{_n(s['activations_per_s']):>9}{_n(s['run_pct']):>7}"
                     f"{_n(s['syscalls']):>10}{_n(s['waits']):>8}{_n(s['wakes']):>8}"
                     f"{_n(s['faults']):>7}{_n(s['restarts']):>9}{tr:>16}")
    lines.append("")
    lines.append(f"{'CHANNEL':<14}{'FROM->TO':<22}{'SENT':>9}{'SENT/s':>9}{'RECV':>9}"
                 f"{'RECV/s':>9}{'BYTES':>9}{'QUEUED':>11}{'HWM':>6}{'FULL':>7}{'EMPTY':>8}"
                 f"{'NOTIFY':>8}")
    for c in chans:
        route = f"{c['from']}->{c['to']}"[:21]
        if "corrupt" in c:
            lines.append(f"{c['name'][:13]:<14}{route:<22}  corrupt ring header: {c['corrupt']}")
            continue
        if "sent" not in c:
            lines.append(f"{c['name'][:13]:<14}{route:<22}  (ring not read)")
            continue
        lines.append(f"{c['name'][:13]:<14}{route:<22}{_n(c['sent']):>9}{_n(c['sent_per_s']):>9}"
                     f"{_n(c['received']):>9}{_n(c['received_per_s']):>9}"
                     f"{_n(c['bytes_sent']):>9}{_n(c['queued']) + '/' + _n(c['depth']):>11}"
                     f"{_n(c['high_water']):>6}{_n(c['full_stalls']):>7}{_n(c['empty_stalls']):>8}"
                     f"{_n(c['notifications']):>8}")
    if rep.get("signals"):
        lines.append("")
        lines.append(f"{'SIGNAL':<14}{'FROM->TO':<22}{'NOTIFY':>9}")
        for g in rep["signals"]:
            route = f"{g['from']}->{g['to']}"[:21]
            lines.append(f"{g['name'][:13]:<14}{route:<22}{_n(g['notifications']):>9}")
    lat = [(c["name"], c["latency"]) for c in chans if c.get("latency")]
    run = [(s["name"], s["run_time"]) for s in shards if s.get("run_time")]
    cols = ("p50", "p90", "p99", "p99.9", "max")
    for title, rows in (("CHANNEL LATENCY", lat), ("SHARD RUN/ACT", run)):
        if not rows:
            continue
        lines.append("")
        lines.append(f"{title:<22}{'COUNT':>10}" + "".join(f"{c.upper():>10}" for c in cols))
        for name, s in rows:
            lines.append(f"{name[:21]:<22}{_n(s['count']):>10}" +
                         "".join(f"{hist.format_ns(s[c]):>10}" for c in cols) +
                         hist.inconsistent_suffix(s))
    return "\n".join(lines)


def top(target, manifest, once=False, as_json=False, interval=1.0, out=sys.stdout):
    """Samples the system, prints, and (without once) refreshes every
    interval seconds until Ctrl-C or the system ends."""
    prev, t_prev = target.snapshot(), time.monotonic()
    obs.check_schema(prev, manifest)
    tty = out.isatty() and not as_json
    while True:
        time.sleep(interval)
        try:
            snap = target.snapshot()
        except SpecError:
            if once:
                raise
            print("vanity: the system ended", file=sys.stderr)
            return 0
        now = time.monotonic()
        rep = top_report(manifest, snap, prev, now - t_prev)
        text = json.dumps(rep, indent=1) if as_json else format_top(rep)
        if tty and not once:
            out.write("\x1b[H\x1b[2J")
        out.write(text + "\n")
        out.flush()
        if once:
            return 0
        prev, t_prev = snap, now


# ---- peek -------------------------------------------------------------------------

def find_channel(manifest, name):
    chans = manifest.get("channels", [])
    for c in chans:
        if c["name"] == name or str(c["id"]) == str(name):
            return c
    for g in manifest.get("signals", []):
        if g["name"] == name or str(g["id"]) == str(name):
            raise fail(f"'{g['name']}' is a signal ({g['from']} -> {g['to']}): it has no "
                       "ring to peek; vanity top counts its notifications")
    known = ", ".join(c["name"] for c in chans) or "none"
    raise fail(f"no channel '{name}' in {manifest.get('system')} (channels: {known})")


def hexdump(data, width=16):
    lines = []
    for off in range(0, len(data), width):
        b = data[off:off + width]
        text = "".join(chr(x) if 32 <= x < 127 else "." for x in b)
        pad = min(width, len(data)) * 3 - 1
        lines.append(f"  {off:04x}  {b.hex(' '):<{pad}}  |{text}|")
    return lines


def peek_report(manifest, dump, channel):
    obs.check_schema(dump, manifest)
    cid = channel["id"]
    rings = [c for c in dump.find(obs.DUMP_RING, cid)]
    slots = dump.one(obs.DUMP_SLOTS, cid)
    if not rings or slots is None:
        raise fail(f"{dump.source}: no ring or slots of channel {cid} in the answer")
    ring = _ring(rings[0].data, channel, f"{dump.source}: ring {cid}")
    after = (_ring(rings[-1].data, channel, dump.source)["tail"]
             if len(rings) > 1 else None)
    msgs = obs.queued_messages(ring, slots.data, after)
    return ring, msgs


def format_peek(channel, ring, msgs):
    lines = [f"channel {channel['name']} ({channel.get('from')} -> {channel.get('to')}): "
             f"{len(msgs)} of {ring['depth']} slots queued, {ring['msg_size']}-byte messages "
             f"(tail {ring['tail']}, head {ring['head']})"]
    for n, data in msgs:
        lines.append(f"#{n} (slot {n & (ring['depth'] - 1)})")
        lines += hexdump(data)
    return "\n".join(lines)
