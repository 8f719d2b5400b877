"""One small bad spec per error class, each with its exact message."""

import argparse

import pytest

from vanity_testlib import BAD, vanity
from generator.cli import load
from generator.errors import SpecError

LONG = "x" * 256  # long_path_name.yaml: longer than a file name may be

# file -> the exact diagnostics, without the "tests/generator/bad/" prefix.
EXPECTED = {
    "yaml_syntax": ["5:13: error: YAML syntax: mapping values are not allowed here"],
    "duplicate_key": ["7:5: error: duplicate key 'core' in shard 'ping' (first at 6:5)"],
    "unknown_key": [
        "9:5: error: channel 'x': missing required key 'depth'",
        "9:50: error: unknown key 'dpeth' in channel 'x'; did you mean 'depth'?"],
    "wrong_type": ["8:11: error: shard 'pong': 'core' must be an integer, got string 'zero'"],
    "missing_key": ["9:5: error: channel 'x': missing required key 'depth'"],
    "pool_errors": [
        "8:29: error: pool 'frames': buffers 0 is out of range; use 1 to 65536",
        "8:38: error: pool 'frames': buffer size 2000 must be a power of two from 64 bytes "
        "to 64 KiB",
        "8:55: error: pool 'frames': unknown shard 'pnog'; did you mean 'pong'?",
        "8:67: error: pool 'frames': shard 'ping' is in both 'rw' and 'ro'; a shard maps a "
        "pool one way",
        "9:27: error: pool 'huge': 65536 buffers of 65536 bytes take 4096 MiB; a pool holds at "
        "most 256 MiB: use fewer or smaller buffers, or several pools",
        "10:12: error: pool 'nobody': no shard maps it; list its shards under 'rw' "
        "(read-write) or 'ro' (read-only)",
        "11:12: error: pool 'Frames' clashes with pool 'frames' (at 8:12); names must differ "
        "in more than case",
        "13:43: error: channel 'a': carries handles of pool 'frames', which shard 'pong' does "
        "not map; add it to the pool's 'rw' or 'ro' list",
        "13:70: error: channel 'a': carries handles of pool 'frames', 8 bytes each "
        "(struct vn_buf); leave out 'message'",
        "14:43: error: channel 'b': carries handles of pool 'huge', which shard 'peer' does "
        "not map; add it to the pool's 'rw' or 'ro' list",
        "14:43: error: channel 'b': carries handles of pool 'huge', which shard 'ping' does "
        "not map; add it to the pool's 'rw' or 'ro' list",
        "15:43: error: channel 'c': unknown pool 'fames'; did you mean 'frames'?",
        "16:5: error: channel 'd': missing required key 'message' (bytes per message); or "
        "give 'pool: NAME' to carry buffer handles"],
    "pool_beyond_ram": [
        "10:24: error: pool 'd' ends at 0xc1204000, beyond the RAM of board "
        "'qemu-virt-riscv64' (up to 0xbfdf2000, below the kernel's 526 page tables at its "
        "top); use fewer or smaller buffers"],
    "device_window_board": [
        "7:27: error: device 'high' window [0x3ffff000, 0x40001000) is not in the MMIO space "
        "of board 'qemu-virt-aarch64'; devices lie below 0x40000000",
        "8:26: error: device 'gic' window [0x8010000, 0x8010100) is on a page of [0x8000000, "
        "0x8020000), the GIC, which the kernel of board 'qemu-virt-aarch64' keeps; a shard "
        "maps its devices' pages whole, so pick a window on other pages"],
    "missing_shards": ["1:1: error: missing required key 'shards'"],
    "unsupported_version": ["1:9: error: unsupported spec version 2; this vanity reads version 1"],
    "not_identifier": [
        "9:12: error: channel 'ping-pong': name 'ping-pong' is not a C identifier "
        "(letters, digits and '_', not starting with a digit)"],
    "duplicate_shard": ["8:11: error: shard 'ping' is defined twice (first at 4:11)"],
    "duplicate_channel": ["10:12: error: channel 'x' is defined twice (first at 9:12)"],
    "channel_case_clash": [
        "10:12: error: channel 'X' clashes with channel 'x' (at 9:12); "
        "names must differ in more than case"],
    "duplicate_device": ["10:12: error: device 'uart' is defined twice (first at 9:12)"],
    "unknown_endpoint": [
        "9:31: error: channel 'x': 'to' names no shard 'pnog'; did you mean 'pong'?"],
    "channel_to_itself": [
        "9:31: error: channel 'x' goes from shard 'ping' to itself; "
        "a channel joins two different shards"],
    "depth_not_power_of_two": [
        "9:57: error: channel 'x': depth 200 is not a power of two; use 128 or 256"],
    "depth_out_of_range": [
        "9:57: error: channel 'x': depth 131072 is out of range; "
        "use a power of two from 2 to 65536"],
    "message_size_zero": ["9:46: error: channel 'x': message size must be at least 1 byte, got 0"],
    "message_too_large": [
        "9:46: error: channel 'x': message size 1048576 is larger than 65536 bytes"],
    "core_out_of_range": [
        "8:11: error: shard 'pong': core 9 does not exist on board 'hosted' (cores 0-7)"],
    "missing_source": [
        "9:21: error: shard 'pang': source file 'tests/generator/bad/pang.c' does not exist"],
    "bad_mode": ["8:11: error: shard 'pong': mode 'sleep' must be yield or poll"],
    "bad_fp": ["8:9: error: shard 'pong': 'fp' must be true or false, got string 'off-ish'"],
    "bad_on_fault": [
        "8:15: error: shard 'pong': on_fault 'restrat' must be restart, stop or halt, or a "
        "mapping (a restart policy); did you mean 'restart'?"],
    "restart_backoff_no_ceiling": [
        "10:18: error: shard 'pong' on_fault restart backoff: missing required key "
        "'ceiling'"],
    "restart_budget_too_large": [
        "9:25: error: shard 'pong' on_fault restart: budget 64 must be 1 to 16; count "
        "fewer, or widen the window"],
    "restart_budget_zero": [
        "9:25: error: shard 'pong' on_fault restart: budget 0 must be 1 to 16; use "
        "'on_fault: stop' for none"],
    "restart_floor_above_ceiling": [
        "10:26: error: shard 'pong' on_fault restart backoff: floor 200ms is above the "
        "ceiling 100ms; make the floor the smaller"],
    "restart_floor_zero": [
        "10:26: error: shard 'pong' on_fault restart backoff: floor 0 never grows; leave "
        "out 'backoff' for none"],
    "restart_group_empty": [
        "10:23: error: shard 'pong' on_fault then: restart [] names no shard; list the "
        "shards to restart together, or use 'then: stop'"],
    "restart_group_other_core": [
        "11:24: error: shard 'pong' on_fault then: shard 'ping' is on core 0, not core 1 "
        "like 'pong'; a group restarts on one core, so move it there or leave it out"],
    "restart_group_twice": [
        "10:30: error: shard 'pong' on_fault then: shard 'ping' is listed twice"],
    "restart_group_unknown_shard": [
        "10:30: error: shard 'pong' on_fault then: unknown shard 'pnog'; did you mean "
        "'pong'?"],
    "restart_missing_restart": [
        "9:7: error: shard 'pong' on_fault: missing required key 'restart'"],
    "restart_then_unknown": [
        "10:13: error: shard 'pong' on_fault: then 'restart' must be stop or halt, or a "
        "mapping (a restart group); 'restart' takes a value: write then: {restart: ...}"],
    "restart_unknown_key": [
        "9:28: error: unknown key 'windw' in shard 'pong' on_fault restart; did you mean "
        "'window'?"],
    "restart_window_zero": [
        "9:25: error: shard 'pong' on_fault restart: window 0 counts no restart; give a "
        "time such as 1s"],
    "too_many_endpoints": [
        "4:12: error: shard 'hub' has 65 channel endpoints; at most 64 fit its notification bits "
        "(one 64-bit word): give each group of its peers a shard of its own, or carry several "
        "flows on one channel, tagged in the message"],
    "bad_names": [
        "6:12: error: shard 'int': name 'int' is a C keyword: the generated code could not "
        "use it as a name",
        "7:12: error: shard 'vn_main_loop': name 'vn_main_loop' starts with 'vn_', which the "
        "runtime keeps for its own names",
        "8:12: error: shard 'a_name_of_sixty_four_characters_is_one_more_than_sixty_three__xy': "
        "name 'a_name_of_sixty_four_characters_is_one_more_than_sixty_three__xy' is 64 "
        "characters long; at most 63 are allowed",
        "9:12: error: shard 'b\\n': name 'b\\n' is not a C identifier (letters, digits and "
        "'_', not starting with a digit)"],
    "duplicate_irq": [
        "10:54: error: device 'd2': irq 40 is taken by device 'd1' (at 9:54); an interrupt "
        "line has one owner"],
    "name_clashes": [
        "6:12: error: shard 'a_end': vn_blob_a_end would name both its image and the end of "
        "the image of shard 'a' (bare-metal boards); rename it",
        "8:12: error: channel 'send': its name would make vn_tx_send, which the runtime has "
        "already (runtime/include); rename it",
        "10:12: error: channel 'state_x': vn_tx_state_x would name both its endpoint and the "
        "endpoint state of channel 'x'; rename it",
        "12:12: error: pool 'buf': its name would make vn_pool_buf, which the runtime has "
        "already (runtime/include); rename it",
        "14:12: error: event 'put': its name would make vn_trace_put, which the runtime has "
        "already (runtime/include); rename it"],
    "macro_clashes": [
        "6:12: error: shard 'bit': its name would make VN_RELOAD_BIT (by which shard 'a' may "
        "reload it), which the runtime's headers or the generated ones define already; "
        "rename it",
        "7:12: error: shard 'late': its name would make VN_RELOAD_LATE (by which shard 'a' may "
        "reload it), which the runtime's headers or the generated ones define already; "
        "rename it",
        "13:45: error: event 'e' field 'f' value 'ON_': its name would make VN_E_F_ON_, which "
        "event 'e' field 'f' value 'on_' makes too (at 13:40); rename one of them",
        "16:43: error: event 'msg' field 'size' value 'x': its name would make VN_MSG_SIZE_X, "
        "which channel 'x' makes too (at 9:12); rename one of them"],
    "duplicate_source": [
        "5:21: error: shard 'ping': source './ok.c' is the same file as 'ok.c' (listed at "
        "5:15); list a file once: its definitions would be linked twice",
        "5:29: error: shard 'ping': source 'ok.c' is listed twice (first at 5:15); list a file "
        "once: its definitions would be linked twice"],
    "source_not_c": [
        "5:21: error: shard 'ping': source 'notes.txt' is not a file the build compiles: C (.c) "
        "or assembly through the preprocessor (.S)",
        "5:32: error: shard 'ping': source 'helper.cpp' is not a file the build compiles: C "
        "(.c) or assembly through the preprocessor (.S)",
        "5:44: error: shard 'ping': source 'start.s' is not a file the build compiles: C (.c) "
        "or assembly through the preprocessor (.S); name it .S, where #if can choose each "
        "board's instructions"],
    "yaml_merge_key": [
        "6:5: error: YAML merge keys ('<<') are not supported in a spec: write the keys out "
        "(an alias such as *name may still stand for a whole value)"],
    "yaml_octal": [
        "6:11: error: YAML 1.1 reads 010 as the octal number 8: drop the leading zero (10), or "
        "write 8 or 0x8 if octal was meant"],
    "yaml_base60": [
        "14:32: error: YAML 1.1 reads 7:0 as the base-60 number 420: write it quoted, '7:0' "
        "(a bit range is written \"high:low\")"],
    "yaml_leading_zero": [
        "6:11: error: shard 'ping': 'core' must be an integer, got string '08' (YAML 1.1 "
        "reads a number with a leading zero and an 8 or 9 as text: write 8)"],
    "long_path_name": [
        f"7:15: error: shard 'a': source file 'tests/generator/bad/{LONG}.c' cannot be "
        "looked up: File name too long",
        f"10:14: error: shard 'b': cflags: -I names a directory '{LONG}' that cannot be "
        "looked up: File name too long (a relative path is the spec file's directory's, "
        "as a source's is)"],
    "nameless_device_regmap": ["8:5: error: device #1: missing required key 'name'"],
    "missing_include": [
        "4:41: error: shard 'a': cflags: -I names a directory 'include' that does not exist "
        "(a relative path is the spec file's directory's, as a source's is)",
        "4:56: error: shard 'a': cflags: -I names a directory '/no/such/dir' that does not "
        "exist",
        "4:80: error: shard 'a': cflags: -include names a file 'none.h' that does not exist "
        "(a relative path is the spec file's directory's, as a source's is)"],
    "bare_names": [
        "9:25: error: device 'dev': regmap 'vn' is the runtime's prefix: names made from it "
        "would be the runtime's own",
        "14:36: error: regmap 'm' structure 'S' member 'INT': name 'INT' is 'int' in C, which "
        "is a C keyword",
        "14:71: error: regmap 'm' structure 'S' member 'unix': name 'unix' is a macro GCC "
        "predefines (as 1)",
        "15:3: error: regmap 'vn': name is the runtime's prefix: names made from it would be "
        "the runtime's own",
        "18:34: error: event 'tick' event field 'asm': name 'asm' is a GNU C keyword",
        "18:57: error: event 'tick' event field 'SIZE_MAX': name 'SIZE_MAX' is a C library "
        "name the generated code uses",
        "18:85: error: event 'tick' event field 'UINT8_C': name 'UINT8_C' is a macro of "
        "<stdint.h>",
        "19:34: error: event 'tick' event field 'uint32_t': name 'uint32_t' is a C library "
        "name the generated code uses",
        "19:62: error: event 'tick' event field '__count': name '__count' is reserved to the C "
        "compiler and library (it starts with __ or _ and a capital)",
        "19:89: error: event 'tick' event field '_Big': name '_Big' is reserved to the C "
        "compiler and library (it starts with __ or _ and a capital)"],
    "exact_limits": [
        "6:49: error: shard 'ping': cflags: -D is last, without the argument it takes: give "
        "the argument as the next item, or drop the flag",
        "9:26: error: device 'far': window reaches the end of the 64-bit address space; it "
        "must end below 2^64",
        "12:46: error: regmap 'm' register 'CR': width number 32.0 must be 8, 16, 32 or 64",
        "13:66: error: regmap 'm' structure 'S' member 'n': width number 16.0 must be 8, 16, "
        "32 or 64"],
    "nul_cflag": [
        "4:40: error: shard 'a': a compiler flag holds a NUL character, which no command "
        "line can pass"],
    "too_many_devices": [
        "8:3: error: 65 devices; at most 64 are allowed (the hosted simulator's device table, "
        "HK_MAX_DEVICES; a spec must boot on every board): merge devices on adjacent pages "
        "that one shard owns into one device whose window covers them"],
    "ram_exhausted": [
        "20:12: error: shard 'p' ends at 0xc2f0a000, beyond the RAM of board "
        "'qemu-virt-riscv64' (up to 0xbfdc6000, below the kernel's 570 page tables at its "
        "top); use less memory, stack or channel depth, or fewer shards"],
    "device_two_claimants": [
        "8:15: error: device 'uart' is claimed by shard 'ping' (at 10:57) and by shard 'pong'; "
        "a device belongs to one shard"],
    "device_no_claimant": [
        "9:12: error: device 'uart' is granted to no shard; "
        "add 'shard: NAME' to it or list it in a shard's 'devices'"],
    "shard_unknown_device": [
        "8:15: error: shard 'pong': unknown device 'uart1'; did you mean 'uart0'?"],
    "device_windows_overlap": [
        "10:27: error: device 'gpio' window [0x9000800, 0x9001800) overlaps "
        "device 'uart' window [0x9000000, 0x9001000) (at 9:27)"],
    "unknown_regmap": [
        "9:26: error: device 'uart': unknown register map 'pl011x'; did you mean 'pl011'?"],
    "unknown_regmap_no_match": [
        "7:25: error: device 'nic': unknown register map 'virtio_net_xyz'; "
        "define it under 'regmaps:' or in drivers/virtio_net_xyz/virtio_net_xyz.yaml"],
    "time_too_long": [
        "4:45: error: shard 'ping': watchdog '2h' is not a time; "
        "write a number with ns, us, ms or s",
        "5:45: error: shard 'pong': watchdog '99999999999999999999s' is too long; "
        "at most 3600s"],
    "bad_device_values": [
        "6:30: error: device 'uart': compatible 'arm pl011 */' may only hold letters, "
        "digits and , . _ + - (like \"arm,pl011\")",
        "7:53: error: device 'gpio': irq 4096 is out of range; at most 1019"],
    "fields_overlap": [
        "17:32: error: regmap 'uart' register 'CR': field 'MODE' (bits 3:0) "
        "overlaps field 'EN' (bits 0)"],
    "field_exceeds_width": [
        "15:32: error: regmap 'uart' register 'LCR' field 'WLEN': "
        "bits 9:8 exceed the register's 8-bit width"],
    "register_misaligned": [
        "11:28: error: regmap 'uart' register 'FR': offset 0x6 is not aligned to its "
        "32-bit width (a multiple of 4)"],
    "bad_size": ["8:12: error: shard 'pong': stack '16KB' is not a size; did you mean '16KiB'?"],
    "bad_time": [
        "8:15: error: shard 'pong': watchdog 100 has no unit; give a unit: ns, us, ms or s"],
    "bad_time_unit": [
        "8:15: error: shard 'pong': watchdog '100 msec' is not a time; did you mean '100ms'?"],
    "reload_errors": [
        "6:23: error: shard 'ping' reload: handoff 128KiB must be 1 byte to 64 KiB; keep only the state the next version needs",
        "6:41: error: shard 'ping' reload: rollback 0 never rolls back; leave it out for none",
        "6:55: error: shard 'ping' reload: shard 'pong' cannot be reloaded; give it a 'reload:' key (reload: {} for the defaults)",
        "6:61: error: shard 'ping' reload: unknown shard 'pnog'; did you mean 'pong'?",
        "6:73: error: shard 'ping' reload: shard 'ping' is listed twice",
        "11:23: error: shard 'peng' reload: 'quiesce' applies only to a shard with a handoff (it is asked to quiesce to hand its state over); add 'handoff: SIZE' or leave it out",
        "11:35: error: shard 'peng' reload: 'late' applies only to a shard with a handoff (it is asked to quiesce to hand its state over); add 'handoff: SIZE' or leave it out",
        "14:38: error: shard 'pang' reload: quiesce 0 gives the old version no time; give a time such as 100ms",
        "14:48: error: shard 'pang' reload: late 'later' must be swap or refuse",
    ],
    "signal_to_itself": [
        "9:32: error: signal 'go' goes from shard 'ping' to itself; "
        "a signal joins two different shards"],
    "signal_unknown_shard": [
        "9:22: error: signal 'go': 'from' names no shard 'pnig'; did you mean 'pong'?"],
    "signal_unknown_key": [
        "9:38: error: unknown key 'depth' in signal 'go'",
        "10:5: error: signal 'stop': missing required key 'to'"],
    "signal_channel_clash": [
        "11:12: error: signal 'go' has the name of channel 'go' (at 9:12); "
        "channels and signals share one namespace",
        "12:12: error: signal 'Go' clashes with channel 'go' (at 9:12); "
        "names must differ in more than case"],
    "signal_device_clash": [
        "11:12: error: device 'uart': has the name of signal 'uart' "
        "(both would be VN_NOTIFY_UART); rename one of them"],
    "signal_too_many_endpoints": [
        f"{line}:12: error: shard '{name}' has 40 channel endpoints and 25 signal endpoints; "
        "at most 64 fit its notification bits (one 64-bit word): give each group of its "
        "peers a shard of its own, or carry several flows on one channel, tagged in the "
        "message" for line, name in ((4, "hub"), (5, "a"))],
    "multiple_errors": [
        "6:11: error: shard 'ping': core 12 does not exist on board 'hosted' (cores 0-7)",
        "7:11: error: shard 'ping': mode 'fast' must be yield or poll",
        "10:12: error: shard 'pong': stack '1MB' is not a size; did you mean '1MiB'?",
        "12:46: error: channel 'x': message size must be at least 1 byte, got 0",
        "12:56: error: channel 'x': depth 100 is not a power of two; use 64 or 128",
        "13:31: error: channel 'y': 'to' names no shard 'pnig'; did you mean 'pong'?",
        "13:60: error: unknown key 'colour' in channel 'y'"],
}

