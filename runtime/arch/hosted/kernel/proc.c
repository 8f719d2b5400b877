/*
 * proc.c - shard processes and the memory they share with the kernel.
 *
 * Every region a shard shares is a sealed memfd (it cannot be grown or
 * shrunk, so no shard can make its peer or the kernel fault on a truncated
 * mapping). Every descriptor the kernel opens is close-on-exec; a shard gets
 * exactly its control page, its core's doorbell, its own channels' rings,
 * per channel or signal the doorbell of its peer's core, and the pools it
 * maps (a read-only one through a read-only descriptor), at the numbers
 * hosted.h fixes, and nothing else besides its standard output and error,
 * a pipe the kernel relays (console.c), and /dev/null for its standard
 * input; and of the environment, only what the loader and the sanitizers
 * read (shard_environ). A signal has no ring and no memfd. A doorbell is
 * the write end of its core's pipe: a shard can ring it, never read it.
 *
 * The process starts confined: between fork and exec the kernel gives it,
 * where the host lets it, a file tree of its own that holds the program
 * loader's files alone (view_enter), empties its capability bounding set
 * (a system run as root starts its shards with no capability), sets its
 * parent-death signal, enters the Landlock domain that leaves it only the
 * loader's files to open (fs_rules) and installs the start filter
 * (sandbox.c), so no code of the shard's runs unconfined.
 * And it is not dumpable from its first instruction: the exec would make it
 * so (a process of the user's that any other may open in /proc), until its
 * runtime's main() says otherwise, and another process's code (a sibling's,
 * on a host without Landlock) could then read its rings and pools through
 * /proc/<pid>/fd. So the kernel runs a copy of the image that the process
 * cannot read (exec_copy): Linux makes a process that runs a file it may
 * not read undumpable, as it does a setuid program's (unless
 * fs.suid_dumpable is 1, which the kernel warns of).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/capability.h>
#include <linux/landlock.h>

#include "hk.h"
#include "sandbox.h"

#define SEALS (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)
#define MAX_FDS (VN_FD_POOL0 + VN_FD_POOLS)

_Static_assert(VN_FD_POOLS == VN_MAX_SHARD_POOLS, "a descriptor for each pool a shard maps");

extern char **environ;

/* A zeroed, sealed shared region of `size` bytes, mapped into the kernel. */
int hk_memfd(const char *name, uint64_t size, void **map)
{
	int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);

	if (fd < 0)
		return -1;
	if (ftruncate(fd, (off_t)size) != 0 || fcntl(fd, F_ADD_SEALS, SEALS) != 0)
		goto out_close;
	*map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (*map == MAP_FAILED)
		goto out_close;
	/* not in a child: one between fork and exec holds no shard's memory */
	if (madvise(*map, size, MADV_DONTFORK) != 0) {
		munmap(*map, size);
		goto out_close;
	}
	return fd;
out_close:
	close(fd);
	return -1;
}

int hk_channels_create(void)
{
	const struct vn_ksystem *sys = hk_kernel.sys;

	for (uint32_t i = 0; i < sys->n_channels; i++) {
		const struct vn_kchannel *c = &sys->channels[i];
		void *map;

		hk_chans[i].fd = -1;
		if (!vn_kchannel_ring(c))
			continue; /* a signal: no ring, only bits */
		if (c->size < vn_kchannel_bytes(c))
			return -1;
		hk_chans[i].fd = hk_memfd(c->name, c->size, &map);
		if (hk_chans[i].fd < 0)
			return -1;
		hk_chans[i].ring = map;
		vn_ring_init(map, c->msg_size, c->depth, c->sequenced);
	}
	return 0;
}

/* Every pool, zeroed, and a read-only descriptor of it for the shards that
 * map it read-only: a mapping made through that one cannot be written. */
int hk_pools_create(void)
{
	const struct vn_ksystem *sys = hk_kernel.sys;

	for (uint32_t i = 0; i < sys->n_pools; i++) {
		const struct vn_kpool *p = &sys->pools[i];
		char path[40];
		void *map;

		hk_pools[i].fd = hk_memfd(p->name, p->size, &map);
		if (hk_pools[i].fd < 0)
			return -1;
		hk_pools[i].map = map;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", hk_pools[i].fd);
		hk_pools[i].fd_ro = open(path, O_RDONLY | O_CLOEXEC);
		if (hk_pools[i].fd_ro < 0)
			return -1;
	}
	return 0;
}

int hk_ctl_create(struct hk_shard *h)
{
	void *map;

	h->ctl_fd = hk_memfd(h->s->cfg->name, h->s->cfg->ctl_size, &map);
	if (h->ctl_fd < 0)
		return -1;
	h->ctl = map;
	if (h->s->cfg->trace_recs)
		vn_trace_ring_init((struct vn_trace_ring *)((uint8_t *)map + VN_TRACE_OFFSET),
				   h->s->cfg->trace_recs, h->s->cfg->id);
	h->pid = 0;
	h->pidfd = -1;
	h->heap_fd = -1;
	h->run_fd = h->prev_fd = h->staged_fd = -1;
	/* An updater's heap is one the kernel maps too, so that it reads the
	 * images there itself (port_shard_view): a process that is not
	 * dumpable can be read only with CAP_SYS_PTRACE, which a system not
	 * run as root does not have. */
	if (h->s->cfg->reload.n_updates && h->s->cfg->memory) {
		h->heap_fd = hk_memfd(h->s->cfg->name, h->s->cfg->memory, &map);
		if (h->heap_fd < 0)
			return -1;
		h->heap = map;
	}
	hk_ctl_reset(h);
	return 0;
}

