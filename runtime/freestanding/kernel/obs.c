/*
 * obs.c - what a bare-metal system records, and how it leaves QEMU.
 *
 * The kernel's counters and its per-core trace rings are vn_obs, a symbol
 * host tools find in the kernel's ELF and read, while the system runs,
 * from guest memory (QEMU's QMP `pmemsave`: addresses are physical, and
 * the kernel is identity-mapped). Each tracing shard's ring is in its
 * control region, which the kernel maps as the shard does.
 *
 * At the end of the system, if QEMU was started with the semihosting
 * command line `vanity-trace=FILE` (what `vanity run --trace` passes), the
 * kernel writes its dump stream (vanity/trace.h) to FILE on the host
 * through semihosting, before QEMU exits. The prefix guards against
 * QEMU's default command line, the kernel's own file name. The command
 * line is words separated by spaces (`vanity-dumps=DIR` is crashdump.c's).
 * With `vanity-stats=1` (what `vanity run` passes under VANITY_STATS=1) it
 * first prints each shard's counters and each ring's indices, in the
 * hosted kernel's words.
 */
#include <string.h>

#include "bm.h"
#include "kconsole.h"

struct vn_obs vn_obs;

enum { SH_OPEN = 0x01, SH_CLOSE = 0x02, SH_WRITE = 0x05, SH_GET_CMDLINE = 0x15 };
#define SH_MODE_WB 5u
#define TRACE_ARG "vanity-trace="
#define STATS_ARG "vanity-stats="

const void *port_shard_trace(const struct vn_shard *s)
{
	return (const void *)(uintptr_t)(s->cfg->ctl + VN_TRACE_OFFSET);
}

void *port_channel_ring(uint32_t channel)
{
	return (void *)(uintptr_t)bm_kernel.sys->channels[channel].addr;
}

/* Boot: the clock's rate, and each tracing shard's empty ring (zeroed once
 * here, never on a restart: the records before a fault are kept). */
void bm_obs_init(void)
{
	const struct vn_ksystem *sys = bm_kernel.sys;

	vn_obs.clock_hz = arch_tick_hz();
	for (uint32_t i = 0; i < sys->n_shards; i++) {
		const struct vn_kshard *s = &sys->shards[i];
		uint8_t *r = (uint8_t *)(uintptr_t)(s->ctl + VN_TRACE_OFFSET);

		if (!s->trace_recs)
			continue;
		memset(r, 0, VN_TRACE_RING_BYTES(s->trace_recs));
		vn_trace_ring_init((struct vn_trace_ring *)r, s->trace_recs, i);
	}
}

int bm_sh_write(void *ctx, const void *p, uint64_t len)
{
	uint64_t block[3] = {*(uint64_t *)ctx, (uint64_t)(uintptr_t)p, len};

	return arch_semihost(SH_WRITE, (uint64_t)(uintptr_t)block) == 0 ? 0 : -1;
}

uint64_t bm_sh_create(const char *path, uint32_t n)
{
	uint64_t open[3] = {(uint64_t)(uintptr_t)path, SH_MODE_WB, n};
	uint64_t fd = arch_semihost(SH_OPEN, (uint64_t)(uintptr_t)open);

	return (int64_t)fd < 0 ? UINT64_MAX : fd;
}

void bm_sh_close(uint64_t fd)
{
	arch_semihost(SH_CLOSE, (uint64_t)(uintptr_t)&fd);
}

/* The value of `key` (e.g. "vanity-trace=") among the words of the
 * semihosting command line, and its length; NULL if it is not there. The
 * words are separated by spaces; the value points into a static buffer. */
const char *bm_cmdline_arg(const char *key, uint32_t *len)
{
	static char cmd[512];
	uint64_t get[2] = {(uint64_t)(uintptr_t)cmd, sizeof(cmd) - 1};
	uint32_t k = (uint32_t)strlen(key);

	memset(cmd, 0, sizeof(cmd));
	if (arch_semihost(SH_GET_CMDLINE, (uint64_t)(uintptr_t)get) != 0)
		return NULL;
	for (char *w = cmd; *w;) {
		uint32_t n = 0;

		while (w[n] && w[n] != ' ')
			n++;
		if (n > k && memcmp(w, key, k) == 0) {
			*len = n - k;
			return w + k;
		}
		w += n;
		while (*w == ' ')
			w++;
	}
	return NULL;
}

/* VANITY_STATS=1: each shard's counters, each ring's head and tail. */
static void stats(void)
{
	uint32_t n;
	const char *arg = bm_cmdline_arg(STATS_ARG, &n);
	uint64_t view;

	if (!arg || n != 1 || arg[0] != '1')
		return;
	view = arch_load_begin(); /* the rings are in the shards' memory */
	vn_stats_report(&bm_kernel, vn_kmsg);
	arch_load_end(view);
}

/* The end of the system, under the lock: the counters and the dump, each
 * if it was asked for. */
void bm_obs_end(void)
{
	static char path[512];
	uint32_t n;
	const char *arg;
	uint64_t fd, view;

	stats();
	arg = bm_cmdline_arg(TRACE_ARG, &n);
	if (!arg || n >= sizeof(path))
		return;
	memcpy(path, arg, n);
	path[n] = '\0';
	fd = bm_sh_create(path, n);
	if (fd == UINT64_MAX) {
		vn_kmsg("cannot write the trace dump %s", path);
		return;
	}
	view = arch_load_begin(); /* every shard's memory, as at a restart */
	if (vn_dump(&bm_kernel, bm_kernel.obs, bm_sh_write, &fd, VN_DUMP_NO_PEEK) != 0)
		vn_kmsg("cannot write the trace dump %s", path);
	arch_load_end(view);
	bm_sh_close(fd);
}
