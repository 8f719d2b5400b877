"""The `vanity` command: check, gen, build, run and diff a system spec; trace,
top and peek look into a system that runs or ran (generator/obs.py)."""

import argparse
import dataclasses
import difflib
import json
import os
import select
import sys
import tempfile
from pathlib import Path

from .boards import BOARDS, DEFAULT_BOARD, ported
from .deps import missing_message
from .errors import SpecError, fail
from .model import build_model
from .parse import parse_file
from .render import render, write
from .validate import suggest, validate

REPO = Path(__file__).resolve().parent.parent

EXIT_SPEC = 1
EXIT_INTERNAL = 70
EXIT_MISSING = 2   # a Debian package is not installed
MAX_SHOWN = 50     # errors printed; the rest are counted, as a compiler does
ALL_BOARDS = "all"  # vanity check --board all: every board with a port


def print_diags(diags):
    """Prints diagnostics to stderr: every warning, the first MAX_SHOWN
    errors, and how many more errors there were."""
    errors = 0
    for d in diags:
        errors += d.severity == "error"
        if d.severity != "error" or errors <= MAX_SHOWN:
            print(d, file=sys.stderr)
    if errors > MAX_SHOWN:
        print(f"vanity: error: {errors - MAX_SHOWN} more errors not shown "
              f"({errors} in all)", file=sys.stderr)


def spec_label(spec_path, repo_root):
    """How generated files name the spec: relative to the repo, never absolute."""
    path = spec_path.resolve()
    try:
        return path.relative_to(repo_root.resolve()).as_posix()
    except ValueError:
        return path.name


def load(args, repo_root=REPO):
    """Parses and validates a spec; returns (model, warnings)."""
    if args.board and args.board not in BOARDS:
        raise fail(f"unknown board '{args.board}' (known: {', '.join(BOARDS)})"
                   f"{suggest(args.board, BOARDS)}")
    path = Path(args.spec)
    root = parse_file(path, args.spec)
    spec, warnings = validate(root, args.board, path.resolve().parent, repo_root)
    board = BOARDS[spec["board"]]
    return build_model(spec, board, spec_label(path, repo_root)), warnings


def generate(model, out_dir, repo_root=REPO):
    write(render(model, repo_root), out_dir)


def default_out(model, repo_root=REPO):
    return repo_root / "out" / model.name / model.board


def _out_dir(args, model):
    """Where the system is generated: -o DIR, else out/<system>/<board>. An
    absolute path, as every directory the build is given: the compiler runs
    in the repository (toolchain.py), not where vanity was started."""
    out = getattr(args, "output", None)
    return Path(out).resolve() if out else default_out(model)


def require_port(model):
    if not BOARDS[model.board].has_port:
        raise fail(f"board '{model.board}' has no port yet; boards with a port: "
                   f"{', '.join(ported())}")


# ---- commands ------------------------------------------------------------------

def _count(items, noun):
    return f"{len(items)} {noun}{'' if len(items) == 1 else 's'}"


def _contents(model):
    return (f"{_count(model.shards, 'shard')}, {_count(model.channels, 'channel')}"
            + (f", {_count(model.signals, 'signal')}" if model.signals else "")
            + (f", {_count(model.pools, 'pool')}" if model.pools else ""))


def cmd_check(args, model):
    print(f"{args.spec}: ok ({_contents(model)})")
    return 0


def check_all(args):
    """`vanity check --board all`: the spec checked for every board with a
    port, as if each were its board. A refusal the same on every board (a
    YAML or schema error) is printed once; otherwise each refusal under its
    board's name (up to MAX_SHOWN errors each), and each warning once. 1
    when any board refuses it."""
    results = []
    for name in ported():
        args.board = name
        try:
            model, warnings = load(args)
            results.append((name, model, warnings))
        except SpecError as exc:
            results.append((name, None, exc.diags))
    refused = [name for name, model, _ in results if model is None]
    if len(refused) == len(results) and len({tuple(map(str, r[2])) for r in results}) == 1:
        print_diags(results[0][2])
        return EXIT_SPEC
    said = set()
    for name, model, diags in results:
        fresh = [d for d in diags if d.severity == "error" or str(d) not in said]
        said.update(str(d) for d in fresh)
        if model is None:
            print(f"vanity: board {name} refuses {args.spec}:", file=sys.stderr)
        print_diags(fresh)
        if model is not None:
            print(f"{args.spec}: ok on {name} ({_contents(model)})")
    if refused:
        print(f"vanity: error: {args.spec}: refused on {len(refused)} of {len(results)} "
              f"boards ({', '.join(refused)})", file=sys.stderr)
        return EXIT_SPEC
    return 0


