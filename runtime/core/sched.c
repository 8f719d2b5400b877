/*
 * sched.c - the per-core run queue (see vn_sched.h).
 *
 * Invariants, for every core c:
 *  - s is on c's queue iff s->state == VN_READY (and then s->queued);
 *  - core[c].current is the only VN_RUNNING shard of c, or NULL;
 *  - a VN_FINISHED or VN_STOPPED shard is on no queue and never current,
 *    so it is never picked.
 */
#include "vn_sched.h"

static struct vn_core *core_of(struct vn_kernel *k, const struct vn_shard *s)
{
	return &k->core[s->cfg->core];
}

static void enqueue(struct vn_core *c, struct vn_shard *s)
{
	s->next = NULL;
	s->queued = true;
	if (c->tail)
		c->tail->next = s;
	else
		c->head = s;
	c->tail = s;
}

/* Take s off its queue wherever it is; a no-op if it is not queued. */
static void unqueue(struct vn_core *c, struct vn_shard *s)
{
	struct vn_shard **pp = &c->head, *prev = NULL;

	if (!s->queued)
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
	s->queued = false;
}

/* Make s runnable at the back of its core's queue. */
void vn_sched_ready(struct vn_kernel *k, struct vn_shard *s)
{
	struct vn_core *c = core_of(k, s);

	if (c->current == s)
		c->current = NULL;
	s->state = VN_READY;
	if (!s->queued)
		enqueue(c, s);
}

/* Give the core to the shard at the head of its queue; NULL if none is ready
 * or the core is already taken. */
struct vn_shard *vn_sched_pick(struct vn_kernel *k, uint32_t core, uint64_t now)
{
	struct vn_core *c = &k->core[core];
	struct vn_shard *s = c->head;

	if (c->current || !s)
		return NULL;
	c->head = s->next;
	if (!c->head)
		c->tail = NULL;
	s->next = NULL;
	s->queued = false;
	s->state = VN_RUNNING;
	s->ran_since = now;
	c->current = s;
	return s;
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
		c->current = NULL;
	unqueue(c, s);
	s->state = VN_BLOCKED;
	s->deadline = deadline;
}

/* Wake s if it is blocked; true if it was. */
bool vn_sched_wake(struct vn_kernel *k, struct vn_shard *s)
{
	if (s->state != VN_BLOCKED)
		return false;
	vn_sched_ready(k, s);
	return true;
}

/* s will not run again (until restarted): take it off its core. */
void vn_sched_remove(struct vn_kernel *k, struct vn_shard *s, uint32_t state)
{
	struct vn_core *c = core_of(k, s);

	if (c->current == s)
		c->current = NULL;
	unqueue(c, s);
	s->state = state;
}

/* Wake the shards of `core` whose wait timed out by `now`. Returns the
 * earliest deadline still pending on the core, or VN_NEVER. */
uint64_t vn_sched_expire(struct vn_kernel *k, uint32_t core, uint64_t now)
{
	uint64_t next = VN_NEVER;

	for (uint32_t i = 0; i < k->sys->n_shards; i++) {
		struct vn_shard *s = &k->shard[i];

		if (s->cfg->core != core || s->state != VN_BLOCKED)
			continue;
		if (s->deadline <= now)
			vn_sched_wake(k, s);
		else if (s->deadline < next)
			next = s->deadline;
	}
	return next;
}