# These go through the real command line; the rest call the library.
VIA_CLI = {"yaml_syntax", "duplicate_key", "depth_not_power_of_two", "unknown_key",
           "missing_source", "multiple_errors", "yaml_base60", "long_path_name"}


def _expected(name):
    return [f"tests/generator/bad/{name}.yaml:{line}" for line in EXPECTED[name]]


def test_every_bad_spec_has_an_expectation():
    # bad/dtb_*.yaml belong to test_gen_dtb.py, bad/regmap_*.yaml to test_gen_regmap_errors.py
    assert {p.stem for p in BAD.glob("*.yaml")
            if not p.stem.startswith(("dtb_", "regmap_"))} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(VIA_CLI))
def test_cli_error(name):
    proc = vanity("check", f"tests/generator/bad/{name}.yaml")
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""
    assert proc.stderr.splitlines() == _expected(name)


@pytest.mark.parametrize("name", sorted(set(EXPECTED) - VIA_CLI))
def test_library_error(name, in_repo):
    args = argparse.Namespace(spec=f"tests/generator/bad/{name}.yaml", board=None)
    with pytest.raises(SpecError) as exc:
        load(args)
    assert [str(d) for d in exc.value.diags] == _expected(name)


def test_all_errors_reported_sorted():
    lines = vanity("check", "tests/generator/bad/multiple_errors.yaml").stderr.splitlines()
    assert len(lines) == 7
    positions = [tuple(map(int, line.split(":")[1:3])) for line in lines]
    assert positions == sorted(positions)


