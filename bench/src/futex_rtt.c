/*
 * futex_rtt.c - wake-up round trip between two processes on two CPUs through
 * futexes on shared memory: the peer for a Vanity `yield` shard pair.
 *
 * Each direction is one 32-bit sequence word plus a "sleeping" flag on its
 * own cache line. The receiver spins for up to the spin budget (-s, in µs;
 * 0 = sleep at once), then announces it will sleep and FUTEX_WAITs; the
 * sender stores the new sequence and calls FUTEX_WAKE only when the flag is
 * set (a seq_cst store/load pair on each side, so a wake is never lost).
 * That is the same protocol as a Vanity channel's rx_sleeping flag, so the
 * comparison measures the wake path, not a missing optimisation.
 * Shared (not FUTEX_PRIVATE) futexes, because these are separate processes.
 *
 * Output (the format the Vanity wake bench shard prints):
 *   wake-rtt min=... p50=... p99=... ns
 *
 * usage: futex_rtt [-n round-trips] [-s spin-us]
 */
#include <errno.h>
#include <linux/futex.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

#define PING_CPU 0
#define ECHO_CPU 1
#define WARMUP 100u

struct wake_word {
	_Alignas(BENCH_LINE) uint32_t seq;
	uint32_t sleeping;
};

struct shared {
	uint32_t ready;
	struct wake_word to_echo, to_ping;
};

static long futex(uint32_t *addr, int op, uint32_t val)
{
	return syscall(SYS_futex, addr, op, val, NULL, NULL, 0);
}

static void signal_word(struct wake_word *w, uint32_t seq)
{
	__atomic_store_n(&w->seq, seq, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&w->sleeping, __ATOMIC_SEQ_CST))
		futex(&w->seq, FUTEX_WAKE, 1);
}

/* Wait until w->seq == seq: spin for spin_ticks, then sleep. */
static void await_word(struct wake_word *w, uint32_t seq, uint64_t spin_ticks)
{
	uint64_t start = tsc_now();

	while (__atomic_load_n(&w->seq, __ATOMIC_ACQUIRE) != seq) {
		if (tsc_now() - start >= spin_ticks)
			goto sleep;
		cpu_relax();
	}
	return;
sleep:
	for (;;) {
		uint32_t cur;

		__atomic_store_n(&w->sleeping, 1, __ATOMIC_SEQ_CST);
		cur = __atomic_load_n(&w->seq, __ATOMIC_SEQ_CST);
		if (cur == seq)
			break;
		if (futex(&w->seq, FUTEX_WAIT, cur) != 0 && errno != EAGAIN &&
		    errno != EINTR)
			die("futex wait");
	}
	__atomic_store_n(&w->sleeping, 0, __ATOMIC_RELAXED);
}

int main(int argc, char **argv)
{
	uint64_t n = 2000, spin_us = 0, spin_ticks, *lat;
	double tpn;
	struct shared *shm;
	struct lat_summary s;
	int opt, status;
	pid_t pid;

	while ((opt = getopt(argc, argv, "n:s:")) != -1) {
		switch (opt) {
		case 'n': n = strtoull(optarg, NULL, 0); break;
		case 's': spin_us = strtoull(optarg, NULL, 0); break;
		default:
			fprintf(stderr, "usage: %s [-n round-trips] [-s spin-us]\n", argv[0]);
			return 2;
		}
	}
	pin_to_cpu(PING_CPU);
	tpn = tsc_per_ns();
	spin_ticks = (uint64_t)((double)spin_us * 1000.0 * tpn);
	shm = shm_alloc(sizeof(*shm));
	if (!(lat = malloc((WARMUP + n) * sizeof(*lat))))
		die("malloc");

	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		pin_to_cpu(ECHO_CPU);
		__atomic_store_n(&shm->ready, 1, __ATOMIC_RELEASE);
		for (uint32_t i = 1; i <= WARMUP + n; i++) {
			await_word(&shm->to_echo, i, spin_ticks);
			signal_word(&shm->to_ping, i);
		}
		_exit(0);
	}
	while (!__atomic_load_n(&shm->ready, __ATOMIC_ACQUIRE))
		cpu_relax();
	for (uint32_t i = 1; i <= WARMUP + n; i++) {
		uint64_t t = tsc_now();

		signal_word(&shm->to_echo, i);
		await_word(&shm->to_ping, i, spin_ticks);
		lat[i - 1] = tsc_now() - t;
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			die("waitpid");
	s = lat_summarise(lat + WARMUP, n, tpn);
	printf("wake-rtt min=%.0f p50=%.0f p99=%.0f ns\n", s.min, s.p50, s.p99);
	return 0;
}
