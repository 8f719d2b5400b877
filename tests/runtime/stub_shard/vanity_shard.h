/*
 * vanity_shard.h - what the virtio-net driver takes from a shard's
 * generated header, for test_vnet.c, which links the driver on the host and
 * plays its device in plain memory (vanity/mmio.h's bare-metal accessors:
 * one load or store each).
 */
#ifndef VANITY_SHARD_H
#define VANITY_SHARD_H

#include <stdint.h>

uint64_t vn_now(void);

#endif /* VANITY_SHARD_H */
