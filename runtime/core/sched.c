/*
 * sched.c - the per-core run queue (see vn_sched.h).
 *
 * Invariants, for every core c:
 *  - s is on c's queue iff s->state == VN_READY (but while the kernel
 *    starts: vn_sched_add);
 *  - core[c].current is the only VN_RUNNING shard of c, or NULL;
 *  - a VN_FINISHED or VN_STOPPED shard is on no queue and never current,
 *    so it is never picked.
 */
#include <vanity/clock.h>

#include "port.h"
#include "vn_sched.h"

/* s's state, also where host tools read it. Any change ends a hold. The
 * one place a shard's state changes (but vn_sched_yield_fast, which only
 * trades READY and RUNNING), so the one that counts the live ones, and
 * tells the port when they change. */
static void set_state(struct vn_kernel *k, struct vn_shard *s, uint32_t state)
{
	bool was = vn_shard_live(s);

	s->held = false;
	s->state = state;
	s->st->state = state;
	if (was == vn_shard_live(s))
		return;
	if (was) {
		k->core[s->cfg->core].live--;
		k->live--;
	} else {
		k->core[s->cfg->core].live++;
		k->live++;
	}
	port_core_live(s->cfg->core);
}

/* s's activation ends, for `why`: its run time, a sample of its run-time
 * histogram and a SWITCH_OUT event. */
static void account(struct vn_kernel *k, struct vn_shard *s, uint8_t why)
{
	uint64_t ran = vn_clock() - s->ran_ticks;

	s->st->run_ticks += ran;
	vn_hist_sample(s->run_hist, ran); /* its sum: run_ticks */
	vn_kev_shard(k, s, VN_KEV_SWITCH_OUT, &why, 1);
}

/* s gives up core c, for `state`. */
static void leave(struct vn_kernel *k, struct vn_core *c, struct vn_shard *s, uint32_t state)
{
	static const uint8_t reason[] = {
		[VN_READY] = VN_SW_YIELD, [VN_BLOCKED] = VN_SW_WAIT,
		[VN_FINISHED] = VN_SW_EXIT, [VN_STOPPED] = VN_SW_FAULT,
	};

	c->current = NULL;
	account(k, s, k->halted && state == VN_FINISHED ? VN_SW_STOP : reason[state]);
}

/* The system is over (the port's last act before its final dump): each
 * core's running shard ends its activation there, stopped by the kernel,
 * so that its run time and histogram count every activation. States are
 * left as they were: the dump shows what each shard was doing. Once. */
void vn_sched_end(struct vn_kernel *k)
{
	for (uint32_t c = 0; c < k->sys->n_cores; c++)
		if (k->core[c].current)
			account(k, k->core[c].current, VN_SW_STOP);
}

static struct vn_core *core_of(struct vn_kernel *k, const struct vn_shard *s)
{
	return &k->core[s->cfg->core];
}

static void enqueue(struct vn_core *c, struct vn_shard *s)
{
	s->next = NULL;
	if (c->tail)
		c->tail->next = s;
	else
		c->head = s;
	c->tail = s;
}

/* Take s off its queue wherever it is; a no-op if it is not queued (its
 * state not yet changed). */
static void unqueue(struct vn_core *c, struct vn_shard *s)
{
	struct vn_shard **pp = &c->head, *prev = NULL;

	if (s->state != VN_READY)
		return;
	while (*pp && *pp != s) {
		prev = *pp;
		pp = &(*pp)->next;
	}
	if (*pp)
		*pp = s->next;
	if (c->tail == s)
		c->tail = prev;
	s->next = NULL;
}

/* Make s runnable at the back of its core's queue. */
void vn_sched_ready(struct vn_kernel *k, struct vn_shard *s)
{
	struct vn_core *c = core_of(k, s);
	bool queued = s->state == VN_READY;

	if (c->current == s)
		leave(k, c, s, VN_READY);
	set_state(k, s, VN_READY);
	if (!queued)
		enqueue(c, s);
}

/* s, of a kernel starting (vn_kernel_init: zeroed, so VN_READY already,
 * and counted live), at the back of its core's queue. */
void vn_sched_add(struct vn_kernel *k, struct vn_shard *s)
{
	set_state(k, s, VN_READY);
	enqueue(core_of(k, s), s);
}

/* s holds core c from `now`. */
static void run(struct vn_kernel *k, struct vn_core *c, struct vn_shard *s, uint64_t now)
{
	set_state(k, s, VN_RUNNING);
	s->ran_since = now;
	s->ran_ticks = vn_clock();
	s->st->activations++;
	c->current = s;
	vn_kev_shard(k, s, VN_KEV_SWITCH_IN, NULL, 0);
}

