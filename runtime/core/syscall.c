/*
 * syscall.c - the system call table.
 *
 * Each call is one handler (kernel, caller, a0, a1) -> result. A handler
 * validates every argument before it acts: the caller is untrusted, and on
 * the hosted port its arguments were read from memory it can still write.
 * The port delivers calls only from the shard holding its core.
 */
#include "kernel.h"
#include "port.h"
#include "vn_sched.h"

typedef struct vn_sysres (*vn_sysfn)(struct vn_kernel *k, struct vn_shard *s,
				     uint64_t a0, uint64_t a1);

static struct vn_sysres ret(uint64_t value, uint32_t action)
{
	return (struct vn_sysres){.value = value, .action = action};
}

static struct vn_sysres sys_yield(struct vn_kernel *k, struct vn_shard *s,
				  uint64_t a0, uint64_t a1)
{
	(void)a0, (void)a1;
	s->st->yields++;
	vn_sched_yield(k, s);
	return ret(0, VN_ACT_SWITCH);
}

/* Bits already pending return at once; a zero timeout never sleeps. */
static struct vn_sysres sys_wait(struct vn_kernel *k, struct vn_shard *s,
				 uint64_t timeout, uint64_t a1)
{
	uint64_t now, deadline;

	(void)a1;
	if (s->pending || timeout == 0) {
		uint64_t bits = s->pending;

		s->pending = 0;
		return ret(bits, VN_ACT_CONTINUE);
	}
	now = port_now();
	deadline = timeout > VN_NEVER - now ? VN_NEVER : now + timeout;
	s->st->waits++;
	s->waiting = true;
	vn_sched_block(k, s, deadline);
	if (deadline == VN_NEVER && vn_system_stuck(k))
		port_system_event(); /* the port reports it */
	return ret(0, VN_ACT_SWITCH);
}

static struct vn_sysres sys_notify(struct vn_kernel *k, struct vn_shard *s,
				   uint64_t channel, uint64_t a1)
{
	(void)a1;
	if (channel >= k->sys->n_channels)
		return ret(VN_ERR(VN_EINVAL), VN_ACT_CONTINUE);
	if (vn_notify_deliver(k, s, (uint32_t)channel) != 0)
		return ret(VN_ERR(VN_EPERM), VN_ACT_CONTINUE);
	return ret(0, VN_ACT_CONTINUE);
}

static struct vn_sysres sys_exit(struct vn_kernel *k, struct vn_shard *s,
				 uint64_t status, uint64_t a1)
{
	(void)a1;
	vn_shard_finish(k, s, (int)(status & 0xff));
	return ret(status & 0xff, VN_ACT_EXIT);
}

/* Only a shard its spec lets halt the system may: for any other, stopping
 * every shard is beyond its authority, and the attempt is its own fault. */
static struct vn_sysres sys_halt(struct vn_kernel *k, struct vn_shard *s,
				 uint64_t status, uint64_t a1)
{
	(void)a1;
	if (!s->cfg->may_halt)
		return ret(0, VN_ACT_FAULT);
	vn_sched_remove(k, s, VN_FINISHED);
	vn_system_halt_by(k, s, (int)(status & 0xff));
	return ret(status & 0xff, VN_ACT_HALT);
}

static struct vn_sysres sys_log(struct vn_kernel *k, struct vn_shard *s,
				uint64_t len, uint64_t a1)
{
	(void)k, (void)a1;
	if (len > VN_LOG_MAX)
		return ret(VN_ERR(VN_EINVAL), VN_ACT_CONTINUE);
	port_shard_log(s, (uint32_t)len);
	return ret(0, VN_ACT_CONTINUE);
}

static struct vn_sysres sys_irq_ack(struct vn_kernel *k, struct vn_shard *s,
				    uint64_t bits, uint64_t a1)
{
	(void)a1;
	return ret(vn_irq_ack(k, s, bits), VN_ACT_CONTINUE);
}

/* The state and generation of the other endpoint of `channel`. */
static struct vn_sysres sys_peer(struct vn_kernel *k, struct vn_shard *s,
				 uint64_t channel, uint64_t a1)
{
	const struct vn_shard *peer;

	(void)a1;
	if (channel >= k->sys->n_channels)
		return ret(VN_ERR(VN_EINVAL), VN_ACT_CONTINUE);
	peer = vn_peer_of(k, s, (uint32_t)channel);
	if (!peer)
		return ret(VN_ERR(VN_EPERM), VN_ACT_CONTINUE);
	return ret((uint64_t)vn_peer_state(peer) << 32 | peer->st->generation,
		   VN_ACT_CONTINUE);
}

/* The caller hands the kernel a reload image for shard `target`, at `addr`
 * in its own memory (the port finds it: port_shard_view). */
static struct vn_sysres sys_reload(struct vn_kernel *k, struct vn_shard *s,
				   uint64_t target, uint64_t addr)
{
	const void *img;
	uint64_t len;
	uint32_t st;

	if (target >= k->sys->n_shards)
		return ret(VN_ERR(VN_EINVAL), VN_ACT_CONTINUE);
	if (!vn_reload_may(s, (uint32_t)target))
		return ret(VN_ERR(VN_EPERM), VN_ACT_CONTINUE);
	img = port_shard_view(s, addr, &len);
	if (!img)
		return ret(VN_ERR(VN_EINVAL), VN_ACT_CONTINUE);
	st = vn_reload_request(k, &k->shard[target], img, len, port_now());
	port_shard_view_end(s);
	return ret(st, VN_ACT_CONTINUE);
}

static struct vn_sysres sys_quiesce(struct vn_kernel *k, struct vn_shard *s,
				    uint64_t a0, uint64_t a1)
{
	uint64_t r;

	(void)a0, (void)a1;
	r = vn_reload_quiesce(k, s, port_now());
	return ret(r, VN_IS_ERR(r) ? VN_ACT_CONTINUE : VN_ACT_SWITCH);
}

static struct vn_sysres sys_handoff(struct vn_kernel *k, struct vn_shard *s,
				    uint64_t a0, uint64_t a1)
{
	(void)k, (void)a0, (void)a1;
	return ret(s->handoff_gen, VN_ACT_CONTINUE);
}

static const vn_sysfn vn_systab[VN_SYS_COUNT] = {
	[VN_SYS_YIELD] = sys_yield,
	[VN_SYS_WAIT] = sys_wait,
	[VN_SYS_NOTIFY] = sys_notify,
	[VN_SYS_EXIT] = sys_exit,
	[VN_SYS_HALT] = sys_halt,
	[VN_SYS_LOG] = sys_log,
	[VN_SYS_IRQ_ACK] = sys_irq_ack,
	[VN_SYS_PEER] = sys_peer,
	[VN_SYS_RELOAD] = sys_reload,
	[VN_SYS_QUIESCE] = sys_quiesce,
	[VN_SYS_HANDOFF] = sys_handoff,
};

/* Run call `op` for `caller`, which must be the running shard of its core. */
struct vn_sysres vn_syscall_dispatch(struct vn_kernel *k, struct vn_shard *caller,
				     uint32_t op, uint64_t a0, uint64_t a1)
{
	caller->st->syscalls++;
	if (op >= VN_SYS_COUNT || !vn_systab[op])
		return ret(VN_ERR(VN_ENOSYS), VN_ACT_CONTINUE);
	return vn_systab[op](k, caller, a0, a1);
}
