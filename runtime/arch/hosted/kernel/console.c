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
 *
 * Nothing here writes to stdout or stderr itself: every line goes into one
 * queue, in the order written, and a writer thread empties it. Lines are
 * made under the kernel lock (a shard's LOG call, a fault report), and
 * a write to a pipe nobody reads blocks: the whole system, every core and
 * device, would stop behind one stalled reader. So a line that finds the
 * queue (CONSOLE_BYTES) full is dropped and counted, and the count is
 * said, in order, once there is room; the system runs on. Its end waits
 * for the queue to be written out (hk_console_flush).
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

/* The queue: records of a byte (the stream: 1 stdout, 2 stderr), two of
 * length and the text, in a ring of CONSOLE_BYTES. */
#define CONSOLE_BYTES (1u << 20)
#define LINE_MAX_OUT (VN_LOG_MAX + 64u) /* the longest line: a name and a log */

static struct console {
	pthread_mutex_t mu;
	pthread_cond_t more;  /* to the writer: records queued */
	pthread_cond_t empty; /* from the writer: all written */
	uint64_t in, out;     /* bytes queued and taken, ever */
	uint64_t dropped;     /* lines dropped since the last note of it */
	bool writing;         /* the writer holds records it took */
	bool started;         /* the writer runs: until then lines are written here */
	unsigned char ring[CONSOLE_BYTES];
} con = {.mu = PTHREAD_MUTEX_INITIALIZER, .more = PTHREAD_COND_INITIALIZER,
	  .empty = PTHREAD_COND_INITIALIZER};

static void write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t k = write(fd, p, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return; /* a closed or broken stream: nobody to tell */
		p += k;
		n -= (size_t)k;
	}
}

/* n bytes into the ring at byte `at` (counted ever), and out of it. */
static void ring_put(uint64_t at, const void *from, size_t n)
{
	for (size_t i = 0; i < n; i++, at++)
		con.ring[at % CONSOLE_BYTES] = ((const unsigned char *)from)[i];
}

static void ring_get(uint64_t at, void *to, size_t n)
{
	for (size_t i = 0; i < n; i++, at++)
		((unsigned char *)to)[i] = con.ring[at % CONSOLE_BYTES];
}

static bool put(int fd, const char *text, size_t len)
{
	unsigned char head[3] = {(unsigned char)fd, (unsigned char)len,
				 (unsigned char)(len >> 8)};

	if (con.in - con.out + sizeof(head) + len > CONSOLE_BYTES)
		return false;
	ring_put(con.in, head, sizeof(head));
	ring_put(con.in + sizeof(head), text, len);
	con.in += sizeof(head) + len;
	return true;
}

/* Under con.mu: the note of lines dropped, if any and if it fits. */
static void put_dropped(void)
{
	char note[128];
	int n;

	if (!con.dropped)
		return;
	n = snprintf(note, sizeof(note), "vanity: console: %llu line%s not written: "
		     "standard output or error was not read\n",
		     (unsigned long long)con.dropped, con.dropped == 1 ? "" : "s");
	if (put(2, note, (size_t)n))
		con.dropped = 0;
}

/* One line (with its newline) to stream fd, in order with every other. */
static void emit(int fd, const char *text, size_t len)
{
	pthread_mutex_lock(&con.mu);
	if (!con.started) {
		write_all(fd, text, len);
	} else {
		put_dropped();
		if (con.dropped || !put(fd, text, len))
			con.dropped++;
		pthread_cond_signal(&con.more);
	}
	pthread_mutex_unlock(&con.mu);
}

/* Takes the records queued, a stream's run at a time, and writes them
 * with con.mu released: only this thread waits for a reader. */
static void *writer_thread(void *unused)
{
	static char buf[64 * 1024];

	(void)unused;
	pthread_mutex_lock(&con.mu);
	for (;;) {
		size_t n = 0;
		int fd = 0;

		while (con.in == con.out) {
			con.writing = false;
			pthread_cond_broadcast(&con.empty);
			pthread_cond_wait(&con.more, &con.mu);
		}
		con.writing = true;
		while (con.in != con.out) {
			unsigned char head[3];
			size_t len;

			ring_get(con.out, head, sizeof(head));
			len = head[1] | (size_t)head[2] << 8;
			if ((fd && head[0] != fd) || n + len > sizeof(buf))
				break;
			fd = head[0];
			ring_get(con.out + sizeof(head), buf + n, len);
			con.out += sizeof(head) + len;
			n += len;
		}
		pthread_mutex_unlock(&con.mu);
		write_all(fd, buf, n);
		pthread_mutex_lock(&con.mu);
	}
	return NULL;
}

/* Every line queued so far, written: the system's end waits here (it may
 * wait for a reader, as a write would). Says first how many were dropped. */
void hk_console_flush(void)
{
	pthread_mutex_lock(&con.mu);
	while (con.started && (con.dropped || con.in != con.out || con.writing)) {
		put_dropped(); /* once the queue has room for it */
		pthread_cond_signal(&con.more);
		if (con.dropped || con.in != con.out || con.writing)
			pthread_cond_wait(&con.empty, &con.mu);
	}
	pthread_mutex_unlock(&con.mu);
}

/* Text for stdout that is not a shard's log line: the UART models'. */
void hk_console_out(const char *text, size_t len)
{
	emit(1, text, len);
}

#define MSG_PREFIX "vanity: "

static void vmsg(const char *fmt, va_list ap)
{
	char line[sizeof(MSG_PREFIX) - 1 + 512 + 1] = MSG_PREFIX;
	size_t n;

	vsnprintf(line + sizeof(MSG_PREFIX) - 1, 512, fmt, ap);
	n = strlen(line);
	line[n++] = '\n';
	emit(2, line, n);
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

/* "[name] text" to stream fd; "[name]" if text is NULL. */
static void out_line(int fd, const char *name, const char *text, size_t len)
{
	char line[LINE_MAX_OUT];
	int n = snprintf(line, sizeof(line), "[%s]%s%.*s\n", name, text ? " " : "", (int)len,
			 text ? text : "");

	emit(fd, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
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
		out_line(1, s->cfg->name, line, strlen(line));
	if (len == 0 || text[0] == '\0')
		out_line(1, s->cfg->name, NULL, 0);
}

/* The relay: a line is cut at VN_LOG_MAX bytes. Under relay_lock, which is
 * never held with hk_lock wanted: the relay thread takes only con.mu
 * besides, a leaf lock, held to queue a line and never while waiting. */
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
	out_line(2, hk_kernel.sys->shards[id].name, r->line, r->len);
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

/* The console's threads: the relay and the writer. */
int hk_relay_start(void)
{
	pthread_t t, w;

	if (pthread_create(&t, NULL, relay_thread, NULL) != 0)
		return -1;
	pthread_detach(t);
	if (pthread_create(&w, NULL, writer_thread, NULL) != 0)
		return -1;
	pthread_detach(w);
	pthread_mutex_lock(&con.mu);
	con.started = true;
	pthread_mutex_unlock(&con.mu);
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
	vn_stats_report(&hk_kernel, hk_msg);
	hk_devices_stats();
}
