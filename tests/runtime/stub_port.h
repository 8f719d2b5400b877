#ifndef STUB_PORT_H
#define STUB_PORT_H

#include <stdint.h>
#include <string.h>

#include "kernel.h"
#include "port.h"

struct stub_port {
	uint64_t now;
	unsigned kicks, logs, starts, stops, events, unmasks, crash_opens, core_live;
	uint32_t last_core_live; /* port_core_live: how often, the last core */
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
	/* Reload: an image is 16 bytes, a machine word then the interface hash
	 * it carries; staged/committed/dropped/back count the hook calls, and
	 * `running` is the machine word of the image the shard runs (0: the
	 * one it was built with). */
	unsigned staged, committed, dropped, backs;
	uint64_t stage_word, running, previous;
	uint64_t unstartable; /* non-zero: the image word no start succeeds with */
	int stage_fails;
	/* port_reload_copy: the kernel's copy of a request's image, how many
	 * were made, how many are still open (port_reload_copy_end); over_prev
	 * says a copy would go over the previous image (port_reload_over_prev). */
	uint8_t reload_copy[64];
	unsigned reload_copies, copy_open;
	int copy_fails, over_prev;
	uint32_t reload_outcome, reload_said; /* the last port_reload_done */
	uint8_t view[4096];
	unsigned views_open; /* port_shard_view gave one, not yet ended */
	/* The kernel lock: `unlocked` while the core has dropped it; unlocks
	 * counts the times; meanwhile (if set) plays another core. */
	int unlocked;
	unsigned unlocks;
	void (*meanwhile)(void);
	void (*relocking)(void); /* another core, as the lock is taken back */
};

extern struct stub_port stub;
void stub_reset(void);

#endif
