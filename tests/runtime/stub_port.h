#ifndef STUB_PORT_H
#define STUB_PORT_H

#include <stdint.h>
#include <string.h>

#include "kernel.h"
#include "port.h"

struct stub_port {
	uint64_t now;
	unsigned kicks, logs, starts, stops, events, unmasks, crash_opens;
	uint32_t last_kick, last_log_shard, last_log_len, last_start, last_stop, last_unmask;
	int start_fails, unmask_fails;
	/* Crash dumps: taken into dump[] when take_dumps is set; the regions
	 * the core asked port_shard_copy for, in order. */
	int take_dumps;
	uint8_t dump[65536];
	uint64_t dump_len;
	int dump_closed_err;
	unsigned copies;
	uint64_t copy_lo[4], copy_hi[4];
};

extern struct stub_port stub;
void stub_reset(void);

#endif
