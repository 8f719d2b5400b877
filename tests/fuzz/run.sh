#!/bin/sh
# Builds the libFuzzer targets and runs each for a bounded time; prints one
# summary line per target and exits non-zero if a fuzzer found a crash or
# could not be built.
#
#   tests/fuzz/run.sh [SECONDS] [TARGET...]   default 60, or $FUZZ_TIME; each target
#
#   frame    fuzz_frame.c: the virtio-net driver's pure code (frame.c, virtq.c)
#   devices  fuzz_devices.c: the hosted simulator's device models (UARTs, RTC,
#            virtio-net over its virtqueues), driven directly
#   reload   fuzz_reload.c: the hosted kernel's check of a reload's new
#            executable (elf_check.c), on random images
#
# FUZZ_RUNS=N stops each target after N inputs (or SECONDS, whichever comes
# first). A target's corpus starts from tests/fuzz/seeds/TARGET/, if any:
# inputs that once found a bug, replayed first on every run. Needs clang and libFuzzer's runtime: on Debian 12, the packages
# clang-14 and libclang-rt-14-dev (which holds libclang_rt.fuzzer-x86_64.a).
# The rings' layout comes from the committed generated headers of the l2fwd
# example (out/l2fwd/hosted/regmaps/virtio_mmio.h for the driver,
# out/l2fwd/hosted/kernel/virtio_mmio_dev.h for the model: `make gen`
# refreshes them). Everything it writes (binaries, corpora, crash inputs)
# goes to a temporary directory ($FUZZ_DIR to keep it), never into the
# repository.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
secs=${1:-${FUZZ_TIME:-60}}
[ $# -gt 0 ] && shift
targets=${*:-frame devices reload}
cc=${CLANG:-$(command -v clang || command -v clang-14 || echo clang)}
work=${FUZZ_DIR:-$(mktemp -d /tmp/vanity-fuzz.XXXXXX)}
mkdir -p "$work"

if ! command -v "$cc" >/dev/null 2>&1; then
	echo "fuzz: error: $cc not found; install clang-14 and libclang-rt-14-dev" >&2
	exit 1
fi

build() { # name, then the sources and include flags
	name=$1
	shift
	if ! "$cc" -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-Wall -Wextra -Werror -I "$repo/runtime/include" -o "$work/$name" "$@"; then
		echo "fuzz: error: could not build $name (see above; libFuzzer needs libclang-rt-14-dev)" >&2
		return 1
	fi
}

run() { # name, target
	name=$1
	dir="$work/$name.d"
	mkdir -p "$dir/corpus"
	# The committed seeds first: every input that once found a bug.
	if [ -d "$here/seeds/$2" ]; then
		cp "$here/seeds/$2"/* "$dir/corpus/"
	fi
	status=0
	t0=$(date +%s)
	(cd "$dir" && "$work/$name" -max_total_time="$secs" ${FUZZ_RUNS:+-runs="$FUZZ_RUNS"} \
		-print_final_stats=1 -artifact_prefix="$dir/" corpus) >"$dir/log.txt" 2>&1 || status=$?
	took=$(($(date +%s) - t0))
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log.txt")
	cov=$(sed -n 's/^.*cov: \([0-9]*\).*$/\1/p' "$dir/log.txt" | tail -n 1)
	if [ "$status" -eq 0 ]; then
		echo "$name: ok: ${runs:-?} runs in ${took} s, coverage ${cov:-?} edges, no crash ($dir)"
	else
		tail -n 40 "$dir/log.txt"
		echo "$name: FAILED (status $status): crash input in $dir/crash-*, log $dir/log.txt;" \
			"replay with $work/$name CRASH-FILE"
	fi
	return "$status"
}

result=0
for t in $targets; do
	case $t in
	frame)
		build fuzz_frame -I "$repo/out/l2fwd/hosted" "$here/fuzz_frame.c" \
			"$repo/drivers/virtio_net/frame.c" "$repo/drivers/virtio_net/virtq.c" &&
			run fuzz_frame frame || result=1
		;;
	devices)
		build fuzz_devices -I "$repo/runtime/core" -I "$repo/runtime/arch/hosted" \
			-I "$repo/runtime/arch/hosted/kernel" -I "$repo/out/l2fwd/hosted/kernel" \
			"$here/fuzz_devices.c" &&
			run fuzz_devices devices || result=1
		;;
	reload)
		build fuzz_reload -I "$repo/runtime/core" -I "$repo/runtime/arch/hosted" \
			-I "$repo/runtime/arch/hosted/kernel" "$here/fuzz_reload.c" \
			"$repo/runtime/arch/hosted/kernel/elf_check.c" &&
			run fuzz_reload reload || result=1
		;;
	*)
		echo "fuzz: error: no target '$t' (frame, devices, reload)" >&2
		result=1
		;;
	esac
done
exit "$result"
