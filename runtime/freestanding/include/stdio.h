/*
 * stdio.h - freestanding: formatting into a buffer, nothing else. There is
 * no FILE on bare metal; output goes through the port (vn_log, the console).
 * Both are the runtime's formatter, vanity/format.h, which lists what it
 * converts.
 */
#ifndef VN_FS_STDIO_H
#define VN_FS_STDIO_H

#include <stdarg.h>
#include <stddef.h>

int vsnprintf(char *restrict buf, size_t size, const char *restrict fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
int snprintf(char *restrict buf, size_t size, const char *restrict fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif /* VN_FS_STDIO_H */
