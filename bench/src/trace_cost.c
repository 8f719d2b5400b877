/*
 * trace_cost.c - the cost of one trace event on hosted: Vanity's emitter
 * path beside an LTTng-UST tracepoint with the same payload.
 *
 * Vanity: what a generated `vn_trace_rx_batch(count, port, mac)` does
 * (templates/_trace.j2): pack the fields into a local buffer with memcpy, then
 * vn_trace_put() into the shard's ring (vanity/trace.h), which sits at a fixed
 * address with a constant mask, exactly as in a shard (here 0x700000000,
 * 1024 records). LTTng-UST: tracepoint vanity_bench:rx_batch (trace_tp.h,
 * u32 count, u8 port, u8 mac[6]); with no session active this is LTTng's
 * "disabled" path (one load and a predicted branch); with a session that
 * enabled the event (run.py: lttng create / enable-event / start) it is the
 * real recording path into LTTng's per-CPU buffers.
 *
 *   trace_cost time [-n events] [-r rounds] [-t tries] [-p peers]
 *       peers: comma-separated, of vanity, lttng, empty (the loop alone),
 *       clock (vn_clock() alone); default all four. Rounds run
 *       the peers interleaved on CPU 0; a run during which the process was
 *       preempted is run again, up to -t times. One line per run:
 *         trace peer=vanity rep=0 n=... ns=... ns_per_ev=... preempt=0 retries=0
 *   trace_cost icount PEER [n]
 *       n events of PEER once, for valgrind --tool=callgrind
 *       --toggle-collect=PEER_events (instructions per event = total / n).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include <vanity/trace.h>

#include "common.h"
#include "trace_tp.h"

/* ---- Vanity: the generated emitter, as templates/_trace.j2 writes it --- */

#define TRACE_ADDR 0x700000000ul
#define TRACE_RECS 1024u
#define VN_TRACE_RING ((struct vn_trace_ring *)TRACE_ADDR)
#define VN_TRACE_MASK (TRACE_RECS - 1u)
#define EV_RX_BATCH (VN_EV_USER + 0u)

static inline void vn_trace_rx_batch(uint32_t count, uint8_t port, const uint8_t *mac)
{
	uint8_t vn_f[11];

	memcpy(vn_f + 0, &count, 4); /* u32 */
	memcpy(vn_f + 4, &port, 1);  /* enum */
	memcpy(vn_f + 5, mac, 6);    /* bytes[6] */
	vn_trace_put(VN_TRACE_RING, VN_TRACE_MASK, EV_RX_BATCH, vn_f, 11);
}

static void vanity_ring_init(void)
{
	struct vn_trace_ring *r;

	if (mmap((void *)TRACE_ADDR, VN_TRACE_RING_BYTES(TRACE_RECS),
		 PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
		 -1, 0) == MAP_FAILED)
		die("mmap");
	r = VN_TRACE_RING;
	r->magic = VN_TRACE_MAGIC;
	r->n_recs = TRACE_RECS;
	r->rec_size = sizeof(struct vn_trace_rec);
	atomic_store_explicit(&r->head, 0, memory_order_relaxed);
}

static uint8_t mac[6] = {0x02, 0x00, 0x5e, 0x10, 0x20, 0x30};

/* The event loops. Not static and never inlined: callgrind toggles on the
 * names. The payload varies per event so nothing is hoisted. */
__attribute__((noinline)) void vanity_events(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		vn_trace_rx_batch((uint32_t)i, (uint8_t)(i & 1), mac);
}

__attribute__((noinline)) void lttng_events(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		lttng_ust_tracepoint(vanity_bench, rx_batch, (uint32_t)i,
				     (uint8_t)(i & 1), mac);
}

/* The same loop with no event: the loop's own cost, for reference. */
__attribute__((noinline)) void empty_events(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		__asm__ volatile("" ::"r"(i), "r"(mac) : "memory");
}

/* The clock read alone (vn_clock(): rdtsc on x86-64), into a sink: the part
 * of a Vanity event the port's clock costs. */
__attribute__((noinline)) void clock_events(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		uint64_t t = vn_clock();

		__asm__ volatile("" ::"r"(t) : "memory");
	}
}

struct peer {
	const char *name;
	void (*events)(uint64_t n);
};

static const struct peer peers[] = {
	{"vanity", vanity_events},
	{"lttng", lttng_events},
	{"empty", empty_events},
	{"clock", clock_events},
};
#define N_PEERS (sizeof(peers) / sizeof(peers[0]))

static uint64_t preemptions(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) != 0)
		die("getrusage");
	return (uint64_t)ru.ru_nivcsw;
}

static const struct peer *find(const char *name)
{
	for (size_t i = 0; i < N_PEERS; i++)
		if (strcmp(peers[i].name, name) == 0)
			return &peers[i];
	fprintf(stderr, "trace_cost: unknown peer '%s'\n", name);
	exit(2);
}

int main(int argc, char **argv)
{
	uint64_t n = 1000000;
	int rounds = 7, tries = 5;
	const char *want = "vanity,lttng,empty,clock";
	const struct peer *sel[N_PEERS];
	size_t n_sel = 0;
	char *list, *tok;

	if (argc < 2)
		goto usage;
	vanity_ring_init();
	if (strcmp(argv[1], "icount") == 0) {
		if (argc < 3)
			goto usage;
		n = argc > 3 ? strtoull(argv[3], NULL, 0) : 100000;
		find(argv[2])->events(n);
		printf("icount peer=%s n=%llu head=%llu\n", argv[2],
		       (unsigned long long)n,
		       (unsigned long long)atomic_load(&VN_TRACE_RING->head));
		return 0;
	}
	if (strcmp(argv[1], "time") != 0)
		goto usage;
	for (int i = 2; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "-n") == 0)
			n = strtoull(argv[i + 1], NULL, 0);
		else if (strcmp(argv[i], "-r") == 0)
			rounds = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "-t") == 0)
			tries = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "-p") == 0)
			want = argv[i + 1];
		else
			goto usage;
	}
	list = strdup(want);
	for (tok = strtok(list, ","); tok && n_sel < N_PEERS; tok = strtok(NULL, ","))
		sel[n_sel++] = find(tok);
	pin_to_cpu(0);
	/* Warm up: page faults, the caches, LTTng's registration. */
	for (size_t p = 0; p < n_sel; p++)
		sel[p]->events(n / 10 + 1);
	for (int rep = 0; rep < rounds; rep++) {
		for (size_t p = 0; p < n_sel; p++) {
			uint64_t ns = 0, pre = 0;
			int retries = 0;

			for (int t = 0; t < tries; t++) {
				uint64_t pre0 = preemptions(), t0 = now_ns();

				sel[p]->events(n);
				ns = now_ns() - t0;
				pre = preemptions() - pre0;
				if (pre == 0)
					break;
				if (t + 1 < tries)
					retries++;
			}
			printf("trace peer=%s rep=%d n=%llu ns=%llu ns_per_ev=%.3f "
			       "preempt=%llu retries=%d\n", sel[p]->name, rep,
			       (unsigned long long)n, (unsigned long long)ns,
			       (double)ns / (double)n, (unsigned long long)pre,
			       retries);
		}
	}
	return 0;
usage:
	fprintf(stderr, "usage: %s time [-n N] [-r rounds] [-t tries] [-p peers]\n"
		"       %s icount PEER [N]\n", argv[0], argv[0]);
	return 2;
}
