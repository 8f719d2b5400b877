#!/usr/bin/python3
"""Random systems for tests/system/test_random_specs.py: a spec and one C
source per shard, from a seed, drawn from what the spec reference allows
rather than from what the examples use.

A system has 1 to 40 shards (one system in twenty has 64 more) on random
cores, in either mode, with or without a stack, heap, FP, trace ring,
reload slots or restart policy of its own (in full on some: a budget, a
backoff, then stop, halt or a group restart), and yield shards with or
without a watchdog or a spin; up to 60 channels between random pairs, of
message sizes from 1 byte to 64 KiB (odd ones, a cache line and either
side of it) and depths from 2 to 65,536, some of them latency channels,
some with their slot layout given; signals; pools mapped read-write or
read-only by random shards; and the last one or two virtio-mmio slots of
the board (hosted has two) granted to random shards.

Every shard runs the same program, written out for its endpoints: it sends
MESSAGES messages on each channel it produces and receives as many on each
channel it consumes (one at a time, or in bursts of one to four on every
third channel it sends on and every other one it receives on: of one where
messages are over 4 KiB), in whatever order they can go, sleeping in
vn_wait when none can and after a send burst cut short (the ring full: the
wait is for space, examples/pipeline's pattern); checks every byte of every
message (a pattern of the
message's number and its channel's); signals each of its signals once and
waits until it has heard each one sent to it; writes into buffer 0 of each
pool it maps read-write and reads it in each it maps read-only; reads the
magic value of each virtio-mmio device it owns through the generated
accessor (on qemu-virt-aarch64 two slots share a page, and the kernel
makes the access for the shard); then logs "done <name>" and exits 0, and
the system ends when every shard has. A message out of place is exit
status 3, a pool without buffer 0 status 4, a device with another magic 5.

As a command: randspec.py DIR SEED writes DIR/spec.yaml and the sources.
"""

import json
import random
import sys
from pathlib import Path

MESSAGES = 40
MESSAGE_SIZES = [1, 2, 3, 7, 8, 9, 16, 63, 64, 65, 100, 1000, 4096, 4097, 65536]


def _burst(channel, sends):
    """How many messages a shard sends (or receives) at a time on channel:
    0 for single calls, else a burst of 1 to 4 (1 for messages over 4 KiB,
    whose bursts would not fit a small shard's memory)."""
    n = int(channel["name"][1:])
    if n % (3 if sends else 2) != (0 if sends else 1):
        return 0
    return 1 + n % 4 if channel["message"] <= 4096 else 1


def _size(n):
    """A size as the spec writes one: a unit where it divides, else bytes."""
    for unit, f in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= f and n % f == 0:
            return f"{n // f}{unit}"
    return n


def _shard(rng, i, cores):
    s = {"name": f"s{i}", "core": rng.randrange(cores), "mode": rng.choice(["yield", "yield",
                                                                             "poll"])}
    if rng.random() < 0.4:
        s["stack"] = _size(rng.choice([1, 4096, 5000, 65536, 1 << 20, 3 << 20]))
    if rng.random() < 0.4:
        s["memory"] = _size(rng.choice([1, 4095, 4096, 12345, 1 << 20, 8 << 20, 32 << 20]))
    if rng.random() < 0.2:
        s["fp"] = False
    if rng.random() < 0.2:
        s["trace"] = rng.choice([0, 16, 1024])
    if rng.random() < 0.2:
        watchdog = rng.choice(["1s", "5s"])
        # A poll shard spins in vn_wait without giving up its core, so a
        # watchdog would stop one that waits that long for a peer: only
        # yield shards keep theirs (their longest run is milliseconds).
        if s["mode"] == "yield":
            s["watchdog"] = watchdog
    if rng.random() < 0.2 and s["mode"] == "yield":
        s["spin"] = rng.choice(["1us", "50us"])
    if rng.random() < 0.15:
        s["reload"] = {}
    if rng.random() < 0.15:
        s["on_fault"] = "restart"
    return s


