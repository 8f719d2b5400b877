/* What travels: the producer's sequence number (0 ends the run), and the
 * version of the worker that passed it on. */
#include <stdint.h>

struct msg {
	uint64_t seq;
	uint32_t version;
	uint32_t pad;
};
