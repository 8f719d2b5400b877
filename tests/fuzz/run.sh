#!/bin/sh
# Builds the libFuzzer target over the virtio-net driver's pure code
# (fuzz_frame.c) and runs it for a bounded time; prints one summary line and
# exits non-zero if the fuzzer found a crash or could not be built.
#
#   tests/fuzz/run.sh [SECONDS]        default 60, or $FUZZ_TIME
#
# Needs clang and libFuzzer's runtime: on Debian 12, the packages clang-14
# and libclang-rt-14-dev (which holds libclang_rt.fuzzer-x86_64.a).
# The rings' layout comes from the committed generated header of the l2fwd
# example (out/l2fwd/hosted/regmaps/virtio_mmio.h: `make gen` refreshes it).
# Everything it writes (binary, corpus, crash inputs) goes to a temporary
# directory ($FUZZ_DIR to keep it), never into the repository.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
secs=${1:-${FUZZ_TIME:-60}}
cc=${CLANG:-clang}
work=${FUZZ_DIR:-$(mktemp -d /tmp/vanity-fuzz.XXXXXX)}
mkdir -p "$work/corpus"

if ! command -v "$cc" >/dev/null 2>&1; then
	echo "fuzz: error: $cc not found; install clang-14 and libclang-rt-14-dev" >&2
	exit 1
fi
if ! "$cc" -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-Wall -Wextra -Werror -I "$here/../../runtime/include" -I "$here/../../out/l2fwd/hosted" \
	-o "$work/fuzz_frame" "$here/fuzz_frame.c" \
	"$here/../../drivers/virtio_net/frame.c" "$here/../../drivers/virtio_net/virtq.c"; then
	echo "fuzz: error: could not build fuzz_frame (see above; libFuzzer needs libclang-rt-14-dev)" >&2
	exit 1
fi

status=0
(cd "$work" && ./fuzz_frame -max_total_time="$secs" -print_final_stats=1 \
	-artifact_prefix="$work/" corpus) >"$work/log.txt" 2>&1 || status=$?
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log.txt")
cov=$(sed -n 's/^.*cov: \([0-9]*\).*$/\1/p' "$work/log.txt" | tail -n 1)
if [ "$status" -eq 0 ]; then
	echo "fuzz_frame: ok: ${runs:-?} runs in ${secs} s, coverage ${cov:-?} edges, no crash ($work)"
else
	tail -n 40 "$work/log.txt"
	echo "fuzz_frame: FAILED (status $status): crash input in $work/crash-*, log $work/log.txt"
fi
exit "$status"