/* A fresh control page for a (re)started shard. Its trace ring, after the
 * page, carries over: the records before a fault are what a trace is for. */
void hk_ctl_reset(struct hk_shard *h)
{
	hk_unpark(h);
	memset(h->ctl, 0, VN_PAGE);
	h->ctl->magic = VN_CTL_MAGIC;
}

/* The descriptors shard `id` starts with: src[i] goes to dst[i]. -1 if
 * /dev/null cannot be opened. */
static int fd_plan(struct hk_shard *h, int *src, int *dst)
{
	static int devnull = -1;
	const struct vn_ksystem *sys = hk_kernel.sys;
	uint32_t id = h->s->cfg->id;
	int n = 0;

	if (devnull < 0 && (devnull = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	src[n] = devnull, dst[n++] = 0;
	src[n] = h->out[1], dst[n++] = 1;
	src[n] = h->out[1], dst[n++] = 2;
	src[n] = h->ctl_fd, dst[n++] = VN_FD_CTL;
	src[n] = hk_cores[h->s->cfg->core].bell, dst[n++] = VN_FD_DOORBELL;
	if (h->heap_fd >= 0)
		src[n] = h->heap_fd, dst[n++] = VN_FD_HEAP;
	for (uint32_t i = 0; i < sys->n_channels && n < MAX_FDS; i++) {
		const struct vn_kchannel *c = &sys->channels[i];
		uint32_t bit, peer;

		if (c->from == id)
			bit = c->from_bit, peer = c->to;
		else if (c->to == id)
			bit = c->to_bit, peer = c->from;
		else
			continue;
		if (n + 1 >= MAX_FDS)
			break;
		if (hk_chans[i].fd >= 0) /* a signal has no ring, only the doorbell */
			src[n] = hk_chans[i].fd, dst[n++] = VN_FD_CHAN0 + (int)bit;
		src[n] = hk_cores[sys->shards[peer].core].bell;
		dst[n++] = VN_FD_BELL0 + (int)bit;
	}
	for (uint32_t i = 0, k = 0; i < sys->n_pools && k < VN_FD_POOLS && n < MAX_FDS; i++) {
		int w = vn_kpool_access(&sys->pools[i], id);

		if (w < 0)
			continue;
		src[n] = w ? hk_pools[i].fd : hk_pools[i].fd_ro;
		dst[n++] = VN_FD_POOL0 + (int)k++;
	}
	return n;
}

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010u /* Linux 6.3: an executable memfd, whatever vm.memfd_noexec says */
#endif

/* A file nobody else can open, to copy an image into: a sealable memfd, or
 * where the host allows no executable memfd (vm.memfd_noexec = 2) an
 * unnamed file in the build directory (O_TMPFILE). *sealable says which. */
static int exec_file(const char *name, bool *sealable)
{
	int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);

	if (fd < 0 && errno == EINVAL) /* before Linux 6.3 every memfd may be run */
		fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	*sealable = fd >= 0;
	if (fd < 0)
		fd = open(hk_dir, O_TMPFILE | O_RDWR | O_CLOEXEC, S_IRWXU);
	return fd;
}

/* The copy of an image in fd (exec_file; `what` names the image in the
 * messages), made into a file of the kernel's that only its owner may
 * execute, never read, and that nobody can write any more (sealed, and no
 * descriptor to it left open for writing); a descriptor to run it by
 * (O_PATH), or -1 if that fails or the copy is no image of h's shard
 * (hk_image_fits: the checks are of the bytes that will run); *hash, the
 * copy's (hk_image_hash). fd is closed. A process without capabilities
 * that runs it is not dumpable from the exec on (child_exec). */
static int exec_seal(const struct hk_shard *h, int fd, bool sealable, const char *what,
		     uint64_t *hash)
{
	char self[64];
	int run = -1;

	if (hk_image_fits(h, fd, what)) {
		*hash = hk_image_hash(fd);
		snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
		if (fchmod(fd, S_IXUSR) != 0 ||
		    (sealable && fcntl(fd, F_ADD_SEALS, SEALS | F_SEAL_WRITE) != 0) ||
		    (run = open(self, O_PATH | O_CLOEXEC)) < 0)
			hk_msg("shard '%s': cannot seal the copy of %s to run: %s",
			       h->s->cfg->name, what, strerror(errno));
	}
	close(fd);
	return run;
}

/* exec_seal of a copy of the image open at `image` (from `path`). */
static int exec_copy(const struct hk_shard *h, int image, const char *path, uint64_t *hash)
{
	const char *name = h->s->cfg->name;
	bool sealable;
	int fd = exec_file(name, &sealable);
	struct stat st;
	off_t at = 0;

	if (fd < 0 || fstat(image, &st) != 0) {
		hk_msg("shard '%s': cannot copy %s to run: %s (an executable memfd, or a file "
		       "in %s)", name, path, strerror(errno), hk_dir);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while (at < st.st_size) {
		ssize_t n = sendfile(fd, image, &at, (size_t)(st.st_size - at));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			hk_msg("shard '%s': cannot copy %s to run: %s", name, path,
			       n < 0 ? strerror(errno) : "it was cut short");
			close(fd);
			return -1;
		}
	}
	return exec_seal(h, fd, sealable, path, hash);
}

/* exec_seal of a copy of the len bytes at img (`what`: what they are). */
int hk_exec_bytes(const struct hk_shard *h, const uint8_t *img, uint64_t len, const char *what,
		  uint64_t *hash)
{
	const char *name = h->s->cfg->name;
	bool sealable;
	int fd = exec_file(name, &sealable);

	for (uint64_t done = 0; fd >= 0 && done < len;) {
		ssize_t n = write(fd, img + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			errno = n < 0 ? errno : ENOSPC;
			close(fd);
			fd = -1;
			break;
		}
		done += (uint64_t)n;
	}
	if (fd < 0) {
		hk_msg("shard '%s': cannot copy %s to run: %s (an executable memfd, or a file "
		       "in %s)", name, what, strerror(errno), hk_dir);
		return -1;
	}
	return exec_seal(h, fd, sealable, what, hash);
}

/* Whether the host keeps a process that runs a file it may not read from
 * being dumpable (fs.suid_dumpable 0 or 2, exec_copy's premise); said
 * once, at the first start. */
static void dumpable_check(void)
{
	static bool checked;
	char v = '0';
	int fd;

	if (checked)
		return;
	checked = true;
	if ((fd = open("/proc/sys/fs/suid_dumpable", O_RDONLY | O_CLOEXEC)) >= 0) {
		if (read(fd, &v, 1) != 1)
			v = '0';
		close(fd);
	}
	if (v == '1')
		hk_msg("warning: fs.suid_dumpable is 1 on this host: a shard's process is then "
		       "dumpable until its main(), and a sibling's code could read its memory "
		       "through /proc; set it to 0 or 2 (sysctl fs.suid_dumpable=0)");
}

/* ---- the files a shard's process may open: Landlock ---------------------- */

/* The start filter lets a shard's process open files read-only, as the
 * program loader must (sandbox.c), and that lasts until the runtime's
 * main() installs the run filter, a step of the shard's own code, which a
 * hostile image skips. So before the exec the kernel also puts the process
 * in a Landlock domain (Linux 5.13 on) in which the only files it may open
 * are the loader's, to read: beneath /usr and /lib*, ld.so.cache and
 * ld.so.preload, what LD_LIBRARY_PATH and LD_PRELOAD name. Not the user's
 * files, nor anything in /proc, where /proc/<pid>/mem of any dumpable
 * process of the user's (a shell, an editor, the tool that started the
 * system) would be open to it. It may run two files: the program loader
 * (its path in the image, the same as the kernel's: one compiler links
 * both) and its own image. No other program: one run from a file it can
 * read would be dumpable, with the shard's descriptors. A memfd lies
 * outside every path and needs no rule; the unnamed file used where no
 * memfd may be run gets one. Libraries elsewhere (a toolchain's, in /opt
 * or a home directory) must be named in LD_LIBRARY_PATH. The rights
 * of ABI 2 and 3, which older headers do not name, are given by number
 * (the ABI fixes them). */
#define FS_ABI1 ((1ull << 13) - 1) /* execute .. make_sym */
#define FS_REFER (1ull << 13)      /* ABI 2 */
#define FS_TRUNCATE (1ull << 14)   /* ABI 3 */
#define FS_READ LANDLOCK_ACCESS_FS_READ_FILE
#define FS_RUN (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_EXECUTE)

static const char *const fs_loader[] = {
	"/usr", "/lib", "/lib64", "/lib32", "/libx32", "/etc/ld.so.cache", "/etc/ld.so.preload",
};

/* `access` to the file at fd, or to the files beneath it (a directory).
 * One on an internal mount (a memfd) takes no rule, and needs none. */
static void fs_allow(int rules, int fd, uint64_t access, const char *what)
{
	struct landlock_path_beneath_attr rule = {.parent_fd = fd, .allowed_access = access};

	if (syscall(SYS_landlock_add_rule, rules, LANDLOCK_RULE_PATH_BENEATH, &rule, 0) != 0 &&
	    errno != EBADFD)
		hk_msg("warning: shard processes may not open %s: Landlock refused the rule (%s)",
		       what, strerror(errno));
}

static void fs_allow_path(int rules, const char *path, uint64_t access)
{
	int fd = open(path, O_PATH | O_CLOEXEC);

	if (fd >= 0) {
		fs_allow(rules, fd, access, path);
		close(fd);
	}
}

/* fn(path, arg) for every entry of a list such as LD_LIBRARY_PATH
 * (separated by any of seps). */
static void each_path(const char *list, const char *seps, void (*fn)(const char *, void *),
		      void *arg)
{
	char path[PATH_MAX];

	while (list && *list) {
		size_t n = strcspn(list, seps);

		if (n > 0 && n < sizeof(path)) {
			memcpy(path, list, n);
			path[n] = '\0';
			fn(path, arg);
		}
		list += n + (list[n] != '\0');
	}
}

static void fs_allow_read(const char *path, void *rules)
{
	fs_allow_path(*(int *)rules, path, FS_READ);
}

/* The program loader's path, as the kernel's own image names it: the
 * object mapped where the auxiliary vector says the loader is. */
static int loader_of(struct dl_phdr_info *info, size_t size, void *path)
{
	(void)size;
	if (info->dlpi_addr != getauxval(AT_BASE) || !info->dlpi_name || !info->dlpi_name[0])
		return 0;
	*(const char **)path = info->dlpi_name;
	return 1;
}

/* A Landlock ruleset for h's process (run_fd: the copy it runs), to
 * enter between fork and exec; -1 on a host without Landlock (said once),
 * -2 if one cannot be made. */
static int fs_rules(const struct hk_shard *h)
{
	static const char *loader;
	static int abi;
	struct landlock_ruleset_attr attr = {0};
	int rules;

	if (abi == 0) {
		abi = (int)syscall(SYS_landlock_create_ruleset, NULL, 0,
				   LANDLOCK_CREATE_RULESET_VERSION);
		if (abi < 1) {
			abi = -1;
			hk_msg("warning: this host has no Landlock (Linux 5.13 or later, with "
			       "landlock among its LSMs): a shard's process may then open every "
			       "file its user may read, and through /proc the memory of the "
			       "user's other processes, until its runtime's main() confines it, "
			       "and for good if the shard's code never lets main() run");
		}
		dl_iterate_phdr(loader_of, &loader);
		if (abi >= 1 && !loader)
			hk_msg("warning: the kernel cannot tell the program loader's path, so a "
			       "shard's process may not run it: a shard that needs one cannot "
			       "start");
	}
	if (abi < 1)
		return -1;
	attr.handled_access_fs = FS_ABI1 | (abi >= 2 ? FS_REFER : 0) |
		(abi >= 3 ? FS_TRUNCATE : 0);
	rules = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
	if (rules < 0) {
		hk_msg("shard '%s': cannot make the Landlock rules it starts under: %s",
		       h->s->cfg->name, strerror(errno));
		return -2;
	}
	for (size_t i = 0; i < sizeof(fs_loader) / sizeof(fs_loader[0]); i++)
		fs_allow_path(rules, fs_loader[i], FS_READ);
	each_path(getenv("LD_LIBRARY_PATH"), ":;", fs_allow_read, &rules);
	each_path(getenv("LD_PRELOAD"), ": ", fs_allow_read, &rules);
	if (loader)
		fs_allow_path(rules, loader, FS_RUN);
	fs_allow(rules, h->run_fd, FS_RUN, "the copy of its image");
	return rules;
}

/* ---- the paths a shard's process may see: a file tree of its own --------- */

/* Landlock decides which files a shard's process may open, not what it may
 * learn of a path: stat, access and an O_PATH open see past it, and the
 * start filter lets them through for the loader (a filter cannot read a
 * path). So each shard's process gets, before the exec, a mount namespace
 * whose tree holds the loader's files alone: a tmpfs root with, at their
 * own paths, read-only binds of the fs_loader entries that exist and of
 * what LD_LIBRARY_PATH and LD_PRELOAD name, and the symbolic links on the
 * way to them (Debian's /lib -> usr/lib) as links. Every other path is not
 * there (ENOENT), /proc and the user's files among them. Making it takes
 * CAP_SYS_ADMIN: a root's, or in a user's run the one a process has in a
 * user namespace it makes first (view_map). Where the host refuses that
 * (view_possible says why) the tree is the host's, and a shard's code may
 * learn before its main() which files exist, their sizes and times, but
 * read none (docs/hosted.md). The plan is made once, by the kernel; the
 * child only makes the mounts and links it lists (view_enter). */
#define VIEW_MAX 64
enum view_kind { VIEW_DIR, VIEW_FILE, VIEW_LINK };
struct view_entry {
	enum view_kind kind;
	char path[PATH_MAX]; /* canonical: absolute, no link, no "." or ".." in it */
	char link[PATH_MAX]; /* VIEW_LINK: what the link says */
};
static struct view_entry view[VIEW_MAX];
static int view_n = -1; /* entries; -1 until planned */
static bool view_full;  /* an entry found no room: no tree then */
static bool view_on;    /* whether shard processes get a tree of their own */
static bool view_user;  /* made in a user namespace too (a user's run) */
static char view_ids[2][32]; /* its uid_map and gid_map: the kernel's own ids */

static bool view_has(const char *path)
{
	for (int i = 0; i < view_n; i++)
		if (strcmp(view[i].path, path) == 0)
			return true;
	return false;
}

/* Whether path is beneath (or is) a directory the plan binds: there it is
 * seen through that bind, and nothing can be made. */
static bool view_covered(const char *path)
{
	for (int i = 0; i < view_n; i++) {
		size_t n = strlen(view[i].path);

		if (view[i].kind == VIEW_DIR && strncmp(path, view[i].path, n) == 0 &&
		    (path[n] == '/' || path[n] == '\0'))
			return true;
	}
	return false;
}

static void view_put(enum view_kind kind, const char *path, const char *link)
{
	struct view_entry *e;

	if (view_has(path))
		return;
	if (view_n >= VIEW_MAX) {
		view_full = true;
		return;
	}
	e = &view[view_n++];
	e->kind = kind;
	strcpy(e->path, path);
	strcpy(e->link, link ? link : "");
}

/* Resolves the absolute path `path` as the kernel does, a component at a
 * time, into `out` (canonical, as realpath gives it), putting each
 * symbolic link met on the way into the plan as a link: the loader, asking
 * for path in the tree, then meets the same links and reaches the same
 * place. False if path leads nowhere (or past a bound on links). */
static bool view_resolve(const char *path, char out[PATH_MAX])
{
	char rest[PATH_MAX], link[PATH_MAX], next[PATH_MAX];
	size_t len = 0;
	int links = 0;

	if (strlen(path) >= sizeof(rest))
		return false;
	strcpy(rest, path);
	out[0] = '\0';
	for (char *at = rest; *at;) {
		size_t n = strcspn(at, "/");
		char *after = at + n + (at[n] == '/');
		struct stat st;
		ssize_t k;

		if (n == 0 || (n == 1 && at[0] == '.')) { /* "//", "/./" */
			at = after;
			continue;
		}
		if (n == 2 && at[0] == '.' && at[1] == '.') { /* a directory up */
			while (len > 0 && out[--len] != '/')
				;
			out[len] = '\0';
			at = after;
			continue;
		}
		if (len + 1 + n >= PATH_MAX)
			return false;
		out[len] = '/';
		memcpy(out + len + 1, at, n);
		out[len + 1 + n] = '\0';
		if (lstat(out, &st) != 0)
			return false;
		if (!S_ISLNK(st.st_mode)) {
			len += 1 + n;
			at = after;
			continue;
		}
		if (++links > 40 || (k = readlink(out, link, sizeof(link) - 1)) <= 0)
			return false;
		link[k] = '\0';
		view_put(VIEW_LINK, out, link);
		/* on with what it says, then the rest of path, from where the
		 * link is (the root, if what it says is absolute) */
		out[len] = '\0';
		if ((size_t)k + 1 + strlen(at + n) >= sizeof(next))
			return false;
		memcpy(next, link, (size_t)k);
		strcpy(next + k, at + n);
		if (link[0] == '/')
			len = 0, out[0] = '\0';
		strcpy(rest, next);
		at = rest;
	}
	return true;
}

/* path, as the loader will ask for it: the links on the way, and the file
 * or directory they lead to (never the root: that would be the host's
 * whole tree). */
static void view_add(const char *path)
{
	char real[PATH_MAX];
	struct stat st;

	if (path[0] != '/' || !view_resolve(path, real) || real[0] == '\0' ||
	    stat(real, &st) != 0)
		return;
	view_put(S_ISDIR(st.st_mode) ? VIEW_DIR : VIEW_FILE, real, NULL);
}

static void view_add_entry(const char *path, void *unused)
{
	(void)unused;
	view_add(path);
}

/* The binds first, shortest first, then the links. */
static int view_order(const void *a, const void *b)
{
	const struct view_entry *x = a, *y = b;
	size_t m = strlen(x->path), n = strlen(y->path);

	if ((x->kind == VIEW_LINK) != (y->kind == VIEW_LINK))
		return x->kind == VIEW_LINK ? 1 : -1;
	return m < n ? -1 : m > n ? 1 : strcmp(x->path, y->path);
}

static int view_enter(void);

/* Whether the kernel may give a process this tree: a child makes it. Its
 * exit status is the errno of the step that failed. Without CAP_SYS_ADMIN
 * (a user's run) the child first makes a user namespace, in which it has
 * the capability: where the host lets users make them (Debian's does). */
static bool view_possible(void)
{
	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct caps[_LINUX_CAPABILITY_U32S_3] = {{0}};
	int st = 0;
	pid_t pid;

	if (view_full) {
		hk_msg("warning: LD_LIBRARY_PATH and LD_PRELOAD name more than the %d places a "
		       "shard's own file tree holds: shard processes see the host's tree, and "
		       "their code may learn which files exist before its main(), though it "
		       "reads none", VIEW_MAX);
		return false;
	}
	view_user = syscall(SYS_capget, &hdr, caps) != 0 ||
		    !(caps[CAP_SYS_ADMIN / 32].effective & (1u << (CAP_SYS_ADMIN % 32)));
	snprintf(view_ids[0], sizeof(view_ids[0]), "%u %u 1", (unsigned)geteuid(),
		 (unsigned)geteuid());
	snprintf(view_ids[1], sizeof(view_ids[1]), "%u %u 1", (unsigned)getegid(),
		 (unsigned)getegid());
	pid = fork();
	if (pid == 0) { /* the kernel's descriptors closed first, as child_exec does */
		syscall(SYS_close_range, 3, ~0u, 0);
		_exit(view_enter() == 0 ? 0 : errno ? errno & 0xff : 255);
	}
	while (pid > 0 && waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (pid > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return true;
	hk_msg("warning: the kernel cannot give shard processes a file tree of their own (%s: "
	       "%s): they see the host's tree, and their code may learn which files exist "
	       "before its main(), though it reads none",
	       view_user ? "a user namespace, then a mount namespace" : "a mount namespace",
	       pid < 0 ? strerror(errno) : !WIFEXITED(st) ? "the child was killed" :
	       WEXITSTATUS(st) == 255 ? "a step failed" : strerror(WEXITSTATUS(st)));
	return false;
}

/* The plan, made at the first start, and tried once. */
static void view_plan(void)
{
	const char *loader = NULL;
	int all;

	if (view_n >= 0)
		return;
	view_n = 0;
	dl_iterate_phdr(loader_of, &loader);
	for (size_t i = 0; i < sizeof(fs_loader) / sizeof(fs_loader[0]); i++)
		view_add(fs_loader[i]);
	if (loader)
		view_add(loader);
	each_path(getenv("LD_LIBRARY_PATH"), ":;", view_add_entry, NULL);
	each_path(getenv("LD_PRELOAD"), ": ", view_add_entry, NULL);
	/* each bind that no shorter one holds, then each link that no bind holds */
	qsort(view, (size_t)view_n, sizeof(view[0]), view_order);
	all = view_n;
	view_n = 0;
	for (int i = 0; i < all; i++)
		if (!view_covered(view[i].path))
			view[view_n++] = view[i];
	view_on = view_possible();
}

/* In the child: the directories of `path` that the tmpfs lacks (path is
 * the tree's, beneath root). */
static int view_mkdirs(char *path, size_t root)
{
	for (size_t i = root + 1; path[i]; i++) {
		if (path[i] != '/')
			continue;
		path[i] = '\0';
		if (mkdir(path, 0755) != 0 && errno != EEXIST)
			return -1;
		path[i] = '/';
	}
	return 0;
}

/* In the child: the detached copy of a bind's source made read-only,
 * nosuid and nodev, its sub-mounts too and its other flags kept: 0; 1
 * where the kernel has no mount_setattr (Linux before 5.12), for
 * view_seal_top to do once it is in place; -1 if it fails. */
static int view_seal(int tree)
{
	struct mount_attr attr = {
		.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV,
	};

	if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr,
		    sizeof(attr)) == 0)
		return 0;
	return errno == ENOSYS ? 1 : -1;
}

/* Its top mount alone, at `at`, with those flags and no others. */
static int view_seal_top(const char *at)
{
	return mount(NULL, at, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV,
		     NULL);
}

/* In the child, just in a user namespace of its own: the user and group it
 * has inside are those it had outside (the one mapping a process may give
 * itself), and it may not change its groups. Its /proc/self files are
 * root's while it is not dumpable (as the kernel is not), so it is
 * dumpable for these three writes: to the user's own processes, not to a
 * shard's, which may not trace. By then it holds its shard's descriptors
 * alone and none of the kernel's shared memory (child_exec). */
static int view_map(void)
{
	static const char *const file[] = {
		"/proc/self/uid_map", "/proc/self/setgroups", "/proc/self/gid_map",
	};
	const char *line[] = {view_ids[0], "deny", view_ids[1]};
	int err = 0;

	if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) != 0)
		return -1;
	for (int i = 0; i < 3 && !err; i++) {
		int fd = open(file[i], O_WRONLY | O_CLOEXEC);
		ssize_t n = fd < 0 ? -1 : write(fd, line[i], strlen(line[i]));

		if (n != (ssize_t)strlen(line[i]))
			err = n < 0 ? errno : EIO;
		if (fd >= 0)
			close(fd);
	}
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0 && !err)
		err = errno;
	errno = err;
	return err ? -1 : 0;
}

