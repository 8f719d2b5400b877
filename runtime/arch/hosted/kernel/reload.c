/*
 * reload.c - the hosted side of hot reload (core/reload.c).
 *
 * A shard's image is an executable. The kernel runs a sealed copy of the
 * one the build left in shards/<name> until a reload: then it stages each
 * accepted image as a sealed copy of the bytes it checked (an executable
 * memfd sealed against writes, or an unlinked owner-execute-only file
 * where the host allows no executable memfd: proc.c, exec_seal) and runs
 * that. It keeps the copy it ran before for a rollback. What it checks of
 * an image before it stages it (elf_check.c): an ELF executable of this
 * host's machine, every loadable segment inside the shard's image slot (the
 * generator's IMAGE_SIZE below its base), and the interface hash in its
 * "Vanity" note.
 *
 * The door (obs.c): a host tool sends `reload <shard id> <path>`; the kernel
 * reads the file, hands it to vn_reload_request and answers when the
 * request is over (hk_reload_serve). An updater shard's image is read out of
 * its process (process_vm_readv) into the kernel's own buffer first, so the
 * shard cannot change it under the check.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <vanity/reload.h>

#include "hk.h"
#include "port.h"

#define MAX_IMAGE (HK_IMAGE_SLOT + VN_RELOAD_HDR) /* no image is larger than its slot */
/* How long the door waits for a swap beyond the shard's quiesce bound
 * before it answers "pending" (the request stays under way). */
#define HK_RELOAD_ANSWER_NS 5000000000ull

/* Whether the executable open at fd (from `path`, for the messages) is an
 * image of h's shard in this system, said otherwise: the checks a reload's
 * image passes (elf_check.c) and its interface hash the shard's in the
 * tables. Before a shard's first start and the first after a reload (its
 * restarts run the copy checked then: proc.c): a shard takes its rings up
 * as its build describes them, without asking (attach.c), so an image of
 * another build (the system built again while it runs, say) must not
 * start. Read, not mapped: a file cut short meanwhile is a short read
 * here, not a SIGBUS of the kernel. The first MAX_IMAGE bytes hold the
 * headers and notes (the link puts them first); the rest is debug
 * information. The child then runs the file open at fd (proc.c:
 * execveat), not the one at the path, which may have been replaced in
 * between. */
