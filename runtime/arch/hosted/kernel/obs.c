/*
 * obs.c - the hosted port's side of what a system records (vanity/trace.h):
 * the clock's rate, the dump a traced run leaves behind, and the socket host
 * tools read a running system through.
 *
 *  - The clock is the TSC (x86-64) or the virtual count (arm64), as in the
 *    shards (vanity/clock.h); its rate is measured against CLOCK_MONOTONIC
 *    at boot (arm64 reads CNTFRQ).
 *  - VANITY_TRACE_DUMP=FILE: at the end of the system, after its shards are
 *    gone, the kernel writes the dump stream to FILE (`vanity run --trace`
 *    sets it and turns the dump into a CTF trace).
 *  - <build dir>/run/obs.sock: a client connects, sends one line,
 *    `snapshot` or `peek <channel id>`, and reads the stream until the
 *    kernel closes it. The thread serving it takes the kernel lock only to
 *    copy the kernel's counters: the system runs on while it is read.
 *    `reload <shard id> <path>` is the door of `vanity reload` (reload.c):
 *    it answers one line.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <vanity/clock.h>

#include "hk.h"

struct vn_obs hk_obs;
static struct vn_obs snap; /* the server's copy of hk_obs (serve) */
static char sock_path[sizeof(((struct sockaddr_un *)0)->sun_path)];

static uint64_t mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

#if !defined(__aarch64__)
/* A vn_clock() reading and the CLOCK_MONOTONIC time it was taken at, to
 * within the tightest of a few brackets: a bare pair of reads is off by
 * whatever runs between them (a preemption, a sanitizer's interception of
 * clock_gettime), tens of microseconds, which over the 20 ms below would
 * put trace times hundreds of ppm off. */
static void clock_pair(uint64_t *ticks, uint64_t *ns)
{
	uint64_t best = UINT64_MAX;

	for (int i = 0; i < 16; i++) {
		uint64_t m0 = mono_ns(), c = vn_clock(), m1 = mono_ns();

		if (m1 - m0 < best) {
			best = m1 - m0;
			*ticks = c;
			*ns = m0 + (m1 - m0) / 2;
		}
	}
}
#endif

/* vn_clock() ticks per second. */
uint64_t hk_clock_hz(void)
{
#if defined(__aarch64__)
	uint64_t f;

	__asm__ volatile("mrs %0, cntfrq_el0" : "=r"(f));
	return f;
#else
	struct timespec pause = {.tv_nsec = 20000000};
	uint64_t t0, c0, t1, c1;

	clock_pair(&c0, &t0);
	nanosleep(&pause, NULL);
	clock_pair(&c1, &t1);
	return (uint64_t)((double)(c1 - c0) * 1e9 / (double)(t1 - t0));
#endif
}

const void *port_shard_trace(const struct vn_shard *s)
{
	return (const uint8_t *)hk_of(s)->ctl + VN_TRACE_OFFSET;
}

void *port_channel_ring(uint32_t channel)
{
	return hk_chans[channel].ring;
}

/* A vn_dump_write_fn onto descriptor *(int *)ctx: a socket or a file. */
int hk_write_fd(void *ctx, const void *p, uint64_t len)
{
	int fd = *(int *)ctx;
	const uint8_t *b = p;

	while (len) {
		ssize_t n = send(fd, b, len, MSG_NOSIGNAL);

		if (n < 0 && errno == ENOTSOCK)
			n = write(fd, b, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		b += n;
		len -= (uint64_t)n;
	}
	return 0;
}

/* The writer of a snapshot: it sends memory the shards share and write as
 * it is read (their rings and channels), so each word is read once, with
 * one load (never torn, never read twice), into the thread's own buffer,
 * and sent from there; in address order (acquire loads), so a ring's head
 * is read before its tail on every host, and an honest ring never shows
 * more than its depth (generator/live.py). The kernel's own writes to that
 * memory are atomic too (vn_ring_describe, from vn_rings_describe). */
static int send_shared(void *ctx, const void *p, uint64_t len)
{
	static uint64_t buf[8192]; /* the server thread's, one at a time */
	const uint8_t *b = p;

	while (len) {
		uint64_t n = len < sizeof(buf) ? len : sizeof(buf);

		if (((uintptr_t)b | n) % 8 == 0)
			for (uint64_t i = 0; i < n / 8; i++)
				buf[i] = __atomic_load_n((const uint64_t *)(const void *)b + i,
							 __ATOMIC_ACQUIRE);
		else
			for (uint64_t i = 0; i < n; i++)
				((uint8_t *)buf)[i] = __atomic_load_n(b + i, __ATOMIC_ACQUIRE);
		if (hk_write_fd(ctx, buf, n) != 0)
			return -1;
		b += n;
		len -= n;
	}
	return 0;
}

/* The end of the system: leave the dump where VANITY_TRACE_DUMP says, for
 * its user alone to read (what every shard traced). */
void hk_obs_end(void)
{
	const char *path = getenv("VANITY_TRACE_DUMP");
	int fd;

	if (sock_path[0])
		unlink(sock_path);
	if (!path || !*path)
		return;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd >= 0)
		fchmod(fd, 0600); /* an older file of that name may have been readable */
	if (fd < 0 || vn_dump(&hk_kernel, &hk_obs, hk_write_fd, &fd, VN_DUMP_NO_PEEK) != 0)
		hk_msg("cannot write the trace dump %s: %m", path);
	if (fd >= 0)
		close(fd);
}