def test_board_override_checks_cores():
    proc = vanity("check", "examples/pingpong/pingpong.yaml", "--board", "qemu-virt-riscv64")
    assert proc.returncode == 0, proc.stderr
    proc = vanity("check", "tests/generator/bad/core_out_of_range.yaml",
                  "--board", "qemu-virt-aarch64")
    assert proc.stderr.splitlines() == [
        "tests/generator/bad/core_out_of_range.yaml:8:11: error: shard 'pong': core 9 "
        "does not exist on board 'qemu-virt-aarch64' (cores 0-3)"]


def test_board_override_checks_interrupts():
    """QEMU virt's GIC has 288 lines (256 SPIs after the 32 private ones):
    an ID past them would be accepted, boot, and never interrupt."""
    proc = vanity("check", "tests/generator/bad/bad_device_values.yaml",
                  "--board", "qemu-virt-aarch64")
    assert "7:53: error: device 'gpio': irq 4096 is out of range; at most 287" in \
        proc.stderr, proc.stderr


def test_unknown_board():
    proc = vanity("check", "examples/pingpong/pingpong.yaml", "--board", "hostd")
    assert proc.returncode == 1
    assert proc.stderr == ("vanity: error: unknown board 'hostd' (known: hosted, "
                           "qemu-virt-aarch64, qemu-virt-riscv64); did you mean 'hosted'?\n")


