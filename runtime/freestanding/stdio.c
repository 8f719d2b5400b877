/*
 * stdio.c - vsnprintf and snprintf for the bare-metal builds: the runtime's
 * own formatter (vanity/format.h), which vn_log uses on every board.
 */
#include <stdio.h>

#include <vanity/format.h>

int vsnprintf(char *restrict buf, size_t size, const char *restrict fmt, va_list ap)
{
	return vn_vformat(buf, size, fmt, ap);
}

int snprintf(char *restrict buf, size_t size, const char *restrict fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vn_vformat(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
