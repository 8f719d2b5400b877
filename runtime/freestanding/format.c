/*
 * format.c - vsnprintf for freestanding builds (see include/stdio.h for
 * what it supports). C99 semantics: the output is always terminated when
 * size > 0, and the return value is the length the whole text would have.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct out {
	char *buf;
	size_t size, len;
};

struct spec {
	int left, zero, alt, plus, space;
	int width, prec; /* prec < 0: none */
	int length;      /* 'H' hh, 'h', 'l', 'L' ll (and z, j, t) */
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void pad(struct out *o, int n, char c)
{
	while (n-- > 0)
		put(o, c);
}

static void emit(struct out *o, const struct spec *sp, const char *prefix,
		 const char *body, int n, int zeros)
{
	int plen = (int)strlen(prefix), fill = sp->width - plen - zeros - n;

	if (!sp->left && !(sp->zero && sp->prec < 0))
		pad(o, fill, ' ');
	for (int i = 0; i < plen; i++)
		put(o, prefix[i]);
	if (!sp->left && sp->zero && sp->prec < 0)
		pad(o, fill, '0');
	pad(o, zeros, '0');
	for (int i = 0; i < n; i++)
		put(o, body[i]);
	if (sp->left)
		pad(o, fill, ' ');
}

static void number(struct out *o, const struct spec *sp, uint64_t v, int neg,
		   unsigned base, int upper, const char *alt)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24], *p = tmp + sizeof(tmp);
	const char *prefix = neg ? "-" : sp->plus ? "+" : sp->space ? " " : "";
	int n, zeros;

	do {
		*--p = digits[v % base];
		v /= base;
	} while (v);
	n = (int)(tmp + sizeof(tmp) - p);
	if (sp->prec == 0 && n == 1 && *p == '0')
		n = 0;
	zeros = sp->prec > n ? sp->prec - n : 0;
	if (alt && *alt && !(n == 1 && *p == '0'))
		prefix = alt;
	emit(o, sp, prefix, p, n, zeros);
}

static uint64_t arg_unsigned(const struct spec *sp, va_list *ap)
{
	switch (sp->length) {
	case 'H': return (unsigned char)va_arg(*ap, unsigned);
	case 'h': return (unsigned short)va_arg(*ap, unsigned);
	case 'l': return va_arg(*ap, unsigned long);
	case 'L': return va_arg(*ap, unsigned long long);
	default: return va_arg(*ap, unsigned);
	}
}

static int64_t arg_signed(const struct spec *sp, va_list *ap)
{
	switch (sp->length) {
	case 'H': return (signed char)va_arg(*ap, int);
	case 'h': return (short)va_arg(*ap, int);
	case 'l': return va_arg(*ap, long);
	case 'L': return va_arg(*ap, long long);
	default: return va_arg(*ap, int);
	}
}

/* Flags, width, precision and length; returns the conversion character. */
static const char *parse(const char *f, struct spec *sp, va_list *ap)
{
	*sp = (struct spec){.prec = -1};
	for (;; f++) {
		if (*f == '-') sp->left = 1;
		else if (*f == '0') sp->zero = 1;
		else if (*f == '#') sp->alt = 1;
		else if (*f == '+') sp->plus = 1;
		else if (*f == ' ') sp->space = 1;
		else break;
	}
	if (*f == '*') {
		sp->width = va_arg(*ap, int), f++;
		if (sp->width < 0)
			sp->left = 1, sp->width = -sp->width;
	}
	while (*f >= '0' && *f <= '9')
		sp->width = sp->width * 10 + (*f++ - '0');
	if (*f == '.') {
		sp->prec = 0, f++;
		if (*f == '*')
			sp->prec = va_arg(*ap, int), f++;
		while (*f >= '0' && *f <= '9')
			sp->prec = sp->prec * 10 + (*f++ - '0');
	}
	if (f[0] == 'h' && f[1] == 'h') sp->length = 'H', f += 2;
	else if (f[0] == 'l' && f[1] == 'l') sp->length = 'L', f += 2;
	else if (*f == 'h') sp->length = 'h', f++;
	else if (*f == 'l' || *f == 'z' || *f == 'j' || *f == 't') sp->length = 'l', f++;
	return f;
}

static void string(struct out *o, const struct spec *sp, const char *s)
{
	int n = 0;

	if (!s)
		s = "(null)";
	while (s[n] && (sp->prec < 0 || n < sp->prec))
		n++;
	emit(o, sp, "", s, n, 0);
}

static void convert(struct out *o, struct spec *sp, char c, va_list *ap)
{
	int64_t v;
	char ch;

	switch (c) {
	case 'd': case 'i':
		v = arg_signed(sp, ap);
		number(o, sp, v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v, v < 0, 10, 0, "");
		break;
	case 'u': number(o, sp, arg_unsigned(sp, ap), 0, 10, 0, ""); break;
	case 'x': number(o, sp, arg_unsigned(sp, ap), 0, 16, 0, sp->alt ? "0x" : ""); break;
	case 'X': number(o, sp, arg_unsigned(sp, ap), 0, 16, 1, sp->alt ? "0X" : ""); break;
	case 'o': number(o, sp, arg_unsigned(sp, ap), 0, 8, 0, sp->alt ? "0" : ""); break;
	case 'p':
		number(o, sp, (uintptr_t)va_arg(*ap, void *), 0, 16, 0, "0x");
		break;
	case 'c':
		ch = (char)va_arg(*ap, int);
		emit(o, sp, "", &ch, 1, 0);
		break;
	case 's': string(o, sp, va_arg(*ap, const char *)); break;
	case '%': put(o, '%'); break;
	default: put(o, '%'), put(o, c); break;
	}
}

int vsnprintf(char *restrict buf, size_t size, const char *restrict fmt, va_list ap)
{
	struct out o = {.buf = buf, .size = size};
	struct spec sp;
	va_list args;

	va_copy(args, ap);
	while (*fmt) {
		if (*fmt != '%') {
			put(&o, *fmt++);
			continue;
		}
		fmt = parse(fmt + 1, &sp, &args);
		if (!*fmt)
			break;
		convert(&o, &sp, *fmt++, &args);
	}
	va_end(args);
	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return (int)o.len;
}

int snprintf(char *restrict buf, size_t size, const char *restrict fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