void hk_reply(int fd, const char *line)
{
	(void)hk_write_fd(&fd, line, strlen(line));
}

/* One reload at a time, each on a thread of its own, so that the socket
 * goes on serving `vanity top` and `peek` while a reload waits for its
 * shard (up to its quiesce bound and more). */
static pthread_mutex_t door = PTHREAD_MUTEX_INITIALIZER;

struct reload_req {
	int c;
	char args[PATH_MAX + 32];
};

static void *reload_thread(void *arg)
{
	struct reload_req *r = arg;

	pthread_mutex_lock(&door);
	hk_reload_serve(r->c, r->args);
	pthread_mutex_unlock(&door);
	close(r->c);
	free(r);
	return NULL;
}

/* `reload ARGS` on connection c; false if it could not be started (c is
 * then the caller's to close). */
static bool reload_start(int c, const char *args)
{
	struct reload_req *r = malloc(sizeof(*r));
	pthread_t t;

	if (!r)
		return false;
	r->c = c;
	snprintf(r->args, sizeof(r->args), "%s", args);
	if (pthread_create(&t, NULL, reload_thread, r) != 0) {
		free(r);
		hk_reply(c, "refused 0 the kernel cannot start a thread\n");
		return false;
	}
	pthread_detach(t);
	return true;
}

/* One request on connection c; true if c was handed on (a reload). */
static bool serve(int c)
{
	char req[PATH_MAX + 32] = {0};
	struct timeval limit = {.tv_sec = 1};
	uint32_t peek = VN_DUMP_NO_PEEK;
	ssize_t n;

	setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof(limit));
	setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof(limit));
	n = recv(c, req, sizeof(req) - 1, 0);
	if (n <= 0)
		return false;
	if (strncmp(req, "reload ", 7) == 0) {
		req[strcspn(req, "\n")] = '\0';
		return reload_start(c, req + 7);
	}
	if (strncmp(req, "peek ", 5) == 0) {
		char *end;
		unsigned long ch = strtoul(req + 5, &end, 10);

		if (end == req + 5 || ch >= hk_kernel.sys->n_channels ||
		    !vn_kchannel_ring(&hk_kernel.sys->channels[ch]))
			return false;
		peek = (uint32_t)ch;
	} else if (strncmp(req, "snapshot", 8) != 0) {
		return false;
	}
	/* The cores and the device thread write the counters and the kernel's
	 * trace rings under hk_lock: copy them under it (one memcpy, tens of
	 * microseconds for the largest system) and send the copy, one instant
	 * of the system. The shards' rings and channels are read as they
	 * move (dump.c, send_shared). */
	pthread_mutex_lock(&hk_lock);
	memcpy(&snap, &hk_obs, sizeof(snap));
	pthread_mutex_unlock(&hk_lock);
	(void)vn_dump(&hk_kernel, &snap, send_shared, &c, peek);
	return false;
}

static void *server(void *arg)
{
	int s = (int)(intptr_t)arg;

	for (;;) {
		int c = accept4(s, NULL, NULL, SOCK_CLOEXEC);

		if (c < 0)
			continue;
		if (!serve(c))
			close(c);
	}
	return NULL;
}

/* The counters' clock, and the socket. A system too deep in the file
 * system for a socket path runs on without it, and says so. */
void hk_obs_start(void)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	pthread_t t;
	int s;

	hk_obs.clock_hz = hk_clock_hz();
	vn_obs_publish(&hk_obs);
	if ((size_t)snprintf(sock_path, sizeof(sock_path), "%s/run/obs.sock", hk_dir) >=
	    sizeof(sock_path)) {
		sock_path[0] = '\0';
		hk_info("no live view (vanity top): the build directory's path is too long "
			"for a socket");
		return;
	}
	memcpy(a.sun_path, sock_path, sizeof(sock_path));
	{
		char dir[sizeof(sock_path) + 8];

		snprintf(dir, sizeof(dir), "%s/run", hk_dir);
		mkdir(dir, 0700);
	}
	unlink(sock_path);
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(s, 4) != 0 ||
	    pthread_create(&t, NULL, server, (void *)(intptr_t)s) != 0) {
		hk_info("no live view (vanity top): %s: %m", sock_path);
		sock_path[0] = '\0';
		if (s >= 0)
			close(s);
		return;
	}
	pthread_detach(t);
}
