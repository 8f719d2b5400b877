/* The message ping and pong exchange: exactly one 64-byte channel slot. */
#ifndef PINGPONG_MSG_H
#define PINGPONG_MSG_H

#include <stdint.h>

#define PP_STOP UINT64_MAX

struct pp_msg {
	uint64_t seq;
	uint64_t t0;         /* ping's send time, ns */
	uint8_t payload[48]; /* a pattern of seq; pong inverts it */
};

_Static_assert(sizeof(struct pp_msg) == 64, "one 64-byte slot");

#endif
