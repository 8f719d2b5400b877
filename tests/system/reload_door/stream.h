/* The reload system's message: a sequence number and a value. */
#include <stdint.h>

#define STREAM_COUNT 8000u /* messages; one every millisecond */

struct item {
	uint64_t seq;
	uint64_t value; /* seq, plus what the worker's version adds */
};
