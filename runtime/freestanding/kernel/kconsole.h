/*
 * kconsole.h - the console lines every bare-metal kernel prints the same
 * way (aarch64, riscv64): "vanity: ..." kernel messages, "[name] text" shard
 * log lines, and what a shard's fault policy made of a fault. Only the
 * kernels link this (runtime/freestanding/kernel/); the port supplies the
 * UART's two accesses below, called under the console's own lock
 * (kconsole.c) so lines from different CPUs never interleave.
 */
#ifndef VN_KCONSOLE_H
#define VN_KCONSOLE_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel.h"

/* The port's console UART, polled: whether its transmitter has no room for
 * a byte now, and one byte into it (kconsole.c waits for the room, turns
 * each '\n' into "\r\n", and gives up on a UART that never has room). */
bool port_console_tx_full(void);
void port_console_tx(uint8_t c);

/* The system ends after the lines that follow (its exit status, a panic,
 * a failed boot): they wait longer for room in the UART, and a count of
 * bytes dropped, still owed, comes out before them (kconsole.c). */
void vn_kconsole_last(void);

/* "vanity: <formatted>\n", after the lines this CPU kept (vn_kmsg_later):
 * every CPU's lines come out in the order it said them. */
void vn_kmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* vn_kmsg's line for one a shard can make the kernel say without end (a
 * reload's outcome: an updater shard may ask in a loop), said under the
 * kernel lock: kept on this CPU and printed by bm_kmsg_flush once its trap
 * has dropped the lock. So a line's time on the UART is this CPU's alone,
 * as a shard's own log line's is (run.c: port_shard_log), and no other
 * core waits for the kernel meanwhile. A CPU keeps a few; one more prints
 * those at once. */
void vn_kmsg_later(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Print what this CPU kept (vn_kmsg_later), without the kernel lock: at a
 * trap's end, and whenever it drops the lock (run.c: bm_unlock).
 * bm_kmsg_flush_all, under the lock at the system's end, waits until every
 * CPU's are out. */
extern uint32_t bm_kmsg_later[];
void bm_kmsg_flush_now(uint32_t cpu);
void bm_kmsg_flush_all(void);

static inline void bm_kmsg_flush(uint32_t cpu)
{
	if (__builtin_expect(bm_kmsg_later[cpu] != 0, 0))
		bm_kmsg_flush_now(cpu);
}

/* The len bytes at log (copied first) as one "[name] text" line per line,
 * anything unprintable shown as '?'. Needs no kernel lock. */
void vn_kshard_log(const char *name, const volatile char *log, uint32_t len);

/* Once: "system 'x' is stuck: 'a', 'b' wait for notifications ..." */
void vn_kreport_stuck(const struct vn_kernel *k);

#endif /* VN_KCONSOLE_H */
