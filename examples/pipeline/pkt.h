/* A packet as it travels the pipeline: exactly one 64-byte channel slot. */
#ifndef PIPELINE_PKT_H
#define PIPELINE_PKT_H

#include <stdint.h>

#define PKT_COUNT 1000000u /* packets the source generates */
#define PKT_BURST 32u      /* every stage moves packets in bursts of 32 */

enum pkt_kind {
	PKT_DATA = 0,
	PKT_BAD = 1, /* malformed: the filter drops it */
	PKT_END = 2, /* no more packets */
};

struct pkt {
	uint32_t seq;
	uint16_t kind;
	uint16_t len;          /* payload bytes in use */
	uint32_t csum;         /* set by the filter */
	uint32_t pad;
	uint8_t payload[48];
};

_Static_assert(sizeof(struct pkt) == 64, "one 64-byte slot");

/* The filter's report to the source when the stream ends. */
struct pkt_stats {
	uint64_t passed;
	uint64_t dropped;
};

static inline uint32_t pkt_checksum(const struct pkt *p)
{
	uint32_t sum = p->seq;

	for (unsigned i = 0; i < p->len; i++)
		sum = sum * 31u + p->payload[i];
	return sum;
}

#endif
