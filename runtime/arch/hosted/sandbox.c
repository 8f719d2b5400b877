/*
 * sandbox.c - the host system calls a shard process may make (built into
 * the kernel, which confines a shard's process before it execs the shard's
 * program, and into every shard, which narrows that in main()).
 *
 * Separate address spaces keep a shard out of other shards' memory, but a
 * process of the same user could still reach around them through the host:
 * open /proc/<pid>/mem of the kernel or a sibling, ptrace one, copy another
 * process's memory with process_vm_writev, signal the kernel or a sibling,
 * change another process's limits, start processes the kernel does not
 * supervise. A shard has no use for any of that: all it asks of the host
 * is memory in its own address space, a futex to sleep on, its doorbells
 * to ring (eventfd writes), the clock, and its own signals (its crash
 * recorder, fault.c). So it runs under two seccomp filters, each allowing
 * a list of calls and refusing every other one with EPERM:
 *   - VN_SANDBOX_START, installed by the kernel in the new process between
 *     fork and exec (kernel/proc.c), so it holds from the program's first
 *     instruction: no code of the shard's, not even a constructor, an ifunc
 *     resolver or a .preinit_array entry, runs unconfined. It adds to the
 *     list below what the program loader and the C library's start need
 *     (start_rules[]): execveat (the one that starts the program), opening
 *     files read-only (the loader opens ld.so.cache and the libraries), read
 *     and pread64, fstat, executable mappings, the thread set-up calls, and
 *     the prctl calls the runtime's main() makes (its name among them).
 *     Before it the kernel has dropped every capability from the process's
 *     bounding set (so a system run as root starts its shards with none)
 *     and set the parent-death signal;
 *   - VN_SANDBOX_RUN, installed by the shard's runtime in main(), before it
 *     touches its channels and so before any untrusted input can reach it:
 *     the list below alone. Filters stack, so from then on only calls both
 *     allow are made.
 * The run filter is the shard's own code's to install, so an image that
 * never lets main() run keeps the start filter's list for good. What that
 * list adds reaches nothing outside the shard: the files it may open are
 * only the program loader's (the kernel's Landlock rules, kernel/proc.c;
 * on a host without Landlock, which the kernel warns of, every file its
 * user may read, and in /proc the memory of the user's other dumpable
 * processes); the kernel and every shard are not dumpable, a shard from
 * its exec on (kernel/proc.c), and it holds no capability to look past
 * that; it writes nothing outside itself and starts nothing unconfined
 * (no_new_privs, and the filters and the Landlock domain outlive execve).
 *
 * The filter is a list of what is allowed (rules[] below, compiled into a
 * chain of BPF tests when the shard starts): a call it does not name is
 * refused, and so is any call the host adds later. The list is what shard
 * processes were seen to call after the filter, under strace, across the
 * hosted system tests (plain and under UBSan, VANITY_SANITIZE=1), and what
 * libc calls to allocate, sleep, and report a failed assert() or
 * _FORTIFY_SOURCE check before it aborts (brk, getrandom, writev):
 *   - memory of its own: brk, mmap, munmap, mprotect, mremap, never with
 *     PROT_EXEC: a shard's code is the executable the kernel started, and a
 *     new version of it is a new process (kernel/reload.c), so a shard
 *     never needs new executable memory; madvise with the advice libc and
 *     the sanitizers give (not MADV_HWPOISON, MADV_SOFT_OFFLINE or
 *     MADV_REMOVE, which would reach the pages it shares with others);
 *   - waiting and the clock: futex (wait and wake only), futex_waitv (a
 *     parked wait, hosted.h; it only waits), sched_yield, nanosleep,
 *     clock_nanosleep, clock_gettime, clock_getres, gettimeofday (the
 *     vDSO serves most clock reads without a call), restart_syscall (which
 *     resumes an interrupted sleep);
 *   - the descriptors it was given: write, writev, close, read only from
 *     descriptors 3 and up (0 is /dev/null, but 1 and 2 may be a terminal
 *     opened for reading too, whose input is the console's), and fcntl
 *     only for F_GETFD (F_SETOWN and F_SETSIG would aim signals at another
 *     process). Its doorbells are the write ends of pipes, so no shard can
 *     take a ring meant for a core's thread;
 *   - its own signals: rt_sigaction, rt_sigprocmask, rt_sigreturn,
 *     sigaltstack, and kill, tkill, tgkill, rt_sigqueueinfo and
 *     rt_tgsigqueueinfo only when the target is its own pid (a shard is
 *     one thread, so its thread id is its pid);
 *   - who it is, and leaving: getpid, gettid, getppid, getrandom, exit,
 *     exit_group.
 * Among what that refuses: opening files (a shard has no filesystem), also
 * through io_uring (whose operations no seccomp filter sees), so no shard
 * reopens a descriptor it was given read-only (a pool) for writing;
 * sockets (its network, if any, is a device it owns); ptrace,
 * process_vm_readv/writev and the pidfd calls; clone, fork and execve (a
 * shard is one thread of one program); ioctl (TIOCSTI on a terminal it
 * inherited would type into it); prctl (PR_SET_PDEATHSIG: a shard must
 * die with the kernel); prlimit64, setpriority and sched_setaffinity (its
 * CPU is its core's, and other processes' limits are not its business);
 * and what a process of a privileged user could do to the host. Under
 * UBSan the report of a finding still comes out: the sanitizer only says
 * first that it cannot read the executable's name (readlink is refused).
 *
 * A call of another architecture's ABI ends the process (the filter knows
 * this one's numbers only). On x86-64 an x32 call has this architecture's
 * AUDIT_ARCH and its number with __X32_SYSCALL_BIT set: it is refused by
 * that bit, before the list. EPERM and not ENOSYS: the call exists, and
 * the shard may not make it (libc's fallbacks on ENOSYS would only lead to
 * other refused calls).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/futex.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hosted_arch.h"
#include "sandbox.h"

/* The filter reads the low 32 bits of an argument, and every argument it
 * tests is an int (a pid, a command, a protection). */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	       "sandbox.c: an argument's low half is at its offset on this host only");

