/*
 * sandbox.c - what a shard process may not do to the rest of the system.
 *
 * Separate address spaces keep a shard out of other shards' memory, but a
 * process of the same user could still reach around them through the host:
 * open /proc/<pid>/mem of the kernel or a sibling, ptrace one, copy another
 * process's memory with process_vm_writev, or signal the kernel or a
 * sibling (stop it, kill it). A shard has no use for any of that, so before
 * it touches its channels, and so before any untrusted input can reach it,
 * it installs a seccomp filter that refuses (EPERM):
 *   - opening files (a shard has no filesystem);
 *   - ptrace, process_vm_readv/writev and the pidfd calls;
 *   - sending a signal to any process but itself;
 *   - making sockets (its network, if any, is a device it owns).
 * The filter holds for the life of the process and everything it starts.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hosted_arch.h"
#include "shard.h"

#define NR(n) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (n), 0, 1)
#define DENY BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM)
#define ALLOW BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)
#define ARG0_LO offsetof(struct seccomp_data, args[0])

/* One rule: if the call is n, refuse it. */
#define REFUSE(n) NR(n), DENY

/* If the call is n, allow it only when its first argument is our pid (for
 * tkill, our only thread's id, which is the pid). Otherwise fall through
 * with the call number still loaded. */
#define SELF_ONLY(n)                                                   \
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (n), 0, 4),                \
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG0_LO),                   \
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)self, 0, 1),     \
	ALLOW, DENY

void vn_hosted_sandbox(void)
{
	pid_t self = getpid();
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, VN_AUDIT_ARCH, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
#ifdef __NR_open
		REFUSE(__NR_open),
		REFUSE(__NR_creat),
#endif
		REFUSE(__NR_openat),
		REFUSE(__NR_openat2),
		REFUSE(__NR_open_by_handle_at),
		REFUSE(__NR_socket),
		REFUSE(__NR_socketpair),
		REFUSE(__NR_ptrace),
		REFUSE(__NR_process_vm_readv),
		REFUSE(__NR_process_vm_writev),
		REFUSE(__NR_pidfd_open),
		REFUSE(__NR_pidfd_getfd),
		REFUSE(__NR_pidfd_send_signal),
		SELF_ONLY(__NR_kill),
		SELF_ONLY(__NR_tkill),
		SELF_ONLY(__NR_tgkill),
		SELF_ONLY(__NR_rt_sigqueueinfo),
		SELF_ONLY(__NR_rt_tgsigqueueinfo),
		ALLOW,
	};
	struct sock_fprog prog = {.len = sizeof(code) / sizeof(code[0]), .filter = code};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0)
		vn_hosted_die("cannot install the shard's seccomp filter", NULL);
}