bool hk_image_fits(const struct hk_shard *h, int fd, const char *path)
{
	const struct vn_kshard *cfg = h->s->cfg;
	uint64_t iface = 0, len = 0, got = 0;
	uint32_t why = VN_RELOAD_IMAGE;
	uint8_t *img = NULL;
	struct stat st;

	if (fstat(fd, &st) == 0 && st.st_size > 0) {
		len = (uint64_t)st.st_size < MAX_IMAGE ? (uint64_t)st.st_size : MAX_IMAGE;
		img = malloc(len);
	}
	while (img && got < len) {
		ssize_t r = pread(fd, img + got, len - got, (off_t)got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (uint64_t)r;
	}
	if (img)
		why = hk_elf_check(img, got, cfg->base, cfg->base + HK_IMAGE_SLOT, &iface);
	free(img);
	if (why != VN_RELOAD_OK) {
		hk_msg("shard '%s': %s is not an image of this shard (an executable for this "
		       "machine, in its image slot, with its interface note)", cfg->name, path);
		return false;
	}
	if (iface != cfg->iface) {
		hk_msg("shard '%s': %s was built for another system (interface hash %#018llx; "
		       "this system's is %#018llx): build the system again and run that",
		       cfg->name, path, (unsigned long long)iface, (unsigned long long)cfg->iface);
		return false;
	}
	return true;
}

uint32_t port_reload_check(const struct vn_shard *s, const struct vn_reload_hdr *h,
			   const uint8_t *img, uint64_t len, uint64_t *iface)
{
	if (h->machine != HK_MACHINE)
		return VN_RELOAD_ISA;
	if (len > HK_IMAGE_SLOT)
		return VN_RELOAD_SIZE;
	return hk_elf_check(img, len, s->cfg->base, s->cfg->base + HK_IMAGE_SLOT, iface);
}

uint64_t port_reload_room(const struct vn_shard *s)
{
	(void)s;
	return HK_IMAGE_SLOT;
}

/* The image is the kernel's own already: an updater's was read out of its
 * process (port_shard_view), the door's out of a file (hk_reload_serve),
 * each into a buffer of the kernel's that nothing else writes while the
 * request is checked. Staging copies the checked bytes into a sealed file
 * of the kernel's. */
const uint8_t *port_reload_copy(struct vn_shard *s, const uint8_t *img, uint64_t len)
{
	(void)s;
	(void)len;
	return img;
}

void port_reload_copy_end(void)
{
}

/* A staged image is a file of its own: the previous one stays. */
bool port_reload_over_prev(const struct vn_shard *s)
{
	(void)s;
	return false;
}

/* The checked bytes become a sealed copy of the kernel's (proc.c:
 * exec_seal), the one the swap will start: nothing the request came from,
 * and no file anybody may write, is read again. */
int port_reload_stage(struct vn_shard *s, const uint8_t *img, uint64_t len)
{
	struct hk_shard *h = hk_of(s);

	port_reload_drop(s);
	h->staged_fd = hk_exec_bytes(h, img, len, "its reload image", &h->staged_hash);
	return h->staged_fd < 0 ? -1 : 0;
}

void port_reload_commit(struct vn_shard *s)
{
	struct hk_shard *h = hk_of(s);

	/* the copy it ran stays for a rollback */
	if (h->prev_fd >= 0)
		close(h->prev_fd);
	h->prev_fd = h->run_fd; /* -1: the build's own, never started */
	h->prev_hash = h->image_hash;
	h->has_prev = true;
	h->run_fd = h->staged_fd;
	h->image_hash = h->staged_hash;
	h->staged_fd = -1;
}

void port_reload_drop(struct vn_shard *s)
{
	struct hk_shard *h = hk_of(s);

	if (h->staged_fd >= 0)
		close(h->staged_fd);
	h->staged_fd = -1;
}

int port_reload_back(struct vn_shard *s)
{
	struct hk_shard *h = hk_of(s);

	if (!h->has_prev)
		return -1; /* it runs the build's own: nothing before it */
	if (h->run_fd >= 0)
		close(h->run_fd);
	h->run_fd = h->prev_fd;
	h->image_hash = h->prev_hash;
	h->prev_fd = -1;
	h->has_prev = false;
	return 0;
}

void port_reload_done(const struct vn_shard *s, uint32_t outcome, uint32_t status)
{
	vn_reload_say(s, outcome, status, hk_msg);
}

/* The copy port_shard_view made stays in its core's buffer. */
void port_shard_view_end(const struct vn_shard *s)
{
	(void)s;
}

/* Copy up to n bytes at addr of shard s's heap, which the kernel maps
 * (proc.c: an updater's), into buf; the bytes copied. */
static uint64_t heap_read(const struct hk_shard *h, uint64_t addr, void *buf, uint64_t n)
{
	uint64_t lo = h->s->cfg->heap, hi = lo + h->s->cfg->memory;

	if (!h->heap || addr < lo || addr >= hi)
		return 0;
	n = n < hi - addr ? n : hi - addr;
	memcpy(buf, h->heap + (addr - lo), n);
	return n;
}

/* An updater's image: copied out of its heap (which the kernel maps) or
 * else its process, header first, into its core's buffer (the digest is
 * computed with the kernel lock dropped, so an updater on another core may
 * be copying meanwhile). */
const void *port_shard_view(const struct vn_shard *s, uint64_t addr, uint64_t *len)
{
	static uint8_t *bufs[VN_MAX_CORES];
	uint8_t *buf = bufs[s->cfg->core % VN_MAX_CORES];
	const struct hk_shard *h = hk_of(s);
	struct vn_reload_hdr hdr;
	pid_t pid = h->pid;
	struct iovec local, remote = {.iov_base = (void *)(uintptr_t)addr};
	uint64_t want;
	ssize_t n;

	if (pid <= 0 || (!buf && !(buf = bufs[s->cfg->core % VN_MAX_CORES] = malloc(MAX_IMAGE))))
		return NULL;
	if (heap_read(h, addr, &hdr, sizeof(hdr)) == sizeof(hdr)) {
		want = hdr.length < MAX_IMAGE - VN_RELOAD_HDR ? hdr.length + VN_RELOAD_HDR
							      : MAX_IMAGE;
		*len = heap_read(h, addr, buf, want);
		return buf;
	}
	local = (struct iovec){.iov_base = &hdr, .iov_len = sizeof(hdr)};
	remote.iov_len = sizeof(hdr);
	if (process_vm_readv(pid, &local, 1, &remote, 1, 0) != (ssize_t)sizeof(hdr))
		return NULL;
	want = hdr.length < MAX_IMAGE - VN_RELOAD_HDR ? hdr.length + VN_RELOAD_HDR : MAX_IMAGE;
	local = (struct iovec){.iov_base = buf, .iov_len = want};
	remote.iov_len = want;
	n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
	if (n < (ssize_t)sizeof(hdr))
		return NULL;
	*len = (uint64_t)n;
	return buf;
}

/* The door: `reload <shard id> <path>` on obs.sock. Reads the image, asks,
 * and writes one line back when the request is over: "swapped <generation>"
 * or "refused <status> <words>", or "pending" if the swap has not happened
 * within the shard's quiesce bound and HK_RELOAD_ANSWER_NS (it has not
 * given its core up: it happens when it does). Runs on the socket's thread. */
void hk_reload_serve(int c, const char *args)
{
	unsigned long id;
	char *end, reply[256];
	struct vn_shard *s;
	uint8_t *img = NULL;
	uint32_t st, done;
	uint64_t give_up;
	ssize_t n = 0;
	uint64_t len = 0;
	int fd;

	id = strtoul(args, &end, 10);
	if (end == args || *end != ' ' || id >= hk_kernel.sys->n_shards) {
		hk_reply(c, "refused 0 no such shard\n");
		return;
	}
	fd = open(end + 1, O_RDONLY | O_CLOEXEC);
	img = malloc(MAX_IMAGE + 1);
	if (fd < 0 || !img) {
		snprintf(reply, sizeof(reply), "refused 0 cannot read %s: %s\n", end + 1,
			 strerror(errno));
		hk_reply(c, reply);
		if (fd >= 0)
			close(fd);
		free(img);
		return;
	}
	while (len <= MAX_IMAGE && (n = read(fd, img + len, MAX_IMAGE + 1 - len)) > 0)
		len += (uint64_t)n;
	close(fd);
	s = &hk_kernel.shard[id];
	pthread_mutex_lock(&hk_lock);
	done = s->reload_done;
	st = vn_reload_request(&hk_kernel, s, img, len, port_now());
	give_up = port_now() + s->cfg->reload.quiesce_ns + HK_RELOAD_ANSWER_NS;
	/* Refused at once: vn_reload_request said so (and finished it). */
	while (st == VN_RELOAD_OK && s->reload_done == done && !hk_kernel.halted &&
	       port_now() < give_up) {
		struct timespec ms = {.tv_nsec = 1000000};

		pthread_mutex_unlock(&hk_lock);
		nanosleep(&ms, NULL);
		pthread_mutex_lock(&hk_lock);
	}
	if (st == VN_RELOAD_OK && s->reload_done == done && !hk_kernel.halted) {
		/* Still under way: the shard has not given its core up since. */
		pthread_mutex_unlock(&hk_lock);
		free(img);
		hk_reply(c, "pending\n");
		return;
	}
	if (st == VN_RELOAD_OK)
		st = hk_kernel.halted && s->reload_done == done ? VN_RELOAD_HALTED
								 : s->reload_status;
	if (st == VN_RELOAD_OK)
		snprintf(reply, sizeof(reply), "swapped %u\n", s->reload_gen);
	else
		snprintf(reply, sizeof(reply), "refused %u %s\n", st, vn_reload_why(st));
	pthread_mutex_unlock(&hk_lock);
	free(img);
	hk_reply(c, reply);
}
