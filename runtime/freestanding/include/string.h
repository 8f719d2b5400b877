/*
 * string.h - the freestanding subset Vanity's bare-metal builds use
 * (runtime/freestanding/string.c). The hosted build uses the C library's.
 */
#ifndef VN_FS_STRING_H
#define VN_FS_STRING_H

#include <stddef.h>

void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);

/* -ffreestanding turns builtins off; these let the compiler inline small
 * fixed-size copies (a ring slot) again, and call the functions otherwise. */
#ifndef VN_FS_STRING_IMPL
#define memcpy(d, s, n) __builtin_memcpy((d), (s), (n))
#define memmove(d, s, n) __builtin_memmove((d), (s), (n))
#define memset(d, c, n) __builtin_memset((d), (c), (n))
#define memcmp(a, b, n) __builtin_memcmp((a), (b), (n))
#define strlen(s) __builtin_strlen(s)
#endif

#endif /* VN_FS_STRING_H */
