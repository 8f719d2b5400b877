/*
 * vanity/format.h - the runtime's formatter (runtime/lib/format.c): the
 * text of vn_log on every board, and vsnprintf / snprintf on the QEMU
 * boards, which have no C library.
 *
 * It converts %d %i %u %x %X %o %p %c %s %%, and %f %F %e %E %g %G %a %A
 * (where the build can pass a double: not in an fp: false shard on aarch64
 * or hosted), with the flags - 0 # + and space, a width and a precision (or
 * *), and the lengths hh h l ll z j t, and L (a long double, converted as a
 * double). A double prints exactly as C99 says, as glibc prints it
 * (tests/runtime/test_format.c compares them). Anything else (%n,
 * %ls, positional arguments) is copied out as written, and takes no
 * argument.
 */
#ifndef VANITY_FORMAT_H
#define VANITY_FORMAT_H

#include <stdarg.h>
#include <stddef.h>

/* C99 vsnprintf: at most size bytes, terminated when size > 0; returns the
 * length the whole text would have, or -1 for a text longer than INT_MAX or
 * a width or precision beyond it (buf then holds the text before it). */
int vn_vformat(char *buf, size_t size, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

#endif /* VANITY_FORMAT_H */
