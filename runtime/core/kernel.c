/*
 * kernel.c - boot-time checks and the whole-system state.
 *
 * The system ends when every shard has finished or been stopped, or when a
 * shard or a fault halts it. Its exit status is the halt status; else 1 if a
 * fault stopped a shard; else the first non-zero exit status; else 0.
 */
#include <string.h>

#include <vanity/reload.h>

#include "kernel.h"
#include "port.h"
#include "vn_sched.h"

/* A restart budget the kernel can count, and a group of shards on the
 * shard's core, led by the shard itself. */
static int check_restart(const struct vn_ksystem *sys, uint32_t id)
{
	const struct vn_krestart *p = &sys->shards[id].restart;

	if (p->budget == 0 || p->budget > VN_RESTART_MAX || p->floor_ns > p->ceiling_ns)
		return -1;
	if (p->then == VN_FAULT_GROUP && (p->n_group == 0 || p->group[0] != id))
		return -1;
	for (uint32_t i = 0; i < p->n_group; i++)
		if (p->group[i] >= sys->n_shards ||
		    sys->shards[p->group[i]].core != sys->shards[id].core)
			return -1;
	return 0;
}

/* The tables are generated, but a bad one must fail at boot, not later. */
static int check_tables(const struct vn_ksystem *sys)
{
	if (sys->n_shards == 0 || sys->n_shards > VN_MAX_SHARDS ||
	    sys->n_shards > VN_OBS_MAX_SHARDS)
		return -1;
	if (sys->n_cores == 0 || sys->n_cores > VN_MAX_CORES || sys->n_cores > VN_OBS_MAX_CORES)
		return -1;
	if (sys->n_channels > VN_OBS_MAX_CHANNELS)
		return -1;
	for (uint32_t i = 0; i < sys->n_shards; i++) {
		if (sys->shards[i].id != i || sys->shards[i].core >= sys->n_cores)
			return -1;
		if (sys->shards[i].on_fault == VN_FAULT_RESTART && check_restart(sys, i) != 0)
			return -1;
	}
	for (uint32_t i = 0; i < sys->n_channels; i++) {
		const struct vn_kchannel *c = &sys->channels[i];

		if (c->id != i || c->from >= sys->n_shards || c->to >= sys->n_shards)
			return -1;
		if (c->from_bit >= 64 || c->to_bit >= 64)
			return -1;
	}
	for (uint32_t i = 0; i < sys->n_devices; i++)
		if (sys->devices[i].shard >= sys->n_shards || sys->devices[i].bit >= 64)
			return -1;
	if (sys->n_pools > VN_MAX_POOLS)
		return -1;
	for (uint32_t i = 0; i < sys->n_pools; i++) {
		const struct vn_kpool *p = &sys->pools[i];

		if (p->id != i || p->buf_size == 0 || (p->buf_size & (p->buf_size - 1)) ||
		    (uint64_t)p->buffers * p->buf_size > p->size)
			return -1;
		for (uint32_t m = 0; m < p->n_maps; m++)
			if (p->maps[m].shard >= sys->n_shards)
				return -1;
	}
	return 0;
}

/* Every shard starts ready, in spec order, on its core's queue; its
 * counters and the kernel's events go to `obs` (the port sets its
 * clock_hz, and publishes it with vn_obs_publish once it has set up the
 * rest). */
int vn_kernel_init(struct vn_kernel *k, const struct vn_ksystem *sys, struct vn_obs *obs)
{
	if (check_tables(sys) != 0)
		return -1;
	memset(k, 0, sizeof(*k));
	k->sys = sys;
	vn_obs_init(k, obs);
	for (uint32_t c = 0; c < VN_MAX_CORES; c++) {
		k->core[c].wake_at = VN_NEVER;
		k->core[c].ring = &obs->core[c % VN_OBS_MAX_CORES].ring;
	}
	for (uint32_t i = 0; i < sys->n_shards; i++) {
		k->shard[i].cfg = &sys->shards[i];
		k->shard[i].id = sys->shards[i].id;
		vn_watchdog_rearm(&k->shard[i]);
		k->shard[i].st = &obs->shard[i];
		k->shard[i].run_hist = &obs->run_hist[i % VN_OBS_MAX_SHARDS];
		k->core[sys->shards[i].core].live++;
		k->live++;
		k->shard[i].st->generation = 1;
		vn_sched_add(k, &k->shard[i]);
	}
	return 0;
}