def cmd_gen(args, model):
    require_port(model)
    generate(model, _out_dir(args, model))
    return 0


def _build(args, model):
    from . import build as builder
    require_port(model)
    out_dir = _out_dir(args, model)
    generate(model, out_dir)
    build_dir = _build_dir(args, model)
    try:
        return builder, builder.build(Path(args.spec), out_dir, build_dir)
    except builder.BuildError as exc:
        raise fail(str(exc)) from None


def cmd_build(args, model):
    _build(args, model)
    return 0


def _manifest(args, model):
    """The manifest of the generated system, and how errors name it."""
    path = _out_dir(args, model) / "manifest.json"
    try:
        return json.loads(path.read_text(encoding="utf-8")), str(path)
    except FileNotFoundError:
        raise fail(f"{path}: not generated yet (run `vanity build {args.spec}"
                   f"{' --board ' + model.board if model.board != DEFAULT_BOARD else ''}`)"
                   ) from None


def _build_dir(args, model):
    """--build-dir DIR, else build/<system>/<board>; absolute (_out_dir)."""
    return (Path(args.build_dir).resolve() if getattr(args, "build_dir", None)
            else REPO / "build" / model.name / model.board)


def _build_and_run(args, model):
    """cmd_run up to the system's end: (status, trace_dir, manifest,
    manifest_name), the last two None without a trace."""
    from . import build_bare, live
    gdb = getattr(args, "gdb", False)
    board = BOARDS[model.board]
    if board.image and not gdb:
        try:  # said before the build, not after it
            build_bare.qemu_timeout()
        except build_bare.BuildError as exc:
            raise fail(str(exc)) from None
    builder, kernel = _build(args, model)
    run_dir = live.run_dir(kernel.parent)
    trace_dir = Path(args.trace) if getattr(args, "trace", None) else None
    raw = manifest = manifest_name = None
    if trace_dir is not None:
        manifest, manifest_name = _manifest(args, model)
        if not (manifest.get("trace") or {}).get("schema_hash"):
            raise fail(f"{manifest_name} has no trace tables (this generator does not "
                       "write them yet)")
        from .ctf import RAW
        trace_dir.mkdir(parents=True, exist_ok=True)
        raw = trace_dir / RAW
        if raw.exists():
            raw.unlink()
    run_dir.mkdir(parents=True, exist_ok=True)  # hosted: the kernel's obs.sock goes there
    dump_dir = _dump_dir(args, model, kernel.parent)
    if board.image:  # QEMU: a QMP door for top and peek; semihosting for the dumps
        stats = os.environ.get("VANITY_STATS", "0") != "0"  # as hosted's main.c reads it
        qemu = live.qemu_args(board.qemu, raw, live.qmp_socket(kernel.parent), dump_dir, stats)
        status = build_bare.run(dataclasses.replace(board, qemu=qemu), kernel, args.args,
                                model.n_cores, gdb)
    else:
        if raw is not None:
            os.environ["VANITY_TRACE_DUMP"] = str(raw.resolve())
        os.environ["VANITY_DUMP_DIR"] = str(dump_dir)
        status = builder.run(kernel, args.args, board=model.board, cores=model.n_cores,
                             gdb=gdb)
    return status, trace_dir, manifest, manifest_name


def cmd_run(args, model):
    from . import live
    # The mark, while it builds and runs the system: top, peek and reload
    # wait for the sockets of a system on its way up (live.while_starting).
    with live.RunMark(_build_dir(args, model)):
        status, trace_dir, manifest, manifest_name = _build_and_run(args, model)
    if trace_dir is not None:
        from .ctf import convert_dir
        try:
            trace = convert_dir(trace_dir, manifest, manifest_name)
        except SpecError as exc:
            print_diags(exc.diags)
            return status or EXIT_SPEC
        n = sum(len(r.records) for _, r in trace.rings)
        dropped = sum(r.dropped for _, r in trace.rings)
        streams = {name for name, _ in trace.rings} | {"metadata"}
        others = sorted(p.name for p in trace_dir.iterdir()
                        if not p.name.startswith(".") and p.name not in streams)
        if others:
            print(f"vanity: warning: {trace_dir} holds other files ({', '.join(others)}); "
                  "CTF readers take every file in it for a stream", file=sys.stderr)
        print(f"vanity: trace: {trace_dir}: {n} records from {len(trace.rings)} rings"
              f"{f', {dropped} dropped (overwritten)' if dropped else ''}; "
              f"read it with `babeltrace2 {trace_dir}`", file=sys.stderr)
        _skipped_lines(trace)
        _latency_lines(trace, manifest, trace_dir)
    return status


