#!/bin/sh
# build.sh SYSTEM_DIR OUT_DIR - build a hand-made test system as the
# contract's build layout says: OUT_DIR/kernel and OUT_DIR/shards/<name>.
set -eu
sys=$1
out=$2
root=$(cd "$(dirname "$0")/../../.." && pwd)
rt=$root/runtime
CC=${CC:-gcc}
CFLAGS="-std=gnu11 -Wall -Wextra -Werror -O2 -g"

/usr/bin/python3 "$root/tests/runtime/hosted/mksys.py" "$sys/system.json" "$out/gen"
mkdir -p "$out/shards"
$CC $CFLAGS -I"$rt/include" -I"$rt/core" -I"$rt/arch/hosted" \
	"$rt"/core/*.c "$rt"/arch/hosted/kernel/*.c "$out/gen/kernel/tables.c" \
	-o "$out/kernel" -lpthread
for d in "$out"/gen/shards/*/; do
	name=$(basename "$d")
	srcs=$(sed "s|^|$sys/|" "$d/sources")
	$CC $CFLAGS -I"$d" -I"$sys" -I"$root/tests/runtime/hosted/pingpong" \
		-I"$rt/include" -I"$rt/arch/hosted" \
		$srcs "$rt"/lib/*.c "$rt"/arch/hosted/shard/*.c "$d/config.c" \
		-no-pie -Wl,-Ttext-segment="$(cat "$d/base")" -o "$out/shards/$name"
done
