"""A decoded trace (generator/obs.py) as Chrome/Perfetto JSON (the
"traceEvents" format ui.perfetto.dev and chrome://tracing open).

One process, "vanity <system>"; one track (thread) per shard and one per
core. A shard's runs are "X" slices on its track, from the kernel's
switch_in to its switch_out (the reason in args; a run whose switch_in was
overwritten starts at its core ring's oldest record); every other kernel event
is an instant on its core's track, every user event an instant on its
shard's track, with the fields as args. Times are microseconds from the
first record.
"""

import json

from .obs import decode_fields, trace_span

PID = 1
CORE_TID = 1000  # core N's track; shard N's is N + 1


def _arg(v):
    if isinstance(v, bytes):
        return v.hex()
    if isinstance(v, int) and abs(v) > 2**53:  # JSON readers parse doubles
        return str(v)
    return v


def _args(fields):
    return {k: _arg(v) for k, v in fields.items()}


def perfetto(trace):
    """The trace as a dict ready for json.dump()."""
    m = trace.manifest
    hz = trace.clock_hz or 1000000000
    names = {s["id"]: s["name"] for s in m.get("shards", [])}
    rows = [(rec.ts, ring, rec) for _, ring in trace.rings for rec in ring.records]
    rows.sort(key=lambda x: x[0])
    t0, t_end = trace_span(trace)

    def us(ts):
        return (ts - t0) * 1e6 / hz

    out = [{"ph": "M", "pid": PID, "name": "process_name",
            "args": {"name": f"vanity {m.get('system', '')} ({m.get('board', '')})"}}]
    shard_ids = sorted(set(names) | {r.index for _, r in trace.rings if not r.is_core})
    core_ids = sorted({r.index for _, r in trace.rings if r.is_core})
    for sid in shard_ids:
        dropped = sum(r.dropped for _, r in trace.rings if not r.is_core and r.index == sid)
        label = f"shard {names.get(sid, sid)}" + (f" ({dropped} dropped)" if dropped else "")
        out += [{"ph": "M", "pid": PID, "tid": sid + 1, "name": "thread_name",
                 "args": {"name": label}},
                {"ph": "M", "pid": PID, "tid": sid + 1, "name": "thread_sort_index",
                 "args": {"sort_index": sid}}]
    for core in core_ids:
        dropped = sum(r.dropped for _, r in trace.rings if r.is_core and r.index == core)
        label = f"core {core} (kernel)" + (f" ({dropped} dropped)" if dropped else "")
        out += [{"ph": "M", "pid": PID, "tid": CORE_TID + core, "name": "thread_name",
                 "args": {"name": label}},
                {"ph": "M", "pid": PID, "tid": CORE_TID + core, "name": "thread_sort_index",
                 "args": {"sort_index": 1000 + core}}]

    running = {}  # shard -> (ts, core)
    first = {}    # ring -> its first record's time: where a run began, if its
    #               switch_in was overwritten
    for ts, ring, rec in rows:
        first.setdefault((ring.is_core, ring.index), ts)
        ev = trace.events.get(rec.id)
        if ev is None:
            continue
        fields = decode_fields(ev, rec.data)
        if ev.kernel and ev.name == "switch_in":
            running[fields["shard"]] = (ts, ring.index)
            continue
        if ev.kernel and ev.name == "switch_out":
            start = running.pop(fields["shard"], None)
            args = {"reason": fields.get("reason")}
            if start is None and ring.is_core:  # it ran from before the ring's oldest record
                start = (first[(True, ring.index)], ring.index)
                args["began"] = "before the oldest record (overwritten)"
            if start is not None:
                out.append(_slice(fields["shard"], names, us(start[0]), us(ts),
                                  {"core": start[1], **args}))
            continue
        tid = (CORE_TID + ring.index) if ring.is_core else ring.index + 1
        out.append({"ph": "i", "s": "t", "pid": PID, "tid": tid, "ts": us(ts),
                    "name": ev.name, "cat": "kernel" if ev.kernel else "user",
                    "args": _args(fields)})
    for shard, (start, core) in sorted(running.items()):  # still running at the end
        out.append(_slice(shard, names, us(start), us(t_end),
                          {"core": core, "reason": "running at the end of the trace"}))
    return {"traceEvents": out, "displayTimeUnit": "ns",
            "otherData": {"system": m.get("system"), "board": m.get("board"),
                          "schema_hash": f"{trace.dump.schema_hash:#018x}",
                          "clock_hz": hz}}


def _slice(shard, names, start_us, end_us, args):
    return {"ph": "X", "pid": PID, "tid": shard + 1, "ts": start_us,
            "dur": max(0.0, end_us - start_us), "name": names.get(shard, f"shard {shard}"),
            "cat": "run", "args": args}


def write_perfetto(trace, path):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(perfetto(trace), f, indent=None, separators=(",", ":"))
        f.write("\n")
