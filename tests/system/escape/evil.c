/*
 * Tries every way around its own address space it can think of, and logs
 * what each returned: "<attempt>: refused" or "<attempt>: ALLOWED".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <vanity_shard.h>

static void report(const char *what, long ret)
{
	vn_log("%s: %s", what, ret < 0 ? "refused" : "ALLOWED");
}

void vn_main(void)
{
	pid_t kernel = getppid();
	uint64_t victim;
	char path[64], byte = 0;
	struct iovec local = {&byte, 1}, remote = {(void *)0x400000, 1};

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
}
