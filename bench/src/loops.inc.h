/*
 * loops.inc.h - the measured loops, written once and instantiated for every
 * peer and message size so that all peers run exactly the same code around
 * their ring operations.
 *
 * Include it after defining:
 *   LOOP_NAME(x)           name of instance function x (e.g. vanity8_##x)
 *   LOOP_MSG               message type (struct msg8 / struct msg64)
 *   LOOP_TX, LOOP_RX       producer / consumer handle types
 *   LOOP_SEND1(tx, m)      send *m; true on success, false when full
 *   LOOP_RECV1(rx, m)      receive into *m; true on success, false when empty
 *   LOOP_SENDN(tx, m, n)   send up to n from array m; returns the count sent
 *   LOOP_RECVN(rx, m, n)   receive up to n into array m; returns the count
 * LOOP_NAME and LOOP_MSG are undefined at the end; the operation macros stay
 * (they use sizeof(LOOP_MSG), so one set serves both sizes).
 *
 * Valid C and C++.
 */

/* Send messages 0..n-1 one at a time. */
static inline __attribute__((always_inline)) void
LOOP_NAME(produce_single)(LOOP_TX *tx, uint64_t n)
{
	LOOP_MSG m;
	uint64_t spins = 0;

	for (uint64_t seq = 0; seq < n; seq++) {
		MSG_FILL(m, seq);
		while (!LOOP_SEND1(tx, &m)) {
			spins++;
			cpu_relax();
		}
	}
	bench_spins += spins;
}

static inline __attribute__((always_inline)) uint64_t
LOOP_NAME(consume_single)(LOOP_RX *rx, uint64_t n)
{
	LOOP_MSG m;
	uint64_t bad = 0, spins = 0;

	for (uint64_t seq = 0; seq < n; seq++) {
		while (!LOOP_RECV1(rx, &m)) {
			spins++;
			cpu_relax();
		}
		bad += !MSG_OK(m, seq);
	}
	bench_spins += spins;
	return bad;
}

/* Send messages 0..n-1 in bursts of BENCH_BURST; a partly accepted burst is
 * finished before the next one is built. */
static inline __attribute__((always_inline)) void
LOOP_NAME(produce_burst)(LOOP_TX *tx, uint64_t n)
{
	LOOP_MSG m[BENCH_BURST];
	uint64_t spins = 0;

	for (uint64_t seq = 0; seq < n;) {
		uint32_t k = n - seq < BENCH_BURST ? (uint32_t)(n - seq)
						   : BENCH_BURST;
		uint32_t done = 0;

		for (uint32_t i = 0; i < k; i++)
			MSG_FILL(m[i], seq + i);
		while (done < k) {
			uint32_t sent = LOOP_SENDN(tx, m + done, k - done);

			if (sent == 0) {
				spins++;
				cpu_relax();
			}
			done += sent;
		}
		seq += k;
	}
	bench_spins += spins;
}

static inline __attribute__((always_inline)) uint64_t
LOOP_NAME(consume_burst)(LOOP_RX *rx, uint64_t n)
{
	LOOP_MSG m[BENCH_BURST];
	uint64_t bad = 0, spins = 0;

	for (uint64_t seq = 0; seq < n;) {
		uint32_t want = n - seq < BENCH_BURST ? (uint32_t)(n - seq)
						      : BENCH_BURST;
		uint32_t got = LOOP_RECVN(rx, m, want);

		if (got == 0) {
			spins++;
			cpu_relax();
			continue;
		}
		for (uint32_t i = 0; i < got; i++)
			bad += !MSG_OK(m[i], seq + i);
		seq += got;
	}
	bench_spins += spins;
	return bad;
}

/* Single thread: send one message, receive it back, n times. */
static inline __attribute__((always_inline)) uint64_t
LOOP_NAME(pairs)(LOOP_TX *tx, LOOP_RX *rx, uint64_t n)
{
	LOOP_MSG m, r = {{0}};
	uint64_t bad = 0;

	for (uint64_t seq = 0; seq < n; seq++) {
		MSG_FILL(m, seq);
		bad += !LOOP_SEND1(tx, &m);
		bad += !LOOP_RECV1(rx, &r);
		bad += !MSG_OK(r, seq);
	}
	return bad;
}

/* Single thread, steady state: send BENCH_BURST messages one at a time, then
 * receive them one at a time; n messages in all (n a multiple of the burst). */
static inline __attribute__((always_inline)) uint64_t
LOOP_NAME(stream)(LOOP_TX *tx, LOOP_RX *rx, uint64_t n)
{
	LOOP_MSG m, r = {{0}};
	uint64_t bad = 0;

	for (uint64_t seq = 0; seq < n; seq += BENCH_BURST) {
		for (uint32_t i = 0; i < BENCH_BURST; i++) {
			MSG_FILL(m, seq + i);
			bad += !LOOP_SEND1(tx, &m);
		}
		for (uint32_t i = 0; i < BENCH_BURST; i++) {
			bad += !LOOP_RECV1(rx, &r);
			bad += !MSG_OK(r, seq + i);
		}
	}
	return bad;
}

#undef LOOP_NAME
#undef LOOP_MSG
