/*
 * fault.c - noticing a shard's death, reporting it, and applying its policy.
 *
 * A shard process can end three ways: it was told to (EXIT or HALT, already
 * accounted for), it exited on its own (_exit from C: finished with that
 * status), or a signal killed it (a fault, the watchdog, or someone outside).
 * The crash record in its control page says what the fault was; the record
 * is the shard's own writing, so it is only printed, never trusted further.
 * Runs on the dead shard's core thread, with the kernel lock held.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dev.h"
#include "hk.h"
#include "port.h"

const char *hk_signame(int signo)
{
	static char buf[32];
	const char *abbrev = signo > 0 && signo < NSIG ? sigabbrev_np(signo) : NULL;

	if (abbrev)
		snprintf(buf, sizeof(buf), "SIG%s", abbrev);
	else
		snprintf(buf, sizeof(buf), "signal %d", signo);
	return buf;
}

const char *hk_code_name(int signo, int code)
{
	if (code == SI_TKILL)
		return "raised by the shard";
	if (code == SI_USER || code == SI_QUEUE)
		return "sent by a process";
	if (signo == SIGSEGV)
		return code == SEGV_MAPERR ? "address not mapped" :
		       code == SEGV_ACCERR ? "invalid permissions" : "segmentation fault";
	if (signo == SIGBUS)
		return code == BUS_ADRALN ? "misaligned address" :
		       code == BUS_ADRERR ? "nonexistent physical address" : "bus error";
	if (signo == SIGILL)
		return code == ILL_ILLOPC ? "illegal opcode" : "illegal instruction";
	if (signo == SIGFPE)
		return code == FPE_INTDIV ? "integer divide by zero" : "arithmetic exception";
	if (signo == SIGTRAP)
		return "trap";
	return "fault";
}

/* The first report line: what killed the shard. */
static void report_death(const struct vn_shard *s, struct vn_crash c, int signo)
{
	char where[64] = "";

	if (c.valid && (c.signo == SIGSEGV || c.signo == SIGBUS))
		snprintf(where, sizeof(where), " at 0x%llx,", (unsigned long long)c.addr);
	if (c.valid)
		hk_msg("shard '%s' faulted: %s (%s)%s pc 0x%llx", s->cfg->name,
		       hk_signame(c.signo), hk_code_name(c.signo, c.code),
		       where[0] ? where : ",", (unsigned long long)c.pc);
	else
		hk_msg("shard '%s' killed by %s", s->cfg->name, hk_signame(signo));
}

static void fault(struct hk_shard *h, int signo)
{
	struct vn_shard *s = h->s;
	static struct vn_crash c; /* under hk_lock */
	enum vn_fault_outcome o;

	/* The record is the shard's own word: believe it only where the host
	 * agrees that this signal is what killed it. */
	c = h->ctl->crash;
	if (c.signo != signo)
		c.valid = 0;
	h->crash = c.valid ? &c : NULL;
	if (c.valid)
		snprintf(h->cause, sizeof(h->cause), "%s (%s)", hk_signame(c.signo),
			 hk_code_name(c.signo, c.code));
	else
		snprintf(h->cause, sizeof(h->cause), "killed by %s", hk_signame(signo));
	if (h->kfault[0]) {
		hk_msg("shard '%s' faulted: %s", s->cfg->name, h->kfault);
		snprintf(h->cause, sizeof(h->cause), "%.95s", h->kfault);
		h->kfault[0] = '\0';
		signo = SIGSEGV; /* as the MMU would have it on bare metal */
	} else if (!vn_watchdog_fired(s)) {
		report_death(s, c, signo);
	} else {
		signo = SIGKILL; /* the watchdog's, whatever it asked the shard for */
	}
	o = vn_shard_fault(&hk_kernel, s, port_now(), 128 + signo);
	h->crash = NULL;
	vn_fault_say(&hk_kernel, s, o, hk_msg);
}