def system(seed, cores=4):
    """(shards, channels, signals, pools, devices) of the system `seed`, as
    spec items; shards on cores 0 .. cores - 1."""
    rng = random.Random(seed)
    n = rng.randint(1, 10) if rng.random() < 0.8 else rng.randint(11, 40)
    # one system in twenty has 64 shards more, so that ids pass what one
    # 64-bit word holds; drawn apart, so that the others stay as they were
    if random.Random(f"size {seed}").random() < 0.05:
        n += 64
    shards = [_shard(rng, i, cores) for i in range(n)]
    channels, signals, pools = [], [], []
    for j in range(rng.randint(0, 12 if n < 11 else 60) if n > 1 else 0):
        a, b = rng.sample(range(n), 2)
        c = {"name": f"c{j}", "from": f"s{a}", "to": f"s{b}",
             "message": rng.choice(MESSAGE_SIZES),
             "depth": 2 ** rng.randint(1, 12 if rng.random() < 0.9 else 16)}
        if rng.random() < 0.2:
            c["latency"] = True
        channels.append(c)
    for j in range(rng.randint(0, 3) if n > 1 else 0):
        a, b = rng.sample(range(n), 2)
        signals.append({"name": f"g{j}", "from": f"s{a}", "to": f"s{b}"})
    for j in range(rng.randint(0, 2)):
        users = [f"s{u}" for u in rng.sample(range(n), rng.randint(1, n))]
        rw = [u for u in users if rng.random() < 0.6]
        p = {"name": f"p{j}", "buffers": rng.choice([1, 2, 100, 1000]),
             "size": rng.choice([64, 2048, 65536])}
        if rw:
            p["rw"] = rw
        if len(rw) < len(users):
            p["ro"] = [u for u in users if u not in rw]
        pools.append(p)
    # drawn last, so that a seed's other items are what they were before
    devices = [{"name": f"d{j}", "compatible": "virtio,mmio", "index": index,
                "shard": f"s{rng.randrange(n)}"}
               for j, index in enumerate(rng.sample([-1, -2], rng.randint(1, 2)))
               ] if rng.random() < 0.3 else []
    # a layout given on some channels, from a generator of its own, so that
    # a seed's other items stay what they were
    lay = random.Random(f"slots {seed}")
    for c in channels:
        if lay.random() < 0.3:
            c["slots"] = lay.choice(["packed", "sequenced"])
    # half the restarting shards' policies in full (a budget, a window,
    # maybe a backoff, then stop, halt or a group of shards of its core),
    # from a generator of their own too: the shards never fault, so this
    # is the policy's tables, built and checked at boot on every board
    pol = random.Random(f"policy {seed}")
    for s in shards:
        if s.get("on_fault") == "restart" and pol.random() < 0.5:
            mates = [t["name"] for t in shards if t["core"] == s["core"] and t is not s]
            then = pol.choice(["stop", "halt"] + (["group"] * 2 if mates else []))
            if then == "group":
                then = {"restart": pol.sample(mates, pol.randint(1, len(mates)))}
            r = {"budget": pol.randint(1, 16), "window": pol.choice(["10ms", "1s", "2s"])}
            if pol.random() < 0.5:
                r["backoff"] = {"floor": "1ms", "ceiling": pol.choice(["1ms", "100ms"])}
            s["on_fault"] = {"restart": r, "then": then}
    return shards, channels, signals, pools, devices