enum test {
	ANY,      /* allowed whatever its arguments */
	IS,       /* allowed when argument arg is value */
	IS_SELF,  /* allowed when argument arg is our pid */
	LACKS,    /* allowed when argument arg has none of value's bits */
	AT_LEAST, /* allowed when argument arg is value or more (unsigned) */
	IS_BUT,   /* allowed when argument arg is value, but for the bits of flags */
	IS_PAIR,  /* allowed when argument arg is value and argument arg + 1 is flags */
};

struct rule {
	int nr;
	enum test test;
	unsigned arg;
	uint32_t value;
	uint32_t flags; /* IS_BUT: the bits that may be set too; IS_PAIR: the next */
};

#define CALL(nr) {(nr), ANY, 0, 0, 0}
#define CALL_IF_IS(nr, arg, value) {(nr), IS, (arg), (value), 0}
#define CALL_IF_SELF(nr, arg) {(nr), IS_SELF, (arg), 0, 0}
#define CALL_IF_LACKS(nr, arg, bits) {(nr), LACKS, (arg), (bits), 0}
#define CALL_IF_AT_LEAST(nr, arg, value) {(nr), AT_LEAST, (arg), (value), 0}
#define CALL_IF_IS_BUT(nr, arg, value, flags) {(nr), IS_BUT, (arg), (value), (flags)}
#define CALL_IF_PAIR(nr, arg, value, next) {(nr), IS_PAIR, (arg), (value), (next)}

/* futex: waiting on a word and waking its waiters, the only operations a
 * shard (its turn word) and its C library (a lock, one thread) use. The
 * others take a thread id from the word (the PI operations: a shard could
 * name the kernel's or a sibling's thread in a word it shares) or requeue
 * waiters from one word to another; none is a shard's business. */
#define FUTEX_FLAGS (FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME)

/* Every call a shard may make. A call with more than one rule is allowed
 * when any of them allows it. */
