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
};

extern struct stub_port stub;
void stub_reset(void);

#endif