def _skipped_lines(trace):
    """A warning for each shard ring the trace left out: its header was
    garbled (by the shard, which writes it); and for records a shard wrote
    with a kernel event's id, which were left out."""
    from .obs import EV_USER
    for name, why in trace.skipped or ():
        print(f"vanity: warning: trace ring {name} left out: corrupt: {why}", file=sys.stderr)
    if trace.forged:
        print(f"vanity: warning: {trace.forged} records in shard trace rings carry a kernel "
              f"event's id (below {EV_USER}), which only the kernel writes, on the cores' "
              "rings: left out", file=sys.stderr)


def _dump_dir(args, model, build_dir):
    """Where the kernel writes a crash dump per fault (--dump-dir, default
    <build dir>/dumps/), made ready, with a note of the build the dumps come
    from so that `vanity dump` finds the shards' ELF files (generator/crash.py).
    Made for its user alone, as a dump holds a shard's registers, stack and
    code (QEMU's semihosting writes files that others may read)."""
    from .crash import note_build
    given = getattr(args, "dump_dir", None)
    d = Path(given) if given else build_dir / "dumps"
    d.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not given:
        d.chmod(0o700)  # made readable by a run before
    note_build(d, build_dir, _out_dir(args, model))
    return d.resolve()


def _latency_lines(trace, manifest, trace_dir):
    """After a traced run: one line per latency channel (its percentiles)."""
    from .hist import format_ns
    from .obs import latency_stats
    chans = latency_stats(trace.dump, manifest)["channels"]
    for name, s in chans.items():
        print(f"vanity: latency: {name}: {s['count']} messages, p50 {format_ns(s['p50'])}, "
              f"p99 {format_ns(s['p99'])}, max {format_ns(s['max'])} "
              f"(all: vanity trace {trace_dir} --stats)", file=sys.stderr)


def _target(args, model):
    from . import live
    manifest, name = _manifest(args, model)
    board = f" --board {model.board}" if model.board != DEFAULT_BOARD else ""
    hint = f"start it with `vanity run {args.spec}{board}`"
    return live.Target(manifest, _build_dir(args, model), hint), manifest


def cmd_top(args, model):
    from . import live
    target, manifest = _target(args, model)
    try:
        if args.interval <= 0:
            raise fail("--interval must be more than 0 seconds")
        return live.top(target, manifest, once=args.once, as_json=args.json,
                        interval=args.interval)
    finally:
        target.close()


def cmd_peek(args, model):
    from . import live
    target, manifest = _target(args, model)
    channel = live.find_channel(manifest, args.channel)
    try:
        ring, msgs = live.peek_report(manifest, target.peek(channel["id"]), channel)
    finally:
        target.close()
    if args.json:
        print(json.dumps({"channel": channel["name"], "id": channel["id"],
                          "depth": ring["depth"], "msg_size": ring["msg_size"],
                          "head": ring["head"], "tail": ring["tail"],
                          "messages": [{"index": n, "hex": d.hex()} for n, d in msgs]},
                         indent=1))
    else:
        print(live.format_peek(channel, ring, msgs))
    return 0


def cmd_trace(args):
    """Reads the trace `vanity run SPEC --trace DIR` left in DIR: prints its
    events in time order, or converts it with --perfetto. With --spec, the
    trace must come from a system built from that spec (its schema hash),
    and is decoded with that spec's event table. --stats prints the latency
    percentiles instead: each latency channel's transit time and each
    shard's run time per activation, in ns, from the histograms the system
    kept (--json: machine-readable)."""
    from .ctf import load_dir
    from .obs import text_events
    manifest = manifest_name = None
    if args.spec:
        model, warnings = load(args)
        for w in warnings:
            print(w, file=sys.stderr)
        manifest, manifest_name = _manifest(args, model)
    trace = load_dir(args.dir, manifest, manifest_name)
    _skipped_lines(trace)
    if args.stats:
        from .obs import format_latency, latency_stats
        stats = latency_stats(trace.dump, trace.manifest)
        stats["clock_hz"] = trace.clock_hz
        print(json.dumps(stats, indent=1) if args.json else
              format_latency(stats) or "no histograms in this trace")
        return 0
    if args.perfetto:
        from .perfetto import write_perfetto
        write_perfetto(trace, args.perfetto)
        n = sum(len(r.records) for _, r in trace.rings)
        print(f"vanity: {args.perfetto}: {n} records; open it in https://ui.perfetto.dev",
              file=sys.stderr)
        return 0
    for line in text_events(trace):
        print(line)
    sys.stdout.flush()
    for name, r in trace.rings:
        if r.dropped:
            print(f"vanity: {name}: {r.dropped} older records were overwritten",
                  file=sys.stderr)
    return 0


