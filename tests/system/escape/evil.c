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
 * filter holds (sandbox.c) and a shard's code may still open files
 * read-only, for the program loader: but not the user's files, nor any in
 * /proc, which the kernel's Landlock rules leave out (kernel/proc.c);
 * vn_main reports them first, as "before main: <attempt>".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
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
#define EARLY 9
static long early_ret[EARLY];
static int early_errno[EARLY];
static const char *const early_what[EARLY] = {
	"before main: kill kernel", "before main: open a file for writing",
	"before main: open a UDP socket", "before main: clear PDEATHSIG",
	"before main: read a file of the user's", "before main: look into /proc",
	"before main: run a program", "before main: see a file of the user's",
	"before main: make itself dumpable",
};

/* A file the user may read (the test's, whose path it builds in), opened
 * read-only and read, as the start filter allows. */
#ifndef ESCAPE_SECRET
#error "the test names its file: -DESCAPE_SECRET=\"PATH\""
#endif
static long read_users_file(void)
{
	char buf[64];
	int fd = open(ESCAPE_SECRET, O_RDONLY);

	return fd < 0 ? -1 : read(fd, buf, sizeof(buf));
}

/* Whether the kernel's environment reached this process: the test sets
 * VANITY_ESCAPE_CANARY in it. */
static bool saw_canary;

__attribute__((constructor)) static void before_main(void)
{
	char path[64];
	long ret[EARLY];

	ret[0] = kill(getppid(), 0);
	early_errno[0] = errno;
	ret[1] = open("/nonexistent-vanity-probe/x", O_WRONLY | O_CREAT, 0600);
	early_errno[1] = errno;
	ret[2] = socket(AF_INET, SOCK_DGRAM, 0);
	early_errno[2] = errno;
	ret[3] = syscall(SYS_prctl, PR_SET_PDEATHSIG, 0, 0, 0, 0);
	early_errno[3] = errno;
	ret[4] = read_users_file();
	early_errno[4] = errno;
	/* where the kernel's children, its siblings, are listed */
	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", getppid(), getppid());
	ret[5] = open(path, O_RDONLY);
	early_errno[5] = errno;
	saw_canary = getenv("VANITY_ESCAPE_CANARY") != NULL;
	/* one the start filter's execveat would run: were it allowed, this
	 * process would become that program, and the test would miss every
	 * line after */
	ret[6] = syscall(SYS_execveat, AT_FDCWD, "/usr/bin/true", (char *[]){"true", NULL},
			 (char *[]){NULL}, 0);
	early_errno[6] = errno;
	/* whether it exists, and its size: what stat tells of a path, which
	 * Landlock does not govern (only a tree of the shard's own hides it) */
	{
		struct stat st;

		ret[7] = stat(ESCAPE_SECRET, &st);
		early_errno[7] = errno;
	}
	/* which would open its memory to any process of its user's that can
	 * reach /proc (the start filter lets it make itself not dumpable) */
	ret[8] = syscall(SYS_prctl, PR_SET_DUMPABLE, 1, 0, 0, 0);
	early_errno[8] = errno;
	for (int i = 0; i < EARLY; i++)
		early_ret[i] = ret[i];
}

static void report_early(void)
{
	for (int i = 0; i < EARLY; i++) {
		errno = early_errno[i];
		report(early_what[i], early_ret[i]);
	}
	vn_log("before main: the user's environment: %s", saw_canary ? "SEEN" : "not seen");
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
