/*
 * reload.c - the bare-metal side of hot reload (core/reload.c): not yet.
 * Every image is refused as one this board cannot run.
 */
#include <vanity/reload.h>

#include "bm.h"
#include "kconsole.h"
#include "port.h"

uint32_t port_reload_check(const struct vn_shard *s, const struct vn_reload_hdr *h,
			   const uint8_t *img, uint64_t len, uint64_t *iface)
{
	(void)s, (void)h, (void)img, (void)len, (void)iface;
	return VN_RELOAD_IMAGE;
}

uint64_t port_reload_room(const struct vn_shard *s)
{
	(void)s;
	return 0;
}

int port_reload_stage(struct vn_shard *s, const uint8_t *img, uint64_t len)
{
	(void)s, (void)img, (void)len;
	return -1;
}

void port_reload_commit(struct vn_shard *s)
{
	(void)s;
}

void port_reload_drop(struct vn_shard *s)
{
	(void)s;
}

int port_reload_back(struct vn_shard *s)
{
	(void)s;
	return -1;
}

const void *port_shard_view(const struct vn_shard *s, uint64_t addr, uint64_t *len)
{
	(void)s, (void)addr, (void)len;
	return NULL;
}

void port_reload_done(const struct vn_shard *s, uint32_t outcome, uint32_t status)
{
	vn_reload_say(s, outcome, status, vn_kmsg);
}