static const struct rule rules[] = {
	/* the hot ones first: the doorbell, the turn word, the clock */
	CALL(__NR_write),
	CALL_IF_IS_BUT(__NR_futex, 1, FUTEX_WAIT, FUTEX_FLAGS),
	CALL_IF_IS_BUT(__NR_futex, 1, FUTEX_WAKE, FUTEX_FLAGS),
	CALL_IF_IS_BUT(__NR_futex, 1, FUTEX_WAIT_BITSET, FUTEX_FLAGS),
	CALL_IF_IS_BUT(__NR_futex, 1, FUTEX_WAKE_BITSET, FUTEX_FLAGS),
	CALL_IF_IS(__NR_futex_waitv, 2, 0), /* a parked wait (hosted.h): waits only */
	CALL(__NR_clock_gettime),
	CALL(__NR_sched_yield),
	CALL(__NR_nanosleep),
	CALL(__NR_clock_nanosleep),
	CALL(__NR_clock_getres),
	CALL(__NR_gettimeofday),
	CALL(__NR_restart_syscall),
	/* descriptors it holds */
	CALL_IF_AT_LEAST(__NR_read, 0, 3),
	CALL(__NR_writev),
	CALL(__NR_close),
	CALL_IF_IS(__NR_fcntl, 1, F_GETFD),
	/* memory of its own, never executable */
	CALL(__NR_brk),
	CALL_IF_LACKS(__NR_mmap, 2, PROT_EXEC),
	CALL_IF_LACKS(__NR_mprotect, 2, PROT_EXEC),
	CALL(__NR_munmap),
	CALL(__NR_mremap),
	CALL_IF_IS(__NR_madvise, 2, MADV_DONTNEED),
	CALL_IF_IS(__NR_madvise, 2, MADV_FREE),
	CALL_IF_IS(__NR_madvise, 2, MADV_NORMAL),
	CALL_IF_IS(__NR_madvise, 2, MADV_WILLNEED),
	CALL_IF_IS(__NR_madvise, 2, MADV_RANDOM),
	CALL_IF_IS(__NR_madvise, 2, MADV_SEQUENTIAL),
	CALL_IF_IS(__NR_madvise, 2, MADV_HUGEPAGE),
	CALL_IF_IS(__NR_madvise, 2, MADV_NOHUGEPAGE),
	CALL_IF_IS(__NR_madvise, 2, MADV_DONTDUMP),
	CALL_IF_IS(__NR_madvise, 2, MADV_DODUMP),
	/* its own signals */
	CALL(__NR_rt_sigaction),
	CALL(__NR_rt_sigprocmask),
	CALL(__NR_rt_sigreturn),
	CALL(__NR_sigaltstack),
	CALL_IF_SELF(__NR_kill, 0),
	CALL_IF_SELF(__NR_tkill, 0),
	CALL_IF_SELF(__NR_tgkill, 0),
	CALL_IF_SELF(__NR_rt_sigqueueinfo, 0),
	CALL_IF_SELF(__NR_rt_tgsigqueueinfo, 0),
	/* who it is, and leaving */
	CALL(__NR_getpid),
	CALL(__NR_gettid),
	CALL(__NR_getppid),
	CALL(__NR_getrandom),
	CALL(__NR_exit),
	CALL(__NR_exit_group),
};

/* And before main(): the program loader and the C library's start. */
static const struct rule start_rules[] = {
	CALL(__NR_execveat),
	CALL_IF_LACKS(__NR_openat, 2, O_ACCMODE | O_CREAT | O_TRUNC | O_APPEND),
	CALL_IF_AT_LEAST(__NR_pread64, 0, 3),
	CALL(__NR_newfstatat),
	CALL(__NR_fstat),
#ifdef __NR_access
	CALL(__NR_access),
#endif
	CALL(__NR_faccessat),
	CALL(__NR_mmap),
	CALL(__NR_mprotect),
#ifdef __NR_arch_prctl
	CALL(__NR_arch_prctl),
#endif
	CALL(__NR_set_tid_address),
	CALL(__NR_set_robust_list),
	CALL(__NR_rseq),
	CALL_IF_IS(__NR_prlimit64, 0, 0),
	CALL_IF_PAIR(__NR_prctl, 0, PR_SET_DUMPABLE, 0), /* not dumpable: never the other way */
	CALL_IF_IS(__NR_prctl, 0, PR_SET_NO_NEW_PRIVS),
	CALL_IF_IS(__NR_prctl, 0, PR_SET_SECCOMP),
	CALL_IF_IS(__NR_prctl, 0, PR_SET_NAME),
};

