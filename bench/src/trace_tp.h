/*
 * trace_tp.h - the LTTng-UST tracepoint provider that trace_cost.c measures
 * beside Vanity's emitter: one event, vanity_bench:rx_batch, with the same
 * payload as the Vanity event (u32 count, u8 port, u8 mac[6]).
 */
#undef LTTNG_UST_TRACEPOINT_PROVIDER
#define LTTNG_UST_TRACEPOINT_PROVIDER vanity_bench

#undef LTTNG_UST_TRACEPOINT_INCLUDE
#define LTTNG_UST_TRACEPOINT_INCLUDE "./trace_tp.h"

#if !defined(BENCH_TRACE_TP_H) || defined(LTTNG_UST_TRACEPOINT_HEADER_MULTI_READ)
#define BENCH_TRACE_TP_H

#include <stdint.h>
#include <lttng/tracepoint.h>

LTTNG_UST_TRACEPOINT_EVENT(
	vanity_bench, rx_batch,
	LTTNG_UST_TP_ARGS(uint32_t, count, uint8_t, port, const uint8_t *, mac),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer(uint32_t, count, count)
		lttng_ust_field_integer(uint8_t, port, port)
		lttng_ust_field_array(uint8_t, mac, mac, 6)
	)
)

#endif /* BENCH_TRACE_TP_H */

#include <lttng/tracepoint-event.h>
