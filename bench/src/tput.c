/*
 * tput.c - channel throughput: one producer process pinned to CPU 0, one
 * consumer process pinned to CPU 1, sharing the ring through
 * mmap(MAP_SHARED | MAP_ANONYMOUS) + fork(), the way two Vanity hosted shards
 * share a channel.
 *
 * For each case the peers run interleaved (A B C D A B C D ...) so slow drift
 * on the machine spreads over all of them. Each run gets fresh shared memory.
 * Runs are short (milliseconds), because the machine is shared: a run during
 * which either process was preempted (an involuntary context switch) is run
 * again, up to -t times; the line says how many runs were thrown away and
 * whether the kept one was still preempted.
 *
 * Output: one machine-readable line per run, for run.py:
 *   tput case=8B-single peer=vanity rep=0 n=2000000 ns=... mmsgs=... bad=0
 *        pspin=... cspin=... preempt=0 retries=0
 * (pspin/cspin: sends finding the ring full / receives finding it empty,
 * per message.)
 *
 * usage: tput [-r reps] [-n msgs-per-8B-run] [-m msgs-per-64B-run] [-c case]
 *             [-t tries] [-p peer,peer...]
 * (-p: default vanity,rte_ring,ck_ring,boost_spsc; also vanity_nostats,
 * vanity_lat and vanity_swap, the Vanity ring without counters, as a
 * latency channel, and with 64-byte messages in the other slot layout.)
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"
#include "peer.h"

#define PRODUCER_CPU 0
#define CONSUMER_CPU 1

uint64_t bench_spins;

static const struct bench_peer *const default_peers[] = {
	&peer_vanity, &peer_rte, &peer_ck, &peer_boost,
};
/* Every peer -p may name: the default ones, and the Vanity ring built with
 * its counters compiled out (vanity_nostats), as a latency channel
 * (vanity_lat) or with the other slot layout for 64-byte messages
 * (vanity_swap). */
static const struct bench_peer *const all_peers[] = {
	&peer_vanity, &peer_rte, &peer_ck, &peer_boost,
	&peer_vanity_nostats, &peer_vanity_lat, &peer_vanity_swap,
};
#define N_DEFAULT (sizeof(default_peers) / sizeof(default_peers[0]))
#define N_ALL (sizeof(all_peers) / sizeof(all_peers[0]))
static const struct bench_peer *peers[N_ALL];
static size_t N_PEERS;

/* -p a,b,c: the peers to run, in that order. */
static void select_peers(const char *list)
{
	char *copy = strdup(list), *tok;

	N_PEERS = 0;
	for (tok = strtok(copy, ","); tok; tok = strtok(NULL, ",")) {
		size_t i;

		for (i = 0; i < N_ALL && strcmp(all_peers[i]->name, tok) != 0; i++)
			;
		if (i == N_ALL || N_PEERS == N_ALL) {
			fprintf(stderr, "tput: unknown peer '%s'\n", tok);
			exit(2);
		}
		peers[N_PEERS++] = all_peers[i];
	}
	free(copy);
}

/* Start/stop handshake, in its own shared page. */
struct run_ctl {
	_Alignas(BENCH_LINE) uint32_t ready; /* consumer is pinned and waiting */
	_Alignas(BENCH_LINE) uint32_t go;    /* producer is about to start */
	_Alignas(BENCH_LINE) uint64_t t_end; /* consumer: last message received */
	uint64_t bad;                        /* consumer: messages that failed the check */
	uint64_t spins;                      /* consumer: receives that found the ring empty */
	uint64_t preempt;                    /* consumer: involuntary context switches */
};

/* Involuntary context switches of this process so far: another task took
 * the CPU from a spinning side (the machine is shared). */
static uint64_t preemptions(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) != 0)
		die("getrusage");
	return (uint64_t)ru.ru_nivcsw;
}

/* What one run measured. */
struct run_res {
	uint64_t ns;      /* start to the last message received */
	uint64_t bad;     /* messages that failed the check */
	uint64_t pspins;  /* sends that found the ring full */
	uint64_t cspins;  /* receives that found the ring empty */
	uint64_t preempt; /* involuntary context switches, both sides */
};

/* Read every page of this process's view of the shared memory, so that the
 * page faults a fresh mapping takes fall before the clock starts. */
static void touch(const void *mem, size_t bytes)
{
	for (size_t off = 0; off < bytes; off += 4096)
		(void)*((const volatile uint8_t *)mem + off);
}

