# Vanity: `make run` runs the flagship example on the hosted simulator,
# `make test` runs every test. Both install missing Debian packages first.

PYTHON ?= /usr/bin/python3
VANITY := $(PYTHON) ./vanity
EXAMPLES := $(sort $(wildcard examples/*/*.yaml))
FLAGSHIP := examples/pipeline/pipeline.yaml
SPEC ?= $(FLAGSHIP)
BOARD ?= hosted
# Boards whose generated output is committed for every example.
GEN_BOARDS := hosted qemu-virt-aarch64 qemu-virt-riscv64
# Example variants, committed like the examples, as SPEC:BOARD: the
# split-by-port forwarder (docs/l2fwd.md), which lives one level deeper.
GEN_VARIANTS := examples/l2fwd/split/split.yaml:hosted \
	examples/l2fwd/split/split.yaml:qemu-virt-aarch64 \
	examples/l2fwd/split/split.yaml:qemu-virt-riscv64

# clang and libFuzzer's runtime: make test runs the device-model fuzzer briefly.
FUZZ_DEPS := clang-14 libclang-rt-14-dev
DEPS := make gcc libc6-dev python3 python3-jinja2 python3-yaml python3-libfdt \
	python3-jsonschema python3-pytest clang-format libcmocka-dev \
	gcc-aarch64-linux-gnu qemu-system-arm gcc-riscv64-unknown-elf qemu-system-misc \
	gdb-multiarch netsniff-ng iproute2 device-tree-compiler spin babeltrace2 \
	libxdp-dev libbpf-dev $(FUZZ_DEPS)
BENCH_DEPS := g++ pkg-config valgrind libdpdk-dev libck-dev libboost-dev \
	liblttng-ust-dev lttng-tools
L2FWD_BENCH_DEPS := dpdk-dev librte-net-af-packet23 librte-net-af-xdp23 iproute2
FUZZ_TIME ?= 60

.PHONY: all deps bench-deps run debug test test-runtime test-python test-scale test-sanitize test-tsan gen \
	check-generated check build diff bench bench-l2fwd fuzz clean boards

all: test

deps:
	@sh tools/install-deps $(DEPS)

bench-deps: deps
	@sh tools/install-deps $(BENCH_DEPS)

# The flagship (a three-stage pipeline) on the hosted simulator, or any
# spec: `make run SPEC=examples/pingpong/pingpong.yaml`.
run: deps
	$(VANITY) run $(SPEC) --board $(BOARD)

# Boot SPEC on a QEMU board halted, with a gdbstub; prints the gdb command.
DEBUG_BOARD ?= qemu-virt-aarch64
debug: deps
	$(VANITY) run $(SPEC) --board $(DEBUG_BOARD) --gdb

check build diff: deps
	$(VANITY) $@ $(SPEC) --board $(BOARD)

# Every test: the runtime's cmocka suites, then pytest (generator, golden
# output, system tests on hosted). Each prints its own summary, and the last
# line counts them all.
test: deps
	@$(PYTHON) tools/run-tests

test-runtime:
	@sh tests/runtime/run.sh

test-python:
	$(PYTHON) -m pytest -q tests

# The largest systems each board accepts build, boot and complete: 256 shards
# and 4,096 channels on every board (tests/system/test_scale.py). Minutes per
# board, so not part of `test`.
test-scale: deps
	VANITY_SCALE=1 $(PYTHON) -m pytest -q tests/system/test_scale.py

# The hosted system tests with the kernel process under AddressSanitizer
# and UndefinedBehaviorSanitizer, and every shard under UBSan
# (docs/robustness.md); the last suite of `test`, alone.
test-sanitize: deps
	@$(PYTHON) tools/run-tests sanitize

# The hosted system tests with the kernel process under ThreadSanitizer
# (its threads: the cores, the device thread and workers, the observation
# server and reload requests). Not part of `test` (6 minutes), which runs
# two systems so (test_stress.py). Left out: tests that TSan's slowdown of
# the kernel process breaks by their timing, not by a race: the hosted
# l2fwd split forwarder's and two that expect events within milliseconds
# (docs/robustness.md).
TSAN_TIMED := test_wild_write_into_another_shards_heap_is_contained or \
	test_exit_statuses_and_halt or split
test-tsan: deps
	TSAN_OPTIONS="halt_on_error=1 $(TSAN_OPTIONS)" VANITY_SANITIZE=thread $(PYTHON) -m pytest -q \
		tests/system -k "not aarch64 and not riscv64 and not qemu and not ($(TSAN_TIMED))"

# Regenerate the committed output of every example.
gen: deps
	@for spec in $(EXAMPLES); do for board in $(GEN_BOARDS); do \
		$(VANITY) gen $$spec --board $$board || exit 1; done; done
	@for v in $(GEN_VARIANTS); do \
		$(VANITY) gen $${v%%:*} --board $${v##*:} || exit 1; done

# Fails when out/ is stale: run `make gen` and commit the result.
check-generated:
	@status=0; for spec in $(EXAMPLES); do for board in $(GEN_BOARDS); do \
		$(VANITY) diff $$spec --board $$board || status=1; done; done; \
	for v in $(GEN_VARIANTS); do \
		$(VANITY) diff $${v%%:*} --board $${v##*:} || status=1; done; exit $$status

# Re-dump the committed QEMU device trees (boards/*.dtb, *.dts); needs dtc.
boards:
	@sh tools/dump-boards

bench: bench-deps
	$(PYTHON) bench/run.py --record bench/RESULTS.md

# examples/l2fwd on hosted beside the Linux bridge and dpdk-testpmd, on one
# veth pair in network namespaces (root).
bench-l2fwd: deps
	@sh tools/install-deps $(L2FWD_BENCH_DEPS)
	$(PYTHON) bench/l2fwd/run.py

# The robustness campaigns (docs/robustness.md), each bounded: 1 000 000
# random system calls, 100 000 rounds of a shard writing over the memory it
# shares and 400 random MMIO calls per board, random
# instructions on the QEMU boards, a malicious driver against the hosted
# device models, the generator's inputs, damaged traces and crash dumps read
# back, then libFuzzer over the virtio-net
# driver's frame and used-ring handling, over the hosted device models and
# over the hosted kernel's check of a reload's executable, FUZZ_TIME seconds
# each; ends in one table.
fuzz: deps
	FUZZ_TIME=$(FUZZ_TIME) $(PYTHON) tests/fuzz/campaigns.py

clean:
	rm -rf build
