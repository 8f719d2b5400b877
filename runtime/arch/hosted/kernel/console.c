/*
 * console.c - the kernel's two output streams.
 *
 * Kernel messages go to stderr as "vanity: ...". Shard logs go to stdout as
 * "[name] text", one line per line of text, flushed at once so tests and
 * pipes see them in order. Log text comes from a shard's control page: it is
 * copied out first, and control characters are shown as '?' (vn_log_char).
 *
 * A shard process's own standard output and error (what its C library, a
 * failed assert() or a sanitizer writes there) are the write end of a pipe
 * of the kernel's, one per shard: a relay thread copies each line to stderr
 * as "[name] text", control characters shown as '?' too. So no line a shard
 * writes can pass for the kernel's ("vanity: ...") or another shard's, nor
 * reach the terminal as an escape sequence. A shard's pipe is drained
 * before its death is reported, and every pipe before the system's last
 * line.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

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

/* The relay: a line is cut at VN_LOG_MAX bytes. Under relay_lock, which is
 * never held with hk_lock wanted (the relay thread takes no other lock). */
static struct relay {
	int fd; /* the pipe's read end (non-blocking), once made */
	bool made;
	uint32_t len;
	char line[VN_LOG_MAX];
} relays[VN_MAX_SHARDS];
static pthread_mutex_t relay_lock = PTHREAD_MUTEX_INITIALIZER;

static void relay_line(uint32_t id)
{
	struct relay *r = &relays[id];

	for (uint32_t i = 0; i < r->len; i++)
		r->line[i] = vn_log_char(r->line[i]);
	fprintf(stderr, "[%s] %.*s\n", hk_kernel.sys->shards[id].name, (int)r->len, r->line);
	r->len = 0;
}

/* Copy what shard id's pipe holds, a line at a time: one read's worth, or
 * with `all` everything, the unended line too (its writer is gone, so
 * there is an end). One read a turn keeps a shard that writes without end
 * from holding relay_lock, which the kernel takes to drain a dead one.
 * Under relay_lock. */
static void relay_read(uint32_t id, bool all)
{
	struct relay *r = &relays[id];
	char buf[4096];
	ssize_t n;

	do {
		while ((n = read(r->fd, buf, sizeof(buf))) < 0 && errno == EINTR)
			;
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] != '\n')
				r->line[r->len++] = buf[i];
			if (buf[i] == '\n' || r->len == sizeof(r->line))
				relay_line(id);
		}
	} while (all && n > 0);
	if (all && r->len)
		relay_line(id);
	fflush(stderr);
}

/* The pipe shard h's process gets as its standard output and error. */
int hk_relay_create(struct hk_shard *h)
{
	struct relay *r = &relays[h->s->cfg->id];

	if (pipe2(h->out, O_CLOEXEC) != 0)
		return -1;
	if (fcntl(h->out[0], F_SETFL, O_NONBLOCK) != 0) {
		close(h->out[0]);
		close(h->out[1]);
		return -1;
	}
	r->fd = h->out[0];
	r->len = 0;
	r->made = true;
	return 0;
}

static void *relay_thread(void *unused)
{
	uint32_t n = hk_kernel.sys->n_shards;
	struct pollfd fds[VN_MAX_SHARDS];

	(void)unused;
	for (uint32_t i = 0; i < n; i++)
		fds[i] = (struct pollfd){.fd = relays[i].fd, .events = POLLIN};
	for (;;) {
		if (poll(fds, n, -1) <= 0)
			continue;
		pthread_mutex_lock(&relay_lock);
		for (uint32_t i = 0; i < n; i++)
			if (fds[i].revents)
				relay_read(i, false);
		pthread_mutex_unlock(&relay_lock);
	}
	return NULL;
}

int hk_relay_start(void)
{
	pthread_t t;

	if (pthread_create(&t, NULL, relay_thread, NULL) != 0)
		return -1;
	pthread_detach(t);
	return 0;
}

/* Everything shard h (NULL: every shard) has written, out before the
 * kernel's next line: h's process has ended. */
void hk_relay_drain(const struct hk_shard *h)
{
	pthread_mutex_lock(&relay_lock);
	for (uint32_t i = 0; i < hk_kernel.sys->n_shards; i++)
		if ((!h || h->s->cfg->id == i) && relays[i].made)
			relay_read(i, true);
	pthread_mutex_unlock(&relay_lock);
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