/* One run of n messages on fresh shared memory. */
static struct run_res run_once(const struct bench_peer *p, enum bench_case c,
			       uint64_t n)
{
	size_t ring_bytes = p->shm_bytes(c);
	void *ring = shm_alloc(ring_bytes);
	struct run_ctl *ctl = shm_alloc(sizeof(*ctl));
	struct run_res res;
	uint64_t t0, pre0;
	int status;
	pid_t pid;

	p->init(ring, c);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		pin_to_cpu(CONSUMER_CPU);
		touch(ring, ring_bytes);
		if (p->attach)
			p->attach(ring, c);
		__atomic_store_n(&ctl->ready, 1, __ATOMIC_RELEASE);
		while (!__atomic_load_n(&ctl->go, __ATOMIC_ACQUIRE))
			cpu_relax();
		bench_spins = 0;
		pre0 = preemptions();
		ctl->bad = p->consume(ring, c, n);
		ctl->spins = bench_spins;
		ctl->preempt = preemptions() - pre0;
		__atomic_store_n(&ctl->t_end, now_ns(), __ATOMIC_RELEASE);
		_exit(0);
	}
	if (p->attach)
		p->attach(ring, c);
	while (!__atomic_load_n(&ctl->ready, __ATOMIC_ACQUIRE))
		cpu_relax();
	bench_spins = 0;
	pre0 = preemptions();
	t0 = now_ns();
	__atomic_store_n(&ctl->go, 1, __ATOMIC_RELEASE);
	p->produce(ring, c, n);
	res.pspins = bench_spins;
	res.preempt = preemptions() - pre0;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			die("waitpid");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "tput: %s consumer failed (status %#x)\n",
			p->name, status);
		exit(2);
	}
	res.ns = ctl->t_end - t0;
	res.bad = ctl->bad;
	res.cspins = ctl->spins;
	res.preempt += ctl->preempt;
	shm_free(ctl, sizeof(*ctl));
	shm_free(ring, ring_bytes);
	return res;
}

int main(int argc, char **argv)
{
	unsigned reps = 5, tries = 10;
	uint64_t n8 = 2000000, n64 = 500000;
	int only_case = -1, opt;

	for (size_t i = 0; i < N_DEFAULT; i++)
		peers[N_PEERS++] = default_peers[i];
	while ((opt = getopt(argc, argv, "r:n:m:c:t:p:")) != -1) {
		switch (opt) {
		case 'r': reps = (unsigned)atoi(optarg); break;
		case 'n': n8 = strtoull(optarg, NULL, 0); break;
		case 'm': n64 = strtoull(optarg, NULL, 0); break;
		case 'c': only_case = atoi(optarg); break;
		case 't': tries = (unsigned)atoi(optarg); break;
		case 'p': select_peers(optarg); break;
		default:
			fprintf(stderr, "usage: %s [-r reps] [-n msgs-8B] [-m msgs-64B]"
				" [-c case] [-t tries] [-p peer,peer...]\n", argv[0]);
			return 2;
		}
	}
	if (tries < 1)
		tries = 1;
	pin_to_cpu(PRODUCER_CPU);
	setvbuf(stdout, NULL, _IOLBF, 0);

	for (int c = 0; c < N_CASES; c++) {
		uint64_t n = c == CASE_8_SINGLE || c == CASE_8_BURST ? n8 : n64;

		if (only_case >= 0 && c != only_case)
			continue;
		/* Untimed warm-up run: clocks up, code and page tables warm. */
		for (size_t i = 0; i < N_PEERS; i++)
			run_once(peers[i], (enum bench_case)c, n / 8);
		for (unsigned r = 0; r < reps; r++) {
			for (size_t i = 0; i < N_PEERS; i++) {
				struct run_res res;
				unsigned t = 0;

				/* A run during which another task took either
				 * CPU measured the machine, not the ring: run
				 * it again, up to `tries` times, and say so. */
				do
					res = run_once(peers[i], (enum bench_case)c, n);
				while (res.preempt != 0 && res.bad == 0 && ++t < tries);
				printf("tput case=%s peer=%s rep=%u n=%llu ns=%llu mmsgs=%.2f "
				       "bad=%llu pspin=%.3f cspin=%.3f preempt=%llu retries=%u\n",
				       bench_case_name((enum bench_case)c), peers[i]->name, r,
				       (unsigned long long)n, (unsigned long long)res.ns,
				       (double)n * 1e3 / (double)res.ns,
				       (unsigned long long)res.bad,
				       (double)res.pspins / (double)n,
				       (double)res.cspins / (double)n,
				       (unsigned long long)res.preempt, t < tries ? t : tries - 1);
			}
		}
	}
	return 0;
}
