/*
 * fault.c - what a fault costs, and the watchdog rule.
 *
 * A faulted shard is already off its core when we get here (the port saw it
 * die). Its policy from the spec decides: stop it, start it again, or halt
 * the system. Restarting keeps its channels, and so every queued message;
 * only the shard's own memory starts fresh. Its peers are told (notify.c:
 * vn_peer_changed) when it restarts or is stopped.
 *
 * A restart is budgeted (struct vn_krestart): at most `budget` restarts
 * within a sliding window. Each is held back by a backoff, the floor doubled
 * for every restart still inside the window, up to the ceiling; the held
 * shard waits as a timed WAIT does (vn_sched_hold), so its core runs the
 * others meanwhile and only the deadline ends the wait. A fault with the
 * budget spent applies `then`: stop, halt, or restart the shard's group of
 * shards (all on its core) together. The group restart is a last resort
 * used once: if the shard spends its fresh budget again, it is stopped.
 */
#include <vanity/reload.h>

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

/* How many of s's recorded restarts fall inside its window before `now`. */
uint32_t vn_restart_recent(const struct vn_shard *s, uint64_t now)
{
	const struct vn_krestart *p = &s->cfg->restart;
	uint32_t n = s->burst < p->budget ? s->burst : p->budget, in = 0;

	for (uint32_t i = 0; i < n; i++)
		in += now - s->restart_at[i] < p->window_ns;
	return in;
}

/* The backoff of a restart with `recent` restarts before it in the window:
 * floor << recent, at most the ceiling; 0 without a backoff. */
uint64_t vn_restart_delay(const struct vn_krestart *p, uint32_t recent)
{
	uint64_t d = p->floor_ns;

	for (uint32_t i = 0; i < recent && d < p->ceiling_ns; i++)
		d <<= 1;
	return d < p->ceiling_ns ? d : p->ceiling_ns;
}

/* Start s again from its entry point, to run no sooner than `at`: after a
 * fault, a rollback or a reload (the port starts the image it runs now).
 * `keep`: its pending notification bits stay for the new start (a reload:
 * a masked interrupt stays masked, its bit waiting to be acknowledged);
 * otherwise they are dropped and its interrupts unmasked, as at boot.
 * Returns 0, or -1 if the port could not start it: s is then off its core
 * (VN_STOPPED), but nobody has been told (vn_shard_start_again tells). */
int vn_shard_try_start(struct vn_kernel *k, struct vn_shard *s, uint64_t now, uint64_t at,
		       bool keep)
{
	vn_sched_remove(k, s, VN_STOPPED);
	if (!keep) {
		s->pending = 0;
		vn_irq_restart(k, s);
	}
	s->waiting = false;
	vn_watchdog_rearm(s);
	if (port_shard_start(s) != 0)
		return -1;
	s->st->generation++;
	vn_kev_shard(k, s, VN_KEV_RESTART, &s->st->generation, sizeof(s->st->generation));
	if (at > now)
		vn_sched_hold(k, s, at);
	else
		vn_sched_ready(k, s);
	port_kick_core(s->cfg->core);
	vn_peer_changed(k, s);
	return 0;
}

/* vn_shard_try_start, and a shard that could not start is stopped. */
int vn_shard_start_again(struct vn_kernel *k, struct vn_shard *s, uint64_t now, uint64_t at,
			 bool keep)
{
	if (vn_shard_try_start(k, s, now, at, keep) == 0)
		return 0;
	stop(k, s);
	return -1;
}

/* A restart after a fault: it counts, and the handoff region holds no
 * state a fresh start may take (vn_reload_quiesce fills it). */
static int start_again(struct vn_kernel *k, struct vn_shard *s, uint64_t now, uint64_t at)
{
	s->st->restarts++;
	s->handoff_gen = 0;
	return vn_shard_start_again(k, s, now, at, false);
}

/* s spent its budget and names a group: every shard of it, s first,
 * starts again now with a fresh budget. The group's other shards are not
 * running (they share s's core, which s held: checked at boot), so none
 * dies mid-call. */
static enum vn_fault_outcome restart_group(struct vn_kernel *k, struct vn_shard *s,
					   uint64_t now)
{
	const struct vn_krestart *r = &s->cfg->restart;

	s->escalated = true;
	for (uint32_t i = 0; i < r->n_group; i++) {
		struct vn_shard *g = &k->shard[r->group[i]];

		g->burst = 0;
		if (start_again(k, g, now, now) != 0 && g == s)
			return VN_FAULT_START_FAILED;
	}
	return VN_FAULT_GROUP_RESTARTED;
}