/* h's pidfd is readable: collect the process and account for its end. */
void hk_reap(struct hk_shard *h)
{
	struct vn_shard *s = h->s;
	int st;

	if (h->pid <= 0 || waitpid(h->pid, &st, WNOHANG) != h->pid)
		return;
	h->kill_at = 0;
	close(h->pidfd);
	h->pid = 0;
	h->pidfd = -1;
	hk_unpark(h);
	hk_relay_drain(h); /* what it wrote last, before what the kernel says of it */
	if (hk_kernel.halted)
		return;
	/* It may have died between posting a notification and ringing the
	 * doorbell, and a restart clears its control page: deliver them now. */
	hk_collect(h, s->cfg->core);
	if (!vn_shard_live(s))
		return;
	if (WIFEXITED(st) && !vn_watchdog_fired(s)) { /* waitpid, not the shard, says how */
		if (WEXITSTATUS(st) != 0)
			hk_msg("shard '%s' exited with status %d", s->cfg->name,
			       WEXITSTATUS(st));
		vn_shard_finish(&hk_kernel, s, WEXITSTATUS(st));
		return;
	}
	fault(h, WIFSIGNALED(st) ? WTERMSIG(st) : SIGKILL);
}

/* A group restart (fault.c) also starts shards whose process still lives:
 * end that one here, so its death is not taken for a fault of the new one,
 * and deliver what it had posted, as hk_reap would. */
static void end_old(struct hk_shard *h)
{
	if (h->pid <= 0)
		return;
	kill(h->pid, SIGKILL);
	while (waitpid(h->pid, NULL, 0) < 0 && errno == EINTR)
		;
	close(h->pidfd);
	h->pid = 0;
	h->pidfd = -1;
	hk_collect(h, h->s->cfg->core);
}

int port_shard_start(struct vn_shard *s)
{
	struct hk_shard *h = hk_of(s);

	end_old(h);
	hk_ctl_reset(h);
	hk_devices_restart(s->cfg->id);
	return hk_spawn(h);
}

/* The watchdog asks the shard for its crash record first (SIGXCPU: its
 * fault handler saves its registers and ends it); SIGKILL follows after
 * HK_DUMP_GRACE_NS if it has not ended by then, whatever the shard does
 * (hk_kill_due, from its core's thread, never waiting under the lock).
 * A halt just kills. */
void port_shard_stop(struct vn_shard *s)
{
	struct hk_shard *h = hk_of(s);

	if (vn_watchdog_fired(s) && h->pid > 0 && kill(h->pid, SIGXCPU) == 0) {
		h->kill_at = port_now() + HK_DUMP_GRACE_NS;
		return;
	}
	hk_kill(h);
}

/* SIGKILL the shards of `core` whose grace ran out; returns when the next
 * one's runs out (port_now() time), or VN_NEVER if none is pending. */
uint64_t hk_kill_due(uint32_t core, uint64_t now)
{
	uint64_t next = VN_NEVER;

	for (uint32_t i = 0; i < hk_kernel.sys->n_shards; i++) {
		struct hk_shard *h = &hk_shards[i];

		if (h->s->cfg->core != core || !h->kill_at)
			continue;
		if (h->pid <= 0 || now >= h->kill_at) {
			hk_kill(h);
			h->kill_at = 0;
			continue;
		}
		if (h->kill_at < next)
			next = h->kill_at;
	}
	return next;
}

/* The main thread looks (main.c: wait_for_end), but not for a system
 * that is stuck only until a notification in flight is delivered, which
 * the look would find and leave: in a system whose shards all sleep
 * between messages that is every round trip, and the look a wake-up of
 * another thread on the CPU of the next shard to run. The core that
 * delivers it looks again (core.c: collect). */
void port_system_event(void)
{
	if (hk_round_defers_event())
		return;
	if (!vn_system_done(&hk_kernel) && vn_system_stuck(&hk_kernel) &&
	    hk_notifications_in_flight())
		return;
	hk_eventfd_ring(hk_done_fd);
}
