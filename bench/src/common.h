/*
 * common.h - shared plumbing for the Vanity benchmarks: CPU pinning, shared
 * memory, clocks, the spin hint and the benchmark message types.
 *
 * Included from C and from C++ (the boost peer), so it uses only the GCC
 * __atomic builtins and plain structs. Needs _GNU_SOURCE (set by the
 * Makefile) for sched_setaffinity.
 */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <x86intrin.h>

/* Depth of every ring under test and the burst size. */
#ifndef BENCH_DEPTH
#define BENCH_DEPTH 1024u
#endif
#define BENCH_BURST 32u

/* Cache-line separation used for anything two CPUs write (two 64-byte lines,
 * same as VN_CACHELINE, so adjacent-line prefetch cannot pair them). */
#define BENCH_LINE 128u

/*
 * Messages. Every message carries its sequence number in word 0 and
 * seq + (words - 1) in the last word; the consumer checks both, so the whole
 * payload must really travel and nothing can be optimised away.
 */
struct msg8 {
	uint64_t w[1];
};
struct msg64 {
	uint64_t w[8];
};

#define MSG_WORDS(m) (sizeof((m).w) / sizeof((m).w[0]))

/*
 * MSG_FILL writes word i = seq + i, every word, in 16-byte stores (pairs of
 * words built in a vector register), and a last 8-byte store for an odd
 * word (the 8-byte message). Every peer's send then copies the message with
 * loads as wide as those stores, so each load is forwarded from its store.
 *
 * The fill used to store one 8-byte word at a time. A 64-byte copy's 16-byte
 * loads cannot be forwarded from two 8-byte stores: each message waited for
 * its own fill to reach the cache, behind every older store, and the loop
 * spent 26 more instructions per message (see RESULTS.md). BENCH_FILL=0
 * (make -C bench BENCH_EXTRA=-DBENCH_FILL=0) brings that fill back for
 * comparison.
 */
#ifndef BENCH_FILL
#define BENCH_FILL 1
#endif
typedef uint64_t bench_v2 __attribute__((vector_size(16)));
#if BENCH_FILL
#define MSG_FILL(m, seq)                                                   \
	do {                                                               \
		const bench_v2 s_ = {(uint64_t)(seq), (uint64_t)(seq)};    \
		for (size_t i_ = 0; 2 * i_ + 1 < MSG_WORDS(m); i_++) {     \
			bench_v2 v_ = s_ + (bench_v2){2 * i_, 2 * i_ + 1}; \
			__builtin_memcpy(&(m).w[2 * i_], &v_, sizeof(v_)); \
		}                                                          \
		if (MSG_WORDS(m) & 1)                                      \
			(m).w[MSG_WORDS(m) - 1] =                          \
				(uint64_t)(seq) + MSG_WORDS(m) - 1;        \
	} while (0)
#else
#define MSG_FILL(m, seq)                                                   \
	do {                                                               \
		for (size_t i_ = 0; i_ < MSG_WORDS(m); i_++)               \
			(m).w[i_] = (uint64_t)(seq) + i_;                  \
	} while (0)
#endif
#define MSG_OK(m, seq)                                                     \
	((m).w[0] == (uint64_t)(seq) &&                                    \
	 (m).w[MSG_WORDS(m) - 1] == (uint64_t)(seq) + MSG_WORDS(m) - 1)

/* Failed sends (producer) or receives (consumer) of this process's last
 * produce/consume call, i.e. retries through cpu_relax(); defined in the
 * driver (tput.c, icount.c). */
#ifdef __cplusplus
extern "C" uint64_t bench_spins;
#else
extern uint64_t bench_spins;
#endif

/* The hint every spin loop uses while it waits (all peers alike).
 * BENCH_RELAX=1 makes it a compiler barrier only, for comparison. */
#ifndef BENCH_RELAX
#define BENCH_RELAX 0
#endif
static inline void cpu_relax(void)
{
#if BENCH_RELAX == 1
	__asm__ __volatile__("" ::: "memory");
#else
	_mm_pause();
#endif
}

static inline void die(const char *what)
{
	perror(what);
	exit(2);
}

static inline void pin_to_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) != 0)
		die("sched_setaffinity");
}

/* Zeroed, page-aligned memory that survives fork() as shared memory: how a
 * Vanity hosted channel is shared between two shard processes. */
static inline void *shm_alloc(size_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

	if (p == MAP_FAILED)
		die("mmap");
	return p;
}

static inline void shm_free(void *p, size_t bytes)
{
	munmap(p, bytes);
}

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Time stamp counter (invariant, same rate on both CPUs: the machine has
 * constant_tsc and nonstop_tsc). lfence keeps it from floating earlier. */
static inline uint64_t tsc_now(void)
{
	_mm_lfence();
	return __rdtsc();
}

/* TSC ticks per nanosecond, measured against CLOCK_MONOTONIC over ~50 ms. */
static inline double tsc_per_ns(void)
{
	uint64_t t0 = now_ns(), c0 = tsc_now(), t1, c1;

	do
		t1 = now_ns();
	while (t1 - t0 < 50000000u);
	c1 = tsc_now();
	return (double)(c1 - c0) / (double)(t1 - t0);
}

/* Sort and summarise latency samples (in ns) into min / p50 / p99. */
struct lat_summary {
	double min, p50, p99;
};

static inline int bench_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static inline struct lat_summary lat_summarise(uint64_t *v, size_t n,
					       double ticks_per_ns)
{
	struct lat_summary s;

	qsort(v, n, sizeof(*v), bench_cmp_u64);
	s.min = (double)v[0] / ticks_per_ns;
	s.p50 = (double)v[n / 2] / ticks_per_ns;
	s.p99 = (double)v[(n * 99) / 100] / ticks_per_ns;
	return s;
}

#endif /* BENCH_COMMON_H */
