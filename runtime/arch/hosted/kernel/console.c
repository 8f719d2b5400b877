/*
 * console.c - the kernel's two output streams.
 *
 * Kernel messages go to stderr as "vanity: ...". Shard logs go to stdout as
 * "[name] text", one line per line of text, flushed at once so tests and
 * pipes see them in order. Log text comes from a shard's control page: it is
 * copied out first, and control characters are shown as '?' (vn_log_char).
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dev.h"
#include "hk.h"
#include "port.h"

static void vmsg(const char *fmt, va_list ap)
{
	char line[512];

	vsnprintf(line, sizeof(line), fmt, ap);
	fprintf(stderr, "vanity: %s\n", line);
	fflush(stderr);
}

void hk_msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
}

/* Informational messages, silenced by --quiet. */
void hk_info(const char *fmt, ...)
{
	va_list ap;

	if (hk_quiet)
		return;
	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
}

void port_shard_log(struct vn_shard *s, uint32_t len)
{
	char text[VN_LOG_MAX + 1];
	char *line, *save = NULL;

	memcpy(text, hk_of(s)->ctl->log, len);
	text[len] = '\0';
	for (uint32_t i = 0; i < len; i++)
		text[i] = vn_log_char(text[i]);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		printf("[%s] %s\n", s->cfg->name, line);
	if (len == 0 || text[0] == '\0')
		printf("[%s]\n", s->cfg->name);
	fflush(stdout);
}

/* vn_system_stuck(): say so once, naming the sleepers. The system goes on
 * (a signal still ends it), so a user sees why it hangs instead of a hang. */
void hk_report_stuck(void)
{
	static bool said;
	char names[256] = "";
	size_t n = 0;

	if (said)
		return;
	said = true;
	for (uint32_t i = 0; i < hk_kernel.sys->n_shards && n < sizeof(names); i++)
		if (vn_shard_live(&hk_kernel.shard[i]))
			n += (size_t)snprintf(names + n, sizeof(names) - n, "%s'%s'", n ? ", " : "",
					      hk_kernel.sys->shards[i].name);
	hk_msg(VN_STUCK_FMT, hk_kernel.sys->name, names,
	       vn_live_shards(&hk_kernel) == 1 ? "s" : "");
}

/* VANITY_STATS=1: the counters, each ring's indices as the kernel sees
 * them, and the device models' counters. */
void hk_stats(void)
{
	const struct vn_ksystem *sys = hk_kernel.sys;

	for (uint32_t i = 0; i < sys->n_shards; i++) {
		const struct vn_shard_stats *n = hk_kernel.shard[i].st;

		hk_msg("stats: shard '%s': syscalls %llu yields %llu waits %llu "
		       "notifies %llu restarts %llu", sys->shards[i].name,
		       (unsigned long long)n->syscalls, (unsigned long long)n->yields,
		       (unsigned long long)n->waits, (unsigned long long)n->notifies,
		       (unsigned long long)n->restarts);
	}
	for (uint32_t i = 0; i < sys->n_channels; i++)
		if (vn_kchannel_ring(&sys->channels[i]))
			hk_msg("stats: channel '%s': head %llu tail %llu", sys->channels[i].name,
			       (unsigned long long)atomic_load(&hk_chans[i].ring->head),
			       (unsigned long long)atomic_load(&hk_chans[i].ring->tail));
	hk_devices_stats();
}
