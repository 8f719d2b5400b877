/* The ledger of a fuzzer that restarts on its faults (excfuzz.c,
 * mmiofuzz.c): counts its tries, tells it where to go on after each
 * restart, and logs the outcome classes. Messages: {0, 0} hello, {1, i}
 * trying i, {2, n} done, {3, i} try i had an outcome it should not have. */
#include <vanity_shard.h>

void vn_main(void)
{
	uint64_t m[2], next = 0, done = 0, faulted = 0, garbled = 0, restarts = 0, wrong = 0;
	int pending = 0; /* a "trying next-1" not yet followed by another */

	for (;;) {
		while (!vn_recv(&vn_rx_exc_ledger, m))
			vn_wait(VN_FOREVER);
		if (m[0] == 0) { /* hello: the last try pending faulted */
			if (pending)
				faulted++;
			restarts += next != 0;
			pending = 0;
			while (!vn_send(&vn_tx_ledger_exc, &next))
				vn_wait(VN_FOREVER);
		} else if (m[0] == 1 && m[1] == next) {
			done += pending;
			pending = 1;
			next = m[1] + 1;
		} else if (m[0] == 3) {
			wrong++;
		} else if (m[0] == 2) {
			done += pending;
			break;
		} else {
			garbled++;
		}
	}
	vn_log("tried %llu: completed %llu, faulted %llu, restarts %llu, garbled %llu, "
	       "unexpected %llu",
	       (unsigned long long)next, (unsigned long long)done, (unsigned long long)faulted,
	       (unsigned long long)restarts, (unsigned long long)garbled,
	       (unsigned long long)wrong);
}
