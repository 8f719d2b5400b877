/*
 * stub_port.c - a recording port for host unit tests of the kernel core:
 * a settable clock, and a log of every port call the core makes.
 */
#include "stub_port.h"

struct stub_port stub;

void stub_reset(void)
{
	memset(&stub, 0, sizeof(stub));
}

uint64_t port_now(void)
{
	return stub.now;
}

void port_kick_core(uint32_t core)
{
	stub.kicks++;
	stub.last_kick = core;
}

void port_shard_log(struct vn_shard *s, uint32_t len)
{
	stub.logs++;
	stub.last_log_shard = s->cfg->id;
	stub.last_log_len = len;
}

int port_shard_start(struct vn_shard *s)
{
	stub.starts++;
	stub.last_start = s->cfg->id;
	return stub.start_fails ? -1 : 0;
}

void port_shard_stop(struct vn_shard *s)
{
	stub.stops++;
	stub.last_stop = s->cfg->id;
}

void port_system_event(void)
{
	stub.events++;
}

int port_irq_unmask(uint32_t irq)
{
	stub.unmasks++;
	stub.last_unmask = irq;
	return stub.unmask_fails ? -1 : 0;
}

const void *port_shard_trace(const struct vn_shard *s)
{
	(void)s;
	return NULL;
}

const void *port_channel_ring(uint32_t channel)
{
	(void)channel;
	return NULL;
}

/* No crash dumps in unit tests of the core: the port takes none. */
void *port_crash_open(const struct vn_shard *s, uint32_t generation)
{
	(void)s;
	(void)generation;
	stub.crash_opens++;
	return NULL;
}

int port_crash_write(void *f, const void *p, uint64_t len)
{
	(void)f;
	(void)p;
	(void)len;
	return -1;
}

void port_crash_close(void *f, int err)
{
	(void)f;
	(void)err;
}

void port_crash_cpu(const struct vn_shard *s, struct vn_crash_cpu *c)
{
	(void)s;
	(void)c;
}

uint64_t port_shard_copy(const struct vn_shard *s, uint64_t lo, uint64_t hi, void *buf,
			 uint64_t *at)
{
	(void)s;
	(void)lo;
	(void)hi;
	(void)buf;
	(void)at;
	return 0;
}

uint64_t port_shard_image_hash(const struct vn_shard *s)
{
	(void)s;
	return 0;
}
