/* Timed waits, then one for ever (spinwait.yaml); RX is the channel the
 * sender's message comes on. Each line says how the wait ended and how
 * long it took, in us: the test checks those against the timeout. */
#include <vanity_shard.h>

#define US 1000ull

static void timed(const char *what, uint64_t ns)
{
	uint64_t t = vn_now();
	vn_bits_t r = vn_wait(ns);

	vn_log("wait %s: %s, %llu us", what, r ? "woken" : "timed out",
	       (unsigned long long)((vn_now() - t) / US));
}

void vn_main(void)
{
	uint64_t m = 0;

	timed("0", 0);
	timed("500 us", 500 * US);
	timed("1900 us", 1900 * US);
	timed("5 ms", 5000 * US);
	while (!vn_recv(&RX, &m))
		vn_wait(VN_FOREVER);
	vn_log("wait for ever: %s", m == 7 ? "received" : "wrong message");
}