def test_missing_file():
    proc = vanity("check", "no/such.yaml")
    assert proc.returncode == 1
    assert proc.stderr == "vanity: error: cannot read 'no/such.yaml': No such file or directory\n"


def test_deep_nesting_is_an_error_not_a_crash(tmp_path):
    """libyaml composes recursively in C and overflows its stack some 40 000
    levels down: such a text must get the message, not end the process."""
    for text in ("[" * 40000, "- " * 40000 + "x"):
        spec = tmp_path / "deep.yaml"
        spec.write_text(text + "\n")
        r = vanity("check", spec)
        assert r.returncode == 1, r.stderr
        assert r.stderr.strip().endswith("deep.yaml:1:1: error: YAML nesting is too deep"), \
            r.stderr


def test_a_number_of_thousands_of_digits_is_an_error_not_a_crash(tmp_path):
    """Python refuses to read a decimal of more than 4300 digits, and a bit
    range's values were counted as 2**width: a size, a time or a bit range
    of thousands of digits gets a located error, at once, not a traceback
    nor gigabytes of memory."""
    big = "9" * 5000
    cases = {
        f'stack: "{big}KiB"': "5:38: error: shard 'a': stack has a number of 5000 digits, "
                              "more than any size or time can be",
        f'watchdog: "{big}ms"': "5:41: error: shard 'a': watchdog has a number of 5000 "
                                "digits, more than any size or time can be",
    }
    head = "vanity: 1\nsystem: s\nboard: hosted\nshards:\n"
    (tmp_path / "a.c").write_text("")
    for key, want in cases.items():
        spec = tmp_path / "big.yaml"
        spec.write_text(head + f"  - {{name: a, sources: [a.c], {key}}}\n")
        r = vanity("check", spec)
        assert r.returncode == 1 and r.stderr.strip().endswith(want), r.stderr
    for bits in (f'"{big}:0"', "400000000000"):
        spec.write_text(head + "  - {name: a, sources: [a.c]}\n"
                        "regmaps:\n  m:\n    registers:\n      - name: R\n"
                        "        offset: 0\n        fields:\n"
                        f"          - {{name: f, bits: {bits}}}\n")
        r = vanity("check", spec)
        assert r.returncode == 1, r.stderr
        assert "big.yaml:12:29: error: regmap 'm' register 'R' field 'f': " in r.stderr, \
            r.stderr
        assert "internal error" not in r.stderr, r.stderr


def test_a_refused_message_size_is_not_also_missing(tmp_path):
    (tmp_path / "a.c").write_text("")
    spec = tmp_path / "m.yaml"
    spec.write_text("vanity: 1\nsystem: s\nshards:\n  - {name: a, sources: [a.c]}\n"
                    "  - {name: b, sources: [a.c]}\nchannels:\n"
                    "  - {name: c, from: a, to: b, message: \"abc\", depth: 4}\n")
    r = vanity("check", spec)
    assert r.stderr.splitlines() == [
        f"{spec}:7:40: error: channel 'c': message 'abc' is not a size; write a number of "
        "bytes or a number with B, KiB, MiB or GiB"], r.stderr
