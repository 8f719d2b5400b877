/*
 * fault.c - the hosted shard's crash recorder.
 *
 * On a synchronous fault (or abort) the handler, running on its own
 * alternate stack so a blown stack can still be reported, writes signal,
 * code, address and pc into the control page, and returns with the default
 * action restored (SA_RESETHAND): the fault repeats, or the raised signal is
 * delivered, and the process dies of it. The kernel sees the death and
 * reads the record. Only async-signal-safe work happens here.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>

#include <vanity/config.h>

#include "hosted.h"
#include "hosted_arch.h"
#include "shard.h"

#define ALTSTACK_SIZE (64u * 1024u)

static const int fault_signals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP};

static void on_fault(int signo, siginfo_t *si, void *uc)
{
	struct vn_ctl *ctl = (struct vn_ctl *)(uintptr_t)vn_self.ctl;

	ctl->crash.signo = signo;
	ctl->crash.code = si->si_code;
	ctl->crash.addr = (uint64_t)(uintptr_t)si->si_addr;
	ctl->crash.pc = vn_ucontext_pc((const ucontext_t *)uc);
	atomic_thread_fence(memory_order_release);
	ctl->crash.valid = 1;
	/* Not a fault the hardware repeats (abort, a breakpoint): raise it
	 * again; it is delivered, with the default action, when we return. */
	if (si->si_code <= 0 || signo == SIGTRAP)
		raise(signo);
}

void vn_hosted_fault_init(void)
{
	stack_t ss = {.ss_size = ALTSTACK_SIZE};
	struct sigaction sa = {.sa_sigaction = on_fault,
			       .sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESETHAND};

	ss.ss_sp = mmap(NULL, ALTSTACK_SIZE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ss.ss_sp == MAP_FAILED || sigaltstack(&ss, NULL) != 0)
		vn_hosted_die("cannot set up the signal stack", NULL);
	sigemptyset(&sa.sa_mask);
	for (unsigned i = 0; i < sizeof(fault_signals) / sizeof(fault_signals[0]); i++)
		sigaction(fault_signals[i], &sa, NULL);
}
