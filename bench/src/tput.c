/*
 * tput.c - channel throughput: one producer process pinned to CPU 0, one
 * consumer process pinned to CPU 1, sharing the ring through
 * mmap(MAP_SHARED | MAP_ANONYMOUS) + fork(), the way two Vanity hosted shards
 * share a channel.
 *
 * For each case the peers run interleaved (A B C D A B C D ...) so slow drift
 * on the machine spreads over all of them. Each run gets fresh shared memory.
 * Output: one machine-readable line per run, for run.py:
 *   tput case=8B-single peer=vanity rep=0 n=4000000 ns=... mmsgs=... bad=0
 *
 * usage: tput [-r reps] [-n msgs-per-8B-run] [-m msgs-per-64B-run] [-c case]
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"
#include "peer.h"

#define PRODUCER_CPU 0
#define CONSUMER_CPU 1

static const struct bench_peer *const peers[] = {
	&peer_vanity, &peer_rte, &peer_ck, &peer_boost};
#define N_PEERS (sizeof(peers) / sizeof(peers[0]))

/* Start/stop handshake, in its own shared page. */
struct run_ctl {
	_Alignas(BENCH_LINE) uint32_t ready; /* consumer is pinned and waiting */
	_Alignas(BENCH_LINE) uint32_t go;    /* producer is about to start */
	_Alignas(BENCH_LINE) uint64_t t_end; /* consumer: last message received */
	uint64_t bad;                        /* consumer: messages that failed the check */
};

/* One run: returns elapsed ns from start to the last message received. */
static uint64_t run_once(const struct bench_peer *p, enum bench_case c,
			 uint64_t n, uint64_t *bad)
{
	size_t ring_bytes = p->shm_bytes(c);
	void *ring = shm_alloc(ring_bytes);
	struct run_ctl *ctl = shm_alloc(sizeof(*ctl));
	uint64_t t0;
	int status;
	pid_t pid;

	p->init(ring, c);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		pin_to_cpu(CONSUMER_CPU);
		__atomic_store_n(&ctl->ready, 1, __ATOMIC_RELEASE);
		while (!__atomic_load_n(&ctl->go, __ATOMIC_ACQUIRE))
			cpu_relax();
		ctl->bad = p->consume(ring, c, n);
		__atomic_store_n(&ctl->t_end, now_ns(), __ATOMIC_RELEASE);
		_exit(0);
	}
	while (!__atomic_load_n(&ctl->ready, __ATOMIC_ACQUIRE))
		cpu_relax();
	t0 = now_ns();
	__atomic_store_n(&ctl->go, 1, __ATOMIC_RELEASE);
	p->produce(ring, c, n);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			die("waitpid");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "tput: %s consumer failed (status %#x)\n",
			p->name, status);
		exit(2);
	}
	*bad = ctl->bad;
	t0 = ctl->t_end - t0;
	shm_free(ctl, sizeof(*ctl));
	shm_free(ring, ring_bytes);
	return t0;
}

int main(int argc, char **argv)
{
	unsigned reps = 5;
	uint64_t n8 = 40000000, n64 = 8000000;
	int only_case = -1, opt;

	while ((opt = getopt(argc, argv, "r:n:m:c:")) != -1) {
		switch (opt) {
		case 'r': reps = (unsigned)atoi(optarg); break;
		case 'n': n8 = strtoull(optarg, NULL, 0); break;
		case 'm': n64 = strtoull(optarg, NULL, 0); break;
		case 'c': only_case = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: %s [-r reps] [-n msgs-8B] [-m msgs-64B] [-c case]\n",
				argv[0]);
			return 2;
		}
	}
	pin_to_cpu(PRODUCER_CPU);
	setvbuf(stdout, NULL, _IOLBF, 0);

	for (int c = 0; c < N_CASES; c++) {
		uint64_t bad, n = c == CASE_8_SINGLE || c == CASE_8_BURST ? n8 : n64;

		if (only_case >= 0 && c != only_case)
			continue;
		/* Untimed warm-up run: clocks up, code and page tables warm. */
		for (size_t i = 0; i < N_PEERS; i++)
			run_once(peers[i], (enum bench_case)c, n / 8, &bad);
		for (unsigned r = 0; r < reps; r++) {
			for (size_t i = 0; i < N_PEERS; i++) {
				uint64_t ns = run_once(peers[i], (enum bench_case)c, n, &bad);

				printf("tput case=%s peer=%s rep=%u n=%llu ns=%llu mmsgs=%.2f bad=%llu\n",
				       bench_case_name((enum bench_case)c), peers[i]->name, r,
				       (unsigned long long)n, (unsigned long long)ns,
				       (double)n * 1e3 / (double)ns, (unsigned long long)bad);
			}
		}
	}
	return 0;
}