def cmd_dump(args):
    """Print a crash dump (`vanity run` leaves one per fault, DIR/<shard>.<generation>
    .vdump): the cause, the registers, a backtrace with function, file and line,
    and the last trace records; for DIR, one line per dump in it. --core OUT
    writes an ELF core file for `gdb-multiarch SHARD.elf OUT`."""
    from .crash import show
    return show(Path(args.file), Path(args.elf) if args.elf else None,
                Path(args.core) if args.core else None, args.events)


def _tree(root):
    return {p.relative_to(root).as_posix(): p for p in sorted(root.rglob("*")) if p.is_file()}


def _lines(path):
    return path.read_text(encoding="utf-8", errors="replace").splitlines(keepends=True) if path else []


def cmd_diff(args, model):
    require_port(model)
    if args.output:
        committed, rel = Path(args.output), args.output.rstrip("/")
    else:
        committed, rel = default_out(model), f"out/{model.name}/{model.board}"
    with tempfile.TemporaryDirectory() as tmp:
        generate(model, Path(tmp))
        old, new = _tree(committed) if committed.is_dir() else {}, _tree(Path(tmp))
        changed = False
        for name in sorted(set(old) | set(new)):
            a, b = _lines(old.get(name)), _lines(new.get(name))
            if a == b and name in old and name in new:
                continue
            changed = True
            try:
                sys.stdout.writelines(difflib.unified_diff(
                    a, b, f"a/{rel}/{name}" if name in old else "/dev/null",
                    f"b/{rel}/{name}" if name in new else "/dev/null"))
                sys.stdout.flush()
            except BrokenPipeError:  # `vanity diff | head`: it would change all the same
                if not _reader_left():
                    raise
                break
    return 1 if changed else 0


def cmd_import_svd(args):
    """One register map per peripheral: -o FILE.yaml for one, else a directory
    that gets NAME/NAME.yaml for each (default drivers/)."""
    from .svd import import_svd, to_yaml
    maps, warnings = import_svd(args.svd, args.svd)
    for w in warnings:
        print(w, file=sys.stderr)
    if args.peripheral:
        maps = [m for m in maps if m["svd_name"] in args.peripheral]
        missing = set(args.peripheral) - {m["svd_name"] for m in maps}
        if missing:
            raise fail(f"no peripheral {', '.join(sorted(missing))} in {args.svd}")
    out = Path(args.output or "drivers")
    if out.suffix == ".yaml":
        if len(maps) != 1:
            raise fail(f"{args.svd} has {len(maps)} peripherals; pick one with "
                       "--peripheral, or give a directory to -o")
        targets = [(out, maps[0])]
    else:
        targets = [(out / m["name"] / f"{m['name']}.yaml", m) for m in maps]
    source = Path(args.svd).name
    for path, m in targets:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(to_yaml(m, source), encoding="utf-8")
        print(f"{path}: {len(m['registers'])} registers")
    return 0


