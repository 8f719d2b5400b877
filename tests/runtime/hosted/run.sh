#!/bin/sh
# run.sh - build every hand-made system in this directory with build.sh and
# check what the hosted port must do: messages across cores, sleeping and
# waking, taking turns on one core, faults with their reports, restart with
# queued messages kept, the watchdog, exit statuses, signals.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
out=$root/build/tests/runtime/hosted
fails=0
passes=0

# run SYSTEM [env...]: run its kernel; sets $rc, $o (stdout), $e (stderr).
run() {
	sys=$1
	shift
	env "$@" timeout 30 "$out/$sys/kernel" >"$out/$sys.out" 2>"$out/$sys.err"
	rc=$?
	o=$(cat "$out/$sys.out")
	e=$(cat "$out/$sys.err")
}

ok() { passes=$((passes + 1)); }
bad() {
	fails=$((fails + 1))
	echo "FAIL [$sys] $1"
	echo "--- stdout"; cat "$out/$sys.out"; echo "--- stderr"; cat "$out/$sys.err"
}
has_out() { printf '%s\n' "$o" | grep -qF -- "$1" && ok || bad "stdout lacks: $1"; }
has_err() { printf '%s\n' "$e" | grep -qE -- "$1" && ok || bad "stderr lacks: $1"; }
lacks() { printf '%s\n%s\n' "$o" "$e" | grep -qF -- "$1" && bad "unexpected: $1" || ok; }
status() { [ "$rc" -eq "$1" ] && ok || bad "exit status $rc, want $1"; }

for d in "$here"/*/; do
	[ -f "$d/system.json" ] || continue
	s=$(basename "$d")
	"$here/build.sh" "$d" "$out/$s" || { echo "FAIL: build of $s"; fails=$((fails + 1)); }
done

run pingpong VANITY_STATS=1
status 0
has_out "[ping] 500 round trips ok (4500 messages each way)"
has_out "[pong] echoed 4500 messages"
has_err "stats: shard 'pong': syscalls [0-9]+ yields 0 waits [1-9][0-9]* notifies [1-9]"
has_err "stats: channel 'ping_to_pong': head 4501 tail 4501"
has_err "^vanity: system 'pingpong' exited with status 0$"

run pollpong
status 0
has_out "[ping] 500 round trips ok"
has_out "[ticker] 20 timeouts"

run samecore
status 0
want=$(for i in 0 1 2 3 4; do for n in a b c; do echo "[$n] turn $i"; done; done)
[ "$o" = "$want" ] && ok || bad "shards on one core did not alternate at yield"

run crash
status 1
has_err "^vanity: shard 'crasher' faulted: SIGSEGV \(address not mapped\) at 0x10000000, pc 0x3[0-9a-f]{7}$"
has_err "^vanity: shard 'crasher': on_fault=stop, stopped; [0-9] other shards? running$"
has_err "^vanity: shard 'overflow' faulted: SIGSEGV \(invalid permissions\) at 0x48020[0-9a-f]{3}, pc"
has_out "[producer] sent 200"
has_out "[consumer] got 200 in order"
lacks "still alive"
has_err "^vanity: system 'crash' exited with status 1$"

run restart VANITY_STATS=1
status 1
has_out "[consumer] life starts at 0"
has_out "[consumer] life starts at 6"
has_out "[consumer] got 6..19 in order"
has_err "^vanity: shard 'consumer': on_fault=restart, restarted \(1\)$"
has_err "^vanity: shard 'looper' faulted: SIGABRT"
has_err "^vanity: shard 'looper': on_fault=restart, restarted 5 times within 1 s, gave up: stopped; 0 other shards running$"
has_err "stats: shard 'consumer': .* restarts 1$"

run watchdog
status 1
has_err "^vanity: shard 'spinner' watchdog: ran 2[0-9][0-9] ms without yielding$"
has_err "^vanity: shard 'spinner': on_fault=stop, stopped; 1 other shard running$"
has_out "[patient] ran after the spinner"

run ends
status 7
has_err "^vanity: shard 'quitter' exited with status 3$"
has_out "[halter] wait returned 0 after >=50 ms"
lacks "should not happen"

# SIGTERM stops the system; a killed kernel takes its shards with it.
sys=idle
"$out/idle/kernel" >"$out/idle.out" 2>"$out/idle.err" &
k=$!
sleep 0.3
kill -TERM $k
wait $k
rc=$?
o=$(cat "$out/idle.out")
e=$(cat "$out/idle.err")
status 143
has_err "^vanity: system 'idle' terminated by SIGTERM, exited with status 143$"
"$out/idle/kernel" >/dev/null 2>&1 &
k=$!
sleep 0.3
kids=$(pgrep -P $k)
kill -KILL $k
sleep 0.3
alive=0
for p in $kids; do
	[ -d /proc/$p ] && [ "$(awk '{print $3}' /proc/$p/stat)" != Z ] && alive=$((alive + 1))
done
[ "$(echo $kids | wc -w)" -eq 2 ] && [ $alive -eq 0 ] && ok ||
	bad "shards outlived a killed kernel (started: $kids; alive: $alive)"

echo "hosted system tests: $passes passed, $fails failed"
[ $fails -eq 0 ]
