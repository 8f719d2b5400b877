/*
 * notify_stub.c - the port hook ring.h calls to wake a sleeping peer.
 *
 * Every benchmark endpoint is poll-mode (flags 0), so a commit never checks a
 * sleeping flag and this is never reached; if it were, the measurement would
 * be wrong, so it aborts loudly.
 */
#include <stdio.h>
#include <stdlib.h>

#include <vanity/ring.h>

void vn_notify(uint32_t channel)
{
	fprintf(stderr, "bench: unexpected vn_notify(%u)\n", channel);
	abort();
}