def cmd_reload(args, model):
    """Rebuild one shard from its current sources and swap it into the system
    `vanity run SPEC` started; its channels and queued messages stay."""
    from . import reload
    shard = next((s for s in model.shards if s.name == args.shard), None)
    if shard is None:
        raise fail(f"no shard '{args.shard}' in {args.spec}"
                   f"{suggest(args.shard, [s.name for s in model.shards])}")
    if shard.reload is None:
        raise fail(f"shard '{shard.name}' cannot be reloaded: give it a 'reload:' key in "
                   f"{args.spec} (reload: {{}} for the defaults; docs/reload.md)")
    build_dir = _build_dir(args, model)
    if args.image:
        pkg = Path(args.image).read_bytes()
    else:
        work = build_dir / "reload"  # not the running system's out/ or build
        generate(model, work / "out")
        pkg = reload.build_image(args.spec, model, shard, work / "out", work)
    if args.write:
        Path(args.write).write_bytes(pkg)
        print(f"vanity: wrote {args.write}: reload image of shard '{shard.name}' "
              f"({len(pkg) - reload.HDR.size} bytes, interface {shard.iface:#018x})")
        return 0
    manifest, _ = _manifest(args, model)
    timeout = args.timeout + shard.reload.quiesce_ns / 1e9
    status, generation, words = reload.send(BOARDS[model.board], build_dir, manifest, pkg,
                                            shard.id, timeout)
    if status == reload.PENDING:
        print(f"vanity: shard '{shard.name}': {words}", file=sys.stderr)
        return 1
    if status != 0:
        print(f"vanity: error: shard '{shard.name}': reload refused: {words}", file=sys.stderr)
        return 1
    print(f"vanity: shard '{shard.name}' reloaded: generation {generation} runs")
    return 0


COMMANDS = {
    "check": (cmd_check, "validate a spec"),
    "gen": (cmd_gen, "write generated sources to out/<system>/<board>/"),
    "build": (cmd_build, "generate, then compile into build/<system>/<board>/"),
    "run": (cmd_run, "build, then run; exits with the system's status"),
    "diff": (cmd_diff, "show how out/<system>/<board>/ would change (exit 1 if it would)"),
    "top": (cmd_top, "live counters of a running system, per shard and per channel"),
    "peek": (cmd_peek, "the messages queued in a channel of a running system, as hex"),
    "reload": (cmd_reload, "rebuild a shard and swap it into the running system "
               "(docs/reload.md)"),
}


