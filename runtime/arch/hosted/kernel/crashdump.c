/*
 * crashdump.c - the hosted port's side of crash dumps (runtime/core/crash.c).
 *
 * A shard process is gone by the time the kernel handles its death, and
 * its memory with it, so the shard's own fault handler keeps what a dump
 * needs in its control page (hosted.h: struct vn_crash): its registers, its
 * FP state, a window of its stack and the code around its pc. fault.c
 * checks that record against how the host says the process died and hands
 * it over (hk_shard.crash) for the length of vn_shard_fault().
 *
 * VANITY_DUMP_DIR=DIR (`vanity run` sets it: --dump-dir, or the build
 * directory's dumps/) is where the kernel writes `<shard>.<generation>.vdump`,
 * which only its user may read, as a core file (it holds the shard's
 * registers, stack and code); without it no dump is taken. The image hash
 * is FNV-1a 64 of the copy of the shard's executable that the kernel ran
 * (proc.c), which is the file `vanity dump` reads symbols from unless that
 * was built again since.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hk.h"
#include "port.h"

#define MACHINE HK_MACHINE

static int dump_fd = -1;
static char dump_path[PATH_MAX];
static const char *dump_shard;

/* The directory dumps go to, or NULL: none is taken. */
static const char *dump_dir(void)
{
	const char *dir = getenv("VANITY_DUMP_DIR");

	return dir && *dir ? dir : NULL;
}

void *port_crash_open(const struct vn_shard *s, uint32_t generation)
{
	const char *dir = dump_dir();

	if (!dir)
		return NULL;
	if ((size_t)snprintf(dump_path, sizeof(dump_path), "%s/%s.%u.vdump", dir, s->cfg->name,
			     generation) >= sizeof(dump_path)) {
		hk_msg("no crash dump of shard '%s': the path under %s is too long", s->cfg->name,
		       dir);
		return NULL;
	}
	dump_shard = s->cfg->name;
	dump_fd = open(dump_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (dump_fd < 0) {
		hk_msg("cannot write the crash dump of shard '%s', %s: %m", s->cfg->name,
		       dump_path);
		return NULL;
	}
	fchmod(dump_fd, 0600); /* one a run before left may have been readable */
	return &dump_fd;
}

int port_crash_write(void *f, const void *p, uint64_t len)
{
	return hk_write_fd(f, p, len);
}

void port_crash_close(void *f, int err)
{
	int fd = *(int *)f;

	if (close(fd) != 0)
		err = -1;
	dump_fd = -1;
	if (err)
		hk_msg("cannot write the crash dump of shard '%s', %s: %m", dump_shard, dump_path);
	else
		hk_msg("crash dump of shard '%s': %s", dump_shard, dump_path);
}

void port_crash_cpu(const struct vn_shard *s, struct vn_crash_cpu *c)
{
	const struct hk_shard *h = hk_of(s);
	const struct vn_crash *r = h->crash;

	c->machine = MACHINE;
	snprintf(c->cause, sizeof(c->cause), "%s", h->cause);
	if (!r)
		return;
	c->code = (uint64_t)(int64_t)r->code;
	c->pc = r->pc;
	c->has_addr = r->signo == SIGSEGV || r->signo == SIGBUS;
	c->addr = r->addr;
	/* The record is the shard's to write: its counts must be what this
	 * host's fault handler saves (or none), which the record and the
	 * port's crash have room for; a core file of other counts would be
	 * one gdb cannot read. */
	_Static_assert(VN_CRASH_HOST_REGS <= VN_CRASH_CTX_REGS &&
		       VN_CRASH_HOST_FP <= VN_CRASH_CTX_FP &&
		       VN_CRASH_CTX_REGS <= VN_CRASH_MAX_REGS && VN_CRASH_CTX_FP <= VN_CRASH_MAX_FP,
		       "a shard's crash record must fit the port's crash");
	if ((r->n_regs != VN_CRASH_HOST_REGS && r->n_regs != 0) ||
	    (r->fp_len != VN_CRASH_HOST_FP && r->fp_len != 0))
		return; /* not a record the shard library's fault handler wrote */
	c->n_regs = r->n_regs;
	memcpy(c->regs, r->regs, 8ull * r->n_regs);
	c->fp_len = r->fp_len;
	memcpy(c->fp, r->fp, r->fp_len);
	c->sp = r->sp;
}

/* The part of [lo, hi) inside [base, base + len) of saved bytes. */
static uint64_t piece(uint64_t lo, uint64_t hi, uint64_t base, uint64_t len,
		      const uint8_t *bytes, void *buf, uint64_t *at)
{
	uint64_t a = lo > base ? lo : base, b = hi < base + len ? hi : base + len;

	if (a >= b)
		return 0;
	memcpy(buf, bytes + (a - base), b - a);
	*at = a;
	return b - a;
}

uint64_t port_shard_copy(const struct vn_shard *s, uint64_t lo, uint64_t hi, void *buf,
			 uint64_t *at)
{
	const struct vn_crash *r = hk_of(s)->crash;
	uint64_t n;

	if (!r || r->stack_len > VN_CRASH_CTX_STACK || r->code_len > VN_CRASH_CTX_CODE)
		return 0;
	n = piece(lo, hi, r->stack_lo, r->stack_len, r->stack, buf, at);
	return n ? n : piece(lo, hi, r->code_lo, r->code_len, r->code_bytes, buf, at);
}

/* FNV-1a 64 of the file open at fd, from its start; 0 if it cannot be
 * read, or without a dump directory (only a dump says it). */
uint64_t hk_image_hash(int fd)
{
	static uint8_t buf[65536];
	uint64_t h = 0xcbf29ce484222325ull;
	off_t at = 0;
	ssize_t n;

	if (!dump_dir())
		return 0;
	while ((n = pread(fd, buf, sizeof(buf), at)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return 0;
		for (ssize_t i = 0; i < n; i++)
			h = (h ^ buf[i]) * 0x100000001b3ull;
		at += n;
	}
	return h;
}

uint64_t port_shard_image_hash(const struct vn_shard *s)
{
	return hk_of(s)->image_hash;
}
