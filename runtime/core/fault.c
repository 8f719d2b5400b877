/*
 * fault.c - what a fault costs, and the watchdog rule.
 *
 * A faulted shard is already off its core when we get here (the port saw it
 * die). Its policy from the spec decides: stop it, start it again, or halt
 * the system. Restarting keeps its channels, and so every queued message;
 * only the shard's own memory starts fresh. Its peers are told (notify.c:
 * vn_peer_changed) when it restarts or is stopped. A shard that keeps dying is not
 * restarted forever: more than VN_RESTART_BURST restarts inside
 * VN_RESTART_WINDOW_NS and it is stopped.
 */
#include "kernel.h"
#include "port.h"
#include "vn_sched.h"

static void stop(struct vn_kernel *k, struct vn_shard *s)
{
	vn_sched_remove(k, s, VN_STOPPED);
	k->any_fault = true;
	vn_peer_changed(k, s);
	port_system_event();
}

/* True when the last VN_RESTART_BURST restarts all fell inside the window. */
static bool budget_spent(const struct vn_shard *s, uint64_t now)
{
	uint64_t oldest = s->restart_at[s->st->restarts % VN_RESTART_BURST];

	return s->st->restarts >= VN_RESTART_BURST &&
	       now - oldest < VN_RESTART_WINDOW_NS;
}

static enum vn_fault_outcome restart(struct vn_kernel *k, struct vn_shard *s,
				     uint64_t now)
{
	if (budget_spent(s, now)) {
		stop(k, s);
		return VN_FAULT_GAVE_UP;
	}
	s->restart_at[s->st->restarts % VN_RESTART_BURST] = now;
	s->st->restarts++;
	vn_sched_remove(k, s, VN_STOPPED);
	s->pending = 0;
	vn_irq_restart(k, s);
	s->waiting = false;
	s->watchdog_fired = false;
	if (port_shard_start(s) != 0) {
		stop(k, s);
		return VN_FAULT_START_FAILED;
	}
	s->st->generation++;
	vn_kev_shard(k, s, VN_KEV_RESTART, &s->st->generation, sizeof(s->st->generation));
	vn_sched_ready(k, s);
	port_kick_core(s->cfg->core);
	vn_peer_changed(k, s);
	return VN_FAULT_RESTARTED;
}

/* Shard s died of a fault at `now`; apply its policy. A halt ends the
 * system with `halt_status` (the port's choice, e.g. 128 + signal). */
enum vn_fault_outcome vn_shard_fault(struct vn_kernel *k, struct vn_shard *s,
				     uint64_t now, int halt_status)
{
	uint8_t sig = halt_status > 128 ? (uint8_t)(halt_status - 128) : 0;

	if (!vn_shard_live(s) || k->halted)
		return VN_FAULT_IGNORED;
	s->st->faults++;
	vn_kev_shard(k, s, VN_KEV_FAULT, &sig, 1);
	vn_crash_record(k, s, sig); /* crash.c: its dump, before the policy */
	switch (s->cfg->on_fault) {
	case VN_FAULT_RESTART:
		return restart(k, s, now);
	case VN_FAULT_HALT:
		vn_sched_remove(k, s, VN_STOPPED);
		vn_system_halt_by(k, s, halt_status);
		return VN_FAULT_HALTED;
	default:
		stop(k, s);
		return VN_FAULT_STOPPED;
	}
}

/* If the running shard of `core` has held it longer than its watchdog
 * allows, stop it and return it; its death then goes through
 * vn_shard_fault(). A shard with no watchdog is never interrupted. */
struct vn_shard *vn_watchdog(struct vn_kernel *k, uint32_t core, uint64_t now)
{
	struct vn_shard *s = k->core[core].current;

	if (!s || s->cfg->watchdog_ns == 0 || s->watchdog_fired)
		return NULL;
	if (now - s->ran_since <= s->cfg->watchdog_ns)
		return NULL;
	s->watchdog_fired = true;
	vn_kev_shard(k, s, VN_KEV_WATCHDOG, &s->cfg->watchdog_ns, sizeof(s->cfg->watchdog_ns));
	port_shard_stop(s);
	return s;
}
