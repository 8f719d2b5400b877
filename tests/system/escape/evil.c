/*
 * Tries every way around its own address space it can think of, and logs
 * what each returned: "<attempt>: refused" (failed with EPERM, the
 * sandbox's answer), "<attempt>: failed (errno N)" (failed, but not by the
 * sandbox) or "<attempt>: ALLOWED".
 *
 * The first group is what the sandbox was written against; the second,
 * calls that are harmless here or whose harm is to come, and that only an
 * allowlist refuses: each is made so that, were it allowed, it would do no
 * damage the test does not see (a fork's child leaves at once, an execve
 * runs a program that is not there).
 *
 * A constructor makes its attempts before main(), where the kernel's start
 * filter holds (sandbox.c), and reads what capabilities the process has;
 * vn_main reports them first, as "before main: <attempt>". Among them:
 * reading the victim through /proc while it waits in a constructor of its
 * own (victim.c), before its main() could make it undumpable.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <vanity_shard.h>

#include "hosted.h"

static void report(const char *what, long ret)
{
	if (ret >= 0)
		vn_log("%s: ALLOWED", what);
	else if (errno == EPERM)
		vn_log("%s: refused", what);
	else
		vn_log("%s: failed (errno %d)", what, errno);
}

/* Before main(): the results, kept for vn_main to report. */
#define EARLY 6
static long early_ret[EARLY];
static int early_errno[EARLY];
static char early_caps[96];
static int sibling;
static const char *const early_what[EARLY] = {
	"before main: kill kernel", "before main: open a file for writing",
	"before main: open a UDP socket", "before main: clear PDEATHSIG",
	"before main: open the victim's control page", "before main: open the victim's memory",
};

static uint64_t ms_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u;
}

static void sleep_ms(long ms)
{
	struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&t, NULL);
}

