/*
 * string.c - memcpy and friends for freestanding builds. Byte loops, but
 * memcpy and memset move the 8-byte-aligned middle of a buffer a word at a
 * time (four words a round while they can): the kernel copies a 288-byte
 * trap frame out and in on every switch and zeroes each trace record's
 * 22-byte field area, and those were a third of a switch as byte loops or
 * whole-buffer-aligned word loops. Word accesses only ever at aligned
 * addresses, so they stay correct with -mstrict-align. Compiled with
 * -fno-tree-loop-distribute-patterns, so the compiler does not turn these
 * loops back into calls to themselves.
 */
#define VN_FS_STRING_IMPL
#include <stdint.h>
#include <string.h>

void *memcpy(void *restrict dst, const void *restrict src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	if ((((uintptr_t)d ^ (uintptr_t)s) & 7) == 0) {
		for (; n && ((uintptr_t)d & 7); n--)
			*d++ = *s++;
		for (; n >= 32; n -= 32, d += 32, s += 32) {
			const uint64_t *w = (const uint64_t *)s;
			uint64_t a = w[0], b = w[1], c = w[2], e = w[3];

			((uint64_t *)d)[0] = a;
			((uint64_t *)d)[1] = b;
			((uint64_t *)d)[2] = c;
			((uint64_t *)d)[3] = e;
		}
		for (; n >= 8; n -= 8, d += 8, s += 8)
			*(uint64_t *)d = *(const uint64_t *)s;
	}
	while (n--)
		*d++ = *s++;
	return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	if (d >= s + n || s >= d + n) /* apart: memcpy's restrict holds */
		return memcpy(dst, src, n);
	if (d < s)
		for (size_t i = 0; i < n; i++)
			d[i] = s[i];
	else
		while (n--)
			d[n] = s[n];
	return dst;
}

void *memset(void *dst, int c, size_t n)
{
	unsigned char *d = dst;
	uint64_t v = (unsigned char)c * UINT64_C(0x0101010101010101);

	for (; n && ((uintptr_t)d & 7); n--)
		*d++ = (unsigned char)c;
	for (; n >= 32; n -= 32, d += 32) {
		((uint64_t *)d)[0] = v;
		((uint64_t *)d)[1] = v;
		((uint64_t *)d)[2] = v;
		((uint64_t *)d)[3] = v;
	}
	for (; n >= 8; n -= 8, d += 8)
		*(uint64_t *)d = v;
	while (n--)
		*d++ = (unsigned char)c;
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *p = a, *q = b;

	for (; n; n--, p++, q++)
		if (*p != *q)
			return *p - *q;
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

int strcmp(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n && *a && *a == *b; n--)
		a++, b++;
	return n ? (unsigned char)*a - (unsigned char)*b : 0;
}
