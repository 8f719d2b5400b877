/* trace_tp.c - instantiates the LTTng-UST provider of trace_tp.h. */
#define LTTNG_UST_TRACEPOINT_CREATE_PROBES
#define LTTNG_UST_TRACEPOINT_DEFINE
#include "trace_tp.h"
