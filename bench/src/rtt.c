/*
 * rtt.c - poll-mode round trip between two processes on two CPUs.
 *
 *   raw      the floor: two counters on separate cache lines; ping writes
 *            its counter, echo sees it and writes its own, ping sees that.
 *            This is the cost of moving one line there and one line back.
 *   vanity8  one 8-byte message ping -> echo through one Vanity ring and
 *            back through a second ring, both sides spin-polling.
 *   vanity64 the same with 64-byte messages, in sequenced slots (VN_EP_SEQ,
 *            what a channel of 64-byte messages has unless its spec says
 *            `slots: packed`): each side polls the slot, not the head.
 *   ring64   the floor under vanity64: no library and no indices, each
 *            64-byte message in its own line with its flag in the next, the
 *            pair advancing through BENCH_DEPTH entries as a ring's slots
 *            do; echo copies the message out and forwards it. What any ring
 *            of 64-byte messages pays for lines that move on, where raw
 *            ping-pongs the same two lines.
 *
 * Timing: the TSC on the ping side. On this machine RDTSC advances in steps
 * of 10 ns and costs ~20 ns (with its lfence), both large next to a ~70 ns
 * round trip, so one sample is the mean of RTT_BATCH back-to-back round
 * trips (resolution 10/RTT_BATCH ns, overhead amortised). min/p50/p99 are
 * over those samples. The four modes run in interleaved rounds; samples of
 * all rounds are pooled per mode.
 * Output, per mode:  rtt mode=raw n=... min=... p50=... p99=... (ns)
 * and before that, per round and mode:  rtt-round mode=raw round=R p50=...
 *
 * usage: rtt [-n samples-per-round] [-r rounds]
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <vanity/ring.h>

#include "common.h"

#define PING_CPU 0
#define ECHO_CPU 1
#define WARMUP 2000u /* samples */
#define RTT_BATCH 8u /* round trips per sample */

enum mode { MODE_RAW, MODE_VANITY8, MODE_VANITY64, MODE_RING64, N_MODES };
static const char *const mode_names[N_MODES] = {"raw", "vanity8", "vanity64", "ring64"};

struct raw_lines {
	_Alignas(BENCH_LINE) uint64_t ping;
	_Alignas(BENCH_LINE) uint64_t pong;
};

/* ring64's entry: the message in one line, its flag in the next. */
struct ring64_entry {
	_Alignas(BENCH_LINE) struct msg64 msg;
	uint64_t flag; /* the message's number once it is in (release) */
};

/* Shared memory of one round: the raw lines, or two rings of 1024 slots,
 * or (after those) ring64's two arrays of entries. */
struct shared {
	_Alignas(BENCH_LINE) uint32_t ready;
	struct raw_lines raw;
};
#define RING_BYTES VN_RING_BYTES(64, BENCH_DEPTH, 1)
#define RING64_OFFSET ((4096 + 2 * RING_BYTES + 4095) & ~(size_t)4095)
#define SHM_BYTES (RING64_OFFSET + 2 * BENCH_DEPTH * sizeof(struct ring64_entry))

/* Each process's private endpoints. (A shard's generated endpoints are
 * static const with the ring address folded in; here the address is known
 * only at run time. Round trips are bound by cache-line transfers, not by
 * these few extra loads.) */
static struct vn_tx tx;
static struct vn_rx rx;
static struct vn_tx_state tx_st;
static struct vn_rx_state rx_st;

static void *ring_a(void *shm) { return (char *)shm + 4096; }
static void *ring_b(void *shm) { return (char *)shm + 4096 + RING_BYTES; }
static struct ring64_entry *ring64(void *shm, int which)
{
	return (struct ring64_entry *)((char *)shm + RING64_OFFSET) + which * BENCH_DEPTH;
}

/* ---- raw cache-line ping-pong ------------------------------------------ */

static void raw_echo(struct raw_lines *l, uint64_t n)
{
	for (uint64_t i = 1; i <= n; i++) {
		while (__atomic_load_n(&l->ping, __ATOMIC_ACQUIRE) != i)
			cpu_relax();
		__atomic_store_n(&l->pong, i, __ATOMIC_RELEASE);
	}
}