/* The budget is spent: what `then` says. */
static enum vn_fault_outcome give_up(struct vn_kernel *k, struct vn_shard *s, uint64_t now,
				     int halt_status)
{
	switch (s->cfg->restart.then) {
	case VN_FAULT_HALT:
		vn_sched_remove(k, s, VN_STOPPED);
		vn_system_halt_by(k, s, halt_status);
		return VN_FAULT_GAVE_UP_HALT;
	case VN_FAULT_GROUP:
		if (!s->escalated)
			return restart_group(k, s, now);
		break; /* the group had its chance */
	default:
		break;
	}
	stop(k, s);
	return VN_FAULT_GAVE_UP;
}

static enum vn_fault_outcome restart(struct vn_kernel *k, struct vn_shard *s,
				     uint64_t now, int halt_status)
{
	const struct vn_krestart *p = &s->cfg->restart;
	uint32_t recent = vn_restart_recent(s, now);

	if (recent >= p->budget)
		return give_up(k, s, now, halt_status);
	s->restart_at[s->burst++ % p->budget] = now;
	if (start_again(k, s, now, now + vn_restart_delay(p, recent)) != 0)
		return VN_FAULT_START_FAILED;
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
	if (s->reload != VN_RELOAD_IDLE)
		vn_reload_cancel(k, s, VN_RELOAD_FAULTED);
	if (vn_reload_rollback(k, s, now)) /* reload.c: a new version's early fault */
		return VN_FAULT_ROLLED_BACK;
	switch (s->cfg->on_fault) {
	case VN_FAULT_RESTART:
		return restart(k, s, now, halt_status);
	case VN_FAULT_HALT:
		vn_sched_remove(k, s, VN_STOPPED);
		vn_system_halt_by(k, s, halt_status);
		return VN_FAULT_HALTED;
	default:
		stop(k, s);
		return VN_FAULT_STOPPED;
	}
}

/* s, the running shard of its core, has held it past its watchdog
 * deadline (vn_watchdog, vn_sched.h, decides): stop it and return it; its
 * death then goes through vn_shard_fault(). A shard with no watchdog is
 * never interrupted. The event says how late past the budget the kernel
 * saw it: every port arms its core's timer for vn_watchdog_deadline(), so
 * that is the timer's latency, in the port's own time. */
struct vn_shard *vn_watchdog_fire(struct vn_kernel *k, struct vn_shard *s, uint64_t now)
{
	uint64_t f[2];

	f[0] = s->cfg->watchdog_ns;
	f[1] = now - s->ran_since - s->cfg->watchdog_ns; /* late_ns */
	s->watchdog_span = 0; /* fired: vn_watchdog_fired */
	vn_kev_shard(k, s, VN_KEV_WATCHDOG, f, sizeof(f));
	port_shard_stop(s);
	return s;
}

static const char *policy_name(uint32_t p)
{
	return p == VN_FAULT_RESTART ? "restart" : p == VN_FAULT_HALT ? "halt" : "stop";
}

void vn_fault_say(const struct vn_kernel *k, const struct vn_shard *s,
		  enum vn_fault_outcome o, vn_say_fn *say)
{
	const char *name = s->cfg->name, *pol = policy_name(s->cfg->on_fault);
	uint32_t others = vn_live_shards(k);

	if (o == VN_FAULT_RESTARTED)
		say("shard '%s': on_fault=%s, restarted (%llu)", name, pol,
		    (unsigned long long)s->st->restarts);
	else if (o == VN_FAULT_ROLLED_BACK)
		say("shard '%s': faulted within %llu %s of its reload: rolled back to its "
		    "previous image (generation %u)", name,
		    (unsigned long long)vn_span_count(s->cfg->reload.rollback_ns),
		    vn_span_unit(s->cfg->reload.rollback_ns), s->st->generation);
	else if (o == VN_FAULT_HALTED)
		say("shard '%s': on_fault=%s, halting the system", name, pol);
	else if (o == VN_FAULT_GAVE_UP_HALT)
		say("shard '%s': on_fault=%s, " VN_BUDGET_FMT ", gave up: halting the system",
		    name, pol, VN_BUDGET_ARGS(s));
	else if (o == VN_FAULT_GROUP_RESTARTED)
		say("shard '%s': on_fault=%s, " VN_BUDGET_FMT ", restarting its group", name,
		    pol, VN_BUDGET_ARGS(s));
	else if (o == VN_FAULT_GAVE_UP)
		say("shard '%s': on_fault=%s, " VN_BUDGET_FMT ", gave up: stopped; %u other "
		    "shard%s running",
		    name, pol, VN_BUDGET_ARGS(s), others, others == 1 ? "" : "s");
	else if (o != VN_FAULT_IGNORED)
		say("shard '%s': on_fault=%s, %sstopped; %u other shard%s running", name, pol,
		    o == VN_FAULT_START_FAILED ? "could not restart: " : "",
		    others, others == 1 ? "" : "s");
}