/* Give the core to the shard at the head of its queue; NULL if none is ready
 * or the core is already taken. A free core is every shard's clean point:
 * the reloads due on it swap first (reload.c). */
struct vn_shard *vn_sched_pick(struct vn_kernel *k, uint32_t core, uint64_t now)
{
	struct vn_core *c = &k->core[core];
	struct vn_shard *s;

	if (c->current)
		return NULL;
	if (c->reloads)
		vn_reload_due(k, core, now);
	s = c->head;
	if (!s)
		return NULL;
	c->head = s->next;
	if (!c->head)
		c->tail = NULL;
	s->next = NULL;
	run(k, c, s, now);
	return s;
}

/* s, blocked in WAIT (or since made ready) while its core is free, was
 * woken by its port and took the core back by itself at `since`, `now` being
 * now (the hosted port's parked wait): it holds the core from then, as if
 * woken and picked, its run time counted from then too. `by` is the shard
 * whose notification woke it, or VN_BY_NONE. Its WAIT returned no bits, so
 * the pending ones stay for the next. */
void vn_sched_claim(struct vn_kernel *k, struct vn_shard *s, uint32_t by, uint64_t since,
		    uint64_t now)
{
	struct vn_core *c = core_of(k, s);
	uint64_t us = now > since ? (now - since) / 1000u : 0;
	uint16_t f = (uint16_t)by;

	if (s->state == VN_BLOCKED) {
		s->st->wakes++;
		vn_kev_shard(k, s, VN_KEV_WAKE, &f, 2);
	}
	unqueue(c, s);
	s->waiting = false;
	run(k, c, s, since);
	s->ran_ticks -= us * (k->obs->clock_hz / 1000u) / 1000u;
}

/* True if a shard of `core` is ready to run. */
bool vn_sched_runnable(const struct vn_kernel *k, uint32_t core)
{
	return k->core[core].head != NULL;
}

/* The running shard s lets the others on its core go first. */
void vn_sched_yield(struct vn_kernel *k, struct vn_shard *s)
{
	vn_sched_ready(k, s);
}

/* The running shard s sleeps until woken or until `deadline`. */
void vn_sched_block(struct vn_kernel *k, struct vn_shard *s, uint64_t deadline)
{
	struct vn_core *c = core_of(k, s);

	if (c->current == s)
		leave(k, c, s, VN_BLOCKED);
	unqueue(c, s);
	set_state(k, s, VN_BLOCKED);
	s->deadline = deadline;
	if (deadline != VN_NEVER)
		c->timed = true;
	if (deadline < c->wake_at)
		c->wake_at = deadline;
}

/* s, just started again and on no queue, may not run before `at` (its
 * restart backoff): it sleeps as a timed WAIT does, so its core's deadline
 * and idle path serve it, but a notification does not wake it; only
 * vn_sched_expire() does. */
void vn_sched_hold(struct vn_kernel *k, struct vn_shard *s, uint64_t at)
{
	vn_sched_block(k, s, at);
	s->held = true;
}

/* Wake s if it is blocked (not held); true if it was. `by` is the shard
 * whose notification woke it, or VN_BY_NONE. */
bool vn_sched_wake_by(struct vn_kernel *k, struct vn_shard *s, uint32_t by)
{
	uint16_t f = (uint16_t)by;

	if (s->state != VN_BLOCKED || s->held)
		return false;
	s->st->wakes++;
	vn_kev_shard(k, s, VN_KEV_WAKE, &f, 2);
	vn_sched_ready(k, s);
	return true;
}

bool vn_sched_wake(struct vn_kernel *k, struct vn_shard *s)
{
	return vn_sched_wake_by(k, s, VN_BY_NONE);
}

/* s will not run again (until restarted): take it off its core. */
void vn_sched_remove(struct vn_kernel *k, struct vn_shard *s, uint32_t state)
{
	struct vn_core *c = core_of(k, s);

	if (c->current == s)
		leave(k, c, s, state);
	unqueue(c, s);
	set_state(k, s, state);
}

/* vn_sched_expire (vn_sched.h) while a shard of `core` may be blocked
 * with a deadline: the scan. */
uint64_t vn_sched_expire_scan(struct vn_kernel *k, uint32_t core, uint64_t now)
{
	uint64_t next = VN_NEVER;

	for (uint32_t i = 0; i < k->sys->n_shards; i++) {
		struct vn_shard *s = &k->shard[i];

		if (s->cfg->core != core || s->state != VN_BLOCKED)
			continue;
		if (s->deadline <= now) {
			s->held = false;
			vn_sched_wake(k, s);
		}
		else if (s->deadline < next)
			next = s->deadline;
	}
	k->core[core].timed = next != VN_NEVER;
	k->core[core].wake_at = next;
	return next;
}