/* In the child, between fork and exec, with CAP_SYS_ADMIN still (or, in a
 * user's run, in a user namespace of its own, where it has it): a mount
 * namespace whose root is a tmpfs holding the plan's binds and links, the
 * host's tree gone from it. Async-signal-safe calls only; -1 and errno if
 * a step fails (the child then ends: no shard runs with a tree half made;
 * view_possible tried this plan first). Each bind's source is first taken
 * as a detached copy (open_tree), so that the tmpfs, mounted over the
 * kernel's own directory (which exists) while it is filled, hides none of
 * them; the tmpfs then becomes the root. */
static int view_enter(void)
{
	size_t root = strlen(hk_dir);
	char at[2 * PATH_MAX];
	int tree[VIEW_MAX], later[VIEW_MAX];

	if (unshare(view_user ? CLONE_NEWUSER | CLONE_NEWNS : CLONE_NEWNS) != 0 ||
	    (view_user && view_map() != 0) ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
		return -1;
	for (int i = 0; i < view_n; i++)
		if (view[i].kind != VIEW_LINK &&
		    ((tree[i] = (int)syscall(SYS_open_tree, AT_FDCWD, view[i].path,
					     OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
					     AT_RECURSIVE)) < 0 ||
		     (later[i] = view_seal(tree[i])) < 0))
			return -1;
	if (mount("vanity", hk_dir, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=64k") != 0)
		return -1;
	for (int i = 0; i < view_n; i++) {
		const struct view_entry *e = &view[i];
		int fd;

		memcpy(at, hk_dir, root);
		memcpy(at + root, e->path, strlen(e->path) + 1);
		if (view_mkdirs(at, root) != 0)
			return -1;
		if (e->kind == VIEW_LINK) {
			if (symlink(e->link, at) != 0)
				return -1;
			continue;
		}
		if (e->kind == VIEW_DIR ? mkdir(at, 0755) != 0 :
		    (fd = open(at, O_CREAT | O_WRONLY | O_CLOEXEC, 0444)) < 0 || close(fd) != 0)
			return -1;
		if (syscall(SYS_move_mount, tree[i], "", AT_FDCWD, at,
			    MOVE_MOUNT_F_EMPTY_PATH) != 0 ||
		    close(tree[i]) != 0 || (later[i] && view_seal_top(at) != 0))
			return -1;
	}
	if (chdir(hk_dir) != 0 || syscall(SYS_pivot_root, ".", ".") != 0 ||
	    umount2(".", MNT_DETACH) != 0 || chdir("/") != 0 ||
	    mount(NULL, "/", NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) != 0)
		return -1;
	return 0;
}

/* The environment a shard's process starts with: the variables the program
 * loader and the sanitizers read, and none of its user's others. A shard
 * has none on the other boards, and a token, a password or a socket's path
 * in the user's is not its business. */
static const char *const env_kept[] = {
	"LD_LIBRARY_PATH=", "LD_PRELOAD=", "GLIBC_TUNABLES=", "UBSAN_OPTIONS=",
};
#define ENV_KEPT (sizeof(env_kept) / sizeof(env_kept[0]))

static char *const *shard_environ(void)
{
	static char *env[ENV_KEPT + 1];
	static bool made;
	size_t n = 0;

	if (made)
		return env;
	for (char **e = environ; *e && n < ENV_KEPT; e++)
		for (size_t i = 0; i < ENV_KEPT; i++)
			if (strncmp(*e, env_kept[i], strlen(env_kept[i])) == 0) {
				env[n++] = *e;
				break;
			}
	made = true;
	return env;
}

/* In the child: why it cannot start, said on its standard error (one
 * write: a line no other interleaves; the kernel's own until the
 * descriptors are moved into place, the relay of its shard's after), and
 * the end, with `status`. */
static _Noreturn void child_fail(const char *name, const char *what, int err, int status)
{
	char line[256], num[12];
	size_t n = 0, k = sizeof(num);
	const char *parts[] = {"vanity: shard '", name, "': ", what, ": errno "};

	do
		num[--k] = (char)('0' + err % 10);
	while ((err /= 10) > 0 && k > 0);
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		for (const char *c = parts[i]; *c && n < sizeof(line) - sizeof(num) - 1; c++)
			line[n++] = *c;
	memcpy(line + n, num + k, sizeof(num) - k);
	n += sizeof(num) - k;
	line[n++] = '\n';
	(void)!write(2, line, n);
	_exit(status);
}

/* In the child, between fork and exec: async-signal-safe calls only. It
 * runs the image open at `image`, the copy the kernel checked, in the
 * Landlock domain of `rules` (fs_rules; none if -1). Its descriptors are
 * the shard's alone before anything else: the kernel's others (every
 * shard's memory among them) are closed before a user's run makes the
 * child dumpable for a moment (view_map), and the kernel's shared
 * mappings never reached it (hk_memfd: MADV_DONTFORK). */
static _Noreturn void child_exec(int image, int rules, char *const argv[], char *const envp[],
				 int cpu, const int *src, const int *dst, int n)
{
	struct __user_cap_header_struct cap_hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct cap_none[_LINUX_CAPABILITY_U32S_3] = {{0}};
	sigset_t none;
	cpu_set_t set;
	int tmp[MAX_FDS], top = 0, img, dom = -1;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* Move every source above all targets first, so no dup2 clobbers a
	 * source that is still to be moved. */
	for (int i = 0; i < n; i++)
		if ((tmp[i] = fcntl(src[i], F_DUPFD_CLOEXEC, MAX_FDS)) < 0)
			child_fail(argv[0], "cannot move its descriptors", errno, 126);
	if ((img = fcntl(image, F_DUPFD_CLOEXEC, MAX_FDS)) < 0 ||
	    (rules >= 0 && (dom = fcntl(rules, F_DUPFD_CLOEXEC, MAX_FDS)) < 0))
		child_fail(argv[0], "cannot move its descriptors", errno, 126);
	for (int i = 0; i < n; i++) {
		if (dup2(tmp[i], dst[i]) < 0)
			child_fail(argv[0], "cannot move its descriptors", errno, 126);
		top = dst[i] > top ? dst[i] : top;
	}
	/* the image just past the shard's own descriptors, then the Landlock
	 * domain: both closed by the exec */
	if (dup3(img, top + 1, O_CLOEXEC) < 0 || (dom >= 0 && dup3(dom, top + 2, O_CLOEXEC) < 0))
		child_fail(argv[0], "cannot move its descriptors", errno, 126);
	syscall(SYS_close_range, top + 3, ~0u, 0);
	if (view_on && view_enter() != 0)
		child_fail(argv[0], "cannot make its own file tree (a mount namespace)", errno,
			   126);
	/* No capability survives the exec, even for root: without the
	 * capability to (CAP_SETPCAP) there were none to drop. */
	for (int cap = 0; cap < 64; cap++)
		prctl(PR_CAPBSET_DROP, cap, 0, 0, 0);
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	/* Nor any before it: the exec then finds the image unreadable
	 * (root's CAP_DAC_OVERRIDE would read it) and the process undumpable. */
	if (syscall(SYS_capset, &cap_hdr, cap_none) != 0)
		child_fail(argv[0], "cannot drop its capabilities", errno, 126);
	/* no_new_privs first, which entering a domain without a capability
	 * needs (the filter sets it again) */
	if (dom >= 0 && (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
			 syscall(SYS_landlock_restrict_self, top + 2, 0) != 0))
		child_fail(argv[0], "cannot enter its Landlock domain", errno, 126);
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
	if (vn_sandbox_install(VN_SANDBOX_START) != 0)
		child_fail(argv[0], "cannot install its start filter", errno, 126);
	syscall(SYS_execveat, top + 1, "", argv, envp, AT_EMPTY_PATH);
	child_fail(argv[0], "cannot run its image", errno, 127);
}

/* h->run_fd: the copy of the build's image of h (exec_copy), made at its
 * first start (or the first after a rollback to it); its restarts run the
 * same copy again, and a reload stages a copy of its own (reload.c). */
static int take_image(struct hk_shard *h)
{
	char path[PATH_MAX];
	int image;

	snprintf(path, sizeof(path), "%s/%s", hk_dir, h->s->cfg->image);
	if (access(path, X_OK) != 0) {
		hk_msg("shard '%s': cannot run %s: %s", h->s->cfg->name, path, strerror(errno));
		return -1;
	}
	dumpable_check();
	image = open(path, O_RDONLY | O_CLOEXEC);
	if (image < 0) {
		hk_msg("shard '%s': cannot read %s: %s", h->s->cfg->name, path, strerror(errno));
		return -1;
	}
	h->run_fd = exec_copy(h, image, path, &h->image_hash);
	close(image);
	return h->run_fd < 0 ? -1 : 0;
}

/* Start h's shard process. Called with hk_lock held. */
int hk_spawn(struct hk_shard *h)
{
	int src[MAX_FDS], dst[MAX_FDS], n = fd_plan(h, src, dst);
	char kpid[24];
	char *argv[] = {(char *)h->s->cfg->name, kpid, NULL};
	char *const *envp = shard_environ();
	int rules;
	pid_t pid;

	vn_rings_describe(&hk_kernel, h->s->cfg->id);
	if (n < 0) {
		hk_msg("shard '%s': cannot open /dev/null: %s", h->s->cfg->name, strerror(errno));
		return -1;
	}
	if (h->run_fd < 0 && take_image(h) != 0) /* its first start */
		return -1;
	if ((rules = fs_rules(h)) == -2)
		return -1;
	view_plan();
	snprintf(kpid, sizeof(kpid), "%d", (int)getpid());
	fflush(NULL);
	pid = fork();
	if (pid != 0 && rules >= 0) { /* the child's own copy is closed by its exec */
		int err = errno;

		close(rules);
		errno = err;
	}
	if (pid < 0) {
		struct rlimit r;

		if (errno == EAGAIN && getrlimit(RLIMIT_NPROC, &r) == 0 &&
		    r.rlim_cur != RLIM_INFINITY)
			hk_msg("shard '%s': cannot start a process: this user's process limit "
			       "(ulimit -u: %llu) is reached; the system needs one per shard "
			       "(%u) besides the user's others", h->s->cfg->name,
			       (unsigned long long)r.rlim_cur, hk_kernel.sys->n_shards);
		else
			hk_msg("shard '%s': cannot start a process: %s", h->s->cfg->name,
			       strerror(errno));
		return -1;
	}
	if (pid == 0)
		child_exec(h->run_fd, rules, argv, envp, hk_cores[h->s->cfg->core].cpu, src, dst,
			   n);
	h->pid = pid;
	h->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (h->pidfd < 0) {
		kill(pid, SIGKILL);
		return -1;
	}
	if (clock_getcpuclockid(pid, &h->cpu_clock) != 0)
		h->cpu_clock = HK_NO_CLOCK; /* then its time off core goes unchecked */
	h->cpu_off = HK_ON_CORE;
	fcntl(h->pidfd, F_SETFD, FD_CLOEXEC);
	return 0;
}

void hk_kill(struct hk_shard *h)
{
	if (h->pid > 0)
		kill(h->pid, SIGKILL);
}
