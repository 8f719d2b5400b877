/* The restart system's message: a sequence number and its complement. */
#include <stdint.h>

#define STREAM_COUNT 2000u  /* messages in the stream */
#define STREAM_CRASH 700u   /* the consumer's first life dies holding this one */

struct item {
	uint64_t seq;
	uint64_t check;
};
