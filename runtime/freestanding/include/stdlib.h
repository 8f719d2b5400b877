/*
 * stdlib.h - freestanding: abort() only, which the port supplies (on bare
 * metal it traps, and the kernel reports the shard as aborted).
 */
#ifndef VN_FS_STDLIB_H
#define VN_FS_STDLIB_H

#include <stddef.h>

_Noreturn void abort(void);

#endif /* VN_FS_STDLIB_H */