/* n samples of RTT_BATCH round trips each. */
static void raw_ping(struct raw_lines *l, uint64_t n, uint64_t *lat)
{
	uint64_t i = 0;

	for (uint64_t s = 0; s < n; s++) {
		uint64_t t = tsc_now();

		for (uint32_t b = 0; b < RTT_BATCH; b++) {
			i++;
			__atomic_store_n(&l->ping, i, __ATOMIC_RELEASE);
			while (__atomic_load_n(&l->pong, __ATOMIC_ACQUIRE) != i)
				cpu_relax();
		}
		lat[s] = tsc_now() - t;
	}
}

/* ---- the floor under vanity64: lines that move on, no library ----------- */

static void ring64_echo(struct ring64_entry *in, struct ring64_entry *out, uint64_t n)
{
	for (uint64_t i = 1; i <= n; i++) {
		struct ring64_entry *e = &in[(i - 1) % BENCH_DEPTH];
		struct ring64_entry *o = &out[(i - 1) % BENCH_DEPTH];
		struct msg64 m;

		while (__atomic_load_n(&e->flag, __ATOMIC_ACQUIRE) != i)
			cpu_relax();
		m = e->msg;
		o->msg = m;
		__atomic_store_n(&o->flag, i, __ATOMIC_RELEASE);
	}
}

static uint64_t ring64_ping(struct ring64_entry *out, struct ring64_entry *in, uint64_t n,
			    uint64_t *lat)
{
	uint64_t bad = 0, i = 0;

	for (uint64_t s = 0; s < n; s++) {
		uint64_t t = tsc_now();

		for (uint32_t b = 0; b < RTT_BATCH; b++) {
			struct ring64_entry *o = &out[i % BENCH_DEPTH], *e = &in[i % BENCH_DEPTH];
			struct msg64 m, r;

			i++;
			MSG_FILL(m, i);
			o->msg = m;
			__atomic_store_n(&o->flag, i, __ATOMIC_RELEASE);
			while (__atomic_load_n(&e->flag, __ATOMIC_ACQUIRE) != i)
				cpu_relax();
			r = e->msg;
			bad += !MSG_OK(r, i);
		}
		lat[s] = tsc_now() - t;
	}
	return bad;
}

/* ---- the same through two Vanity rings ---------------------------------- */

#define VANITY_RTT(MSG_T, SFX)                                                 \
	static void vanity_echo##SFX(uint64_t n)                               \
	{                                                                      \
		MSG_T m;                                                       \
		for (uint64_t i = 0; i < n; i++) {                             \
			while (!vn_rx_recv(&rx, &m, sizeof(m)))                \
				cpu_relax();                                   \
			while (!vn_tx_send(&tx, &m, sizeof(m)))                \
				cpu_relax();                                   \
		}                                                              \
	}                                                                      \
	static uint64_t vanity_ping##SFX(uint64_t n, uint64_t *lat)            \
	{                                                                      \
		MSG_T m, r;                                                    \
		uint64_t bad = 0, i = 0;                                       \
		for (uint64_t s = 0; s < n; s++) {                             \
			uint64_t t = tsc_now();                                \
			for (uint32_t b = 0; b < RTT_BATCH; b++, i++) {        \
				MSG_FILL(m, i);                                \
				while (!vn_tx_send(&tx, &m, sizeof(m)))        \
					cpu_relax();                           \
				while (!vn_rx_recv(&rx, &r, sizeof(r)))        \
					cpu_relax();                           \
				bad += !MSG_OK(r, i);                          \
			}                                                      \
			lat[s] = tsc_now() - t;                                \
		}                                                              \
		return bad;                                                    \
	}
VANITY_RTT(struct msg8, 8)
VANITY_RTT(struct msg64, 64)

static uint32_t msg_size(enum mode m)
{
	return m == MODE_VANITY8 ? 8u : 64u;
}

static uint32_t ep_flags(enum mode m)
{
	return m == MODE_VANITY8 ? 0u : VN_EP_SEQ;
}