def parser():
    p = argparse.ArgumentParser(prog="vanity", description="Vanity system generator.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (_, help_text) in COMMANDS.items():
        c = sub.add_parser(name, help=help_text, description=help_text)
        c.add_argument("spec", metavar="SPEC", help="the system spec (YAML)")
        c.add_argument("--board", "-b", help=f"board (overrides the spec's; default {DEFAULT_BOARD})"
                       + ("; 'all': every board with a port, each as if the spec named it"
                          if name == "check" else ""))
        if name in ("gen", "build", "run"):
            c.add_argument("-o", "--output", metavar="DIR",
                           help="where generated sources go (default out/<system>/<board>/)")
        if name == "diff":
            c.add_argument("-o", "--output", metavar="DIR",
                           help="the sources to compare (default out/<system>/<board>/)")
        if name == "reload":
            c.add_argument("shard", metavar="SHARD", help="the shard to reload")
            c.add_argument("--image", metavar="FILE.vrl",
                           help="send this reload image instead of building one")
            c.add_argument("--write", metavar="FILE.vrl",
                           help="build the reload image into FILE and stop there")
            c.add_argument("--timeout", type=float, default=10.0, metavar="SECONDS",
                           help="how long to wait for the kernel's answer, beyond the "
                                "shard's quiesce bound (default 10; the hosted kernel "
                                "answers within 5)")
        if name in ("top", "peek", "reload"):
            c.add_argument("-o", "--output", metavar="DIR",
                           help="the generated sources (default out/<system>/<board>/)")
        if name == "peek":
            c.add_argument("channel", metavar="CHANNEL", help="a channel's name or id")
            c.add_argument("--json", action="store_true", help="print JSON")
        if name == "top":
            c.add_argument("--once", action="store_true",
                           help="print one report (rates over --interval) and exit")
            c.add_argument("--json", action="store_true", help="print JSON")
            c.add_argument("--interval", type=float, default=1.0, metavar="SECONDS",
                           help="refresh period, and the window of the rates (default 1)")
        if name in ("build", "run", "top", "peek", "reload"):
            c.add_argument("--build-dir", metavar="DIR",
                           help="where binaries go (default build/<system>/<board>/)")
        if name == "run":
            c.add_argument("--gdb", action="store_true",
                           help="QEMU boards: start halted with a gdbstub on "
                                "127.0.0.1:1234 and print the gdb-multiarch command")
            c.add_argument("--trace", metavar="DIR",
                           help="record a trace: when the system ends, DIR holds it "
                                "as CTF (babeltrace2 DIR; vanity trace DIR)")
            c.add_argument("--dump-dir", metavar="DIR",
                           help="where a crash dump per fault goes, <shard>.<generation>"
                                ".vdump (default build/<system>/<board>/dumps/; read it "
                                "with vanity dump FILE)")
            c.epilog = ("Arguments after '--' are passed to the system (on QEMU boards, "
                        "to QEMU, but --quiet: the hosted kernel's, honoured by the "
                        "console).")
    c = sub.add_parser("import-svd", help="convert a CMSIS-SVD file into register maps",
                       description=cmd_import_svd.__doc__)
    c.add_argument("svd", metavar="FILE.svd")
    c.add_argument("-o", "--output", metavar="PATH",
                   help="FILE.yaml for one peripheral, or a directory (default drivers/)")
    c.add_argument("-p", "--peripheral", action="append", metavar="NAME",
                   help="import only this peripheral (repeatable)")
    c = sub.add_parser("dump", help="read a crash dump left by `vanity run`",
                       description=cmd_dump.__doc__)
    c.add_argument("file", metavar="FILE.vdump", help="a crash dump, or a directory of them")
    c.add_argument("--elf", metavar="ELF",
                   help="the shard's ELF (default: found through the dump's directory)")
    c.add_argument("--core", metavar="OUT",
                   help="also write an ELF core file for gdb-multiarch ELF OUT")
    c.add_argument("--events", type=int, default=16, metavar="N",
                   help="trace records to show from each ring (default 16)")
    c = sub.add_parser("trace", help="read a trace left by `vanity run --trace DIR`",
                       description=cmd_trace.__doc__)
    c.add_argument("dir", metavar="DIR")
    c.add_argument("--perfetto", metavar="FILE.json",
                   help="write Chrome/Perfetto JSON (ui.perfetto.dev) instead")
    c.add_argument("--stats", action="store_true",
                   help="print latency percentiles (p50/p90/p99/p99.9/max) instead")
    c.add_argument("--json", action="store_true", help="with --stats: as JSON")
    c.add_argument("--spec", metavar="SPEC",
                   help="check the trace against this spec (its schema hash) and "
                        "decode it with its events")
    c.add_argument("--board", "-b", help="with --spec: the board (overrides the spec's)")
    c.add_argument("-o", "--output", metavar="DIR",
                   help="with --spec: its generated sources (default out/<system>/<board>/)")
    return p


def _reader_left():
    """Whether our standard output is a pipe its reader has closed (`vanity
    ... | head`); if so, what is left to print goes nowhere, and unsaid."""
    try:
        poll = select.poll()
        # no events asked: a pipe without a reader says POLLERR, a terminal
        # or socket hung up POLLHUP; a file or a live pipe nothing
        poll.register(sys.stdout.fileno(), 0)
        if not poll.poll(0):
            return False
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
        return True
    except (AttributeError, OSError, ValueError):  # no stdout at all
        return False


def _command(args):
    if args.command == "import-svd":
        return cmd_import_svd(args)
    if args.command == "trace":
        return cmd_trace(args)
    if args.command == "dump":
        return cmd_dump(args)
    if args.command == "check" and args.board == ALL_BOARDS:
        return check_all(args)
    model, warnings = load(args)
    for w in warnings:
        print(w, file=sys.stderr)
    return COMMANDS[args.command][0](args, model)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    args = parser().parse_args(argv[:len(argv) - len(extra) - (1 if "--" in argv else 0)])
    args.args = extra
    if extra and args.command != "run":
        parser().error("only 'run' takes arguments after '--'")
    try:
        status = _command(args)
        if sys.stdout is not None:
            sys.stdout.flush()  # a reader that left (`| head`) is seen here, not at exit
        return status
    except SpecError as exc:
        print_diags(exc.diags)
        return EXIT_SPEC
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError as exc:
        if _reader_left():
            return 141  # as a program the pipe's SIGPIPE ends
        print(f"vanity: error: {exc.strerror}", file=sys.stderr)
        return EXIT_SPEC
    except OSError as exc:  # a path the user gave that cannot be used
        print(f"vanity: error: '{exc.filename}': {exc.strerror}", file=sys.stderr)
        return EXIT_SPEC
    except Exception as exc:  # never a traceback: name the bug instead
        if isinstance(exc, ModuleNotFoundError) and missing_message(exc):
            print(missing_message(exc), file=sys.stderr)  # `make deps` installs it
            return EXIT_MISSING
        print(f"vanity: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_INTERNAL