#define NRULES (sizeof(rules) / sizeof(rules[0]))
#define NSTART (sizeof(start_rules) / sizeof(start_rules[0]))
#define MAX_CODE (6 + 7 * (NRULES + NSTART) + 1)

#define STMT(code, k) ((struct sock_filter)BPF_STMT((code), (k)))
#define JUMP(code, k, jt, jf) ((struct sock_filter)BPF_JUMP((code), (k), (jt), (jf)))
#define LOAD(field) STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, field))
#define LOAD_ARG(i) STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0]) + 8 * (i))
#define RETURN(action) STMT(BPF_RET | BPF_K, (action))
#define ALLOW RETURN(SECCOMP_RET_ALLOW)
#define REFUSE RETURN(SECCOMP_RET_ERRNO | EPERM)

/*
 * One rule, with the call number in the accumulator and left there:
 *   ANY:        if nr == n: allow
 *   IS_PAIR:    if nr != n: skip 6
 *               load the argument; if it is not value: skip 3
 *               load the next; if it is flags: allow
 *               load nr again, for the rules after
 *   the others: if nr != n: skip 4 (5 for IS_BUT)
 *               load the argument
 *               (IS_BUT: clear the bits of flags)
 *               if it passes: allow (for LACKS: if no bit is set)
 *               load nr again, for the rules after
 * (The filter reads an argument's low 32 bits: an int, or a descriptor.)
 */
static unsigned compile_rule(struct sock_filter *c, const struct rule *r, uint32_t self)
{
	unsigned n = 0;

	if (r->test == ANY) {
		c[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)r->nr, 0, 1);
		c[n++] = ALLOW;
		return n;
	}
	if (r->test == IS_PAIR) {
		c[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)r->nr, 0, 6);
		c[n++] = LOAD_ARG(r->arg);
		c[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, r->value, 0, 3);
		c[n++] = LOAD_ARG(r->arg + 1);
		c[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, r->flags, 0, 1);
		c[n++] = ALLOW;
		c[n++] = LOAD(nr);
		return n;
	}
	c[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)r->nr, 0, r->test == IS_BUT ? 5 : 4);
	c[n++] = LOAD_ARG(r->arg);
	if (r->test == IS_BUT)
		c[n++] = STMT(BPF_ALU | BPF_AND | BPF_K, ~r->flags);
	if (r->test == LACKS)
		c[n++] = JUMP(BPF_JMP | BPF_JSET | BPF_K, r->value, 1, 0);
	else if (r->test == AT_LEAST)
		c[n++] = JUMP(BPF_JMP | BPF_JGE | BPF_K, r->value, 0, 1);
	else
		c[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, r->test == IS_SELF ? self : r->value,
			      0, 1);
	c[n++] = ALLOW;
	c[n++] = LOAD(nr);
	return n;
}

int vn_sandbox_install(enum vn_sandbox stage)
{
	uint32_t self = (uint32_t)getpid();
	struct sock_filter code[MAX_CODE];
	struct sock_fprog prog = {.filter = code};
	unsigned n = 0;

	code[n++] = LOAD(arch);
	code[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, VN_AUDIT_ARCH, 1, 0);
	code[n++] = RETURN(SECCOMP_RET_KILL_PROCESS);
	code[n++] = LOAD(nr);
#ifdef __X32_SYSCALL_BIT
	/* x32 shares x86-64's AUDIT_ARCH; its numbers carry this bit */
	code[n++] = JUMP(BPF_JMP | BPF_JSET | BPF_K, __X32_SYSCALL_BIT, 0, 1);
	code[n++] = REFUSE;
#endif
	for (unsigned i = 0; i < NRULES; i++)
		n += compile_rule(&code[n], &rules[i], self);
	for (unsigned i = 0; stage == VN_SANDBOX_START && i < NSTART; i++)
		n += compile_rule(&code[n], &start_rules[i], self);
	code[n++] = REFUSE;
	prog.len = (unsigned short)n;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0)
		return -1;
	return 0;
}