def source(name, channels, signals, pools, devices=()):
    """The C source of shard `name` (the module docstring says what it does)."""
    tx = [c for c in channels if c["from"] == name]
    rx = [c for c in channels if c["to"] == name]
    big = max([c["message"] * max(1, _burst(c, c in tx)) for c in tx + rx] + [8])
    out = [f"/* {name}: tests/system/randspec/randspec.py */",
           "#include <vanity_shard.h>", "", f"#define M {MESSAGES}u", "",
           f"static uint8_t msg[{big}];", "",
           "static uint8_t at(uint32_t seq, uint32_t channel, size_t i)", "{",
           "\treturn (uint8_t)(seq * 31u + channel * 7u + i);", "}", "",
           "/* Messages seq .. seq + k - 1 of `channel`, n bytes each, in msg. */",
           "static void fill(size_t n, uint32_t k, uint32_t seq, uint32_t channel)", "{",
           "\tfor (uint32_t m = 0; m < k; m++)",
           "\t\tfor (size_t i = 0; i < n; i++)",
           "\t\t\tmsg[m * n + i] = at(seq + m, channel, i);", "}", "",
           "static void check(size_t n, uint32_t k, uint32_t seq, uint32_t channel)", "{",
           "\tfor (uint32_t m = 0; m < k; m++)",
           "\t\tfor (size_t i = 0; i < n; i++) {",
           "\t\t\tif (msg[m * n + i] != at(seq + m, channel, i)) {",
           "\t\t\t\tvn_log(\"message %u of channel c%u: byte %zu is %u\", seq + m,",
           "\t\t\t\t       channel, i, msg[m * n + i]);", "\t\t\t\tvn_exit(3);",
           "\t\t\t}", "\t\t}", "}", "",
           "/* At most b of the r messages left. */",
           "static uint32_t upto(uint32_t b, uint32_t r)", "{", "\treturn r < b ? r : b;", "}",
           "", "void vn_main(void)", "{"]
    out += [f"\tuint32_t sent_{c['name']} = 0;" for c in tx]
    out += [f"\tuint32_t got_{c['name']} = 0;" for c in rx]
    out.append(f"\tuint32_t left = {MESSAGES * (len(tx) + len(rx))}u;")
    wanted = [f"VN_NOTIFY_{g['name'].upper()}" for g in signals if g["to"] == name]
    out.append(f"\tvn_bits_t seen = 0, want = {' | '.join(wanted) or '0'};")
    out.append("")
    out += [f"\tvn_signal_{g['name']}();" for g in signals if g["from"] == name]
    for p in pools:
        if name in p.get("rw", []) + p.get("ro", []):
            write = name in p.get("rw", [])
            out += ["\t{",
                    f"\t\tvolatile uint8_t *b = vn_pool_buf(&vn_pool_{p['name']}, "
                    "(struct vn_buf){0, 0});",
                    "",
                    "\t\tif (!b)",
                    "\t\t\tvn_exit(4);",
                    "\t\t*b = 1;" if write else "\t\t(void)*b;",
                    "\t}"]
    for d in devices:
        if d["shard"] == name:
            out += [f"\tif (virtio_mmio_magic_read(VN_DEVICE_{d['name'].upper()}_BASE) != "
                    "VIRTIO_MMIO_MAGIC_RESET)", "\t\tvn_exit(5);"]
    bursts = any(_burst(c, c in tx) for c in tx + rx)
    out += ["\twhile (left) {", "\t\tbool moved = false, cut = false;"]
    out += ["\t\tuint32_t k;", ""] if bursts else [""]
    for c in tx:
        k, n, b = c["name"], int(c["name"][1:]), _burst(c, True)
        if b:
            out += [f"\t\tif (sent_{k} < M) {{",
                    f"\t\t\tuint32_t ask = upto({b}u, M - sent_{k});", "",
                    f"\t\t\tfill({c['message']}, ask, sent_{k}, {n}u);",
                    f"\t\t\tk = vn_send_burst(&vn_tx_{k}, msg, ask);",
                    f"\t\t\tsent_{k} += k, left -= k, moved |= k > 0, cut |= k < ask;",
                    "\t\t}"]
        else:
            out += [f"\t\tif (sent_{k} < M) {{",
                    f"\t\t\tfill({c['message']}, 1, sent_{k}, {n}u);",
                    f"\t\t\tif (vn_send(&vn_tx_{k}, msg))",
                    f"\t\t\t\tsent_{k}++, left--, moved = true;", "\t\t}"]
    for c in rx:
        k, n, b = c["name"], int(c["name"][1:]), _burst(c, False)
        if b:
            out += [f"\t\tif (got_{k} < M) {{",
                    f"\t\t\tk = vn_recv_burst(&vn_rx_{k}, msg, upto({b}u, M - got_{k}));",
                    f"\t\t\tcheck({c['message']}, k, got_{k}, {n}u);",
                    f"\t\t\tgot_{k} += k, left -= k, moved |= k > 0;", "\t\t}"]
        else:
            out += [f"\t\tif (got_{k} < M && vn_recv(&vn_rx_{k}, msg)) {{",
                    f"\t\t\tcheck({c['message']}, 1, got_{k}, {n}u);",
                    f"\t\t\tgot_{k}++, left--, moved = true;", "\t\t}"]
    out += ["\t\tif (!moved || cut) /* a burst cut short: wait for space */",
            "\t\t\tseen |= vn_wait(VN_FOREVER);", "\t}",
            "\twhile ((seen & want) != want)", "\t\tseen |= vn_wait(VN_FOREVER);",
            f"\tvn_log(\"done {name}\");", "}"]
    return "\n".join(out) + "\n"


def write(directory, seed, cores=4):
    """Writes the system `seed` into directory; returns (spec path, shard names)."""
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    shards, channels, signals, pools, devices = system(seed, cores)
    lines = ["vanity: 1", f"system: rand{seed}", "shards:"]
    for s in shards:
        (d / f"{s['name']}.c").write_text(source(s["name"], channels, signals, pools, devices))
        lines.append("  - " + json.dumps({**s, "sources": [f"{s['name']}.c"]}))
    for key, items in (("channels", channels), ("signals", signals), ("pools", pools),
                       ("devices", devices)):
        if items:
            lines += [f"{key}:"] + ["  - " + json.dumps(x) for x in items]
    spec = d / "spec.yaml"
    spec.write_text("\n".join(lines) + "\n")
    return spec, [s["name"] for s in shards]


if __name__ == "__main__":
    print(write(sys.argv[1], int(sys.argv[2]))[0])
