/*
 * fault.c - the hosted shard's crash recorder.
 *
 * On a synchronous fault (or abort) the handler, running on its own
 * alternate stack so a blown stack can still be reported, writes signal,
 * code, address and pc into the control page, and returns with the default
 * action restored (SA_RESETHAND): the fault repeats, or the raised signal is
 * delivered, and the process dies of it. The kernel sees the death and
 * reads the record. Only async-signal-safe work happens here.
 *
 * For the crash dump the record also keeps the registers (in the layout of
 * an ELF core's pr_reg), the FP state, a window of the stack from just below
 * sp, and the code around the pc: the kernel cannot read a dead process's
 * memory. SIGXCPU is the kernel's watchdog asking for the same record before
 * it ends the shard (kernel/fault.c: port_shard_stop).
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

static const int fault_signals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP,
				    SIGXCPU};

static void copy(uint8_t *dst, uint64_t src, uint64_t n)
{
	const volatile uint8_t *p = (const volatile uint8_t *)(uintptr_t)src;

	for (uint64_t i = 0; i < n; i++)
		dst[i] = p[i];
}

/* The registers as an ELF core's pr_reg (the host's user_regs_struct), and
 * the FP state as its NT_FPREGSET where the layout is the context's own. */
static void save_regs(struct vn_crash *c, const ucontext_t *uc)
{
#if defined(__x86_64__)
	static const int order[] = {REG_R15, REG_R14, REG_R13, REG_R12, REG_RBP, REG_RBX,
				    REG_R11, REG_R10, REG_R9, REG_R8, REG_RAX, REG_RCX,
				    REG_RDX, REG_RSI, REG_RDI};
	const greg_t *g = uc->uc_mcontext.gregs;
	uint64_t fs_base;

	for (unsigned i = 0; i < 15; i++)
		c->regs[i] = (uint64_t)g[order[i]];
	__asm__ volatile("mov %%fs:0, %0" : "=r"(fs_base)); /* the TCB points to itself */
	c->regs[15] = (uint64_t)-1; /* orig_rax: not in a system call */
	c->regs[16] = (uint64_t)g[REG_RIP];
	c->regs[17] = 0x33;         /* cs, ss: the user segments */
	c->regs[18] = (uint64_t)g[REG_EFL];
	c->regs[19] = (uint64_t)g[REG_RSP];
	c->regs[20] = 0x2b;
	c->regs[21] = fs_base;
	for (unsigned i = 22; i < 27; i++)
		c->regs[i] = 0;
	c->n_regs = VN_CRASH_HOST_REGS;
	c->sp = (uint64_t)g[REG_RSP];
	if (uc->uc_mcontext.fpregs) {
		copy(c->fp, (uint64_t)(uintptr_t)uc->uc_mcontext.fpregs, VN_CRASH_HOST_FP);
		c->fp_len = VN_CRASH_HOST_FP;
	}
#elif defined(__aarch64__)
	for (unsigned i = 0; i < 31; i++)
		c->regs[i] = uc->uc_mcontext.regs[i];
	c->regs[31] = uc->uc_mcontext.sp;
	c->regs[32] = uc->uc_mcontext.pc;
	c->regs[33] = uc->uc_mcontext.pstate;
	c->n_regs = VN_CRASH_HOST_REGS;
	c->sp = uc->uc_mcontext.sp;
#elif defined(__riscv)
	for (unsigned i = 0; i < 32; i++)
		c->regs[i] = uc->uc_mcontext.__gregs[i];
	c->n_regs = VN_CRASH_HOST_REGS;
	c->sp = uc->uc_mcontext.__gregs[2];
#endif
}

/* The stack from just below sp (the x86-64 red zone is 128 bytes), within
 * the stack region; the code around the pc, within the pc's page, unless
 * that page is what faulted. */
static void save_memory(struct vn_crash *c, int signo, uint64_t addr)
{
	uint64_t lo = c->sp > vn_self.stack_lo + 128 ? c->sp - 128 : vn_self.stack_lo;
	uint64_t page = c->pc & ~(uint64_t)(VN_PAGE - 1), code;

	if (c->n_regs && lo < vn_self.stack_hi && c->sp + VN_PAGE > vn_self.stack_lo) {
		uint64_t hi = lo + VN_CRASH_CTX_STACK < vn_self.stack_hi ?
			      lo + VN_CRASH_CTX_STACK : vn_self.stack_hi;

		copy(c->stack, lo, hi - lo);
		c->stack_lo = lo;
		c->stack_len = (uint32_t)(hi - lo);
	}
	if ((signo == SIGSEGV || signo == SIGBUS) && (addr & ~(uint64_t)(VN_PAGE - 1)) == page)
		return;
	code = c->pc - VN_CRASH_CTX_CODE / 2;
	if (code < page)
		code = page;
	if (code + VN_CRASH_CTX_CODE > page + VN_PAGE)
		code = page + VN_PAGE - VN_CRASH_CTX_CODE;
	copy(c->code_bytes, code, VN_CRASH_CTX_CODE);
	c->code_lo = code;
	c->code_len = VN_CRASH_CTX_CODE;
}

static void on_fault(int signo, siginfo_t *si, void *uc)
{
	struct vn_ctl *ctl = (struct vn_ctl *)(uintptr_t)vn_self.ctl;

	ctl->crash.signo = signo;
	ctl->crash.code = si->si_code;
	ctl->crash.addr = (uint64_t)(uintptr_t)si->si_addr;
	ctl->crash.pc = vn_ucontext_pc((const ucontext_t *)uc);
	save_regs(&ctl->crash, (const ucontext_t *)uc);
	save_memory(&ctl->crash, signo, ctl->crash.addr);
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