/* Whether pid is a process of the kernel's other than this one. */
static int is_sibling(int pid)
{
	char path[64], stat[512];
	const char *close_paren;
	int fd, ppid = 0;
	ssize_t n;

	if (pid <= 0 || pid == getpid())
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if ((fd = open(path, O_RDONLY)) < 0)
		return 0;
	n = read(fd, stat, sizeof(stat) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	stat[n] = 0;
	close_paren = strrchr(stat, ')'); /* "pid (comm) S ppid ..." */
	return close_paren && sscanf(close_paren, ") %*c %d", &ppid) == 1 && ppid == getppid();
}

/* The other process of the kernel's: one of the children its main thread
 * lists (it starts the shards at boot), or else a pid near this one's; 0 if
 * none shows within a second. */
static int find_sibling(void)
{
	int self = getpid(), kernel = getppid();
	uint64_t end = ms_now() + 1000;

	do {
		char path[64], list[512], *e;
		int fd, pid;
		ssize_t n = -1;

		snprintf(path, sizeof(path), "/proc/%d/task/%d/children", kernel, kernel);
		if ((fd = open(path, O_RDONLY)) >= 0) {
			n = read(fd, list, sizeof(list) - 1);
			close(fd);
		}
		list[n > 0 ? n : 0] = 0;
		for (char *p = list; (pid = (int)strtol(p, &e, 10)) > 0; p = e)
			if (is_sibling(pid))
				return pid;
		for (pid = self - 512; pid < self + 512; pid++)
			if (is_sibling(pid))
				return pid;
		sleep_ms(1);
	} while (ms_now() < end);
	return 0;
}

/* Its control page (a shared memfd) and its memory, read-only: what a
 * process of the same user may open while the other is dumpable. The
 * victim spends 2 s in its constructor; 300 ms in, it is there. */
static void read_sibling(long *ret, int *err)
{
	char path[64];

	if (!(sibling = find_sibling()))
		return;
	sleep_ms(300);
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", sibling, VN_FD_CTL);
	ret[0] = open(path, O_RDONLY);
	err[0] = errno;
	snprintf(path, sizeof(path), "/proc/%d/mem", sibling);
	ret[1] = open(path, O_RDONLY);
	err[1] = errno;
}

/* "CapEff 0000000000000000 CapBnd 0000000000000000", from /proc/self/status. */
static void read_caps(void)
{
	char status[4096];
	const char *eff, *bnd;
	int fd = open("/proc/self/status", O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, status, sizeof(status) - 1);

	if (n <= 0) {
		snprintf(early_caps, sizeof(early_caps), "unreadable (errno %d)", errno);
		return;
	}
	status[n] = 0;
	eff = strstr(status, "CapEff:\t");
	bnd = strstr(status, "CapBnd:\t");
	snprintf(early_caps, sizeof(early_caps), "CapEff %.16s CapBnd %.16s",
		 eff ? eff + 8 : "?", bnd ? bnd + 8 : "?");
}

__attribute__((constructor)) static void before_main(void)
{
	long ret[EARLY];

	ret[0] = kill(getppid(), 0);
	early_errno[0] = errno;
	ret[1] = open("/nonexistent-vanity-probe/x", O_WRONLY | O_CREAT, 0600);
	early_errno[1] = errno;
	ret[2] = socket(AF_INET, SOCK_DGRAM, 0);
	early_errno[2] = errno;
	ret[3] = syscall(SYS_prctl, PR_SET_PDEATHSIG, 0, 0, 0, 0);
	early_errno[3] = errno;
	read_sibling(ret + 4, early_errno + 4);
	for (int i = 0; i < EARLY; i++)
		early_ret[i] = ret[i];
	read_caps();
}

static void report_early(void)
{
	for (int i = 0; i < EARLY; i++) {
		errno = early_errno[i];
		if (i < 4 || sibling)
			report(early_what[i], early_ret[i]);
	}
	if (!sibling)
		vn_log("before main: no sibling found");
	vn_log("before main: capabilities: %s", early_caps);
}

static void try_allowlist(pid_t kernel)
{
	static char page[4096] __attribute__((aligned(4096)));
	char buf[256];
	struct rlimit lim;
	cpu_set_t all;
	pid_t child;
	void *p;
	int n = 0;

	child = (pid_t)syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
	if (child == 0)
		_exit(0);
	report("fork", child);
	report("execve", syscall(SYS_execve, "/nonexistent-vanity-probe", 0, 0));
	report("execveat", syscall(SYS_execveat, AT_FDCWD, "/nonexistent-vanity-probe", 0, 0, 0));
#if defined(__x86_64__)
	report("x32 openat",
	       syscall(__X32_SYSCALL_BIT | __NR_openat, AT_FDCWD, "/etc/hostname", O_RDONLY));
#endif
	report("ioctl", ioctl(VN_FD_DOORBELL, FIONREAD, &n));
	report("getdents", syscall(SYS_getdents64, VN_FD_CTL, buf, sizeof(buf)));
	report("chdir", syscall(SYS_chdir, "/"));
	report("unlinkat", syscall(SYS_unlinkat, AT_FDCWD, "nonexistent-vanity-probe", 0));
	report("mkdirat", syscall(SYS_mkdirat, AT_FDCWD, "/nonexistent-vanity-probe/x", 0700));
	report("dup", syscall(SYS_dup, VN_FD_CTL));
	report("fcntl F_SETOWN kernel", syscall(SYS_fcntl, VN_FD_DOORBELL, F_SETOWN, kernel));
	report("prlimit kernel", syscall(SYS_prlimit64, kernel, RLIMIT_NOFILE, NULL, &lim));
	report("clear PDEATHSIG", syscall(SYS_prctl, PR_SET_PDEATHSIG, 0, 0, 0, 0));
	CPU_ZERO(&all);
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
		CPU_SET(cpu, &all);
	report("leave its CPU", syscall(SYS_sched_setaffinity, 0, sizeof(all), &all));
	p = (void *)syscall(SYS_mmap, NULL, 4096, PROT_READ | PROT_EXEC,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	report("mmap executable", p == MAP_FAILED ? -1 : 0);
	report("mprotect executable", syscall(SYS_mprotect, page, 4096, PROT_READ | PROT_EXEC));
	/* and what a shard does need still works */
	p = (void *)syscall(SYS_mmap, NULL, 4096, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	report("mmap data", p == MAP_FAILED ? -1 : 0);
	report("fcntl F_GETFD", syscall(SYS_fcntl, VN_FD_CTL, F_GETFD));
	/* Pages it shares: poisoning one would take it from every mapper. */
	report("madvise hwpoison", syscall(SYS_madvise, page, 4096, MADV_HWPOISON));
	report("madvise remove", syscall(SYS_madvise, page, 4096, MADV_REMOVE));
	report("madvise dontneed", syscall(SYS_madvise, page, 4096, MADV_DONTNEED));
	/* futex operations that take a thread from the word (the PI ones) or
	 * move waiters between words; waking is what a shard does. */
	report("futex lock_pi", syscall(SYS_futex, (uint32_t *)page, FUTEX_LOCK_PI, 0, NULL,
					NULL, 0));
	report("futex cmp_requeue", syscall(SYS_futex, (uint32_t *)page,
					    FUTEX_CMP_REQUEUE | FUTEX_PRIVATE_FLAG, 1, 1,
					    (uint32_t *)page + 1, 0));
	report("futex wake", syscall(SYS_futex, (uint32_t *)page, FUTEX_WAKE, 1, NULL, NULL, 0));
	/* The console's input, through a terminal's descriptor; and a
	 * doorbell's rings, which its core's thread waits for. */
	report("read stdin", syscall(SYS_read, 0, buf, 1));
	report("read stdout", syscall(SYS_read, 1, buf, 1));
	report("read a doorbell", syscall(SYS_read, VN_FD_DOORBELL, buf, 8));
}

/* Lines written past vn_log, to its own standard output and error: one
 * that would pass for the kernel's, one for the victim's, and an escape
 * sequence that would clear the terminal. */
static void forge(void)
{
	static const char kernel_line[] = "vanity: shard 'victim' faulted: forged\n";
	static const char victim_line[] = "[victim] forged\n\033[2Jcleared\n";

	(void)!write(2, kernel_line, sizeof(kernel_line) - 1);
	(void)!write(1, victim_line, sizeof(victim_line) - 1);
}

void vn_main(void)
{
	pid_t kernel = getppid();
	uint64_t victim;
	char path[64], byte = 0;
	struct iovec local = {&byte, 1}, remote = {(void *)0x400000, 1};

	report_early();
	while (!vn_recv(&vn_rx_pid, &victim))
		vn_wait(VN_FOREVER);
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)kernel);
	report("open kernel mem", open(path, O_RDWR));
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)victim);
	report("open victim mem", open(path, O_RDWR));
	report("open a file", open("/etc/hostname", O_RDONLY));
	/* A raw socket would reach the network around the shard's devices. */
	report("open a packet socket", socket(AF_PACKET, SOCK_RAW, 0));
	report("open a UDP socket", socket(AF_INET, SOCK_DGRAM, 0));
	report("ptrace victim", ptrace(PTRACE_ATTACH, (pid_t)victim, 0, 0));
	report("process_vm_writev victim",
	       process_vm_writev((pid_t)victim, &local, 1, &remote, 1, 0));
	report("stop kernel", kill(kernel, SIGSTOP));
	report("kill kernel", kill(kernel, SIGKILL));
	report("kill victim", kill((pid_t)victim, SIGKILL));
	report("signal self", kill(getpid(), 0));
	try_allowlist(kernel);
	forge();
}