/* One round of one mode: n timed samples after WARMUP untimed ones. */
static uint64_t round_trip(enum mode mode, uint64_t n, uint64_t *lat)
{
	struct shared *shm = shm_alloc(SHM_BYTES);
	uint64_t total = WARMUP + n, bad = 0, trips = total * RTT_BATCH;
	uint64_t *all = malloc(total * sizeof(*all));
	int status;
	pid_t pid;

	if (!all)
		die("malloc");
	if (mode == MODE_VANITY8 || mode == MODE_VANITY64) {
		vn_ring_init(ring_a(shm), msg_size(mode), BENCH_DEPTH, ep_flags(mode));
		vn_ring_init(ring_b(shm), msg_size(mode), BENCH_DEPTH, ep_flags(mode));
	}
	tx_st = (struct vn_tx_state){0}; /* fresh rings each round */
	rx_st = (struct vn_rx_state){0};
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		pin_to_cpu(ECHO_CPU);
		if (mode == MODE_VANITY8 || mode == MODE_VANITY64) {
			rx = (struct vn_rx)VN_RX_INIT(0, ring_a(shm), msg_size(mode), BENCH_DEPTH,
						      ep_flags(mode), &rx_st);
			tx = (struct vn_tx)VN_TX_INIT(1, ring_b(shm), msg_size(mode), BENCH_DEPTH,
						      ep_flags(mode), &tx_st);
		}
		__atomic_store_n(&shm->ready, 1, __ATOMIC_RELEASE);
		switch (mode) {
		case MODE_RAW: raw_echo(&shm->raw, trips); break;
		case MODE_VANITY8: vanity_echo8(trips); break;
		case MODE_VANITY64: vanity_echo64(trips); break;
		default: ring64_echo(ring64(shm, 0), ring64(shm, 1), trips); break;
		}
		_exit(0);
	}
	if (mode == MODE_VANITY8 || mode == MODE_VANITY64) {
		tx = (struct vn_tx)VN_TX_INIT(0, ring_a(shm), msg_size(mode), BENCH_DEPTH,
					      ep_flags(mode), &tx_st);
		rx = (struct vn_rx)VN_RX_INIT(1, ring_b(shm), msg_size(mode), BENCH_DEPTH,
					      ep_flags(mode), &rx_st);
	}
	while (!__atomic_load_n(&shm->ready, __ATOMIC_ACQUIRE))
		cpu_relax();
	switch (mode) {
	case MODE_RAW: raw_ping(&shm->raw, total, all); break;
	case MODE_VANITY8: bad = vanity_ping8(total, all); break;
	case MODE_VANITY64: bad = vanity_ping64(total, all); break;
	default: bad = ring64_ping(ring64(shm, 0), ring64(shm, 1), total, all); break;
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			die("waitpid");
	for (uint64_t i = 0; i < n; i++)
		lat[i] = all[WARMUP + i];
	free(all);
	shm_free(shm, SHM_BYTES);
	return bad;
}

int main(int argc, char **argv)
{
	uint64_t n = 20000, bad[N_MODES] = {0};
	unsigned rounds = 3;
	uint64_t *lat[N_MODES];
	double tpn;
	int opt;

	while ((opt = getopt(argc, argv, "n:r:")) != -1) {
		switch (opt) {
		case 'n': n = strtoull(optarg, NULL, 0); break;
		case 'r': rounds = (unsigned)atoi(optarg); break;
		default:
			fprintf(stderr, "usage: %s [-n round-trips] [-r rounds]\n", argv[0]);
			return 2;
		}
	}
	pin_to_cpu(PING_CPU);
	tpn = tsc_per_ns();
	for (int m = 0; m < N_MODES; m++)
		if (!(lat[m] = malloc(rounds * n * sizeof(uint64_t))))
			die("malloc");
	for (unsigned r = 0; r < rounds; r++)
		for (int m = 0; m < N_MODES; m++)
			bad[m] += round_trip((enum mode)m, n, lat[m] + r * n);
	/* Each round's median first (its own samples, sorted in place), so a
	 * reader sees the spread of the per-round ratios; then all pooled. */
	for (unsigned r = 0; r < rounds; r++)
		for (int m = 0; m < N_MODES; m++)
			printf("rtt-round mode=%s round=%u p50=%.1f\n", mode_names[m], r,
			       lat_summarise(lat[m] + r * n, n, tpn * RTT_BATCH).p50);
	for (int m = 0; m < N_MODES; m++) {
		struct lat_summary s = lat_summarise(lat[m], rounds * n, tpn * RTT_BATCH);

		printf("rtt mode=%s samples=%llu batch=%u min=%.1f p50=%.1f p99=%.1f bad=%llu\n",
		       mode_names[m], (unsigned long long)(rounds * n), RTT_BATCH, s.min,
		       s.p50, s.p99, (unsigned long long)bad[m]);
		free(lat[m]);
	}
	return bad[MODE_VANITY8] + bad[MODE_VANITY64] + bad[MODE_RING64] != 0;
}
