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
 *   - opening files (a shard has no filesystem), directly or through
 *     io_uring (whose operations no seccomp filter sees): so no shard
 *     reopens a descriptor it was given read-only (a pool) for writing;
 *   - ptrace, process_vm_readv/writev and the pidfd calls;
 *   - what a process of a privileged user could do to the host: load
 *     kernel code or BPF, mount, change namespaces or root, reboot, set
 *     the clock, use the key store, watch the filesystem;
 *   - sending a signal to any process but itself;
 *   - making sockets (its network, if any, is a device it owns).
 * The filter holds for the life of the process and everything it starts.
 * It is a list of refusals, not of what is allowed: a call it does not
 * name is allowed.
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
		REFUSE(__NR_name_to_handle_at),
		REFUSE(__NR_io_uring_setup),
		REFUSE(__NR_io_uring_enter),
		REFUSE(__NR_io_uring_register),
		REFUSE(__NR_bpf),
		REFUSE(__NR_perf_event_open),
		REFUSE(__NR_init_module),
		REFUSE(__NR_finit_module),
		REFUSE(__NR_delete_module),
		REFUSE(__NR_kexec_load),
		REFUSE(__NR_kexec_file_load),
		REFUSE(__NR_reboot),
		REFUSE(__NR_mount),
		REFUSE(__NR_umount2),
		REFUSE(__NR_pivot_root),
		REFUSE(__NR_chroot),
		REFUSE(__NR_setns),
		REFUSE(__NR_unshare),
		REFUSE(__NR_fsopen),
		REFUSE(__NR_fsmount),
		REFUSE(__NR_move_mount),
		REFUSE(__NR_open_tree),
		REFUSE(__NR_keyctl),
		REFUSE(__NR_add_key),
		REFUSE(__NR_request_key),
		REFUSE(__NR_userfaultfd),
		REFUSE(__NR_fanotify_init),
		REFUSE(__NR_settimeofday),
		REFUSE(__NR_clock_settime),
		REFUSE(__NR_clock_adjtime),
		REFUSE(__NR_adjtimex),
		REFUSE(__NR_swapon),
		REFUSE(__NR_swapoff),
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
