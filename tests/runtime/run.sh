#!/bin/sh
# run.sh - build and run the runtime's cmocka unit tests of the ring, the
# kernel core, buffer pools, the formatter and the virtio-net driver's receive path (host
# build; the driver's register map is the committed one of out/l2fwd).
# The hosted port is tested end to end, on systems built from real specs,
# by tests/system (pytest).
# The tests run under AddressSanitizer and UndefinedBehaviorSanitizer, which
# abort on a finding (SANITIZE= builds them without).
# Builds into build/tests/runtime/. Exits non-zero if anything fails.
# usage: tests/runtime/run.sh
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=$root/build/tests/runtime
rt=$root/runtime
CC=${CC:-gcc}
SANITIZE=${SANITIZE--fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer}
CFLAGS="-std=gnu11 -Wall -Wextra -Werror -O2 -g $SANITIZE"
fail=0

unit() {
	mkdir -p "$out"
	inc="-I$rt/include -I$rt/core -I$here"
	ring="$here/test_ring.c $rt/lib/attach.c"
	$CC $CFLAGS $inc $ring -o "$out/test_ring" -lcmocka &&
	$CC $CFLAGS -DVN_RING_NO_STATS $inc $ring -o "$out/test_ring_nostats" -lcmocka &&
	$CC $CFLAGS -DMSG=60u -DSEQ=VN_EP_SEQ $inc $ring -o "$out/test_ring_seq" -lcmocka &&
	$CC $CFLAGS $inc "$here/test_sched.c" "$here/stub_port.c" "$rt"/core/*.c \
		-o "$out/test_sched" -lcmocka &&
	$CC $CFLAGS $inc "$here/test_syscall.c" "$here/stub_port.c" "$rt"/core/*.c \
		-o "$out/test_syscall" -lcmocka &&
	$CC $CFLAGS $inc "$here/test_crash.c" "$here/stub_port.c" "$rt"/core/*.c \
		-o "$out/test_crash" -lcmocka &&
	$CC $CFLAGS $inc "$here/test_reload.c" "$here/stub_port.c" "$rt"/core/*.c \
		-o "$out/test_reload" -lcmocka &&
	$CC $CFLAGS $inc "$here/test_pool.c" "$root/drivers/virtio_net/frame.c" \
		-o "$out/test_pool" -lcmocka &&
	$CC $CFLAGS $inc "$here/test_format.c" "$rt/lib/format.c" -o "$out/test_format" -lcmocka &&
	$CC $CFLAGS -I$rt/include -I$root/out/l2fwd/hosted -I$here/stub_shard \
		"$here/test_vnet.c" "$root"/drivers/virtio_net/*.c -o "$out/test_vnet" \
		-lcmocka || return 1
	for t in test_ring test_ring_nostats test_ring_seq test_sched test_syscall test_crash test_reload \
		test_pool test_format test_vnet; do
		"$out/$t" || fail=1
	done
}

unit || fail=1
[ $fail -eq 0 ] && echo "runtime tests: all passed" || echo "runtime tests: FAILED"
exit $fail