/* Before shard `shard` (re)starts (port_shard_start): the headers of the
 * rings of its channels describe them again, for the host tools (either
 * shard of a channel may have written over its header; the starting one
 * does not look: vn_attach_endpoints). The indices are left as they are:
 * they hold the queued messages. */
void vn_rings_describe(const struct vn_kernel *k, uint32_t shard)
{
	for (uint32_t i = 0; i < k->sys->n_channels; i++) {
		const struct vn_kchannel *c = &k->sys->channels[i];

		if ((c->from == shard || c->to == shard) && vn_kchannel_ring(c))
			vn_ring_describe(port_channel_ring(i), c->msg_size, c->depth, c->sequenced);
	}
}

/* s is done (returned, exited, or its process ended) with `status`. */
void vn_shard_finish(struct vn_kernel *k, struct vn_shard *s, int status)
{
	int32_t st = status;

	if (!vn_shard_live(s))
		return;
	vn_kev_shard(k, s, VN_KEV_EXIT, &st, sizeof(st));
	if (s->reload != VN_RELOAD_IDLE) /* a swap would start it again */
		vn_reload_cancel(k, s, VN_RELOAD_EXITED);
	vn_sched_remove(k, s, VN_FINISHED);
	s->exit_status = status;
	if (status != 0 && k->first_error == 0)
		k->first_error = status;
	if (!k->halted)
		vn_peer_changed(k, s);
	port_system_event();
}

/* The first halt wins; later ones (say, from shards being torn down) do not
 * change the status. */
void vn_system_halt(struct vn_kernel *k, int status)
{
	vn_system_halt_by(k, NULL, status);
}

/* The same, with the shard that asked (NULL: the kernel), for the trace. */
void vn_system_halt_by(struct vn_kernel *k, const struct vn_shard *by, int status)
{
	uint8_t f[6];
	uint16_t who = by ? (uint16_t)by->cfg->id : VN_BY_NONE;
	int32_t st = status;

	if (k->halted)
		return;
	memcpy(f, &who, 2);
	memcpy(f + 2, &st, 4);
	vn_kev(k, by ? by->cfg->core : 0, VN_KEV_HALT, f, sizeof(f));
	k->obs->halted = 1;
	k->halted = true;
	k->halt_status = status;
	port_system_event();
}

uint32_t vn_live_shards(const struct vn_kernel *k)
{
	return k->live;
}

uint32_t vn_core_live_shards(const struct vn_kernel *k, uint32_t core)
{
	return k->core[core].live;
}

/* True when live shards remain but none can ever run again: each waits with
 * no deadline and no pending bit, and no live shard owns a device that
 * could interrupt. (A live shard that runs or is ready could send; one that
 * polls never blocks, so a system with one is never "stuck" here.) Ports
 * with asynchronous notifications must also check that none is in flight.
 * The system does not end: an outside event (a signal on hosted) still
 * can, so this is a diagnosis, for the port to report. */
bool vn_system_stuck(const struct vn_kernel *k)
{
	uint32_t live = 0;

	/* A shard that runs or is ready settles it without the whole table:
	 * this runs on every WAIT that blocks for ever. */
	for (uint32_t c = 0; c < k->sys->n_cores; c++) {
		const struct vn_shard *cur = k->core[c].current;

		if (k->core[c].head || (cur && cur->state == VN_RUNNING))
			return false;
	}

	for (uint32_t i = 0; i < k->sys->n_shards; i++) {
		const struct vn_shard *s = &k->shard[i];

		if (!vn_shard_live(s))
			continue;
		if (s->state != VN_BLOCKED || s->deadline != VN_NEVER || s->pending)
			return false;
		live++;
	}
	for (uint32_t i = 0; i < k->sys->n_devices; i++) {
		const struct vn_kdevice *d = &k->sys->devices[i];

		if (d->irq != VN_NO_IRQ && vn_shard_live(&k->shard[d->shard]))
			return false;
	}
	return live > 0;
}

int vn_system_status(const struct vn_kernel *k)
{
	if (k->halted)
		return k->halt_status;
	if (k->any_fault)
		return 1;
	return k->first_error;
}
