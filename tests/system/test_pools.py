"""Buffer pools on every board (spec/README.md, "Pool"; docs/shard-api.md,
"Buffer pools"): tests/system/pools hands 40 buffers of a pool from the
shard that maps it read-write to one that maps it read-only and back, by
handle, with every byte checked; handles that name no buffer are refused;
the read-only shard's write to the pool faults it (on hosted its attempts
to make the pool writable through the host fail first); and a shard the
pool does not list faults reading it at its address. Each fault stops only
its shard, and the kernel names the address.
"""

import json
import re

from systest_lib import HERE, run_on_every_board

SPEC = HERE / "pools" / "pools.yaml"
pools = run_on_every_board(SPEC, timeout=240)


def pool_addr(r):
    doc = json.loads((r.work / "out" / "manifest.json").read_text())
    blocks = next(p for p in doc["pools"] if p["name"] == "blocks")
    assert blocks["buffers"] == 64 and blocks["buffer_size"] == 4096, blocks
    assert blocks["rw"] == ["owner"] and blocks["ro"] == ["reader"], blocks
    return blocks["addr_int"]


def test_buffers_cross_by_handle_and_come_back(pools):
    r = pools
    addr = pool_addr(r)
    assert r.log("owner") == [f"40 buffers back, 0 wrong; pool at {addr:#x}, 64 x 4096 bytes"], \
        r.report
    assert r.log("reader")[0] == \
        "40 buffers read, 0 bad bytes, 4 handles refused; writing one now", r.report


def test_a_read_only_shard_cannot_write_the_pool(pools):
    r = pools
    addr = pool_addr(r) + 5 * 4096
    assert "wrote a read-only pool" not in r.log("reader"), r.report
    if r.board == "hosted":
        assert "host: mprotect refused, mmap refused, io_uring refused" in r.log("reader"), \
            r.report
    assert re.search(rf"^vanity: shard 'reader' faulted: .* at {addr:#x}, pc ", r.stderr,
                     re.M), r.report


def test_a_shard_the_pool_does_not_list_cannot_read_it(pools):
    r = pools
    addr = pool_addr(r)
    assert r.log("outsider") == [f"reading {addr:#x}"], r.report
    assert re.search(rf"^vanity: shard 'outsider' faulted: .* at {addr:#x}, pc ", r.stderr,
                     re.M), r.report
    # a fault stops only its shard; the system's status says one was stopped
    assert r.status == 1, r.report


def test_each_shard_maps_what_the_spec_lists(pools):
    doc = json.loads((pools.work / "out" / "manifest.json").read_text())
    maps = {s["name"]: s.get("pools", []) for s in doc["shards"]}
    assert maps == {"owner": [{"pool": "blocks", "access": "rw"}],
                    "reader": [{"pool": "blocks", "access": "ro"},
                               {"pool": "spare", "access": "rw"}],
                    "outsider": []}
    assert {c["name"]: c.get("pool") for c in doc["channels"]} == \
        {"full": "blocks", "back": "blocks", "where": None}
